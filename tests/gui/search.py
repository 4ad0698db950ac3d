# Search as you type: by one Chinese character, by two, by pinyin initials
# and by account number; the rows on screen are the store's first results in
# the store's order (vanpos-cli search); a query that matches nothing says
# so; a row opens the account page with the stored holder and number.
import vpgui as g


def rows(p):
    return [n.name for n in g.find_all(role='push button', within=p,
                                       regex=r'^(\d{11}|P-[A-Z0-9]+-\d+) \S')]


def expect_rows(p, query, minimum=1):
    expected = g.cli('search', query, '--limit', '100')['results']
    g.check(len(expected) >= minimum, 'the store finds only %d accounts for %r'
            % (len(expected), query))
    want = ['%s %s' % (a['number'], a['holder']) for a in expected]
    g.set_text('Search accounts', query, within=p)
    g.find(name=want[0], role='push button', within=p)
    shown = g.wait_until(lambda: rows(p) if rows(p)[:1] == want[:1] else None,
                         'the first row for %r' % query)
    g.log('%r: %d rows on screen, the store finds %d' % (query, len(shown), len(expected)))
    g.check(shown == want[:len(shown)],
            'rows on screen %r differ from the store order %r' % (shown[:6], want[:6]))
    g.check(len(shown) >= min(len(want), 3), 'only %d rows on screen for %r'
            % (len(shown), query))
    return expected


def flow():
    g.start_app()
    g.login()
    p = g.nav('Search')

    many = expect_rows(p, '张', minimum=10)
    g.screenshot('one-character')
    g.check_touch_targets()
    g.check_accessible_names()
    expect_rows(p, many[0]['holder'][:2])
    initials = expect_rows(p, 'zjj')
    g.check(initials[0]['holder'] == '张军娟', 'zjj finds %r first' % initials[0]['holder'])
    g.screenshot('initials')

    g.set_text('Search accounts', 'zzzzqqq', within=p)
    g.find(prefix='No account matches', role='label', within=p)
    g.check(not rows(p), 'rows shown for a query that matches nothing')
    g.screenshot('no-match')

    acct = g.account(many[0]['number'])
    g.set_text('Search accounts', acct['number'], within=p)
    row = g.find(name='%s %s' % (acct['number'], acct['holder']), role='push button', within=p)
    g.activate(row)
    page = g.panel('Account')
    g.label_text('Holder', within=page, pred=lambda t: t == acct['holder'])
    g.label_text('Account number', within=page, pred=lambda t: acct['number'] in t)
    g.label_text('Arrears', within=page, pred=lambda t: t == g.money(acct['arrears']))
    g.screenshot('account-page')
    g.check_touch_targets()
    g.check_accessible_names()


g.run(flow)
