# Move credit and refund credit from the account page: an account with ¥80
# of credit moves ¥30 to another holder's account (the supervisor approves,
# the dialog naming both accounts and the amount; an unknown account number
# is refused first and writes nothing), then refunds ¥20 in cash with a
# reason (supervisor). Balances: 8000 → 5000 → 3000, the other account
# +3000; the shift counts the ¥20 cash refund.
import vpgui as g


def flow():
    g.cli('shift', 'open', '--float', '100', staff=g.OPERATOR)
    cands = g.find_accounts('天鹅湖畔', lambda a: a['meter'] == 'postpaid'
                            and a['arrears'] == 0 and a['status'] == 'active')
    g.check(len(cands) >= 2, 'fewer than two post-paid demo accounts with nothing owed')
    a, b = g.account(cands[0]['number']), g.account(cands[1]['number'])
    g.check(a['holder'] != b['holder'], 'the two accounts have the same holder')
    g.cli('pay', a['number'], '80', '--method', 'cash', staff=g.OPERATOR)
    g.check(g.account(a['number'])['balance'] == 8000, 'the account did not get ¥80 of credit')
    x0 = g.cli('shift', 'x', staff=g.OPERATOR)
    before = g.journal()

    g.start_app()
    g.login()
    page = g.open_account(a['number'])
    g.press('Move credit', within=page)
    dlg = g.dialog('Move credit')
    g.set_text('To account', '99999999999', within=dlg)
    g.find(name='Credit amount', role='text', within=dlg).click()   # a tap makes it the keypad's target
    g.keypad('30', within=dlg, target='Credit amount')
    g.press('Move credit', within=dlg)
    g.wait_message('Credit message', lambda t: '99999999999' in t or 'not found' in t.lower()
                   or 'no account' in t.lower(), within=dlg, what='a message for an unknown account')
    g.check(len(g.journal()) == len(before), 'an unknown account wrote to the journal')

    g.set_text('To account', b['number'], within=dlg)
    g.screenshot('move-credit-dialog')
    g.check_touch_targets(within=dlg)
    g.check_accessible_names(within=dlg)
    g.press('Move credit', within=dlg)
    sup = g.dialog('Supervisor approval')
    g.find(name='Move credit ¥30.00 from %s to %s' % (a['number'], b['number']), role='label', within=sup)
    g.label_text('To account', within=sup, pred=lambda t: t.startswith(b['number']))
    g.screenshot('move-credit-approval')
    g.press('%s (sup01)' % g.staff_name('sup01'), within=sup)
    g.keypad('9876', within=sup, target='Supervisor PIN')
    g.press('Approve', within=sup)
    g.wait_until(lambda: len(g.journal()) == len(before) + 1, 'the credit.move entry')
    e = g.journal()[-1]
    g.log('move entry: %r' % e)
    g.check(e.get('kind') == 'credit.move', 'journal kind %r' % e.get('kind'))
    g.check(e.get('approved_by') == 'sup01', 'approved by %r' % e.get('approved_by'))
    g.check(g.account(a['number'])['balance'] == 5000, 'credit left %r, expected 5000'
            % g.account(a['number'])['balance'])
    g.check(g.account(b['number'])['balance'] == b['balance'] + 3000, 'the other account got %r'
            % (g.account(b['number'])['balance'] - b['balance']))

    page = g.panel('Account')
    g.label_text('Balance', within=page, pred=lambda t: t == '¥50.00')
    g.press('Refund credit', within=page)
    dlg = g.dialog('Refund credit')
    g.find(name='Credit amount', role='text', within=dlg).click()
    g.keypad('20', within=dlg, target='Credit amount')
    g.set_text('Refund reason', '', within=dlg)
    g.press('Refund credit', within=dlg)
    g.wait_message('Credit message', lambda t: t.startswith('Refund reason'), within=dlg,
                   what='a message asking for the reason')
    g.check(len(g.journal()) == len(before) + 1, 'a refund without a reason wrote to the journal')
    g.set_text('Refund reason', 'moving away', within=dlg)
    g.press('Refund credit', within=dlg)
    sup = g.dialog('Supervisor approval')
    g.find(name='Cash refund ¥20.00 of credit — reason: moving away', role='label', within=sup)
    g.screenshot('refund-approval')
    g.press('%s (sup01)' % g.staff_name('sup01'), within=sup)
    g.keypad('9876', within=sup, target='Supervisor PIN')
    g.press('Approve', within=sup)
    g.wait_until(lambda: len(g.journal()) == len(before) + 2, 'the credit.refund entry')
    e = g.journal()[-1]
    g.log('refund entry: %r' % e)
    g.check(e.get('kind') == 'credit.refund', 'journal kind %r' % e.get('kind'))
    g.check(e.get('amount') == 2000, 'refund amount %r' % e.get('amount'))
    g.check(g.account(a['number'])['balance'] == 3000, 'credit left %r, expected 3000'
            % g.account(a['number'])['balance'])
    page = g.panel('Account')
    g.label_text('Balance', within=page, pred=lambda t: t == '¥30.00')
    x = g.cli('shift', 'x', staff=g.OPERATOR)
    g.check(x['cash_out'] == x0['cash_out'] + 2000, 'X cash refunds %r, expected %r'
            % (x['cash_out'], x0['cash_out'] + 2000))
    g.check(x['expected_cash'] == x0['expected_cash'] - 2000, 'X expected cash %r, expected %r'
            % (x['expected_cash'], x0['expected_cash'] - 2000))


g.run(flow)
