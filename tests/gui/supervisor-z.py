# Past Z reports (issue 11): a shift opened with ¥100, a ¥20 cash payment
# and closed with ¥120 counted, all through the CLI before the app starts
# (as after a restart); Supervisor → Z reports lists Z 1, its detail shows
# the figures of the signed shift.close entry and reprints it (one
# receipt.reprint of the Z entry by sup01).
import os

import vpgui as g


def flow():
    g.cli('shift', 'open', '--float', '100', staff=g.SUPERVISOR)
    cands = g.find_accounts('天鹅湖畔', lambda a: a['meter'] == 'postpaid'
                            and a['arrears'] > 3000 and a['status'] == 'active')
    g.cli('pay', cands[0]['number'], '20', '--method', 'cash', staff=g.OPERATOR)
    z = g.cli('shift', 'close', '--counted', '120', staff=g.SUPERVISOR)
    zseq = z['seq']
    before = g.journal()

    g.start_app()
    g.login(g.SUPERVISOR)
    page = g.nav('Supervisor')
    g.press('Z reports', role='page tab', within=page)
    g.find(name='Z report 1', role='push button', within=page)
    g.check(len(g.find_all(prefix='Z report ', role='push button', within=page)) == 1,
            'expected exactly one past Z report')
    g.press('Z report 1', within=page)
    d = g.dialog('Receipt detail')
    g.label_text('Z report', within=d, pred=lambda t: t == 'Z 1')
    g.label_text('Counted cash', within=d, pred=lambda t: t == g.money(12000))
    g.label_text('Expected cash', within=d, pred=lambda t: t == g.money(12000))
    g.label_text('Difference', within=d, pred=lambda t: t == g.money(0))
    g.screenshot('z-detail')
    g.check_touch_targets(d)
    g.check(not g.find_all(name='Reverse', role='push button', within=d),
            'a Z report offers Reverse')
    g.press('Reprint', within=d)
    saved = g.wait_message('Receipt detail message',
                           lambda t: t.startswith('Receipt saved as ') and t.strip().endswith('-copy1.pdf'),
                           within=d, timeout=30, what='the Z duplicate')
    g.check(os.path.isfile(saved[len('Receipt saved as '):].strip()), 'no Z duplicate file')
    new = g.journal()[len(before):]
    g.check([(e.get('kind'), e.get('reprinted_seq'), e.get('staff')) for e in new]
            == [('receipt.reprint', zseq, 'sup01')],
            'expected one reprint of the Z entry #%d by sup01, got %r' % (zseq, new))
    g.screenshot('z-reprinted')


g.run(flow)
