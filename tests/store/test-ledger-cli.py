#!/usr/bin/env python3
# test-ledger-cli.py: the van's ledger as an auditor tries it through
# vanpos-cli (issue 8): totals from signed data, a journal cut at its end,
# an empty or damaged database, backup sets, restore, acknowledged breaks,
# the clock. Exact exit codes and exactly one stderr line per refusal.
#
# Usage: test-ledger-cli.py PATH/TO/vanpos-cli      (speaks TAP)
#
# SPDX-License-Identifier: GPL-3.0-or-later

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
from vptap import results, tap  # noqa: E402

CLI = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="vp-ledger-test-")
OP = ["--staff", "op01", "--pin", "1234"]
SUP = ["--staff", "sup01", "--pin", "9876"]
EXIT_VERIFY, EXIT_PARTIAL, EXIT_DAMAGED, EXIT_AUTH = 5, 6, 7, 4


def run(db, *args, env=None):
    e = dict(os.environ)
    e["LC_ALL"] = "C.UTF-8"
    e.pop("VP_FAKE_NOW", None)
    if env:
        e.update(env)
    p = subprocess.run([CLI, "--db", db] + list(args), capture_output=True, text=True, env=e,
                       timeout=120)
    return p.returncode, p.stdout, p.stderr


def one_line(err):
    return err.count("\n") == 1 and err.endswith("\n")


def expect(desc, db, args, rc_want, err_re=None, out_re=None):
    rc, out, err = run(db, *args)
    ok = rc == rc_want
    if err_re is not None:
        ok = ok and one_line(err) and re.search(err_re, err) is not None
    if out_re is not None:
        ok = ok and re.search(out_re, out) is not None
    tap(ok, desc, "rc=%d (want %d)\nstdout: %s\nstderr: %s" % (rc, rc_want, out, err))
    return rc, out, err


def raw(db, sql):
    con = sqlite3.connect(db)
    try:
        con.executescript(sql)
        con.commit()
        return None
    except sqlite3.Error as e:
        return str(e)
    finally:
        con.close()


def query(db, sql):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def new_van(name):
    db = os.path.join(TMP, name + ".db")
    for args in (["init", "--van", "VAN01"], ["demo", "--accounts", "60", "--seed", "7"],
                 ["shift", "open", "--float", "500"] + SUP):
        rc, out, err = run(db, *args)
        if rc != 0:
            raise SystemExit("setup %s failed: %s" % (args, err))
    return db


def postpaid(db):
    return query(db, "SELECT number FROM accounts WHERE meter = 'postpaid' AND status = 'active'"
                     " ORDER BY id LIMIT 1")[0][0]


def pay(db, acct, amount):
    rc, out, err = run(db, "pay", acct, amount, "--method", "cash", "--json", *OP)
    if rc != 0:
        return None
    return json.loads(out)["seq"]


def expected_cash(db):
    rc, out, err = run(db, "shift", "x", "--json", *SUP)
    if rc != 0:
        return None
    return json.loads(out).get("expected_cash")


def journal_len(db):
    return query(db, "SELECT count(*) FROM journal")[0][0]


# --- 1. Totals come from signed data ------------------------------------
db = new_van("columns")
acct = postpaid(db)
seqs = [pay(db, acct, "800.00"), pay(db, acct, "12.34")]
tap(None not in seqs, "two cash payments", seqs)
cash = expected_cash(db)
tap(cash == 50000 + 80000 + 1234, "expected cash is float + payments", cash)

e = raw(db, "UPDATE journal SET amount = 100 WHERE seq = %d" % seqs[0])
tap(e is not None and "never rewritten" in e, "UPDATE of a helper column is refused by the trigger", e)
for col, val in (("method", "'card'"), ("staff_id", "'sup01'"), ("shift_id", "9"), ("voids", "1")):
    e = raw(db, "UPDATE journal SET %s = %s WHERE seq = %d" % (col, val, seqs[0]))
    tap(e is not None and "never rewritten" in e, "UPDATE of %s alone is refused" % col, e)
expect("verify: intact after the refused UPDATEs", db, ["verify"], 0, out_re=r"^Journal intact: 3 entries")

