# Log a consultation from the account page: two taps (topic, Save) log it
# with the topic as its note; with a note typed the note is kept. Save
# without a topic is refused inline and writes nothing. Each entry is one
# log.consultation journal entry naming the account.
import vpgui as g

NOTE = 'Asked about the winter tier price'


def open_dialog(page):
    g.press('Log consultation', within=page)
    return g.dialog('Log consultation')


def flow():
    cands = g.find_accounts('天鹅湖畔', lambda a: a['status'] == 'active')
    number = cands[0]['number']
    before = g.journal()

    g.start_app()
    g.login()
    page = g.open_account(number)

    dlg = open_dialog(page)
    g.press('Save', within=dlg)
    g.wait_message('Log message', lambda t: t == 'Tap a topic first', within=dlg,
                   what='a message for a missing topic')
    g.screenshot('no-topic')
    g.check(len(g.journal()) == len(before), 'Save without a topic wrote to the journal')

    # Two taps.
    g.toggle_on('Bill query', within=dlg)
    g.press('Save', within=dlg)
    g.wait_until(lambda: len(g.journal()) == len(before) + 1, 'the first consultation entry')
    e = g.journal()[-1]
    g.log('journal: %r' % e)
    g.check(e.get('kind') == 'log.consultation', 'journal kind %r' % e.get('kind'))
    g.check(e.get('account') == number, 'entry names account %r' % e.get('account'))
    g.check(e.get('topic') == 'Bill query', 'entry topic %r' % e.get('topic'))

    # With a note.
    page = g.panel('Account')
    dlg = open_dialog(page)
    g.toggle_on('Tariff question', within=dlg)
    g.set_text('Note', NOTE, within=dlg)
    g.screenshot('dialog')
    g.press('Save', within=dlg)
    g.wait_until(lambda: len(g.journal()) == len(before) + 2, 'the second consultation entry')
    e = g.journal()[-1]
    g.check(e.get('kind') == 'log.consultation' and e.get('account') == number,
            'entry %r' % e)
    g.check(e.get('topic') == 'Tariff question', 'entry topic %r' % e.get('topic'))
    g.check(e.get('note') == NOTE, 'entry note %r' % e.get('note'))
    page = g.panel('Account')
    g.find(prefix='Consultation', role='label', within=page)
    g.screenshot('logged')


g.run(flow)
