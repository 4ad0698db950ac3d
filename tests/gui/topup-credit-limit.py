# A top-up paid partly from the account's credit, with the cash part over
# the van's offline cap (issue 9): the page offers the account's credit,
# the store refuses the cash part over the cap before anything is written
# or the card touched, the supervisor approves on the spot and the top-up
# completes: credit first, cash for the rest, approver in the signed intent.
import vpgui as g


def flow():
    g.cli('shift', 'open', '--float', '100', staff=g.OPERATOR)
    g.cli('limits', 'set', 'cash_per_transaction', '50', staff=g.SUPERVISOR)
    cands = g.find_accounts('天鹅湖畔', lambda a: a['meter'] == 'prepaid'
                            and a['card_number'] and a['status'] == 'active'
                            and a['tariff_class'] == 'residential' and a['balance'] == 0)
    g.check(cands, 'no prepaid residential demo account with a card and no credit')
    number = cands[0]['number']
    # ¥30.00 paid into the prepaid account: stranded credit until now.
    g.cli('pay', number, '30', '--method', 'cash', staff=g.OPERATOR)
    acct = g.account(number)
    credit = acct['balance']
    g.check(credit == 3000, 'credit %r, expected 3000 (¥30.00)' % credit)
    before = g.journal()

    g.start_app()
    g.login()
    page = g.open_account(number)
    g.press('Top up', within=page)
    p = g.panel('Top up')
    g.toggle_on('By amount', within=p)
    g.keypad('100', within=p, target='Amount')
    g.label_text('Quote total', within=p, pred=lambda t: t.startswith('Total: ¥100.00 for '))
    g.toggle_on('Pay from credit', within=p)
    g.toggle_on('Cash', within=p)
    g.screenshot('topup-credit-form')
    g.press('Confirm', within=p)
    g.label_text('Insert the card', pred=lambda t: t == 'Insert the card', timeout=20)
    g.press('Write card')
    dlg = g.dialog('Supervisor approval', timeout=30)
    g.screenshot('topup-limit-approval')
    g.check(len(g.journal()) == len(before), 'a top-up over the cap was written before approval')
    after_refusal = g.account(number)
    g.check(after_refusal['card_counter'] == acct['card_counter'],
            'the card counter moved before approval')

    g.press('%s (sup01)' % g.staff_name('sup01'), within=dlg)
    g.keypad('9876', within=dlg, target='Supervisor PIN')
    g.press('Approve', within=dlg)
    done = g.wait_message('Top-up message', lambda t: t.startswith('Top-up complete'),
                          timeout=30, what='Top-up complete')
    g.log(done)
    g.screenshot('topup-credit-done')

    new = g.journal()[len(before):]
    kinds = [e.get('kind') for e in new]
    g.check(len(new) == 2 and 'intent' in kinds[0] and 'confirm' in kinds[1],
            'expected intent + confirm, got %r' % kinds)
    intent = new[0]
    g.check(intent.get('credit_used') == credit,
            'credit used %r, expected %d' % (intent.get('credit_used'), credit))
    g.check(intent.get('amount') == 10000 - credit,
            'cash taken %r, expected %d' % (intent.get('amount'), 10000 - credit))
    g.check(intent.get('limit_approved_by') == 'sup01',
            'approved by %r, expected sup01' % intent.get('limit_approved_by'))
    after = g.account(number)
    g.check(after['balance'] == 0, 'credit left %r, expected 0' % after['balance'])
    g.check(after['card_counter'] == acct['card_counter'] + 1,
            'card counter %d → %d, expected +1' % (acct['card_counter'], after['card_counter']))
    g.press('Done')
    g.panel('Account')


g.run(flow)
