# Cash drop: open a shift with a ¥200 float, take ¥50 in cash (¥100
# tendered, ¥50 change), then drop ¥150 to the safe from the Shift screen.
# Without a reason nothing is written; the supervisor's dialog says what it
# approves (the action, the amount, the reason); the journal has one
# cash.drop of 15000 fen approved by sup01, and the X report (on screen and
# `vanpos-cli shift x`) expects ¥100 in the drawer: 200 + 50 − 150.
import vpgui as g


def flow():
    cands = g.find_accounts('天鹅湖畔', lambda a: a['meter'] == 'postpaid'
                            and a['arrears'] > 8000 and a['status'] == 'active')
    g.check(cands, 'no post-paid demo account with more than ¥80 arrears')
    number = cands[0]['number']
    before = g.journal()

    g.start_app()
    g.login()
    p = g.nav('Shift')
    g.keypad('200', within=p, target='Float')
    g.press('Open shift', within=p)
    g.find(name='Close shift', role='push button', within=p, timeout=20)

    # ¥50 cash with ¥100 tendered: the payment records both.
    page = g.open_account(number)
    g.press('Pay bills', within=page)
    pay = g.panel('Pay bills')
    g.keypad('50', within=pay, target='Amount')
    g.toggle_on('Cash', within=pay)
    g.set_text('Tendered', '100', within=pay)
    g.press('Confirm', within=pay)
    rec = g.panel('Receipt')
    g.label_text('Change due', within=rec, pred=lambda t: t == '¥50.00')
    g.press('Done', within=rec)
    paid = g.journal()[-1]
    g.log('payment: %r' % paid)
    g.check(paid.get('kind') == 'pay' and paid.get('amount') == 5000,
            'payment entry %r' % paid)
    g.check(paid.get('tendered') == 10000 and paid.get('change') == 5000,
            'tendered %r change %r, expected 10000 and 5000'
            % (paid.get('tendered'), paid.get('change')))

    p = g.nav('Shift')
    g.label_text('Expected cash', within=p, pred=lambda t: t == '¥250.00')
    n = len(g.journal())

    # No reason: refused inline, nothing written.
    # A tap on the field makes it the keypad's target.
    g.find(name='Cash amount', role='text', within=p).click()
    g.keypad('150', within=p, target='Cash amount')
    g.set_text('Cash reason', '', within=p)
    g.press('Cash drop', within=p)
    g.wait_message('Shift message', lambda t: t.startswith('Cash reason'), within=p,
                   what='a message asking for the reason')
    g.check(len(g.journal()) == n, 'a cash drop without a reason wrote to the journal')

    g.set_text('Cash reason', 'to the safe', within=p)
    g.screenshot('cash-drop-form')
    g.check_touch_targets()
    g.check_accessible_names()
    g.press('Cash drop', within=p)
    dlg = g.dialog('Supervisor approval')
    g.find(name='Cash drop ¥150.00 — reason: to the safe', role='label', within=dlg)
    g.label_text('Amount', within=dlg, pred=lambda t: t == '¥150.00')
    g.label_text('Reason', within=dlg, pred=lambda t: t == 'to the safe')
    g.screenshot('cash-drop-approval')
    g.check_touch_targets(within=dlg)
    g.press('%s (sup01)' % g.staff_name('sup01'), within=dlg)
    g.keypad('9876', within=dlg, target='Supervisor PIN')
    g.press('Approve', within=dlg)
    g.wait_until(lambda: len(g.journal()) == n + 1, 'the cash drop entry')
    e = g.journal()[-1]
    g.log('cash drop entry: %r' % e)
    g.check(e.get('kind') == 'cash.drop', 'journal kind %r' % e.get('kind'))
    g.check(e.get('amount') == 15000, 'drop amount %r, expected 15000' % e.get('amount'))
    g.check(e.get('reason') == 'to the safe', 'drop reason %r' % e.get('reason'))
    g.check('sup01' in (e.get('staff'), e.get('approved_by')),
            'drop approved by %r / %r' % (e.get('staff'), e.get('approved_by')))

    g.wait_message('Shift message', lambda t: t.startswith('Cash drop to safe recorded'),
                   within=p, what='the cash drop message')
    g.label_text('Cash drops', within=p, pred=lambda t: t == '¥150.00')
    g.label_text('Expected cash', within=p, pred=lambda t: t == '¥100.00')
    g.screenshot('x-report-after-drop')
    x = g.cli('shift', 'x', staff=g.OPERATOR)
    g.log('shift x: %r' % x)
    g.check(x['drops'] == 15000, 'X drops %r, expected 15000' % x.get('drops'))
    g.check(x['cash_in'] == 5000, 'X cash in %r, expected 5000' % x.get('cash_in'))
    g.check(x['expected_cash'] == 10000,
            'X expected cash %r, expected 10000 (200 + 50 - 150)' % x.get('expected_cash'))
    kinds = [k.get('kind') for k in g.journal()[len(before):]]
    g.check(kinds == ['shift.open', 'pay', 'cash.drop'], 'journal kinds %r' % kinds)


g.run(flow)
