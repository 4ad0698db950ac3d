# Toasts never delay each other (issue 11): a toast the pointer rests on
# never times out, and the next outcome used to queue behind it ("Holder
# changed" a minute late). Here the pointer rests on the toast of one
# payment while the next is taken: the second toast shows at once.
import pyatspi

import vpgui as g


def flow():
    g.cli('shift', 'open', '--float', '100', staff=g.OPERATOR)
    cands = g.find_accounts('天鹅湖畔', lambda a: a['meter'] == 'postpaid'
                            and a['arrears'] > 500 and a['status'] == 'active')
    g.check(cands, 'no post-paid demo account with arrears')
    number = cands[0]['number']

    g.start_app()
    g.login()
    page = g.open_account(number)
    g.press('Pay bills', within=page)
    p = g.panel('Pay bills')
    g.keypad('1', within=p, target='Amount')
    g.toggle_on('Cash', within=p)
    g.press('Confirm', within=p)
    rec = g.panel('Receipt', timeout=30)
    first = g.journal()[-1]['receipt']
    toast = g.find(name='Payment recorded (%s)' % first, role='label', timeout=10)
    x, y, w, h = g._extents(toast)
    pyatspi.Registry.generateMouseEvent(x + w // 2, y + h // 2, pyatspi.MOUSE_ABS)
    g.log('pointer rests on the toast at %d,%d' % (x + w // 2, y + h // 2))
    g.press('Done', within=rec)
    page = g.panel('Account')
    g.press('Pay bills', within=page)
    p = g.panel('Pay bills')
    g.keypad('1', within=p, target='Amount')
    g.toggle_on('Cash', within=p)
    g.press('Confirm', within=p)
    g.panel('Receipt', timeout=30)
    second = g.journal()[-1]['receipt']
    g.check(second != first, 'the second payment was not recorded')
    # Its own toast within 3 s, not after the hovered one.
    g.find(name='Payment recorded (%s)' % second, role='label', timeout=3)
    g.screenshot('second-toast')


g.run(flow)
