# A cash payment over the van's offline cap (issue 9): the store refuses it
# with one line naming the cap, the app offers the supervisor's approval
# right there, and once sup01 approves the payment is recorded with the
# approver in its signed payload. An operator cannot approve.
import vpgui as g


def flow():
    g.cli('shift', 'open', '--float', '100', staff=g.OPERATOR)
    # A cap of ¥100.00 cash per transaction keeps the amounts small.
    g.cli('limits', 'set', 'cash_per_transaction', '100', staff=g.SUPERVISOR)
    cands = g.find_accounts('天鹅湖畔', lambda a: a['meter'] == 'postpaid'
                            and a['arrears'] > 15000 and a['balance'] == 0
                            and a['status'] == 'active')
    g.check(cands, 'no post-paid demo account with more than ¥150 arrears and no credit')
    acct = g.account(cands[0]['number'])
    number = acct['number']
    before = g.journal()

    g.start_app()
    g.login()
    page = g.open_account(number)
    g.press('Pay bills', within=page)
    p = g.panel('Pay bills')
    g.keypad('150', within=p, target='Amount')
    g.toggle_on('Cash', within=p)
    g.press('Confirm', within=p)
    dlg = g.dialog('Supervisor approval', timeout=30)
    g.screenshot('limit-approval')
    msg = g.wait_message('Payment message', lambda t: 'cash_per_transaction' in t or '¥100.00' in t,
                         within=p, what='the refusal naming the cap')
    g.log('refused: %r' % msg)
    g.check(len(g.journal()) == len(before), 'a payment over the cap was written before approval')

    g.press('%s (sup01)' % g.staff_name('sup01'), within=dlg)
    g.keypad('9876', within=dlg, target='Supervisor PIN')
    g.press('Approve', within=dlg)
    rec = g.panel('Receipt', timeout=30)
    g.screenshot('limit-approved-receipt')
    new = g.journal()[len(before):]
    g.check([e.get('kind') for e in new] == ['pay'],
            'journal got %r' % [e.get('kind') for e in new])
    e = new[0]
    g.check(e.get('amount') == 15000, 'payment amount %r, expected 15000' % e.get('amount'))
    g.check(e.get('limit_approved_by') == 'sup01',
            'payment approved by %r, expected sup01' % e.get('limit_approved_by'))
    after = g.account(number)
    g.check(after['arrears'] == acct['arrears'] - 15000,
            'arrears %d, expected %d' % (after['arrears'], acct['arrears'] - 15000))
    g.press('Done', within=rec)


g.run(flow)