e = raw(db, "DROP TRIGGER journal_no_update; UPDATE journal SET amount = 100 WHERE seq = %d" % seqs[0])
tap(e is None, "with the trigger dropped the column changes", e)
tap(expected_cash(db) == cash, "the X report still counts the signed ¥800.00", expected_cash(db))
expect("verify names the entry and the column", db, ["verify"], EXIT_VERIFY,
       err_re=r"^vanpos-cli: journal broken at entry %d .*the amount column does not match"
              % seqs[0])
n = journal_len(db)
expect("pay is refused on the broken journal", db,
       ["pay", acct, "1.00", "--method", "cash"] + OP, EXIT_DAMAGED,
       err_re=r"^vanpos-cli: Nothing can be saved: entry %d: the amount column" % seqs[0])
tap(journal_len(db) == n, "nothing was written", journal_len(db))
expect("shift close is refused too", db, ["shift", "close", "--counted", "1313.34"] + SUP,
       EXIT_DAMAGED, err_re=r"acknowledge")
expect("an operator cannot acknowledge", db,
       ["acknowledge-break", "--reason", "x"] + OP, EXIT_AUTH, err_re=r"upervisor")
rc, out, err = expect("a supervisor acknowledges", db,
                      ["acknowledge-break", "--reason", "column found changed", "--json"] + SUP, 0)
ack = json.loads(out) if rc == 0 else {}
tap(ack.get("kind") == "journal.break" and ack.get("break_seq") == seqs[0]
    and ack.get("break_code") == 5, "the acknowledgement is a signed journal.break entry", ack)
tap(pay(db, acct, "1.00") == n + 2, "payments go on after the acknowledgement")
expect("verify still reports the acknowledged break", db, ["verify"], EXIT_VERIFY,
       err_re=r"acknowledged by a supervisor in entry %d" % (n + 1))

# --- 2. A journal cut at its end ----------------------------------------
db = new_van("cut")
acct = postpaid(db)
seqs = [pay(db, acct, "%d.00" % (10 + i)) for i in range(5)]
tap(None not in seqs, "five payments", seqs)
raw(db, "DROP TRIGGER journal_no_delete; DELETE FROM outbox WHERE seq > %d;"
        " DELETE FROM journal WHERE seq > %d" % (seqs[2], seqs[2]))
expect("verify names the truncation", db, ["verify"], EXIT_VERIFY,
       err_re=r"truncated: it ends at entry %d but the anchor records committed entry %d"
              % (seqs[2], seqs[4]))
expect("check names it too", db, ["check"], EXIT_VERIFY, err_re=r"truncated")
n = journal_len(db)
expect("pay does not reuse the lost seq", db, ["pay", acct, "1.00", "--method", "cash"] + OP,
       EXIT_DAMAGED, err_re=r"truncated")
tap(journal_len(db) == n, "nothing was written", journal_len(db))

# --- 3. An empty database file ------------------------------------------
db = new_van("empty")
acct = postpaid(db)
tap(pay(db, acct, "5.00") is not None, "a payment")
for suffix in ("-wal", "-shm"):
    if os.path.exists(db + suffix):
        os.unlink(db + suffix)
open(db, "w").close()
expect("pay on a 0-byte database is refused", db, ["pay", acct, "1.00", "--method", "cash"] + OP,
       EXIT_DAMAGED, err_re=r"is empty .*restore")
tap(os.path.getsize(db) == 0, "the file was not re-initialised", os.path.getsize(db))
expect("init refuses as well", db, ["init", "--van", "VAN01"], EXIT_DAMAGED, err_re=r"empty")
expect("check says so", db, ["check"], EXIT_DAMAGED, err_re=r"empty")

# --- 4. A damaged file: check finds it and writing stops ----------------
db = new_van("damaged")
acct = postpaid(db)
tap(pay(db, acct, "7.00") is not None, "a payment")
expect("check passes on the intact database", db, ["check"], 0,
       out_re=r"^Database integrity ok; 60 accounts, 2 journal entries, 2 waiting to sync")
rc, out, err = run(db, "backup", os.path.join(TMP, "damaged-backup.db"))
tap(rc == 0 and os.stat(os.path.join(TMP, "damaged-backup.db.vankey")).st_mode & 0o777 == 0o600
    and os.path.exists(os.path.join(TMP, "damaged-backup.db.anchor")),
    "backup writes the set: database, key (0600), anchor", err)
