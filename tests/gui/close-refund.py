# Close an account with its credit refunded in cash: the account has ¥80
# of credit (a CLI cash payment with nothing owed); Close account → Refund
# in cash asks for the supervisor, whose dialog says what is refunded; after
# sup01's PIN the account is closed with no credit, the journal has one
# account.close, and the shift figures count the ¥80 cash refund
# (cash_out 8000, expected cash 100 + 80 − 80 = ¥100).
import vpgui as g


def flow():
    g.cli('shift', 'open', '--float', '100', staff=g.OPERATOR)
    cands = g.find_accounts('天鹅湖畔', lambda a: a['meter'] == 'postpaid'
                            and a['arrears'] == 0 and a['status'] == 'active')
    g.check(cands, 'no post-paid demo account with nothing owed')
    number = cands[0]['number']
    g.cli('pay', number, '80', '--method', 'cash', staff=g.OPERATOR)
    acct = g.account(number)
    g.log('account %s balance %r arrears %r' % (number, acct.get('balance'), acct.get('arrears')))
    g.check(acct['balance'] == 8000, 'the account holds %r of credit, expected 8000' % acct['balance'])
    x0 = g.cli('shift', 'x', staff=g.OPERATOR)
    before = g.journal()

    g.start_app()
    g.login()
    page = g.open_account(number)
    g.screenshot('account-with-credit')
    g.press('Close account', within=page)
    dlg = g.dialog('Close account')
    g.toggle_on('Refund in cash', within=dlg)
    g.screenshot('close-dialog')
    g.check_touch_targets(within=dlg)
    g.check_accessible_names(within=dlg)
    g.press('Close account', within=dlg)

    sup = g.dialog('Supervisor approval')
    g.find(name='Close account %s, its credit ¥80.00 refunded in cash' % number,
           role='label', within=sup)
    g.label_text('Amount', within=sup, pred=lambda t: t == '¥80.00')
    g.screenshot('close-approval')
    # Cancelling the approval writes nothing.
    g.press('Cancel', within=sup)
    g.check(len(g.journal()) == len(before), 'a cancelled approval wrote to the journal')
    g.press('Close account', within=dlg)
    sup = g.dialog('Supervisor approval')
    g.press('%s (sup01)' % g.staff_name('sup01'), within=sup)
    g.keypad('9876', within=sup, target='Supervisor PIN')
    g.press('Approve', within=sup)
    g.wait_until(lambda: len(g.journal()) == len(before) + 1, 'the account.close entry')
    e = g.journal()[-1]
    g.log('close entry: %r' % e)
    g.check(e.get('kind') == 'account.close', 'journal kind %r' % e.get('kind'))
    g.check(e.get('approved_by') == 'sup01', 'approved by %r' % e.get('approved_by'))

    page = g.panel('Account')
    g.label_text('Status', within=page, pred=lambda t: t == 'Closed')
    g.screenshot('account-closed')
    after = g.account(number)
    g.check(after['status'] == 'closed', 'account status %r' % after['status'])
    g.check(after['balance'] == 0, 'account credit %r, expected 0' % after['balance'])
    x = g.cli('shift', 'x', staff=g.OPERATOR)
    g.log('shift x: %r' % x)
    g.check(x['cash_out'] == x0['cash_out'] + 8000,
            'X cash refunds %r, expected %r' % (x['cash_out'], x0['cash_out'] + 8000))
    g.check(x['expected_cash'] == x0['expected_cash'] - 8000,
            'X expected cash %r, expected %r' % (x['expected_cash'], x0['expected_cash'] - 8000))
    g.check(x['expected_cash'] == 10000, 'X expected cash %r, expected 10000' % x['expected_cash'])


g.run(flow)
