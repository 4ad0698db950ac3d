# Log a consultation from the account page in two taps plus a note; the
# journal gets one service-log entry for that account with the topic and
# note. An empty note is refused and writes nothing.
import vpgui as g

NOTE = 'Asked about the winter tier price'


def flow():
    cands = g.find_accounts('天鹅湖畔', lambda a: a['status'] == 'active')
    number = cands[0]['number']
    before = g.journal()

    g.start_app()
    g.login()
    page = g.open_account(number)
    g.press('Log consultation', within=page)
    dlg = g.find(name='Log consultation',
                 pred=lambda n: n.roleName in ('dialog', 'frame', 'window', 'alert'))
    g.toggle_on('Tariff question', within=dlg)
    g.set_text('Note', '', within=dlg)
    g.press('Save', within=dlg)
    g.wait_message('Log message', lambda t: t == 'Write a short note', within=dlg,
                   what='a message for an empty note')
    g.check(len(g.journal()) == len(before), 'an empty note wrote to the journal')

    g.set_text('Note', NOTE, within=dlg)
    g.screenshot('dialog')
    g.press('Save', within=dlg)
    g.wait_until(lambda: len(g.journal()) == len(before) + 1, 'the consultation entry')
    g.panel('Account')
    g.screenshot('logged')
    e = g.journal()[-1]
    g.log('journal: %r' % e)
    g.check('consult' in e.get('kind', '') or 'log' in e.get('kind', ''),
            'journal kind %r' % e.get('kind'))
    flat = repr(e)
    g.check(NOTE in flat, 'the note is not in the journal entry %s' % flat)
    g.check(number in flat, 'the account is not in the journal entry %s' % flat)


g.run(flow)
