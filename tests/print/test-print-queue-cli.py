#!/usr/bin/env python3
# test-print-queue-cli.py: a print failure never undoes a committed
# transaction (issue 12). The receipt waits in the print queue (a table,
# so it outlives the process), the person is told in one line, and
# `print-queue list|retry|drop` prints or drops it.
#
# Usage: test-print-queue-cli.py PATH/TO/vanpos-cli      (speaks TAP)
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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
from vptap import results, tap  # noqa: E402

CLI = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="vp-print-queue-test-")
OP = ["--staff", "op01", "--pin", "1234"]
SUP = ["--staff", "sup01", "--pin", "9876"]
EXIT_FAILED, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_PARTIAL = 1, 2, 3, 6


def run(db, *args):
    e = dict(os.environ)
    e["LC_ALL"] = "C.UTF-8"
    e.pop("VP_FAKE_NOW", None)
    p = subprocess.run([CLI, "--db", db] + list(args), capture_output=True, text=True, env=e,
                       timeout=120)
    return p.returncode, p.stdout, p.stderr


def one_line(err):
    return err.count("\n") == 1 and err.endswith("\n")


def query(db, sql):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def jobs(db):
    rc, out, err = run(db, "print-queue", "list", "--json")
    if rc != 0:
        return None
    return json.loads(out)["jobs"]


db = os.path.join(TMP, "van.db")
for args in (["init", "--van", "VAN01"], ["demo", "--accounts", "20", "--seed", "7"],
             ["shift", "open", "--float", "500"] + SUP):
    rc, out, err = run(db, *args)
    if rc != 0:
        raise SystemExit("setup %s failed: %s" % (args, err))
acct = query(db, "SELECT number FROM accounts WHERE meter = 'postpaid' AND status = 'active'"
                 " ORDER BY id LIMIT 1")[0][0]
rc, out, err = run(db, "pay", acct, "88.00", "--method", "cash", "--json", *OP)
seq = json.loads(out)["seq"]
rc, out, err = run(db, "pay", acct, "12.00", "--method", "mobile", "--ref", "WX0001",
                   "--json", *OP)
seq2 = json.loads(out)["seq"]
journal_before = query(db, "SELECT count(*), max(seq), sum(amount) FROM journal")
balance_before = query(db, "SELECT balance FROM accounts WHERE number = '%s'" % acct)

tap(jobs(db) == [], "the queue starts empty")
rc, out, err = run(db, "print-queue", "list")
tap(rc == 0 and out == "No receipts wait for a printer\n", "list says so in words", out + err)

# --- a printer that fails: paper out (/dev/full: ENOSPC) ----------------------
rc, out, err = run(db, "receipt", str(seq), "--printer", "escpos:/dev/full?profile=gbk-58")
tap(rc == EXIT_FAILED and one_line(err)
    and re.search(r"^vanpos-cli: Printing to /dev/full failed: .*"
                  r" — the receipt waits in the print queue \(job 1\)$", err),
    "a failing printer: one line says the receipt waits as job 1", err)
j = jobs(db)
tap(j is not None and len(j) == 1 and j[0]["id"] == 1 and j[0]["seq"] == seq
    and j[0]["printer"] == "escpos:/dev/full?profile=gbk-58" and j[0]["attempts"] == 1
    and "/dev/full" in j[0]["error"], "the job is kept, in a new process (the store)", j)
tap(query(db, "SELECT count(*), max(seq), sum(amount) FROM journal") == journal_before
    and query(db, "SELECT balance FROM accounts WHERE number = '%s'" % acct) == balance_before,
    "the transaction stays committed, nothing else written")

# The same receipt failing again is the same job, tried twice.
rc, out, err = run(db, "print-queue", "retry", "1")
j = jobs(db)
tap(rc == EXIT_FAILED and one_line(err) and "(job 1)" in err
    and len(j) == 1 and j[0]["attempts"] == 2, "retry on the broken printer: still job 1, 2 tries",
    err + repr(j))

# A device that does not exist, for the second receipt.
rc, out, err = run(db, "receipt", str(seq2), "--printer", "text:" + os.path.join(TMP, "no", "such"))
j = jobs(db)
tap(rc == EXIT_FAILED and one_line(err) and "(job 2)" in err and len(j) == 2
    and [x["seq"] for x in j] == [seq, seq2], "a second failure is job 2, oldest first",
    err + repr(j))
rc, out, err = run(db, "print-queue", "list")
lines = out.splitlines()
tap(rc == 0 and len(lines) == 2 and lines[0].startswith("job 1  entry %d  escpos:/dev/full" % seq)
    and "tried 2×" in lines[0], "list in words: one line per job", out + err)

# --- retry all on a printer that works: both print, the queue empties ----------
lp = os.path.join(TMP, "lp0")
rc, out, err = run(db, "print-queue", "retry", "--printer", "escpos:%s?profile=gbk-58" % lp)
data = open(lp, "rb").read() if os.path.exists(lp) else b""
tap(rc == 0 and err == "" and out.splitlines() == ["Printed job 1 to " + lp, "Printed job 2 to " + lp]
    and jobs(db) == [], "retry all on a working printer prints both and empties the queue",
    out + err)
# The last one printed (the mobile payment): GBK, no drawer kick.
tap(data.startswith(b"\x1b@\x1c&\x1d!") and b"\x1bp" not in data and b"WX0001" in data
    and "￥".encode("gbk") in data and data.endswith(b"\x1dVB\x00"),
    "the mobile receipt: GBK-safe ￥, no drawer kick", data[:40])

