# Reports with a date picker and per-operator figures (issue 11): ¥20 and
# ¥30 cash by op01 and ¥50 by sup01 through the CLI; the month's report
# shows one line per operator with exactly those figures; a date in
# January 2020 shows that month, with no operator lines; a malformed date
# is refused in the message and the figures stay.
import vpgui as g


def flow():
    g.cli('shift', 'open', '--float', '100', staff=g.SUPERVISOR)
    cands = g.find_accounts('天鹅湖畔', lambda a: a['meter'] == 'postpaid'
                            and a['arrears'] > 12000 and a['status'] == 'active')
    number = cands[0]['number']
    g.cli('pay', number, '20', '--method', 'cash', staff=g.OPERATOR)
    g.cli('pay', number, '30', '--method', 'cash', staff=g.OPERATOR)
    g.cli('pay', number, '50', '--method', 'cash', staff=g.SUPERVISOR)

    g.start_app()
    g.login()
    page = g.nav('Reports')
    g.label_text('Operator op01', within=page,
                 pred=lambda t: t == 'Fee transactions 2 · taken %s · refunded %s · voids 0'
                 % (g.money(5000), g.money(0)))
    g.label_text('Operator sup01', within=page,
                 pred=lambda t: t == 'Fee transactions 1 · taken %s · refunded %s · voids 0'
                 % (g.money(5000), g.money(0)))
    g.check({n.name for n in g.find_all(prefix='Operator ', role='label', within=page)}
            == {'Operator op01', 'Operator sup01'},
            'expected exactly two operator lines')
    g.screenshot('reports-by-operator')
    g.check_touch_targets(page)

    g.set_text('Report date', '2020-01-15', within=page)
    g.press('Show report', within=page)
    g.find(role='label', within=page,
           pred=lambda n: (n.name or '') == 'Report for 2020-01-01 to 2020-01-31')
    g.check(not g.find_all(prefix='Operator ', role='label', within=page),
            'January 2020 shows operator lines')
    g.screenshot('reports-january-2020')

    g.set_text('Report date', '2020-13-45', within=page)
    g.press('Show report', within=page)
    g.wait_message('Reports message', lambda t: '2020-13-45' in t, within=page,
                   what='a refused date')
    g.screenshot('reports-bad-date')


g.run(flow)
