# Supervisor void: a ¥20 payment taken headless (vanpos-cli pay) is voided
# from the Shift screen with a reason and the supervisor's PIN. Without a
# reason nothing happens; afterwards the journal has a void entry naming the
# payment and the account's arrears are back where they were.
import vpgui as g


def flow():
    g.cli('shift', 'open', '--float', '100', staff=g.OPERATOR)
    cands = g.find_accounts('天鹅湖畔', lambda a: a['meter'] == 'postpaid'
                            and a['arrears'] > 5000 and a['status'] == 'active')
    g.check(cands, 'no post-paid demo account with arrears')
    number = cands[0]['number']
    start = g.account(number)
    paid = g.cli('pay', number, '20', '--method', 'cash', staff=g.OPERATOR)
    g.log('paid: %r' % paid)
    entries = g.journal()
    pay_entry = entries[-1]
    g.check(pay_entry.get('kind') == 'pay', 'the CLI payment journaled %r' % pay_entry.get('kind'))
    g.check(g.account(number)['arrears'] == start['arrears'] - 2000, 'the CLI payment did not apply')

    g.start_app()
    g.login()
    p = g.nav('Shift')
    row = g.find(name='Void %s' % pay_entry['receipt'], within=p)
    g.activate(row)
    g.set_text('Void reason', '', within=p)
    g.press('Void transaction', within=p)
    g.wait_message('Shift message', lambda t: t.startswith('Void reason'), within=p,
                   what='a message asking for the reason')
    g.check(len(g.journal()) == len(entries), 'a void without a reason wrote to the journal')

    g.set_text('Void reason', 'Wrong account', within=p)
    g.screenshot('void-form')
    g.press('Void transaction', within=p)
    dlg = g.dialog('Supervisor approval')
    g.press('%s (sup01)' % g.staff_name('sup01'), within=dlg)
    g.keypad('9876', within=dlg, target='Supervisor PIN')
    g.press('Approve', within=dlg)
    g.wait_until(lambda: len(g.journal()) == len(entries) + 1, 'the void entry')
    v = g.journal()[-1]
    g.log('void entry: %r' % v)
    g.check(v.get('kind') == 'void', 'journal kind %r' % v.get('kind'))
    g.check(v.get('voided_seq') == pay_entry['seq'], 'voided seq %r, expected %r'
            % (v.get('voided_seq'), pay_entry['seq']))
    # Who asked (the signed-in operator) and who approved (issue 9).
    g.check(v.get('requested_by') == 'op01' and v.get('approved_by') == 'sup01',
            'requested_by %r, approved_by %r' % (v.get('requested_by'), v.get('approved_by')))
    g.check(v.get('staff') == 'sup01', 'approved by %r' % v.get('staff'))
    g.check(g.account(number)['arrears'] == start['arrears'],
            'arrears %d after the void, expected %d' % (g.account(number)['arrears'],
                                                        start['arrears']))
    x = g.cli('shift', 'x', staff=g.OPERATOR)
    g.check(x['voids'] == 1, 'X report counts %r voids' % x.get('voids'))
    g.screenshot('voided')


g.run(flow)
