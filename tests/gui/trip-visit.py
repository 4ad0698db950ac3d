# Service log on the road: start a trip by tapping an estate on the home
# page, log an elderly home visit in two taps from an account page, end the
# trip. The journal gets trip.start, log.visit (naming the account) and
# trip.end for that estate, and the home counters count the trip and visit.
import vpgui as g

ESTATE = '天鹅湖畔'


def flow():
    cands = g.find_accounts(ESTATE, lambda a: a['status'] == 'active' and a['estate'] == ESTATE)
    number = cands[0]['number']
    before = g.journal()

    g.start_app()
    g.login()
    home = g.panel('Home')
    g.press(ESTATE, within=home)
    g.press('Start trip', within=home)
    g.label_text('Current trip', within=home, pred=lambda t: ESTATE in t and 'trip' in t.lower())
    g.screenshot('on-trip')
    new = g.journal()[len(before):]
    g.check([e.get('kind') for e in new] == ['trip.start'], 'journal got %r' % [e.get('kind') for e in new])
    g.check(new[0].get('estate') == ESTATE, 'trip estate %r' % new[0].get('estate'))

    page = g.open_account(number)
    g.press('Log home visit', within=page)
    dlg = g.dialog('Log home visit')
    g.toggle_on('Wellbeing check', within=dlg)
    g.press('Save', within=dlg)
    g.wait_until(lambda: len(g.journal()) == len(before) + 2, 'the home visit entry')
    v = g.journal()[-1]
    g.check(v.get('kind') == 'log.visit', 'journal kind %r' % v.get('kind'))
    g.check(v.get('account') == number, 'visit names account %r' % v.get('account'))
    g.check(v.get('topic') == 'Wellbeing check', 'visit topic %r' % v.get('topic'))

    home = g.nav('Home')
    g.press('End trip', within=home)
    g.wait_until(lambda: len(g.journal()) == len(before) + 3, 'the trip end entry')
    e = g.journal()[-1]
    g.check(e.get('kind') == 'trip.end' and e.get('estate') == ESTATE, 'journal %r' % e)
    g.label_text('Current trip', within=home, pred=lambda t: t == 'Not on a trip')
    g.label_text('Trips', within=home, pred=lambda t: t == '1')
    g.label_text('Home visits', within=home, pred=lambda t: t == '1')
    g.screenshot('trip-ended')


g.run(flow)
