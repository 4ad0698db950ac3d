# Top up a prepaid card: ¥100 in cash by amount, written to the simulated
# card; the journal gets the intent and its confirmation and the account's
# card purchase counter advances.
import vpgui as g


def flow():
    g.cli('shift', 'open', '--float', '100', staff=g.OPERATOR)
    cands = g.find_accounts('天鹅湖畔', lambda a: a['meter'] == 'prepaid'
                            and a['card_number'] and a['status'] == 'active'
                            and a['tariff_class'] == 'residential')
    g.check(cands, 'no prepaid residential demo account with a card')
    acct = g.account(cands[0]['number'])
    number = acct['number']
    before = g.journal()
    g.log('account %s card %s counter %d' % (number, acct['card_number'], acct['card_counter']))

    g.start_app()
    g.login()
    page = g.open_account(number)
    # On a prepaid card meter the main action is the top-up; paying money
    # in only adds credit, and says so.
    if acct['arrears'] == 0:
        g.find(name='Pay into credit', role='push button', within=page)
    g.press('Top up', within=page)
    p = g.panel('Top up')
    g.toggle_on('By amount', within=p)

    # Bad input: nothing written.
    g.keypad('99999999', within=p, target='Amount')
    g.toggle_on('Cash', within=p)
    g.press('Confirm', within=p)
    msg = g.wait_message('Top-up message', lambda t: t.startswith('Amount') and 'at most' in t,
                         within=p, what='an inline message for ¥99,999,999')
    g.log('absurd amount: %r' % msg)
    g.check(len(g.journal()) == len(before), 'an absurd top-up wrote to the journal')

    g.keypad('100', within=p, target='Amount')
    total = g.label_text('Quote total', within=p, pred=lambda t: t.startswith('Total: ¥100.00 for '))
    # ¥150.00 handed over for the ¥100.00 top-up: ¥50.00 change, signed.
    g.set_text('Tendered', '150', within=p)
    g.log('quote total %r' % total)
    g.screenshot('topup-quote')
    g.check_touch_targets()
    g.check_accessible_names()
    g.press('Confirm', within=p)
    g.label_text('Insert the card', pred=lambda t: t == 'Insert the card', timeout=20)
    g.screenshot('topup-insert-card')
    g.press('Write card')
    done = g.wait_message('Top-up message', lambda t: t.startswith('Top-up complete'),
                          timeout=30, what='Top-up complete')
    g.log(done)
    g.screenshot('topup-done')

    after = g.account(number)
    new = g.journal()[len(before):]
    kinds = [e.get('kind') for e in new]
    g.log('new journal entries: %r' % kinds)
    g.check(len(new) == 2, 'expected intent + confirm, got %r' % kinds)
    g.check('intent' in kinds[0] and 'confirm' in kinds[1], 'journal kinds %r' % kinds)
    g.check(new[0].get('amount') == 10000, 'top-up amount %r, expected 10000' % new[0].get('amount'))
    g.check(new[0].get('tendered') == 15000 and new[0].get('change') == 5000,
            'tendered %r change %r, expected 15000 and 5000' % (new[0].get('tendered'), new[0].get('change')))
    g.check('Change ¥50.00' in done, 'outcome %r does not say the change' % done)
    g.check(after['card_counter'] == acct['card_counter'] + 1,
            'card counter %d → %d, expected +1' % (acct['card_counter'], after['card_counter']))
    g.check(after['year_volume'] > acct['year_volume'], 'year volume did not grow')
    m3 = float(total.split(' for ')[1].split()[0])
    g.check(after['year_volume'] - acct['year_volume'] == round(m3 * 1000),
            'year volume grew by %d litres, the quote said %s m³'
            % (after['year_volume'] - acct['year_volume'], m3))
    g.check(('%.2f m³' % m3) in done or ('%.3f m³' % m3) in done,
            'outcome %r does not name the quoted %s m³' % (done, m3))
    g.press('Done')
    page = g.panel('Account')
    # One history line for the top-up (its confirmation), not two.
    hist = g.find(name='Recent history', role='list', within=page, timeout=20)
    rows = g.find_all(prefix='Top-up', within=hist, pred=lambda n: n.roleName != 'label')
    names = [r.name for r in rows]
    g.log('history: %r' % names)
    g.check(len([n for n in names if n.startswith('Top-up — ')]) >= 1
            and not [n for n in names if n.startswith('Top-up started')],
            'history lines %r: expected the top-up once, no "Top-up started"' % names)
    newest = [n for n in names if n.startswith('Top-up — ')][0]
    g.check('¥100.00 · ' in newest and 'm³' in newest, 'history line %r lacks amount and volume' % newest)


g.run(flow)
