# Pay a bill: ¥50 in cash on an account with arrears lowers its arrears by
# 5000 fen and journals one payment; absurd or non-numeric amounts give an
# inline message and write nothing.
import os
import re
import shutil

import vpgui as g


def is_pay(e):
    return e.get('kind', '').startswith('pay') or e.get('kind') == 'bill.pay'


def flow():
    g.cli('shift', 'open', '--float', '100', staff=g.OPERATOR)
    cands = g.find_accounts('天鹅湖畔', lambda a: a['meter'] == 'postpaid'
                            and a['arrears'] > 8000 and a['status'] == 'active')
    g.check(cands, 'no post-paid demo account with more than ¥80 arrears')
    acct = g.account(cands[0]['number'])
    number = acct['number']
    g.log('account %s arrears %d, %d open bills' % (number, acct['arrears'], len(acct['open_bills'])))
    before = g.journal()

    g.start_app()
    g.login()
    page = g.open_account(number)
    g.press('Pay bills', within=page)
    p = g.panel('Pay bills')
    g.screenshot('pay-form')
    g.check_touch_targets()
    g.check_accessible_names()

    # Bad input 1: an absurd amount on the keypad.
    g.keypad('99999999', within=p, target='Amount')
    g.toggle_on('Cash', within=p)
    g.press('Confirm', within=p)
    msg = g.wait_message('Payment message', lambda t: t.startswith('Amount') and 'at most' in t,
                         within=p, what='an inline message for ¥99,999,999')
    g.log('absurd amount: %r' % msg)
    g.screenshot('pay-absurd-amount')
    g.check(len(g.journal()) == len(before), 'an absurd amount wrote to the journal')
    g.check(g.account(number)['arrears'] == acct['arrears'], 'an absurd amount changed the arrears')

    # Bad input 2: letters typed into the amount field.
    g.set_text('Amount', 'abc', within=p)
    g.press('Confirm', within=p)
    msg2 = g.wait_message('Payment message', lambda t: t.startswith('Amount') and 'abc' in t,
                          within=p, what='an inline message for "abc"')
    g.log('letters: %r' % msg2)
    g.screenshot('pay-letters')
    g.check(len(g.journal()) == len(before), 'a non-numeric amount wrote to the journal')

    # ¥50 cash.
    g.keypad('50', within=p, target='Amount')
    g.toggle_on('Cash', within=p)
    try:
        g.set_text('Tendered', '100', within=p)
    except g.GuiTestError:
        g.log('no Tendered field; paying the exact amount')
    g.press('Confirm', within=p)
    rec = g.panel('Receipt')
    code = g.label_text('Verification code', within=rec,
                        pred=lambda t: re.fullmatch(r'[0-9A-Z]{4}-[0-9A-Z]{4}', t) is not None)
    number_label = g.label_text('Receipt number', within=rec,
                                pred=lambda t: re.search(r'VAN01-\d{8}-\d{6}', t) is not None)
    g.log('receipt %r code %r' % (number_label, code))
    g.screenshot('pay-receipt')

    after = g.account(number)
    g.check(after['arrears'] == acct['arrears'] - 5000,
            'arrears went from %d to %d, expected a drop of 5000 fen'
            % (acct['arrears'], after['arrears']))
    new = g.journal()[len(before):]
    g.check(len(new) == 1, 'expected one new journal entry, got %r' % [e.get('kind') for e in new])
    e = new[0]
    g.check(is_pay(e), 'new journal entry is %r, not a payment' % e.get('kind'))
    g.check(e.get('amount') == 5000, 'journal payment amount is %r, expected 5000' % e.get('amount'))
    g.check(e.get('verify_code') == code, 'receipt code %r, journal %r' % (code, e.get('verify_code')))
    g.check(e.get('receipt') in number_label,
            'receipt shows %r, journal says %r' % (number_label, e.get('receipt')))
    # The default printer setting is 'pdf': the receipt becomes a PDF file.
    g.press('Print receipt', within=rec)
    saved = g.wait_message('Receipt message', lambda t: t.startswith('Receipt saved as '),
                           within=rec, timeout=30, what='the saved PDF receipt')
    pdf = saved[len('Receipt saved as '):].strip()
    g.check(os.path.isfile(pdf), 'no receipt file at %r' % pdf)
    with open(pdf, 'rb') as f:
        g.check(f.read(5) == b'%PDF-', '%s is not a PDF' % pdf)
    shutil.copy(pdf, os.path.join(g.ART, 'pay-receipt.pdf'))
    # Pressed again: a duplicate, journaled before it is printed (issue 12).
    g.press('Print receipt', within=rec)
    saved = g.wait_message('Receipt message',
                           lambda t: t.startswith('Receipt saved as ') and t.strip().endswith('-copy1.pdf'),
                           within=rec, timeout=30, what='the duplicate PDF receipt')
    copy = saved[len('Receipt saved as '):].strip()
    g.check(os.path.isfile(copy), 'no duplicate receipt file at %r' % copy)
    reprints = [x for x in g.journal() if x.get('kind') == 'receipt.reprint']
    g.check(len(reprints) == 1 and reprints[0].get('reprinted_seq') == e.get('seq')
            and reprints[0].get('copy') == 1,
            'expected one journaled reprint of #%r as copy 1, got %r' % (e.get('seq'), reprints))
    shutil.copy(copy, os.path.join(g.ART, 'pay-receipt-copy1.pdf'))
    g.press('Done', within=rec)
    page = g.panel('Account')
    g.wait_message('Arrears', lambda t: t == g.money(after['arrears']), within=page)
    g.screenshot('account-after-pay')


g.run(flow)