# The cash receipt printed after the sale kicks the drawer first; from
# the queue (job 1 above, and job 3 here) it does not.
rc, out, err = run(db, "receipt", str(seq), "--printer", "escpos:" + lp)
data = open(lp, "rb").read()
tap(rc == 0 and data.startswith(b"\x1b@\x1c&\x1bp\x00\x19\xfa\x1d!"),
    "the cash receipt kicks the drawer first", out + err + repr(data[:16]))
run(db, "receipt", str(seq), "--printer", "escpos:/dev/full")
rc, out, err = run(db, "print-queue", "retry", "3", "--printer", "escpos:" + lp)
data2 = open(lp, "rb").read()
tap(rc == 0 and out == "Printed job 3 to %s\n" % lp and data2.startswith(b"\x1b@\x1c&\x1d!")
    and b"\x1bp" not in data2 and data2[4:] == data[9:] and jobs(db) == [],
    "from the queue the same receipt opens no drawer", out + err + repr(data2[:16]))

# A good print of a queued receipt by `receipt` also clears its job.
run(db, "receipt", str(seq2), "--printer", "escpos:/dev/full")
tap(len(jobs(db)) == 1, "queued again")
rc, out, err = run(db, "receipt", str(seq2), "--printer", "text:" + os.path.join(TMP, "r.txt"))
tap(rc == 0 and jobs(db) == [], "printing it by hand clears the job", out + err)

# --- retry all with some failing: partial ---------------------------------------
run(db, "receipt", str(seq), "--printer", "escpos:/dev/full")
run(db, "receipt", str(seq2), "--printer", "escpos:" + lp)   # prints: no job
run(db, "receipt", str(seq2), "--printer", "escpos:" + os.path.join(TMP, "gone", "lp0"))
j = jobs(db)
tap([x["id"] for x in j] == [5, 6], "two jobs wait", repr(j))
rc, out, err = run(db, "print-queue", "retry")
tap(rc == EXIT_FAILED and out == "" and err.count("\n") == 2 and len(jobs(db)) == 2,
    "retry all with both printers broken: nothing printed, exit 1", out + err)
os.makedirs(os.path.join(TMP, "gone"))
rc, out, err = run(db, "print-queue", "retry")
tap(rc == EXIT_PARTIAL and out == "Printed job 6 to %s\n" % os.path.join(TMP, "gone", "lp0")
    and one_line(err) and err.startswith("vanpos-cli: job 5: ")
    and [x["id"] for x in jobs(db)] == [5], "one printer back: job 6 printed, job 5 waits, exit 6",
    out + err)

# "none" prints nothing, so it empties nothing.
rc, out, err = run(db, "print-queue", "retry", "5", "--printer", "none")
tap(rc == EXIT_FAILED and one_line(err) and "still waits in the print queue (job 5)" in err
    and [x["id"] for x in jobs(db)] == [5], "retry on printer none: refused, job 5 waits", err)
rc, out, err = run(db, "receipt", str(seq), "--printer", "none")
tap(rc == 0 and [x["id"] for x in jobs(db)] == [5], "receipt on printer none leaves job 5", out + err)

# --- drop ----------------------------------------------------------------------
rc, out, err = run(db, "print-queue", "drop", "5")
tap(rc == 0 and out.startswith("Dropped job 5;") and jobs(db) == [], "drop removes the job", out + err)
rc, out, err = run(db, "print-queue", "drop", "5")
tap(rc == EXIT_NOT_FOUND and one_line(err) and "job 5" in err, "dropping it again: not found", err)
rc, out, err = run(db, "print-queue", "retry", "9")
tap(rc == EXIT_NOT_FOUND and one_line(err), "retry of an unknown job: not found", err)

# --- bad input: one line, nothing written ----------------------------------------
for args, want in ((["print-queue"], EXIT_USAGE), (["print-queue", "flush"], EXIT_USAGE),
                   (["print-queue", "drop"], EXIT_USAGE), (["print-queue", "drop", "x"], EXIT_USAGE),
                   (["print-queue", "retry", "0"], EXIT_USAGE),
                   (["print-queue", "list", "3"], EXIT_USAGE)):
    rc, out, err = run(db, *args)
    tap(rc == want and one_line(err), "usage error: %s" % " ".join(args), "rc=%d %s" % (rc, err))
rc, out, err = run(db, "receipt", str(seq), "--printer", "escpos:%s?profile=gbk-99" % lp)
tap(rc == EXIT_FAILED and one_line(err) and "gbk-99" in err and "gb18030-58" in err
    and jobs(db) == [], "an unknown profile is named, with the ones there are; no job", err)
rc, out, err = run(db, "receipt", str(seq), "--printer", "system")
tap(rc == EXIT_FAILED and one_line(err) and "app only" in err and jobs(db) == [],
    "a system printer is the app's: refused here", err)

tap(query(db, "SELECT count(*), max(seq), sum(amount) FROM journal") == journal_before,
    "no print wrote the journal")
rc, out, err = run(db, "verify")
tap(rc == 0, "the journal verifies", out + err)

shutil.rmtree(TMP, ignore_errors=True)
print("1..%d" % len(results))
sys.exit(0 if all(results) else 1)
