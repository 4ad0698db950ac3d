# Reprint and reverse from the day's transactions (issue 11): a ¥20 cash
# payment by op01 through the CLI; op01 signs in, Supervisor opens only with
# sup01's PIN; the day's list filtered to "pay" shows the one payment; its
# receipt detail prints a duplicate (one receipt.reprint by sup01, copy 1,
# a -copy1.pdf) and reverses it (one void naming it, by sup01).
import os
import re

import vpgui as g


def flow():
    g.cli('shift', 'open', '--float', '100', staff=g.SUPERVISOR)
    cands = g.find_accounts('天鹅湖畔', lambda a: a['meter'] == 'postpaid'
                            and a['arrears'] > 3000 and a['status'] == 'active')
    g.check(cands, 'no post-paid demo account with arrears')
    number = cands[0]['number']
    arrears = g.account(number)['arrears']
    paid = g.cli('pay', number, '20', '--method', 'cash', staff=g.OPERATOR)
    seq = paid['seq']
    before = g.journal()

    g.start_app()
    g.login()
    g.press('Supervisor', role='push button')
    dlg = g.dialog('Supervisor approval')
    g.screenshot('supervisor-needs-pin')
    g.check(not g.find_all(name='Show transactions', role='push button'),
            'the supervisor area opened without a PIN')
    g.approve(dlg)
    page = g.panel('Supervisor')
    n = len(before)
    g.wait_message('Transactions message',
                   lambda t: re.match(r'%d transactions? on ' % n, t) is not None,
                   within=page, what="today's %d entries (shift.open, pay …)" % n)
    g.set_text('Kind', 'pay', within=page)
    g.press('Show transactions', within=page)
    g.wait_message('Transactions message', lambda t: t.startswith('1 transaction on '),
                   within=page, what='the one payment')
    g.check(len(g.find_all(prefix='Transaction ', role='push button', within=page)) == 1,
            'the filter to "pay" does not show exactly one row')
    g.screenshot('transactions-pay')
    g.check_touch_targets(page)
    g.check_accessible_names(page)

    g.press('Transaction %d' % seq, within=page)
    d = g.dialog('Receipt detail')
    g.label_text('Amount', within=d, pred=lambda t: t == g.money(2000))
    g.press('Reprint', within=d)
    saved = g.wait_message('Receipt detail message',
                           lambda t: t.startswith('Receipt saved as ') and t.strip().endswith('-copy1.pdf'),
                           within=d, timeout=30, what='the duplicate PDF')
    pdf = saved[len('Receipt saved as '):].strip()
    g.check(os.path.isfile(pdf), 'no duplicate at %r' % pdf)
    g.screenshot('receipt-detail-reprinted')
    new = g.journal()[len(before):]
    g.check([(e.get('kind'), e.get('reprinted_seq'), e.get('copy'), e.get('staff')) for e in new]
            == [('receipt.reprint', seq, 1, 'sup01')],
            'expected one receipt.reprint of #%d copy 1 by sup01, got %r' % (seq, new))

    # Reverse: no reason refused, then the void.
    g.press('Reverse', within=d)
    g.wait_message('Receipt detail message', lambda t: t.startswith('Give the reason'), within=d)
    g.check(len(g.journal()) == len(before) + 1, 'a reversal without a reason wrote to the journal')
    g.set_text('Reason for the reversal', 'wrong account', within=d)
    g.press('Reverse', within=d)
    g.wait_message('Receipt detail message', lambda t: t.startswith('Reversed by entry '), within=d)
    g.screenshot('receipt-detail-reversed')
    new = g.journal()[len(before):]
    g.check([e.get('kind') for e in new] == ['receipt.reprint', 'void'],
            'journal after the reversal: %r' % [e.get('kind') for e in new])
    v = new[1]
    g.check(v.get('voided_seq') == seq and v.get('approved_by', v.get('staff')) == 'sup01'
            and v.get('reason') == 'wrong account', 'the void is %r' % v)
    g.check(g.account(number)['arrears'] == arrears, 'the arrears were not restored')
    g.press('Close', within=d)

    # Leaving the page forgets sup01: Back to it does not reopen it.
    g.nav('Reports')
    g.press('Back')
    g.wait_until(lambda: not g.find_all(name='Show transactions', role='push button'),
                 'the supervisor page to stay shut after Back')
    g.screenshot('back-not-supervisor')


g.run(flow)
