# The on-screen keypad types what each field needs, without a system
# keyboard (issue 11): the ID number field gets an X key (IDs whose check
# digit is X), the payment reference field the letters A–Z, amounts
# neither. An account opened with an ID ending in X and a reference like
# QR20261201A7 typed only on the keypad stores both.
import time

import vpgui as g

REFERENCE = 'QR20261201A7'
PHONE = '13912345671'
LETTERS = [chr(c) for c in range(ord('A'), ord('Z') + 1)]


def id_ending_in_x():
    for seq in range(100, 1000):
        n = g.id_number(seq=str(seq))
        if n.endswith('X'):
            return n
    raise g.GuiTestError('no ID number ending in X')


def shown_keys(p, names):
    return sorted(n.name for n in g.find_all(role='push button', within=p,
                                             pred=lambda n: n.name in names))


def focus(p, name):
    node = g.find(name=name, within=p, pred=lambda n: n.roleName in ('text', 'entry'))
    # A tap on the field (GTK 4.8 answers AT-SPI grabFocus with an error),
    # the form scrolled to it first with the wheel, as a finger would.
    for _ in range(30):
        x, y, w, h = g._extents(node)
        tx, ty, tw, th = g._extents(g._toplevel(node))
        if y >= ty + 80 and y + h <= ty + th - 10:
            break
        g.rawinput.click(x + w // 2, ty + th // 2, button=5 if y > ty else 4)
        time.sleep(0.1)
    g.check_on_screen(node, name)
    node.click()
    g.wait_until(lambda: node.getState().contains(g.pyatspi.STATE_FOCUSED), 'focus on %r' % name)
    return node


def type_on_keypad(p, entry, value):
    """Presses the keypad's keys one by one; GtkButton ignores a second
    activation during its 250 ms animation, so the same key twice waits."""
    g.log('keypad types %r' % value)
    last = None
    for ch in value:
        key = g.find(name=ch, role='push button', within=p)
        if ch == last:
            time.sleep(0.3)
        g.activate(key)
        last = ch
    g.wait_until(lambda: g.text_of(entry) == value,
                 'the keypad to type %r (has %r)' % (value, g.text_of(entry)), timeout=5)


def flow():
    idn = id_ending_in_x()
    g.cli('shift', 'open', '--float', '100', staff=g.OPERATOR)
    before = g.journal()

    g.start_app()
    g.login()
    p = g.nav('New account')
    g.set_text('Holder name', '周敏', within=p)

    # The ID number field: digits and X, no letters, no ".".
    entry = focus(p, 'ID number')
    g.wait_until(lambda: shown_keys(p, LETTERS) == ['X'], 'only X among the letters (%r)'
                 % shown_keys(p, LETTERS))
    type_on_keypad(p, entry, idn)
    g.check(g.text_of(entry).endswith('X'), 'the ID field holds %r' % g.text_of(entry))
    g.screenshot('id-keypad')

    # A phone number: no letters at all.
    focus(p, 'Phone')
    g.wait_until(lambda: shown_keys(p, LETTERS) == [], 'no letter keys for the phone (%r)'
                 % shown_keys(p, LETTERS))
    g.set_text('Phone', PHONE, within=p)
    g.set_text('Estate', '天鹅湖畔', within=p)
    g.set_text('Building', '9', within=p)
    g.set_text('Room', '302', within=p)
    g.set_text('Fee', '20', within=p)
    g.toggle_on('Mobile', within=p)

    # The reference: every letter.
    entry = focus(p, 'Reference')
    g.wait_until(lambda: shown_keys(p, LETTERS) == LETTERS, 'the letters A–Z (%r)'
                 % shown_keys(p, LETTERS))
    type_on_keypad(p, entry, REFERENCE)
    g.screenshot('reference-keypad')
    g.check_touch_targets(p)
    g.check_accessible_names(p)

    g.press('Open account', within=p)
    g.panel('Account', timeout=30)
    new = g.journal()[len(before):]
    g.check(len(new) == 1, 'journal got %r' % [e.get('kind') for e in new])
    e = new[0]
    g.log('journal: %r' % e)
    g.check(e.get('id_number') == idn, 'stored ID %r, typed %r' % (e.get('id_number'), idn))
    g.check(e.get('reference') == REFERENCE, 'stored reference %r' % e.get('reference'))


g.run(flow)
