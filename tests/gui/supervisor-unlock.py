# Staff unlock (issue 11): op01 is locked by 5 wrong PINs through the CLI;
# the supervisor signs in, opens Supervisor → Staff, sees op01 locked and
# unlocks them. Checked in the database: op01's count and lock cleared,
# exactly one staff.unlock entry (target op01, by sup01, 5 wrong PINs, no
# PIN in it); then op01 signs in again on the app's own sign-in panel.
import vpgui as g


def staff_row(sid):
    return {s['id']: s for s in g.cli('staff', 'list')}[sid]


def flow():
    for _ in range(5):
        g.cli('shift', 'x', staff=('op01', '0000'), json_out=False, check=False)
    s = staff_row('op01')
    g.check(s['locked'] is True and s['failed_pins'] == 5, 'op01 not locked by 5 wrong PINs: %r' % s)
    before = g.journal()

    g.start_app()
    g.login(g.SUPERVISOR)
    page = g.nav('Supervisor')
    g.press('Staff', role='page tab', within=page)
    g.find(role='label', within=page,
           pred=lambda n: (n.name or '').startswith('op01 ') and 'locked after 5 wrong PINs' in n.name)
    g.screenshot('staff-locked')
    g.check_touch_targets(page)
    g.check_accessible_names(page)
    g.check(not g.find_all(name='Unlock sup01', role='push button',
                           pred=lambda n: g._sensitive(n)),
            'Unlock is offered for sup01, who is not locked')
    g.check(not g.find_all(name='Disable sup01', role='push button',
                           pred=lambda n: g._sensitive(n)),
            'sup01 may disable themselves')
    g.press('Unlock op01', within=page)
    g.wait_message('Staff message', lambda t: t.startswith('Unlocked op01'), within=page,
                   what='the unlock message')
    g.find(role='label', within=page,
           pred=lambda n: (n.name or '').startswith('op01 ') and 'locked' not in n.name)
    g.screenshot('staff-unlocked')

    s = staff_row('op01')
    g.check(s['locked'] is False and s['failed_pins'] == 0, 'op01 still locked in the database: %r' % s)
    new = g.journal()[len(before):]
    g.check([e.get('kind') for e in new] == ['staff.unlock'],
            'expected one staff.unlock entry, got %r' % [e.get('kind') for e in new])
    e = new[0]
    g.check(e.get('target') == 'op01' and e.get('staff') == 'sup01' and e.get('failed_pins') == 5
            and 'pin' not in e and 'pin_hash' not in e,
            'the staff.unlock entry is %r' % e)

    # Reset PIN without a new PIN is refused and writes nothing.
    n = len(g.journal())
    g.press('Reset PIN of op01', within=page)
    g.wait_message('Staff message', lambda t: t.startswith('Type the new PIN'), within=page)
    g.check(len(g.journal()) == n, 'a PIN reset without a PIN wrote to the journal')

    # Add op02 in the app, then disable them.
    g.set_text('Staff id', 'op02', within=page)
    g.set_text('Name', '赵敏', within=page)
    g.set_text('PIN', '5678', within=page)
    g.press('Add staff', within=page)
    g.wait_message('Staff message', lambda t: t == 'Added op02', within=page, timeout=30)
    s = staff_row('op02')
    g.check((s['name'], s['role'], s['active'], s['locked']) == ('赵敏', 'operator', True, False),
            'op02 in the database: %r' % s)
    g.press('Disable op02', within=page)
    g.wait_message('Staff message', lambda t: t == 'Disabled op02', within=page)
    g.check(staff_row('op02')['active'] is False, 'op02 still active')
    g.screenshot('staff-added-disabled')
    new = g.journal()[n:]
    g.check([(e.get('kind'), e.get('target'), e.get('staff')) for e in new]
            == [('staff.add', 'op02', 'sup01'), ('staff.disable', 'op02', 'sup01')],
            'journal after add and disable: %r' % new)
    g.check(all('5678' not in str(e) for e in new), 'the new PIN is in the journal')

    # The real way out of "ask a supervisor": op01 signs in again.
    g.press('Lock')
    g.login(g.OPERATOR)
    g.screenshot('op01-signed-in')


g.run(flow)
