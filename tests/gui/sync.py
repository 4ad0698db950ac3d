# End-of-day sync from the GUI against the real vanpos-hq on a private
# PostgreSQL (scripts/hq-local.sh): a wrong supervisor PIN is refused and
# nothing is sent; with the right PIN the page shows the outcome per
# category and HQ's acknowledgement, and the outbox is empty.
import os
import shutil
import subprocess
import tempfile

import vpgui as g

SRC = os.environ.get('VP_SOURCE_DIR', os.path.join(os.path.dirname(__file__), '..', '..'))
BUILD = os.environ.get('VP_BUILD_DIR') or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(g.APP))))
HQ_BIN = os.path.join(BUILD, 'src', 'hq', 'vanpos-hq')
SCRIPT = os.path.join(SRC, 'scripts', 'hq-local.sh')


def run(*cmd, env=None):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    if r.returncode != 0:
        raise g.GuiTestError('%s failed: %s %s' % (' '.join(cmd), r.stdout, r.stderr))
    return r.stdout


def hq_env(text):
    vals = {}
    for line in text.splitlines():
        if '=' in line and line.startswith('VANPOS_HQ_'):
            k, v = line.split('=', 1)
            vals[k] = v.strip("'")
    return vals


def flow():
    tmp = tempfile.mkdtemp(prefix='vanpos-gui-sync-')
    os.chmod(tmp, 0o755)   # the cluster runs as postgres
    hq = os.path.join(tmp, 'hq')
    env = dict(os.environ, VANPOS_HQ_BIN=HQ_BIN, VANPOS_HQ_PIN_ITERATIONS='1000')
    try:
        v = hq_env(run(SCRIPT, 'start', hq, env=env))
        pg = v['VANPOS_HQ_PG']
        pub = os.path.join(tmp, 'van.pub')
        with open(pub, 'w') as f:
            f.write(g.cli('export-key', json_out=False))
        bundle = os.path.join(tmp, 'bundle')
        run(HQ_BIN, '--pg', pg, 'provision', 'VAN01', '--public-key', pub,
            '--tls-dir', v['VANPOS_HQ_TLS_DIR'], '--url', v['VANPOS_HQ_URL'], '--out', bundle)
        g.cli('sync', 'setup', '--bundle', bundle, json_out=False)
        csv = os.path.join(tmp, 'csv')
        g.cli('sync', 'export-master', '--out', csv, json_out=False)
        for what in ('tariffs', 'accounts', 'bills'):
            run(HQ_BIN, '--pg', pg, 'import', what, os.path.join(csv, what + '.csv'))
        g.cli('log', 'consultation', '--topic', 'billing', '--note', 'asked about the tiers',
              staff=g.OPERATOR)
        g.cli('log', 'consultation', '--topic', 'safety', '--note', 'smell of gas',
              staff=g.OPERATOR)
        n = len(g.journal())

        g.start_app()
        g.login()
        p = g.nav('Sync with HQ')
        g.label_text('Sync state', within=p, pred=lambda t: t.startswith('%d entries waiting' % n))
        g.set_text('Supervisor id', 'sup01', within=p)
        g.set_text('Supervisor PIN', '1111', within=p)
        g.press('Sync now', within=p)
        g.wait_message('Sync message', lambda t: 'Nothing was lost' in t, within=p,
                       what='the wrong PIN message')
        g.screenshot('wrong-pin')
        st = g.cli('sync', 'status')
        g.check(st['pending'] == n, 'pending %r after a refused sync, expected %d' % (st['pending'], n))

        g.set_text('Supervisor PIN', '9876', within=p)
        g.press('Sync now', within=p)
        g.wait_message('Sync message', lambda t: t == 'Sync complete', within=p, timeout=90,
                       what='the sync to finish')
        g.label_text('Accepted', within=p, pred=lambda t: t == str(n))
        g.label_text('Already at HQ', within=p, pred=lambda t: t == '0')
        g.label_text('HQ acknowledged', within=p, pred=lambda t: t.startswith('%d entries' % n))
        g.screenshot('synced')
        st = g.cli('sync', 'status')
        g.check(st['pending'] == 0, 'pending %r after the sync' % st['pending'])
        g.check(st['hq_acked_entries'] == n, 'HQ acknowledged %r, expected %d'
                % (st['hq_acked_entries'], n))
    finally:
        subprocess.run([SCRIPT, 'stop', hq], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


g.run(flow)
