# Open a shift with a ¥200 float on the keypad, take nothing, close it with
# ¥195 counted: the supervisor approves with their PIN (a wrong PIN is
# refused), the Z report shows a ¥5.00 shortfall and the store has the
# shift closed with those figures.
import vpgui as g


def flow():
    before = g.journal()
    g.start_app()
    g.login()
    p = g.nav('Shift')
    g.screenshot('no-shift')

    # Bad float.
    g.keypad('99999999', within=p, target='Float')
    g.press('Open shift', within=p)
    g.wait_message('Shift message', lambda t: t.startswith('Float') and 'too large' in t,
                   within=p, what='a message for an absurd float')
    g.check(len(g.journal()) == len(before), 'an absurd float wrote to the journal')

    g.keypad('200', within=p, target='Float')
    g.press('Open shift', within=p)
    g.find(name='Close shift', role='push button', within=p, timeout=20)
    x = g.cli('shift', 'x', staff=g.OPERATOR)
    g.check(x['float'] == 20000, 'store float %r, expected 20000' % x.get('float'))
    g.label_text('Expected cash', within=p, pred=lambda t: t == '¥200.00')
    g.screenshot('x-report')
    g.check_touch_targets()
    g.check_accessible_names()

    g.set_text('Counted cash', '195', within=p)
    g.label_text('Difference', within=p, pred=lambda t: t.startswith('-¥5.00'))
    g.press('Close shift', within=p)
    dlg = g.dialog('Supervisor approval')
    # The approval says what it signs: counted, expected, the shortfall.
    g.label_text('Shortfall', within=dlg, pred=lambda t: t == '¥5.00')
    sup = g.staff_name('sup01')
    g.press('%s (sup01)' % sup, within=dlg)
    g.keypad('1111', within=dlg, target='Supervisor PIN')
    g.press('Approve', within=dlg)
    g.wait_message('Approval message', lambda t: t.startswith('Wrong'), within=dlg,
                   what='the wrong supervisor PIN message')
    g.screenshot('wrong-supervisor-pin')
    n_open = len(g.journal())
    g.check(n_open == len(before) + 1, 'journal has %d new entries, expected just the opening'
            % (n_open - len(before)))

    g.keypad('9876', within=dlg, target='Supervisor PIN')
    g.press('Approve', within=dlg)
    z = g.find(name='Z report', within=p, timeout=30)
    g.label_text('Counted cash', within=p, pred=lambda t: t == '¥195.00')
    g.label_text('Difference', within=p, pred=lambda t: t == '-¥5.00')
    g.label_text('Approved by', within=p, pred=lambda t: t == 'sup01')
    g.screenshot('z-report')
    new = g.journal()[len(before):]
    kinds = [e.get('kind') for e in new]
    g.check(kinds == ['shift.open', 'shift.close'], 'journal kinds %r' % kinds)
    close = new[1]
    g.log('close entry: %r' % close)
    g.check(close.get('counted') == 19500, 'counted %r, expected 19500' % close.get('counted'))
    r = g.cli('shift', 'x', staff=g.OPERATOR, check=False)
    g.check(r is None or not r.get('shift'), 'the store still has an open shift: %r' % r)
    del z


g.run(flow)
