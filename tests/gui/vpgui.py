# Helpers for the VanPOS AT-SPI GUI tests (run by run-gui-test.sh).
#
# Every wait polls the accessibility tree (at most TIMEOUT seconds); there are
# no fixed long sleeps. A failure saves a screenshot and a dump of the
# showing accessibility tree into test-artifacts/gui/ and exits 1.

import json
import os
import re
import subprocess
import sys
import time
import traceback

import gi
gi.require_version('Gio', '2.0')
from gi.repository import Gio  # noqa: E402

# dogtail checks this key at import and aborts when it is off; the runner
# sets it with gsettings, this covers a session without dconf.
try:
    Gio.Settings.new('org.gnome.desktop.interface').set_boolean('toolkit-accessibility', True)
except Exception:  # noqa: BLE001 - schema missing: dogtail will say so
    pass

from dogtail import config  # noqa: E402
config.checkForA11y = False
config.searchBackoffDuration = 0.2
config.searchCutoffCount = 5
config.defaultDelay = 0.05
config.actionDelay = 0.05
config.typingDelay = 0.02
config.logDebugToFile = False
config.logDebugToStdOut = False
import dogtail.rawinput as rawinput  # noqa: E402
import dogtail.tree as tree  # noqa: E402
import pyatspi  # noqa: E402

TIMEOUT = float(os.environ.get('VP_GUI_TIMEOUT', '20'))
FLOW = os.environ.get('VP_GUI_FLOW', 'gui')
ART = os.environ.get('VP_GUI_ARTIFACTS', 'test-artifacts/gui')
TMP = os.environ.get('VP_GUI_TMP', '/tmp')
DB = os.environ.get('VP_GUI_DB')
CLI = os.environ.get('VP_GUI_CLI')
APP = os.environ.get('VP_GUI_APP')

OPERATOR = ('op01', '1234')
SUPERVISOR = ('sup01', '9876')

_app_proc = None
_app_node = None
_shot_no = 0
_t0 = time.monotonic()


class GuiTestError(Exception):
    pass


def log(msg):
    print('[%6.2fs] %s' % (time.monotonic() - _t0, msg), flush=True)


# ---------------------------------------------------------------- database

def cli(*args, staff=None, json_out=True, check=True):
    """Runs vanpos-cli on the test database; returns parsed JSON (or text)."""
    cmd = [CLI, '--db', DB, *args]
    if staff is not None:
        cmd += ['--staff', staff[0], '--pin', staff[1]]
    if json_out:
        cmd.append('--json')
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if check and r.returncode != 0:
        raise GuiTestError('vanpos-cli %s failed: %s' % (' '.join(args), r.stderr.strip()))
    if not json_out:
        return r.stdout
    out = r.stdout.strip()
    if not out:
        return None
    return json.loads(out)