tap(pay(db, acct, "8.00") is not None, "another payment after the backup")
# Checkpoint, then overwrite one page of the accounts index in the file.
con = sqlite3.connect(db)
con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
page = con.execute("PRAGMA page_size").fetchone()[0]
root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'accounts_holder'").fetchone()[0]
con.close()
with open(db, "r+b") as f:
    f.seek((root - 1) * page + 100)
    f.write(b"\xde\xad\xbe\xef" * 200)
expect("check finds the damage", db, ["check"], EXIT_DAMAGED,
       err_re=r"integrity check failed")
n = journal_len(db)
expect("and pay is refused from then on", db, ["pay", acct, "1.00", "--method", "cash"] + OP,
       EXIT_DAMAGED, err_re=r"restore")
tap(journal_len(db) == n, "nothing was written", journal_len(db))

# --- 4b. Damage nobody checked for: the CLI checks before it writes -------
db2 = new_van("damaged-unchecked")
acct2 = postpaid(db2)
tap(pay(db2, acct2, "7.00") is not None, "a payment")
con = sqlite3.connect(db2)
con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'accounts_holder'").fetchone()[0]
con.close()
with open(db2, "r+b") as f:
    f.seek((root - 1) * page + 100)
    f.write(b"\xde\xad\xbe\xef" * 200)
n = journal_len(db2)
expect("pay on a damaged file is refused without a check first", db2,
       ["pay", acct2, "1.00", "--method", "cash"] + OP, EXIT_DAMAGED,
       err_re=r"integrity check failed .*restore")
tap(journal_len(db2) == n, "nothing was written", journal_len(db2))
expect("a damaged file cannot be acknowledged away", db2,
       ["acknowledge-break", "--reason", "ignore it"] + SUP, EXIT_DAMAGED,
       err_re=r"cannot be acknowledged, restore")
tap(journal_len(db2) == n, "still nothing written", journal_len(db2))

# --- 5. Restore from the backup set --------------------------------------
os.unlink(db + ".vankey")
rc, out, err = expect("restore puts the backup in place and names the lost entry", db,
                      ["restore", os.path.join(TMP, "damaged-backup.db")], EXIT_PARTIAL,
                      err_re=r"acknowledge")
tap(out.startswith("Restored %s from " % db), "restore says what it did", out)
tap(os.stat(db + ".vankey").st_mode & 0o777 == 0o600, "the key is back, 0600")
tap(journal_len(db) == 2, "the journal is the backup's", journal_len(db))
expect("pay waits for the acknowledgement", db, ["pay", acct, "1.00", "--method", "cash"] + OP,
       EXIT_DAMAGED, err_re=r"restored from .*damaged-backup\.db after: Database integrity check")
rc, out, err = expect("a supervisor acknowledges the restore and the lost entry", db,
                      ["acknowledge-break", "--reason", "restored after disk damage", "--json"] + SUP,
                      0)
ack = json.loads(out) if rc == 0 else {}
tap(ack.get("entries_lost") == 1 and ack.get("anchor_head_seq") == 3
    and ack.get("journal_head_seq") == 2, "the acknowledgement counts the entry the backup lacks", ack)
tap(pay(db, acct, "9.00") == 4, "the van takes money again")
expect("verify: intact", db, ["verify"], 0, out_re=r"^Journal intact: 4 entries")
expect("restore over an intact database needs --force", db,
       ["restore", os.path.join(TMP, "damaged-backup.db")], 1, err_re=r"intact.*--force")
expect("restore of something that is no backup set", db,
       ["restore", os.path.join(TMP, "nothing.db")], 1, err_re=r"no van key")

# --- 6. The clock -------------------------------------------------------
db = new_van("clock")
acct = postpaid(db)
tap(pay(db, acct, "3.00") is not None, "a payment now")
rc, out, err = run(db, "pay", acct, "4.00", "--method", "cash", *OP,
                   env={"VP_FAKE_NOW": str(int(time.time()) - 7200)})
tap(rc == 0 and re.fullmatch(r"vanpos-cli: warning: The clock went back 1[12]\d minutes since the "
                             r"last entry; check the date and time\n", err),
    "a clock set back is warned about, the payment kept", "rc=%d %r" % (rc, err))
expect("verify: intact (the journal orders by seq)", db, ["verify"], 0)

shutil.rmtree(TMP, ignore_errors=True)
print("1..%d" % len(results))
sys.exit(0 if all(results) else 1)
