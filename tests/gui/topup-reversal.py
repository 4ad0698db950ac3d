# Top-up reversal (issue 9): two 10 m³ cash top-ups taken headless
# (vanpos-cli topup) on two residential accounts set at 295 m³ this year,
# so each costs 5 × ¥2.98 + 5 × ¥3.57 = ¥32.75. The first account's card
# then goes into the (simulated) meter. From the Shift screen the loaded
# top-up is refused with one clear message and nothing written; the other
# is reversed with a reason and the supervisor's PIN, the approval dialog
# asking for the card and saying what comes off it and what goes back.
# Afterwards the database shows the void naming the top-up, who asked and
# who approved, the drawer ¥32.75 lighter, the year's volume and the card
# rewritten without the purchase.
import datetime
import sqlite3

import vpgui as g

PRICE = 1490 + 1785
YEAR0 = 295000


def set_position(number):
    con = sqlite3.connect(g.DB)
    try:
        con.execute("UPDATE accounts SET tariff_class = 'residential', concession_expiry = NULL,"
                    " tariff_year = ?, year_volume = ?, free_used = 0 WHERE number = ?",
                    (datetime.date.today().year, YEAR0, number))
        con.commit()
    finally:
        con.close()


def expected_cash():
    return g.cli('shift', 'x', staff=g.SUPERVISOR)['expected_cash']


def flow():
    g.cli('shift', 'open', '--float', '100', staff=g.OPERATOR)
    cands = g.find_accounts('天鹅湖畔', lambda a: a['meter'] == 'prepaid' and a['service'] == 'gas'
                            and a['card_number'] and a['status'] == 'active')
    g.check(len(cands) >= 2, 'fewer than two prepaid demo accounts with a card')
    loaded_no, number = cands[0]['number'], cands[1]['number']
    for n in (loaded_no, number):
        set_position(n)
    loaded = g.cli('topup', loaded_no, '--volume', '10', '--method', 'cash', staff=g.OPERATOR)
    g.check(loaded['amount'] == PRICE, 'the first top-up cost %r, expected %d'
            % (loaded['amount'], PRICE))
    g.cli('card', 'insert', g.account(loaded_no)['card_number'], json_out=False)
    g.cli('card', 'meter', json_out=False)
    start = g.account(number)
    topup = g.cli('topup', number, '--volume', '10', '--method', 'cash', staff=g.OPERATOR)
    g.check(topup['kind'] == 'topup.confirm' and topup['amount'] == PRICE,
            'the second top-up: %r' % topup)
    card_no = start['card_number']
    drawer = expected_cash()
    g.check(drawer == 10000 + 2 * PRICE, 'the drawer expects %d' % drawer)
    entries = g.journal()

    g.start_app()
    g.login()
    p = g.nav('Shift')

    # Loaded into the meter: refused, nothing written.
    row = g.find(name='Void %s' % loaded['receipt'], within=p)
    g.activate(row)
    g.set_text('Void reason', 'Wrong account', within=p)
    g.press('Void transaction', within=p)
    dlg = g.dialog('Supervisor approval')
    g.press('%s (sup01)' % g.staff_name('sup01'), within=dlg)
    g.keypad('9876', within=dlg, target='Supervisor PIN')
    g.press('Approve', within=dlg)
    msg = g.wait_message('Shift message', lambda t: 'already loaded into the meter' in t,
                         within=p, what='the refusal of a loaded top-up', timeout=30)
    g.log('refused: %r' % msg)
    g.check(len(g.journal()) == len(entries), 'a refused reversal wrote to the journal')
    g.check(expected_cash() == drawer, 'a refused reversal moved money')

    # The top-up still on the card: reversed.
    row = g.find(name='Void %s' % topup['receipt'], within=p)
    g.activate(row)
    g.set_text('Void reason', 'Wrong amount', within=p)
    g.press('Void transaction', within=p)
    dlg = g.dialog('Supervisor approval')
    g.label_text('Card', within=dlg, pred=lambda t: t == 'Insert card %s' % card_no)
    g.label_text('Taken off the card', within=dlg, pred=lambda t: t == '10.00 m³')
    g.label_text('Given back', within=dlg, pred=lambda t: t == '¥32.75 (Cash)')
    g.label_text('Reason', within=dlg, pred=lambda t: t == 'Wrong amount')
    g.screenshot('topup-reversal-approval')
    g.check_touch_targets(within=dlg)
    g.press('%s (sup01)' % g.staff_name('sup01'), within=dlg)
    g.keypad('9876', within=dlg, target='Supervisor PIN')
    g.press('Approve', within=dlg)
    done = g.wait_message('Shift message', lambda t: t.startswith('Top-up reversed'),
                          within=p, what='Top-up reversed', timeout=30)
    g.log(done)
    g.check('10.00 m³ taken off card %s' % card_no in done and '¥32.75 given back' in done,
            'the outcome %r does not say what came off and went back' % done)
    g.screenshot('topup-reversed')

    new = g.journal()[len(entries):]
    kinds = [e.get('kind') for e in new]
    g.check(kinds == ['reversal.intent', 'void'], 'journal kinds %r' % kinds)
    v = new[1]
    g.log('void entry: %r' % v)
    g.check(v.get('voided_seq') == topup['intent_seq'] and v.get('voided_kind') == 'topup.intent',
            'the void names %r, expected top-up %r' % (v.get('voided_seq'), topup['intent_seq']))
    g.check(v.get('requested_by') == 'op01' and v.get('approved_by') == 'sup01',
            'requested_by %r, approved_by %r' % (v.get('requested_by'), v.get('approved_by')))
    g.check(v.get('amount') == PRICE and v.get('method') == 'cash' and v.get('reason') == 'Wrong amount',
            'void amount %r method %r reason %r' % (v.get('amount'), v.get('method'), v.get('reason')))
    after = g.account(number)
    g.check(after['year_volume'] == YEAR0, 'year volume %d, expected %d'
            % (after['year_volume'], YEAR0))
    g.check(after['card_counter'] == start['card_counter'] + 2,
            'card counter %d, expected %d' % (after['card_counter'], start['card_counter'] + 2))
    g.check(after['balance'] == start['balance'], 'credit %d, expected %d'
            % (after['balance'], start['balance']))
    g.check(expected_cash() == drawer - PRICE, 'the drawer expects %d, expected %d'
            % (expected_cash(), drawer - PRICE))
    g.check(g.account(loaded_no)['year_volume'] == YEAR0 + 10000, 'the loaded top-up stands')
    g.cli('card', 'insert', card_no, json_out=False)
    c = g.cli('card', 'read')
    g.check(c.get('counter') == after['card_counter'] and c.get('reversal') is True
            and c.get('last_volume') == 0, 'the card after the reversal: %r' % c)
    x = g.cli('shift', 'x', staff=g.OPERATOR)
    g.check(x['voids'] == 1, 'X report counts %r voids' % x.get('voids'))


g.run(flow)
