# Login: a wrong PIN is refused inline and writes nothing; the right PIN
# signs the operator in; Lock returns to the login panel; the supervisor
# signs in with their own PIN. The home page shows the shift the database has.
import vpgui as g


def flow():
    # A shift opened headless: the home page must show it after sign-in.
    g.cli('shift', 'open', '--float', '123.45', staff=g.OPERATOR)
    before = g.journal()
    shift = g.cli('shift', 'x', staff=g.OPERATOR)
    g.check(shift['float'] == 12345, 'CLI shift x float is %r' % shift.get('float'))

    g.start_app()
    p = g.panel('Sign in')
    g.screenshot('login-panel')
    g.check_touch_targets(p)
    g.check_accessible_names(p)

    # No name chosen yet: Sign in says so.
    g.keypad('1234', within=p, target='PIN')
    g.press('Sign in', within=p)
    g.wait_message('Login message', lambda t: 'Choose your name' in t)

    # Wrong PIN.
    name = g.staff_name('op01')
    g.press('%s (op01)' % name, within=p)
    g.keypad('0000', within=p, target='PIN')
    g.press('Sign in', within=p)
    g.wait_message('Login message', lambda t: 'Wrong' in t, what='the wrong-PIN message')
    g.screenshot('wrong-pin')
    g.check(len(g.journal()) == len(before), 'a failed sign-in wrote to the journal')

    # Right PIN.
    g.keypad('1234', within=p, target='PIN')
    g.press('Sign in', within=p)
    lbl = g.find(prefix='Signed in as ', role='label')
    g.check(name in lbl.name and 'Operator' in lbl.name,
            'header says %r, expected %s and Operator' % (lbl.name, name))
    home = g.panel('Home')
    state = g.wait_message('Shift state', lambda t: '123.45' in t, within=home,
                           what='the home page to show the open shift with its ¥123.45 float')
    g.log('Shift state: %r' % state)
    g.screenshot('home')
    g.check_touch_targets()
    g.check_accessible_names()

    # Lock, then the supervisor signs in.
    g.press('Lock')
    p = g.panel('Sign in')
    sup = g.staff_name('sup01')
    g.press('%s (sup01)' % sup, within=p)
    g.keypad('9876', within=p, target='PIN')
    g.press('Sign in', within=p)
    lbl = g.find(prefix='Signed in as ', role='label', pred=lambda n: sup in n.name)
    g.check('Supervisor' in lbl.name, 'header says %r, expected Supervisor' % lbl.name)
    g.screenshot('supervisor')
    g.check(len(g.journal()) == len(before), 'signing in wrote to the journal')


g.run(flow)
