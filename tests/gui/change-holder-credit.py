# Change of holder of an account with credit AND arrears (issue 9): the form
# shows the old position and the final bill; the credit nets the arrears
# and the final bill, the rest is settled in cash with tendered and change;
# the new holder is residential with no flags; "Confirm" is on screen.
import re
import sqlite3

import vpgui as g

NEW_PHONE = '13800138001'
NEW_ID = g.id_number(birth='19800612', seq='135')


def money(text):
    """'¥1,234.56' → 123456 fen."""
    m = re.search(r'¥([\d,]+)\.(\d\d)', text)
    return int(m.group(1).replace(',', '')) * 100 + int(m.group(2)) if m else None


def flow():
    g.cli('shift', 'open', '--float', '100', staff=g.OPERATOR)
    con = sqlite3.connect('file:%s?mode=ro' % g.DB, uri=True)
    rows = con.execute(
        "SELECT a.number FROM accounts a WHERE a.meter = 'postpaid' AND a.status = 'active'"
        " AND a.balance > 0 AND a.balance < (SELECT sum (b.amount - b.paid) FROM bills b"
        " WHERE b.account_id = a.id) ORDER BY a.number LIMIT 1").fetchall()
    con.close()
    g.check(rows, 'no post-paid demo account with credit and arrears')
    number = rows[0][0]
    acct = g.account(number)
    credit, arrears = acct['balance'], acct['arrears']
    reading = acct['last_reading'] // 1000 + 10   # m³: 10 m³ since the last reading
    before = g.journal()

    g.start_app()
    g.login()
    page = g.open_account(number)
    g.press('Change holder', within=page)
    p = g.panel('Change holder')
    g.keypad(str(reading), within=p, target='Final reading (m³)')
    label = g.find(regex=r'^Final bill ¥.*Still due after credit: ¥', within=p, timeout=20)
    shown = g.text_of(label) or label.name
    final_shown = money(shown.split('.', 1)[0] + '.' + shown.split('.', 1)[1][:2])
    due_shown = money(shown.split('Still due after credit:', 1)[1])
    g.check(due_shown == arrears + final_shown - credit,
            'due shown %r, expected %d + %d − %d' % (shown, arrears, final_shown, credit))
    g.toggle_on('Settle arrears now', within=p)
    g.toggle_on('Cash', within=p)
    g.toggle_on('Residential', within=p)
    g.set_text('New holder name', 'Zhou Min', within=p)
    g.set_text('New ID number', NEW_ID, within=p)
    g.set_text('New phone', NEW_PHONE, within=p)
    tendered = (due_shown // 10000 + 1) * 10000
    g.set_text('Cash tendered', '%d.%02d' % divmod(tendered, 100), within=p)
    g.check_touch_targets()
    g.check_accessible_names()
    confirm = g.find(name='Confirm change of holder', role='push button', within=p)
    x, y, w, h = g._extents(confirm)
    g.check(w > 0 and h > 0 and y + h <= 768 and x + w <= 1024,
            'Confirm is at %r, off a 1024×768 screen' % ((x, y, w, h),))
    g.screenshot('position')
    g.press('Confirm change of holder', within=p)
    page = g.panel('Account', timeout=30)
    g.wait_message('Holder', lambda t: 'Zhou Min' in t, within=page)
    g.screenshot('new-holder')

    new = g.journal()[len(before):]
    g.check([e.get('kind') for e in new] == ['account.transfer'],
            'journal got %r' % [e.get('kind') for e in new])
    e = new[0]
    final = e.get('final_bill', {}).get('amount', 0)
    g.check(final == final_shown, 'final bill %d, the form showed %d' % (final, final_shown))
    g.check(e.get('credit_applied') == credit, 'credit applied %r, expected %d'
            % (e.get('credit_applied'), credit))
    g.check(e.get('arrears_settled') == arrears + final - credit, 'settled %r, expected %d'
            % (e.get('arrears_settled'), arrears + final - credit))
    g.check(e.get('tendered') == tendered and e.get('change') == tendered - (arrears + final - credit),
            'tendered %r change %r' % (e.get('tendered'), e.get('change')))
    after = g.account(number)
    g.check(after['holder'] == 'Zhou Min', 'holder is %r' % after['holder'])
    g.check(after['arrears'] == 0 and after['balance'] == 0,
            'arrears %r credit %r after the settlement' % (after['arrears'], after['balance']))
    g.check(after['tariff_class'] == 'residential' and not after['elderly_alone']
            and not after['needs_visit'], 'the new holder got %r' % after)
    g.check(after['last_reading'] == reading * 1000, 'last reading %r' % after['last_reading'])


g.run(flow)
