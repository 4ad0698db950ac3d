# Settings go to GSettings (schema org.vanpos.VanPos from data/, compiled
# into the build dir): an out-of-range idle lock is refused next to its field
# and nothing is stored; 3 s is stored (gsettings get) and the app then locks
# itself to the sign-in panel when left alone (no real input reaches it:
# AT-SPI actions are not input events).
import os
import subprocess

import vpgui as g


def gsettings_get(key):
    r = subprocess.run(['gsettings', 'get', 'org.vanpos.VanPos', key],
                       capture_output=True, text=True, timeout=30)
    g.check(r.returncode == 0, 'gsettings get %s failed: %s (GSETTINGS_SCHEMA_DIR=%s)'
            % (key, r.stderr.strip(), os.environ.get('GSETTINGS_SCHEMA_DIR')))
    return r.stdout.strip()


def flow():
    g.check(gsettings_get('idle-lock-seconds') == 'uint32 120',
            'schema default idle lock is %r' % gsettings_get('idle-lock-seconds'))
    g.check(gsettings_get('printer') == "'pdf'", 'schema default printer %r' % gsettings_get('printer'))
    g.check(gsettings_get('large-text') == 'false', 'schema default large text %r' % gsettings_get('large-text'))
    g.start_app()
    g.login()
    # An operator cannot open Settings alone: a supervisor's PIN opens
    # them, and a wrong one keeps them shut.
    g.press('Settings', role='push button')
    dlg = g.dialog('Supervisor approval')
    g.screenshot('settings-need-supervisor')
    g.press('%s (sup01)' % g.staff_name('sup01'), within=dlg)
    g.keypad('1111', within=dlg, target='Supervisor PIN')
    g.press('Approve', within=dlg)
    g.check(not g.find_all(name='Save settings', role='push button'),
            'Settings opened with a wrong supervisor PIN')
    g.keypad('9876', within=dlg, target='Supervisor PIN')
    g.press('Approve', within=dlg)
    p = g.panel('Settings')
    g.check_touch_targets(p)
    g.check_accessible_names(p)

    # 5000 s is over the schema's range (30–3600): GSettings would refuse it;
    # so is 0 (never lock) and anything under 30 s.
    for bad in ('5000', '0', '3'):
        g.set_text('Idle lock (seconds)', bad, within=p)
        g.press('Save settings', within=p)
        g.wait_message('Idle lock (seconds) message',
                       lambda t: t == 'Whole seconds from 30 to 3600',
                       within=p, what='the idle lock range message next to the field')
        g.check(gsettings_get('idle-lock-seconds') == 'uint32 120', 'a refused value %s was stored' % bad)
    g.screenshot('bad-idle-lock')

    g.set_text('Idle lock (seconds)', '30', within=p)
    g.toggle_on('Large text', within=p)
    g.press('Save settings', within=p)
    g.wait_message('Settings message', lambda t: t == 'Settings saved', within=p)
    g.check(gsettings_get('idle-lock-seconds') == 'uint32 30',
            'stored idle lock is %r' % gsettings_get('idle-lock-seconds'))
    g.check(gsettings_get('large-text') == 'true', 'large text stored as %r' % gsettings_get('large-text'))
    g.screenshot('large-text')
    g.check_touch_targets(p, minimum=60)

    # Left alone, the app locks itself.
    g.panel('Sign in', timeout=60)
    g.screenshot('auto-locked')
    g.check(not g.find_all(prefix='Signed in as ', role='label'),
            'the header still shows a signed-in staff member after the auto-lock')


g.run(flow)
