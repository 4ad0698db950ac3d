# Journal break: the newest entry (a ¥20 CLI payment) is deleted with
# sqlite3 behind the app's back. At sign-in a banner says what is wrong and
# that no money can be taken; the pay screen refuses with that line and the
# journal stays as it is. A supervisor (sup01) acknowledges the break with a
# reason: the banner goes, the journal gains a signed `journal.break` entry
# and a ¥50 payment goes through.
#
# The CLI entries are made with the clock two days ahead (VP_FAKE_NOW), so
# the app's first commit (the acknowledgement) meets a clock that went back:
# its warning must show as a toast.
import subprocess
import time

import vpgui as g

REASON = 'Newest entry deleted in a test'
REFUSAL = 'No money can be taken until a supervisor acknowledges the journal break'


def ahead(*args, staff=None):
    """vanpos-cli with the wall clock two days ahead."""
    import os
    old = os.environ.get('VP_FAKE_NOW')
    os.environ['VP_FAKE_NOW'] = str(int(time.time()) + 2 * 86400)
    try:
        return g.cli(*args, staff=staff)
    finally:
        if old is None:
            del os.environ['VP_FAKE_NOW']
        else:
            os.environ['VP_FAKE_NOW'] = old


def sqlite(sql):
    r = subprocess.run(['sqlite3', g.DB, sql], capture_output=True, text=True, timeout=60)
    g.check(r.returncode == 0, 'sqlite3 failed: %s' % r.stderr.strip())


def is_pay(e):
    return e.get('kind') == 'pay'


def flow():
    ahead('shift', 'open', '--float', '100', staff=g.OPERATOR)
    cands = g.find_accounts('天鹅湖畔', lambda a: a['meter'] == 'postpaid'
                            and a['arrears'] > 8000 and a['status'] == 'active')
    g.check(cands, 'no post-paid demo account with more than ¥80 arrears')
    number = cands[0]['number']
    ahead('pay', number, '20', '--method', 'cash', staff=g.OPERATOR)
    full = g.journal()
    newest = full[-1]
    g.check(is_pay(newest), 'the CLI payment journaled %r' % newest.get('kind'))
    n = newest['seq']
    sqlite('DROP TRIGGER journal_no_delete; DELETE FROM outbox WHERE seq=%d; '
           'DELETE FROM journal WHERE seq=%d' % (n, n))
    before = g.journal()
    g.check([e['seq'] for e in before] == [e['seq'] for e in full[:-1]],
            'sqlite3 did not delete entry %d: %r' % (n, [e['seq'] for e in before]))
    acct = g.account(number)

    g.start_app()
    g.login()
    home = g.panel('Home')
    state = g.wait_message('Break state',
                           lambda t: t.startswith('No money can be taken: the journal is truncated'),
                           what='the journal break banner')
    g.check('entry %d' % n in state, 'the banner does not name entry %d: %r' % (n, state))
    banner = g.panel('Journal break')
    g.find(name='Acknowledge (supervisor)', role='push button', within=banner)
    g.screenshot('home-banner')
    g.check_touch_targets()
    g.check_accessible_names()
    g.check(home is not None, 'no Home panel')

    # A payment is refused on the pay screen, before anything is typed.
    page = g.open_account(number)
    g.press('Pay bills', within=page)
    p = g.panel('Pay bills')
    g.wait_message('Payment message', lambda t: t.startswith(REFUSAL), within=p,
                   what='the refusal on the pay screen')
    g.keypad('50', within=p, target='Amount')
    confirm = g.find(name='Confirm', role='push button', within=p)
    g.check(not g._sensitive(confirm), 'Confirm is enabled while the journal is broken')
    g.activate(confirm)     # what assistive technology could still try
    amount = g.find(name='Amount', within=p, pred=lambda x: x.roleName == 'text')
    amount.click()          # Enter in the amount field runs pay.confirm too
    g.wait_until(lambda: amount.getState().contains(g.pyatspi.STATE_FOCUSED),
                 'focus on Amount', timeout=5)
    g.rawinput.pressKey('Return')
    g.wait_message('Payment message', lambda t: t.startswith(REFUSAL), within=p)
    g.screenshot('pay-refused')
    g.check_touch_targets()
    g.check_accessible_names()
    g.check(g.journal() == before, 'a refused payment changed the journal')
    g.check(g.account(number)['arrears'] == acct['arrears'],
            'a refused payment changed the arrears')

    # Acknowledge: a reason first, as for a void.
    g.set_text('Break reason', '', within=banner)
    g.press('Acknowledge (supervisor)', within=banner)
    g.wait_message('Acknowledge message', lambda t: t.startswith('Break reason'),
                   within=banner, what='a message asking for the reason')
    g.check(len(g.journal()) == len(before), 'acknowledging without a reason wrote to the journal')
    g.set_text('Break reason', REASON, within=banner)
    g.press('Acknowledge (supervisor)', within=banner)
    dlg = g.dialog('Supervisor approval')
    g.press('%s (sup01)' % g.staff_name('sup01'), within=dlg)
    g.keypad('9876', within=dlg, target='Supervisor PIN')
    g.screenshot('acknowledge-dialog')
    g.press('Approve', within=dlg)
    g.wait_until(lambda: len(g.journal()) == len(before) + 1, 'the journal.break entry')
    e = g.journal()[-1]
    g.log('break entry: %r' % e)
    g.check(e.get('kind') == 'journal.break', 'journal kind %r' % e.get('kind'))
    g.check(e.get('seq') == n, 'the break entry is seq %r, expected %d' % (e.get('seq'), n))
    g.check(e.get('reason') == REASON, 'reason %r' % e.get('reason'))
    g.check(e.get('approved_by') == 'sup01', 'approved by %r' % e.get('approved_by'))
    g.check(e.get('entries_lost') == 1, 'entries lost %r' % e.get('entries_lost'))

    # The clock is two days behind the CLI entries: a warning toast.
    warn = g.find(role='label', prefix='Warning: The clock went back ')
    g.log('warning toast: %r' % warn.name)
    g.screenshot('clock-warning')
    g.wait_until(lambda: not g.exists(name='Journal break'), 'the banner to go')
    g.wait_until(lambda: not g.find_all(role='label', within=p,
                                        pred=lambda x: g._description(x).startswith(REFUSAL)),
                 'the refusal to go from the pay screen')
    g.press('Dismiss')
    g.find(role='label', name='Journal break acknowledged; HQ is told at the next sync')

    # Money can be taken again.
    g.keypad('50', within=p, target='Amount')
    g.toggle_on('Cash', within=p)
    g.press('Confirm', within=p)
    rec = g.panel('Receipt')
    g.label_text('Receipt number', within=rec,
                 pred=lambda t: ('VAN01-' in t and t.endswith('%06d' % (n + 1))))
    g.screenshot('paid-after-acknowledge')
    new = g.journal()[len(before) + 1:]
    g.check(len(new) == 1 and is_pay(new[0]) and new[0].get('amount') == 5000,
            'after the acknowledgement expected one ¥50 payment, got %r'
            % [(x.get('kind'), x.get('amount')) for x in new])
    g.check(g.account(number)['arrears'] == acct['arrears'] - 5000,
            'arrears %d, expected %d' % (g.account(number)['arrears'], acct['arrears'] - 5000))
    r = subprocess.run([g.CLI, '--db', g.DB, 'verify'], capture_output=True, text=True, timeout=60)
    g.check(r.returncode == 0, 'verify after the acknowledgement: %s' % r.stderr.strip())


g.run(flow)
