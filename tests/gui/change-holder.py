# Change of holder with the arrears carried: the account gets the new holder
# and keeps its arrears plus the final bill for use since the last reading,
# the final reading is stored, one journal entry.
import vpgui as g

NEW_PHONE = '13800138000'
NEW_ID = g.id_number(birth='19790521', seq='112')


def flow():
    g.cli('shift', 'open', '--float', '100', staff=g.OPERATOR)
    cands = g.find_accounts('天鹅湖畔', lambda a: a['meter'] == 'postpaid'
                            and a['arrears'] > 0 and a['balance'] == 0
                            and a['status'] == 'active')
    g.check(cands, 'no post-paid demo account with arrears')
    acct = g.account(cands[1 if len(cands) > 1 else 0]['number'])
    number = acct['number']
    reading = acct['last_reading'] // 1000 + 12   # m³, above the last reading
    before = g.journal()

    g.start_app()
    g.login()
    page = g.open_account(number)
    g.press('Change holder', within=page)
    p = g.panel('Change holder')
    g.toggle_on('Carry arrears', within=p)
    g.check_touch_targets()
    g.check_accessible_names()

    # Bad input: a final reading below the last one.
    g.keypad('1', within=p, target='Final reading (m³)')
    g.set_text('New holder name', 'Wu Lei', within=p)
    g.set_text('New ID number', NEW_ID, within=p)
    g.set_text('New phone', NEW_PHONE, within=p)
    g.press('Confirm change of holder', within=p)
    g.wait_message('Change holder message', lambda t: 'lower than the last' in t, within=p,
                   what='a message for a final reading below the last one')
    g.screenshot('low-reading')
    g.check(len(g.journal()) == len(before), 'a low reading wrote to the journal')

    g.keypad(str(reading), within=p, target='Final reading (m³)')
    g.press('Confirm change of holder', within=p)
    page = g.panel('Account', timeout=30)
    g.wait_message('Holder', lambda t: 'Wu Lei' in t, within=page)
    g.screenshot('new-holder')

    after = g.account(number)
    g.check(after['holder'] == 'Wu Lei', 'holder is %r' % after['holder'])
    g.check(after['phone'] == NEW_PHONE, 'phone is %r' % after['phone'])
    new = g.journal()[len(before):]
    final = new[-1].get('payload', new[-1]).get('final_bill', {}).get('amount', 0) if new else 0
    g.check(final > 0, 'no final bill for %d m³ since the last reading' % (reading - acct['last_reading'] // 1000))
    g.check(after['arrears'] == acct['arrears'] + final, 'arrears %d → %d, expected %d + final bill %d carried'
            % (acct['arrears'], after['arrears'], acct['arrears'], final))
    g.check(after['last_reading'] == reading * 1000, 'last reading %r, expected %r'
            % (after['last_reading'], reading * 1000))
    new = g.journal()[len(before):]
    g.check(len(new) == 1, 'journal got %r' % [e.get('kind') for e in new])


g.run(flow)
