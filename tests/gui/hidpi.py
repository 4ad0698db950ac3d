# A 1920×1080 tablet at scale 2 (960×540 logical, issue 11): sign-in,
# a cash payment and the Z report work with every primary action on the
# screen (never below the fold), and the payment and Z land in the store.
import vpgui as g


def flow():
    cands = g.find_accounts('天鹅湖畔', lambda a: a['meter'] == 'postpaid'
                            and a['arrears'] > 5000 and a['status'] == 'active')
    g.check(cands, 'no post-paid demo account with arrears')
    number = cands[0]['number']
    start = g.account(number)
    before = g.journal()

    g.start_app()
    p = g.panel('Sign in')
    g.screenshot('sign-in')
    sid, pin = g.OPERATOR
    g.press('%s (%s)' % (g.staff_name(sid), sid), within=p)
    g.keypad(pin, within=p, target='PIN')
    g.check_on_screen(g.find(name='Sign in', role='push button', within=p), 'Sign in')
    g.press('Sign in', within=p)
    g.find(prefix='Signed in as ', role='label')
    g.screenshot('home')

    s = g.nav('Shift')
    g.keypad('100', within=s, target='Float')
    g.check_on_screen(g.find(name='Open shift', role='push button', within=s), 'Open shift')
    g.press('Open shift', within=s)
    g.find(name='Close shift', role='push button', within=s, timeout=20)

    page = g.open_account(number)
    g.check_on_screen(g.find(name='Pay bills', role='push button', within=page), 'Pay bills')
    g.press('Pay bills', within=page)
    p = g.panel('Pay bills')
    g.keypad('20', within=p, target='Amount')
    g.toggle_on('Cash', within=p)
    g.screenshot('pay')
    g.check_on_screen(g.find(name='Confirm', role='push button', within=p), 'Confirm')
    g.press('Confirm', within=p)
    rec = g.panel('Receipt', timeout=30)
    g.screenshot('receipt')
    g.check_on_screen(g.find(name='Done', role='push button', within=rec), 'Done')
    g.press('Done', within=rec)
    g.check(g.account(number)['arrears'] == start['arrears'] - 2000, 'the payment did not apply')

    s = g.nav('Shift')
    g.set_text('Counted cash', '120', within=s)
    g.label_text('Difference', within=s, pred=lambda t: t.startswith('¥0.00'))
    g.screenshot('x-report')
    g.check_on_screen(g.find(name='Close shift', role='push button', within=s), 'Close shift')
    g.press('Close shift', within=s)
    dlg = g.dialog('Supervisor approval')
    g.screenshot('approval')
    g.press('%s (sup01)' % g.staff_name('sup01'), within=dlg)
    g.keypad('9876', within=dlg, target='Supervisor PIN')
    g.check_on_screen(g.find(name='Approve', role='push button', within=dlg), 'Approve')
    g.press('Approve', within=dlg)
    g.find(name='Z report', within=s, timeout=30)
    g.screenshot('z-report')
    kinds = [e.get('kind') for e in g.journal()[len(before):]]
    g.check(kinds == ['shift.open', 'pay', 'shift.close'], 'journal kinds %r' % kinds)


g.run(flow)