def journal():
    """All journal entries (vanpos-cli journal --json prints one per line)."""
    r = subprocess.run([CLI, '--db', DB, 'journal', '--json'],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise GuiTestError('vanpos-cli journal failed: ' + r.stderr.strip())
    entries = []
    text = r.stdout.strip()
    if not text:
        return entries
    if text.startswith('['):
        return json.loads(text)
    if text.startswith('{') and '\n' not in text:
        obj = json.loads(text)
        if isinstance(obj, dict) and 'entries' in obj:
            return obj['entries']
        return [obj]
    for line in text.splitlines():
        line = line.strip()
        if line:
            entries.append(json.loads(line))
    return entries


def account(number):
    return cli('account', number)


def find_accounts(query, pred, limit=500):
    res = cli('search', query, '--limit', str(limit))
    return [a for a in res['results'] if pred(a)]


# ----------------------------------------------------------------- the app

def start_app(extra_args=(), env=None):
    """Starts the app on the test database and waits for its window."""
    global _app_proc, _app_node
    logf = open(os.path.join(TMP, 'app.log'), 'ab')
    app_env = dict(os.environ)
    app_env.update(env or {})
    _app_proc = subprocess.Popen([APP, '--db', DB, *extra_args], env=app_env,
                                 stdout=logf, stderr=subprocess.STDOUT)
    with open(os.path.join(TMP, 'app.pid'), 'w') as f:
        f.write(str(_app_proc.pid))
    log('started %s (pid %d)' % (APP, _app_proc.pid))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if _app_proc.poll() is not None:
            raise GuiTestError('the app exited with status %d at start' % _app_proc.returncode)
        try:
            for a in tree.root.applications():
                try:
                    if a.name in ('vanpos', 'VanPOS', 'org.vanpos.VanPos') and _has_window(a):
                        _app_node = a
                        log('app is on the AT-SPI bus as %r' % a.name)
                        return a
                except Exception:  # noqa: BLE001 - app still starting
                    continue
        except Exception:  # noqa: BLE001
            pass
        time.sleep(0.2)
    raise GuiTestError('the app did not show a window on the AT-SPI bus within 30 s')


def _has_window(a):
    return a.childCount > 0


def stop_app():
    global _app_proc
    if _app_proc is None:
        return
    if _app_proc.poll() is None:
        _app_proc.terminate()
        try:
            _app_proc.wait(10)
        except subprocess.TimeoutExpired:
            _app_proc.kill()
            _app_proc.wait(5)
    _app_proc = None


def app():
    if _app_node is None:
        raise GuiTestError('the app is not started')
    if _app_proc is not None and _app_proc.poll() is not None:
        raise GuiTestError('the app exited (status %d)' % _app_proc.returncode)
    return _app_node


# ------------------------------------------------------------ tree search

_TOPLEVEL_ROLES = ('frame', 'dialog', 'window', 'alert', 'file chooser')


def _extents(node):
    e = node.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
    return e.x, e.y, e.width, e.height


def _toplevel(node):
    n = node
    for _ in range(80):
        if n is None:
            return None
        if n.roleName in _TOPLEVEL_ROLES:
            return n
        if n.roleName == 'application':
            return None
        n = n.parent
    return None


def _same(a, b):
    try:
        return a == b or (a.path == b.path and a.name == b.name)
    except Exception:  # noqa: BLE001
        return False


def _hit(top, node, x, y):
    """True/False: is the widget GTK picks at (x, y) inside NODE; None when
    AT-SPI cannot answer (GTK 4.8 returns nothing for a widget whose
    accessible was never asked for)."""
    try:
        h = top.queryComponent().getAccessibleAtPoint(x, y, pyatspi.WINDOW_COORDS)
    except Exception:  # noqa: BLE001
        return None
    if h is None:
        return None
    for _ in range(80):
        if h is None:
            return False
        if _same(h, node):
            return True
        h = h.parent
    return False


_POINTS = ((0.5, 0.5), (0.1, 0.1), (0.9, 0.1), (0.1, 0.9), (0.9, 0.9),
           (0.25, 0.25), (0.75, 0.75), (0.5, 0.05), (0.05, 0.5))


def _page_hit(top, node):
    """True if a point of NODE picks into it, False if a point picks into
    something else (so another page is on top), None if AT-SPI cannot say."""
    try:
        x, y, w, h = _extents(node)
    except Exception:  # noqa: BLE001
        return False
    if w <= 0 or h <= 0:
        return False
    verdict = None
    for fx, fy in _POINTS:
        r = _hit(top, node, int(x + w * fx), int(y + h * fy))
        if r:
            return True
        if r is False:
            verdict = False
    return verdict


def _showing(node, top=None, cache=None):
    """Is NODE on screen? GTK 4.8 never sets STATE_SHOWING below the window
    and keeps STATE_VISIBLE on the hidden pages of a GtkStack. A widget that
    was never mapped has empty extents; a stack page that was shown before
    keeps its old extents, so the pages of a stack are hit-tested (GTK picks
    only mapped widgets)."""
    try:
        x, y, w, h = _extents(node)
    except NotImplementedError:
        return True     # no Component (a GtkStackPage): look inside
    except Exception:  # noqa: BLE001 - node went away
        return False
    if w <= 0 or h <= 0:
        return False
    try:
        page = node.parent
        if page is None or page.name != 'GtkStackPage':
            return True
        stack = page.parent
    except Exception:  # noqa: BLE001
        return False
    top = top or _toplevel(node)
    if top is None or stack is None:
        return True
    key = None
    try:
        key = stack.path
    except Exception:  # noqa: BLE001
        pass
    if cache is not None and key in cache:
        pages = cache[key]
    else:
        pages = []
        try:
            for i in range(stack.childCount):
                pg = stack.getChildAtIndex(i)
                if pg is None or pg.childCount == 0:
                    continue
                c = pg.getChildAtIndex(0)
                pages.append((c, _page_hit(top, c)))
        except Exception:  # noqa: BLE001
            return False
        if cache is not None and key is not None:
            cache[key] = pages
    verdicts = [v for _, v in pages]
    mine = None
    for c, v in pages:
        if _same(c, node):
            mine = v
    if mine:
        return True
    if mine is False:
        return False
    # Unknown for this page: it is the one shown unless another page is.
    return not any(v for v in verdicts)


def _walk(node, match, results, first, showing, depth=0, top=None, cache=None):
    """Depth-first search that does not descend into hidden subtrees."""
    if depth > 60:
        return
    if cache is None:
        cache = {}
    try:
        n = node.childCount
        if top is None and node.roleName != 'application':
            top = _toplevel(node)
    except Exception:  # noqa: BLE001
        return
    for i in range(n):
        try:
            c = node.getChildAtIndex(i)
        except Exception:  # noqa: BLE001
            continue
        if c is None:
            continue
        ctop = top
        if ctop is None:
            try:
                if c.roleName in _TOPLEVEL_ROLES:
                    ctop = c
            except Exception:  # noqa: BLE001
                continue
        if showing and not _showing(c, ctop, cache):
            continue
        try:
            ok = match(c)
        except Exception:  # noqa: BLE001
            ok = False
        if ok:
            results.append(c)
            if first:
                return
        _walk(c, match, results, first, showing, depth + 1, ctop, cache)
        if first and results:
            return


def _matcher(name=None, role=None, prefix=None, regex=None, pred=None):
    rx = re.compile(regex) if regex else None

    def match(n):
        if role is not None and n.roleName != role:
            return False
        nm = n.name or ''
        if name is not None and nm != name:
            return False
        if prefix is not None and not nm.startswith(prefix):
            return False
        if rx is not None and not rx.search(nm):
            return False
        if pred is not None and not pred(n):
            return False
        return True
    return match


def _describe(name, role, prefix, regex):
    parts = []
    if role:
        parts.append('role %r' % role)
    if name is not None:
        parts.append('name %r' % name)
    if prefix:
        parts.append('name starting %r' % prefix)
    if regex:
        parts.append('name matching %r' % regex)
    return ', '.join(parts) or 'node'


def find_all(name=None, role=None, within=None, prefix=None, regex=None, pred=None,
             showing=True):
    root = within if within is not None else app()
    res = []
    _walk(root, _matcher(name, role, prefix, regex, pred), res, False, showing)
    return res


def find(name=None, role=None, within=None, prefix=None, regex=None, pred=None,
         timeout=None, showing=True):
    """Polls until a (showing) node matches; raises GuiTestError on timeout."""
    timeout = TIMEOUT if timeout is None else timeout
    deadline = time.monotonic() + timeout
    while True:
        root = within if within is not None else app()
        res = []
        _walk(root, _matcher(name, role, prefix, regex, pred), res, True, showing)
        if res:
            return res[0]
        if time.monotonic() > deadline:
            raise GuiTestError('no %s appeared within %.0f s' %
                               (_describe(name, role, prefix, regex), timeout))
        time.sleep(0.2)


def exists(name=None, role=None, within=None, prefix=None, regex=None, pred=None):
    return bool(find_all(name, role, within, prefix, regex, pred)[:1])


def wait_until(cond, what, timeout=None):
    timeout = TIMEOUT if timeout is None else timeout
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            v = cond()
            if v:
                return v
        except GuiTestError as e:
            last = e
        except Exception as e:  # noqa: BLE001 - node went stale: retry
            last = e
        if time.monotonic() > deadline:
            raise GuiTestError('timed out after %.0f s waiting for %s%s' %
                               (timeout, what, ' (%s)' % last if last else ''))
        time.sleep(0.2)


def dialog(name, timeout=None):
    """A dialog window (a toplevel of the app) titled NAME."""
    def cond():
        for i in range(app().childCount):
            c = app().getChildAtIndex(i)
            if c is not None and c.roleName in _TOPLEVEL_ROLES and c.name == name:
                return c
        return None
    return wait_until(cond, 'the dialog %r' % name, timeout=timeout)


def panel(name, timeout=None):
    """A screen: a showing container named NAME (any role but a button)."""
    return find(name=name, timeout=timeout,
                pred=lambda n: n.roleName not in ('push button', 'toggle button', 'label',
                                                  'text', 'check box', 'radio button'))


# ---------------------------------------------------------------- actions

_CLICK_ACTIONS = ('click', 'activate', 'press', 'toggle', 'check')


def activate(node):
    """Presses a button the way assistive technology does (Action interface),
    falling back to a synthesized mouse click at its centre."""
    try:
        act = node.queryAction()
        names = [act.getName(i) for i in range(act.nActions)]
    except Exception:  # noqa: BLE001
        act, names = None, []
    for a in _CLICK_ACTIONS:
        if a in names:
            act.doAction(names.index(a))
            return
    node.click()


def press(name, role='push button', within=None, timeout=None):
    node = find(name=name, role=role, within=within, timeout=timeout,
                pred=lambda n: _sensitive(n))
    log('press %s %r' % (role, name))
    activate(node)
    return node


def _sensitive(n):
    try:
        st = n.getState()
        return st.contains(pyatspi.STATE_SENSITIVE) or st.contains(pyatspi.STATE_ENABLED)
    except Exception:  # noqa: BLE001
        return False


def is_checked(node):
    st = node.getState()
    return st.contains(pyatspi.STATE_CHECKED) or st.contains(pyatspi.STATE_PRESSED)


_TOGGLE_ROLES = ('toggle button', 'push button', 'check box', 'radio button')


def toggle_on(name, role=None, within=None):
    node = find(name=name, within=within,
                pred=lambda n: n.roleName in ((role,) if role else _TOGGLE_ROLES))
    if not is_checked(node):
        log('toggle on %r' % name)
        activate(node)
        wait_until(lambda: is_checked(node), '%r to be on' % name, timeout=5)
    return node


def toggle_off(name, role=None, within=None):
    node = find(name=name, within=within,
                pred=lambda n: n.roleName in ((role,) if role else _TOGGLE_ROLES))
    if is_checked(node):
        log('toggle off %r' % name)
        activate(node)
        wait_until(lambda: not is_checked(node), '%r to be off' % name, timeout=5)
    return node


def text_of(node):
    try:
        t = node.queryText()
        # GTK 4.8 answers getText(0, -1) with ''.
        return t.getText(0, t.characterCount)
    except Exception:  # noqa: BLE001
        return None


def set_text(name, text, within=None):
    """Puts TEXT into the entry NAME: EditableText when the toolkit has it,
    else focus, select all and type on the synthesized keyboard."""
    node = find(name=name, within=within,
                pred=lambda n: n.roleName in ('text', 'entry', 'password text', 'spin button'))
    log('set %r to %r' % (name, text))
    done = False
    try:
        et = node.queryEditableText()
        done = et.setTextContents(text)
    except Exception:  # noqa: BLE001 - no EditableText
        done = False
    if done and text_of(node) == text:
        return node
    node.grabFocus()
    wait_until(lambda: node.getState().contains(pyatspi.STATE_FOCUSED),
               'focus on %r' % name, timeout=5)
    rawinput.keyCombo('<Control>a')
    rawinput.pressKey('BackSpace')
    if text:
        rawinput.typeText(text)
    wait_until(lambda: text_of(node) == text,
               '%r to hold %r (has %r)' % (name, text, text_of(node)), timeout=5)
    return node


KEYS = ('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '.', 'Clear', 'Backspace')


def keypad(value, within, clear=True, clear_name='Clear', target=None):
    """Types VALUE on the on-screen keypad inside WITHIN (digits and '.').

    GtkButton ignores an activation while its 250 ms activate animation
    runs, so the same key twice needs a pause; on a loaded machine the app
    may run late, so when TARGET (the entry the keypad types into) is given
    the result is checked and the typing retried with longer pauses."""
    log('keypad %r' % value)
    names = KEYS + (clear_name,)
    keys = {}
    for n in find_all(role='push button', within=within, pred=lambda n: n.name in names):
        keys.setdefault(n.name, n)
    if not keys:
        find(name=clear_name, role='push button', within=within)  # waits, then fails clearly
        return keypad(value, within, clear, clear_name, target)
    entry = None
    if target is not None:
        entry = find(name=target, within=within,
                     pred=lambda n: n.roleName in ('text', 'entry', 'password text'))
    pause = 0.3
    for attempt in range(3):
        last = None
        for ch in ([clear_name] if clear else []) + list(value):
            if ch not in keys:
                raise GuiTestError('keypad has no %r key (has %s)' % (ch, sorted(keys)))
            if ch == last:
                time.sleep(pause)
            activate(keys[ch])
            last = ch
        if entry is None:
            return
        want = value if clear else None

        def typed():
            t = text_of(entry) or ''
            if entry.roleName == 'password text':
                return len(t) == len(value)
            return want is None or t == want
        try:
            wait_until(typed, 'the keypad to type %r into %r' % (value, target), timeout=3)
            return
        except GuiTestError:
            log('keypad: %r holds %r, typing %r again' % (target, text_of(entry), value))
            pause *= 2
            clear = True
    raise GuiTestError('the keypad did not type %r into %r (it holds %r)'
                       % (value, target, text_of(entry)))


def _label_text(n):
    t = text_of(n)
    return t if t is not None else (n.name or '')


def _description(n):
    try:
        return n.description or ''
    except Exception:  # noqa: BLE001
        return ''


def label_text(name, within=None, timeout=None, pred=None):
    """The text of the value label NAME that satisfies PRED.

    GTK 4.8's GtkLabel replaces its accessible name with its text on every
    gtk_label_set_text(), so a value label set by the app is often named by
    its content, not by the name the template gave it. When no label is
    named NAME, any shown label in WITHIN whose text satisfies PRED counts."""
    pred = pred or (lambda t: True)
    holder = {}

    def cond():
        for n in find_all(name=name, role='label', within=within):
            t = _label_text(n)
            if t == name:       # the field's title, or a value named by the app
                t = _description(n)
            holder['t'] = t
            if t and pred(t):
                return t
        if pred is not None:
            for n in find_all(role='label', within=within):
                t = _label_text(n)
                if t and t != name and pred(t):
                    holder['via'] = 'text'
                    return t
        return None

    t = wait_until(cond, 'label %r' % name, timeout=timeout)
    if holder.get('via'):
        _note_unnamed(name)
    return t


def wait_message(name, pred, within=None, timeout=None, what=None):
    """Waits for the inline message label NAME to show text satisfying PRED.

    Falls back (GTK 4.8, see label_text) to any shown label in WITHIN that
    carries the message as its accessible description — the app's message
    and value labels do — and whose text satisfies PRED."""
    holder = {}

    def cond():
        for n in find_all(name=name, role='label', within=within):
            t = _label_text(n)
            if t == name:
                t = _description(n)
            holder['t'] = t
            if t and pred(t):
                return t
        for n in find_all(role='label', within=within):
            d = _description(n)
            if d and pred(d):
                holder['via'] = d
                return d
        return None

    try:
        t = wait_until(cond, what or 'message %r' % name, timeout=timeout)
    except GuiTestError as e:
        seen = [(_label_text(n), _description(n)) for n in find_all(role='label', within=within)
                if _description(n)]
        raise GuiTestError('%s; labels with a description: %r' % (e, seen[:12]))
    if holder.get('via') is not None:
        _note_unnamed(name)
    log('%s: %r' % (name, t))
    return t


_unnamed = set()


def _note_unnamed(name):
    if name not in _unnamed:
        _unnamed.add(name)
        log('NOTE: label %r is not findable by its accessible name (GTK 4.8 renames '
            'labels to their text); matched by content' % name)


# ------------------------------------------------------------- evidence

def screenshot(tag):
    global _shot_no
    _shot_no += 1
    os.makedirs(ART, exist_ok=True)
    path = os.path.join(ART, '%s-%02d-%s.png' % (FLOW, _shot_no, tag))
    display = os.environ.get('DISPLAY', ':0')
    try:
        xwd = subprocess.run(['xwd', '-root', '-silent', '-display', display],
                             capture_output=True, timeout=30)
        conv = '/usr/bin/convert' if os.path.exists('/usr/bin/convert') else 'convert'
        subprocess.run([conv, 'xwd:-', path], input=xwd.stdout, capture_output=True,
                       timeout=60, check=True)
        log('screenshot %s' % path)
    except Exception as e:  # noqa: BLE001
        log('screenshot failed: %s' % e)
    return path


def dump_tree(path):
    lines = []

    def rec(n, depth):
        if depth > 40:
            return
        try:
            nm = n.name
            role = n.roleName
            txt = text_of(n) if role in ('text', 'label') else None
            st = n.getState()
            flags = ('S' if _showing(n, _toplevel(n)) else '') + ''.join(c for c, s in (
                                           ('C', pyatspi.STATE_CHECKED),
                                           ('P', pyatspi.STATE_PRESSED),
                                           ('F', pyatspi.STATE_FOCUSED),
                                           ('s', pyatspi.STATE_SENSITIVE))
                            if st.contains(s))
        except Exception:  # noqa: BLE001
            return
        line = '%s[%s] %r %s' % ('  ' * depth, role, nm, flags)
        if txt not in (None, '', nm):
            line += ' text=%r' % txt
        lines.append(line)
        if 'S' not in flags and depth > 1:
            return
        try:
            for i in range(n.childCount):
                rec(n.getChildAtIndex(i), depth + 1)
        except Exception:  # noqa: BLE001
            pass

    try:
        rec(_app_node, 0)
    except Exception as e:  # noqa: BLE001
        lines.append('dump failed: %s' % e)
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')


def _remove_dogtail_log():
    # dogtail opens a debug log under /tmp/dogtail-$USER/logs at import,
    # before its config can turn that off; do not leave one per run.
    try:
        import dogtail.logging as dl
        lg = dl.debugLogger
        if getattr(lg, 'filee', None):
            lg.filee.close()
        if getattr(lg, 'fileName', None) and os.path.isfile(lg.fileName):
            os.remove(lg.fileName)
    except Exception:  # noqa: BLE001
        pass


def check(cond, msg):
    if not cond:
        raise GuiTestError(msg)


def run(flow_fn):
    """Runs a flow: starts nothing itself; on any failure saves a screenshot
    and the accessibility tree, then exits 1."""
    rc = 0
    try:
        flow_fn()
        log('PASS %s' % FLOW)
        if _unnamed:
            log('NOTE: found by content, not by accessible name: %s' % ', '.join(sorted(_unnamed)))
    except Exception as e:  # noqa: BLE001
        rc = 1
        print('FAIL %s: %s' % (FLOW, e), flush=True)
        traceback.print_exc()
        if _app_node is not None:
            screenshot('FAIL')
            path = os.path.join(ART, '%s-FAIL-tree.txt' % FLOW)
            dump_tree(path)
            print('accessibility tree: %s' % path, flush=True)
    finally:
        stop_app()
        _remove_dogtail_log()
        try:
            logp = os.path.join(TMP, 'app.log')
            with open(logp, errors='replace') as f:
                tail = f.read()[-3000:]
            if tail.strip():
                print('--- app log (tail) ---\n' + tail, flush=True)
        except OSError:
            pass
    sys.exit(rc)


# ------------------------------------------------------------ common steps

def staff_name(staff_id):
    out = cli('staff', 'list', json_out=False)
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] == staff_id:
            # A locked or disabled id ends in [locked] / [disabled].
            return ' '.join(p for p in parts[2:] if not p.startswith('['))
    raise GuiTestError('no staff %s in the demo database' % staff_id)


def login(staff=OPERATOR):
    """Signs in on the login panel with the on-screen PIN keypad."""
    sid, pin = staff
    name = staff_name(sid)
    p = panel('Sign in')
    press('%s (%s)' % (name, sid), within=p)
    keypad(pin, within=p, target='PIN')
    press('Sign in', within=p)
    find(prefix='Signed in as ', role='label',
         pred=lambda n: sid in (n.name or '') or name in (n.name or ''))
    log('signed in as %s' % sid)


def nav(name):
    press(name, role='push button')
    return panel(name)


def approve(dlg, staff=SUPERVISOR):
    """Approves the supervisor dialog DLG with STAFF's PIN."""
    sid, pin = staff
    press('%s (%s)' % (staff_name(sid), sid), within=dlg)
    keypad(pin, within=dlg, target='Supervisor PIN')
    press('Approve', within=dlg)


def open_settings():
    """Settings open after a supervisor's PIN (an operator is signed in)."""
    press('Settings', role='push button')
    approve(dialog('Supervisor approval'))
    return panel('Settings')


def open_account(number):
    """Search for NUMBER and open its account page. Search runs as you
    type: a row of an earlier, partial query can be replaced while it is
    pressed, so the row is found again and pressed again until the page
    opens."""
    p = nav('Search')
    set_text('Search accounts', number, within=p)
    last = None
    for _ in range(4):
        row = find(prefix=number + ' ', role='push button', within=p)
        log('open %r' % row.name)
        activate(row)
        try:
            return panel('Account', timeout=6)
        except GuiTestError as e:  # noqa: PERF203
            last = e
    raise last


def id_number(region='340104', birth='19480312', seq='271'):
    """A valid resident ID number (GB 11643 check digit)."""
    body = region + birth + seq
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    s = sum(int(c) * k for c, k in zip(body, w))
    return body + '10X98765432'[s % 11]


def money(fen):
    sign = '-' if fen < 0 else ''
    fen = abs(fen)
    return '%s¥{:,}.{:02d}'.format(fen // 100, fen % 100) % sign


TOUCH_ROLES = ('push button', 'toggle button', 'check box', 'radio button', 'text',
               'entry', 'password text', 'spin button')


def check_on_screen(node, what=None):
    """NODE lies wholly inside its window (the primary action of a screen
    is visible without scrolling or resizing)."""
    top = _toplevel(node)
    check(top is not None, 'no window for %r' % (what or node.name))
    tx, ty, tw, th = _extents(top)
    # The screen in logical pixels (VP_GUI_SCREEN at GDK_SCALE).
    sw, sh = [int(v) for v in os.environ.get('VP_GUI_SCREEN', '1280x800x24').split('x')[:2]]
    scale = int(os.environ.get('GDK_SCALE', '1') or 1)
    tw, th = min(tw, sw // scale), min(th, sh // scale)
    x, y, w, h = _extents(node)
    check(w > 0 and h > 0 and x >= 0 and y >= 0 and x + w <= tw and y + h <= th,
          '%s at %d,%d %dx%d is not inside the %dx%d visible window'
          % (what or repr(node.name), x, y, w, h, tw, th))
    return True


def check_touch_targets(within=None, minimum=48):
    """Every shown control is at least MINIMUM px high and wide (DESIGN.md:
    touch targets ≥ 48 px). Check boxes count with their label row."""
    small = []
    for n in find_all(within=within, pred=lambda n: n.roleName in TOUCH_ROLES):
        try:
            x, y, w, h = _extents(n)
        except Exception:  # noqa: BLE001
            continue
        if n.name in ('Minimize', 'Maximize', 'Close'):
            continue
        if w < minimum or h < minimum:
            small.append('%s %r %dx%d' % (n.roleName, n.name, w, h))
    check(not small, 'controls smaller than %d px: %s' % (minimum, '; '.join(small[:10])))
    return True


def check_accessible_names(within=None):
    """Every shown control has an accessible name a screen reader can say
    (not empty, not a GTK type name)."""
    bad = []
    for n in find_all(within=within, pred=lambda n: n.roleName in TOUCH_ROLES):
        nm = (n.name or '').strip()
        if not nm or re.fullmatch(r'(Gtk|Adw)[A-Za-z]+', nm):
            try:
                x, y, w, h = _extents(n)
            except Exception:  # noqa: BLE001
                x = y = w = h = -1
            bad.append('%s at %d,%d %dx%d' % (n.roleName, x, y, w, h))
    check(not bad, 'controls without an accessible name: %s' % '; '.join(bad[:10]))
    return True
