# The van's offline limits on the touchscreen (issue 9): Settings shows the
# caps in force; an out-of-range value is refused next to them and nothing
# is written; a change needs a supervisor, who sees old → new, and each
# changed cap is its own signed entry naming that supervisor.
import vpgui as g


def limits():
    return g.cli('limits', 'show')


def flow():
    before = g.journal()
    start = limits()
    g.check(start['cash_per_transaction']['value'] == 500000,
            'default cash cap %r, expected 500000' % start['cash_per_transaction'])
    g.start_app()
    g.login()
    p = g.open_settings()
    g.set_text('Cash per transaction (¥)', '0', within=p)
    g.press('Change limits', within=p)
    g.wait_message('Limits message', lambda t: t.startswith('Cash per transaction (¥): give a value from 1'),
                   within=p, what='the refusal of a ¥0 cap')
    g.check(len(g.journal()) == len(before), 'a refused limit was written')

    g.set_text('Cash per transaction (¥)', '800', within=p)
    g.set_text('Oldest entry not yet synced (hours)', '24', within=p)
    g.press('Change limits', within=p)
    dlg = g.dialog('Supervisor approval', timeout=30)
    g.screenshot('limits-approval')
    g.label_text('Cash per transaction (¥)', within=dlg, pred=lambda t: t == '5000.00 → 800.00')
    g.label_text('Oldest entry not yet synced (hours)', within=dlg, pred=lambda t: t == '72 → 24')
    g.press('%s (sup01)' % g.staff_name('sup01'), within=dlg)
    g.keypad('9876', within=dlg, target='Supervisor PIN')
    g.press('Approve', within=dlg)
    g.wait_message('Limits message', lambda t: t == '2 limits changed', within=p, timeout=30)
    g.screenshot('limits-saved')

    after = limits()
    g.check(after['cash_per_transaction']['value'] == 80000,
            'cash cap %r, expected 80000' % after['cash_per_transaction'])
    g.check(after['unsynced_hours']['value'] == 24, 'unsynced hours %r' % after['unsynced_hours'])
    for name in ('card_per_transaction', 'cash_per_day', 'cash_in_van'):
        g.check(after[name]['value'] == start[name]['value'], '%s changed' % name)
    new = g.journal()[len(before):]
    g.check(len(new) == 2, 'expected 2 limit entries, got %r' % [e.get('kind') for e in new])
    for e in new:
        g.check(e.get('staff') == 'sup01', 'limit set by %r, expected sup01' % e.get('staff'))


g.run(flow)
