# The app follows the locale: under LANGUAGE=zh_CN it signs in, searches and
# pays with the Chinese labels from po/zh_CN.po (built into <builddir>/po and
# found through VANPOS_LOCALEDIR), and the store's own error messages come
# out in Chinese too.
import vpgui as g


def flow():
    g.cli('shift', 'open', '--float', '100', staff=g.OPERATOR)
    cands = g.find_accounts('天鹅湖畔', lambda a: a['meter'] == 'postpaid'
                            and a['arrears'] > 0 and a['status'] == 'active')
    number = cands[0]['number']
    before = g.journal()
    g.start_app(env={'LANGUAGE': 'zh_CN', 'LANG': 'zh_CN.UTF-8'})
    p = g.panel('登录')
    g.press('%s (op01)' % g.staff_name('op01'), within=p)
    g.keypad('0000', within=p, clear_name='清除')
    g.press('登录', within=p)
    g.wait_message('登录提示', lambda t: t.startswith('工号或 PIN 码错误'),
                   what='the store’s wrong-PIN message in Chinese')
    g.keypad('1234', within=p, clear_name='清除')
    g.press('登录', within=p)
    lbl = g.find(prefix='当前登录：', role='label')
    g.check('操作员' in lbl.name, 'header says %r' % lbl.name)
    g.screenshot('signed-in')

    s = g.nav('查询')
    g.set_text('查询户号', number, within=s)
    g.activate(g.find(prefix=number + ' ', role='push button', within=s))
    page = g.panel('户号')
    g.press('缴费', within=page)
    pay = g.panel('缴费')
    g.keypad('99999999', within=pay, clear_name='清除', target='金额')
    g.press('确认', within=pay)
    msg = g.wait_message('缴费提示', lambda t: t.startswith('金额') and '不超过' in t,
                         within=pay, what='the amount limit message in Chinese')
    g.log(msg)
    g.screenshot('pay-message')
    g.check(len(g.journal()) == len(before), 'a refused payment wrote to the journal')


g.run(flow)
