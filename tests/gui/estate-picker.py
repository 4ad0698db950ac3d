# Estates are picked from the list on the new-account form (issue 11): the
# field shows the store's estates as chips (sorted, each once) and searches
# them as you type (case and spaces ignored); a name that is no known
# estate is flagged, a truly new one says so; the estate tapped is the one
# stored with the account.
import sqlite3

import vpgui as g

PHONE = '13912345670'
NOT_KNOWN = 'Not a known estate: tap one above if it is there'
NEW = 'A new estate: no account is in one of this name yet'


def chips(p, known):
    return sorted(n.name for n in g.find_all(role='push button', within=p,
                                             pred=lambda n: n.name in known))


def wait_chips(p, known, want, what):
    g.wait_until(lambda: chips(p, known) == sorted(want),
                 '%s: chips %r (shown %r)' % (what, sorted(want), chips(p, known)), timeout=10)


def flow():
    with sqlite3.connect(g.DB) as db:
        known = [r[0] for r in db.execute('SELECT DISTINCT estate FROM accounts ORDER BY estate')]
    g.log('estates in the store: %r' % known)
    g.check(len(known) == 8, 'the demo database has %d estates' % len(known))
    g.cli('shift', 'open', '--float', '100', staff=g.OPERATOR)
    before = g.journal()

    g.start_app()
    g.login()
    p = g.nav('New account')
    # Empty field: every known estate, as chips (8 at most).
    wait_chips(p, known, known, 'an empty field')
    g.screenshot('all-estates')
    g.check_touch_targets(p)
    g.check_accessible_names(p)

    # Typing searches; spaces do not matter. '园' is in 西园小区 and 长江花园.
    g.set_text('Estate', ' 园 ', within=p)
    wait_chips(p, known, [e for e in known if '园' in e], 'typing 园')
    g.find(name=NOT_KNOWN, role='label', within=p, timeout=5)
    g.set_text('Estate', '天鹅湖 畔', within=p)
    wait_chips(p, known, ['天鹅湖畔'], 'typing 天鹅湖 畔')
    g.screenshot('search')

    # Tap the estate: the field holds it, no hint.
    g.press('天鹅湖畔', within=p)
    entry = g.find(name='Estate', within=p, pred=lambda n: n.roleName in ('text', 'entry'))
    g.wait_until(lambda: g.text_of(entry) == '天鹅湖畔', 'the estate tapped in the field')
    g.wait_until(lambda: not g.find_all(name=NOT_KNOWN, role='label', within=p),
                 'the hint to go')

    # A truly new estate says so.
    g.set_text('Estate', '新建小区', within=p)
    g.find(name=NEW, role='label', within=p, timeout=5)
    wait_chips(p, known, [], 'a new estate')
    g.screenshot('new-estate')
    g.set_text('Estate', '西园', within=p)
    g.press('西园小区', within=p)
    g.wait_until(lambda: g.text_of(entry) == '西园小区', 'the estate tapped in the field')

    g.set_text('Holder name', '周敏', within=p)
    g.set_text('ID number', g.id_number(seq='385'), within=p)
    g.set_text('Phone', PHONE, within=p)
    g.set_text('Building', '9', within=p)
    g.set_text('Room', '301', within=p)
    g.toggle_on('Water', within=p)
    g.toggle_on('Post-paid', within=p)
    g.press('Open account', within=p)
    g.panel('Account', timeout=30)
    found = g.cli('search', PHONE)['results']
    g.check(len(found) == 1, 'the store finds %d accounts with phone %s' % (len(found), PHONE))
    acc = g.account(found[0]['number'])
    g.log('account: %r' % acc)
    g.check(acc.get('estate') == '西园小区', 'stored estate %r' % acc.get('estate'))
    new = g.journal()[len(before):]
    g.check(len(new) == 1, 'journal got %r' % [e.get('kind') for e in new])


g.run(flow)
