# Search as you type: by pinyin initials, by a Chinese name and by account
# number; the rows match what the store finds (vanpos-cli search), and a row
# opens the account page with the stored holder and arrears.
import vpgui as g


def rows(p):
    return [n.name for n in g.find_all(role='push button', within=p,
                                       regex=r'^[0-9P][0-9A-Z-]+ \S')]


def flow():
    g.start_app()
    g.login()
    p = g.nav('Search')
    g.screenshot('search-empty')

    # A two-character Chinese name fragment, as staff type it.
    some = g.cli('search', '张', '--limit', '5')['results']
    g.check(some, 'the demo database has no 张')
    holder = some[0]['holder']
    q = holder[:2]
    expected = g.cli('search', q, '--limit', '50')['results']
    g.set_text('Search accounts', q, within=p)
    first = '%s %s' % (expected[0]['number'], expected[0]['holder'])
    g.find(name=first, role='push button', within=p)
    shown = rows(p)
    g.log('%d rows for %r, CLI finds %d' % (len(shown), q, len(expected)))
    g.check(shown, 'no result rows for %r' % q)
    want = ['%s %s' % (a['number'], a['holder']) for a in expected]
    g.check(shown == want[:len(shown)],
            'GUI rows %r differ from the store order %r' % (shown[:5], want[:5]))
    g.screenshot('search-name')

    # Pinyin initials of a 3-character name.
    initials_q = None
    for a in g.cli('search', '李', '--limit', '50')['results']:
        if len(a['holder']) == 3:
            initials_q = a
            break
    if initials_q is not None:
        from_cli = g.cli('search', 'wjf', '--limit', '20')['results']
        g.set_text('Search accounts', 'wjf', within=p)
        if from_cli:
            g.find(name='%s %s' % (from_cli[0]['number'], from_cli[0]['holder']),
                   role='push button', within=p)

    # Nothing matches.
    g.set_text('Search accounts', 'zzzzqqq', within=p)
    g.find(prefix='No account matches', role='label', within=p)
    g.check(not rows(p), 'rows shown for a query that matches nothing')

    # An account number opens its page.
    acct = expected[0]
    g.set_text('Search accounts', acct['number'], within=p)
    row = g.find(name='%s %s' % (acct['number'], acct['holder']), role='push button', within=p)
    g.activate(row)
    page = g.panel('Account')
    g.wait_message('Holder', lambda t: acct['holder'] in t, within=page)
    g.wait_message('Account number', lambda t: acct['number'] in t, within=page)
    g.screenshot('account-page')


g.run(flow)
