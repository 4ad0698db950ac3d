#!/usr/bin/env python3
# test-figures-cli.py: one set of figures and cash movements through
# vanpos-cli (issue 9): a shift worked by hand in fen (float, cash with
# tendered and change, card, mobile, a voided cash payment, a cash drop,
# a paid-in, a paid-out), the X, the day report and the Z agreeing on
# every figure, shift list and Z reprint; each bad input refused with its
# exact exit code, one stderr line and nothing written.
#
# Usage: test-figures-cli.py PATH/TO/vanpos-cli      (speaks TAP)
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
TMP = tempfile.mkdtemp(prefix="vp-figures-test-")
OP = ["--staff", "op01", "--pin", "1234"]
SUP = ["--staff", "sup01", "--pin", "9876"]
EXIT_FAILED, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_AUTH = 1, 2, 3, 4


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


def journal_len(db):
    return query(db, "SELECT count(*) FROM journal")[0][0]


def ok_json(db, desc, *args):
    rc, out, err = run(db, *args)
    tap(rc == 0 and err == "", desc, "rc=%d\nstdout: %s\nstderr: %s" % (rc, out, err))
    try:
        return json.loads(out)
    except ValueError:
        return {}


def refused(desc, db, args, rc_want, err_re):
    n = journal_len(db)
    rc, out, err = run(db, *args)
    tap(rc == rc_want and one_line(err) and re.search(err_re, err) is not None and out == ""
        and journal_len(db) == n,
        desc, "rc=%d (want %d)\nstdout: %s\nstderr: %s\njournal %d -> %d"
        % (rc, rc_want, out, err, n, journal_len(db)))


db = os.path.join(TMP, "van.db")
for args in (["init", "--van", "VAN01"], ["demo", "--accounts", "60", "--seed", "7"],
             ["shift", "open", "--float", "500"] + SUP):
    rc, out, err = run(db, *args)
    if rc != 0:
        raise SystemExit("setup %s failed: %s" % (args, err))
acct = query(db, "SELECT number FROM accounts WHERE meter = 'postpaid' AND status = 'active'"
                 " ORDER BY id LIMIT 1")[0][0]

# --- 1. The shift, worked by hand -----------------------------------------
p = ok_json(db, "cash ¥120.00 with ¥200.00 tendered", "pay", acct, "120", "--method", "cash",
            "--tendered", "200", "--json", *OP)
tap(p.get("amount") == 12000 and p.get("tendered") == 20000 and p.get("change") == 8000,
    "tendered ¥200.00 and change ¥80.00 are in the signed payload", p)
first_seq = p.get("seq")
rc, out, err = run(db, "receipt", str(first_seq))
tap(rc == 0 and re.search(r"Tendered +¥200\.00", out) and re.search(r"Change +¥80\.00", out),
    "the receipt prints tendered and change", out)
ok_json(db, "card ¥45.50", "pay", acct, "45.50", "--method", "card", "--ref", "T1", "--json", *OP)
ok_json(db, "mobile ¥30.75", "pay", acct, "30.75", "--method", "mobile", "--ref", "M1", "--json", *OP)
v = ok_json(db, "cash ¥200.00, to be voided", "pay", acct, "200", "--method", "cash", "--json", *OP)
vd = ok_json(db, "the supervisor voids it", "void", str(v.get("seq")), "--reason", "wrong amount",
             "--json", *SUP)
d = ok_json(db, "cash drop ¥150.00", "cash", "drop", "150", "--reason", "to the safe", "--json", *SUP)
tap(d.get("kind") == "cash.drop" and d.get("amount") == 15000 and d.get("method") == "cash"
    and d.get("reason") == "to the safe" and d.get("approved_by") == "sup01"
    and d.get("expected_before") == 62000 and d.get("expected_after") == 47000,
    "the drop's payload: 50000 + 12000 = 62000 before, 47000 after", d)
ok_json(db, "paid-in ¥10.00", "cash", "paid-in", "10", "--reason", "coins", "--json", *SUP)
po = ok_json(db, "paid-out ¥25.30", "cash", "paid-out", "25.30", "--reason", "van fuel", "--json", *SUP)
tap(po.get("expected_after") == 47000 + 1000 - 2530, "paid-out leaves 45470 expected", po)
rc, out, err = run(db, "receipt", str(po.get("seq")))
tap(rc == 0 and "Cash paid out" in out and "van fuel" in out and "sup01" in out,
    "the paid-out has a receipt with its reason and approver", out)

# cash in 12000; card 4550; mobile 3075; the voided 20000 nowhere;
# expected 50000 + 12000 + 1000 - 15000 - 2530 = 45470; 3 fee transactions.
x = ok_json(db, "X report", "shift", "x", "--json", *SUP)
want = {"float": 50000, "cash_in": 12000, "cash_out": 0, "card_in": 4550, "mobile_in": 3075,
        "expected_cash": 45470, "transactions": 3, "voids": 1, "drops": 15000, "drops_count": 1,
        "paid_in": 1000, "paid_in_count": 1, "paid_out": 2530, "paid_out_count": 1,
        "cash_refunds": 0, "voided_count": 1, "first_seq": first_seq, "last_seq": po.get("seq")}
tap(all(x.get(k) == w for k, w in want.items()), "every X figure, by hand",
    {k: (x.get(k), w) for k, w in want.items() if x.get(k) != w})
tap(x.get("voided") == [{"seq": v.get("seq"), "kind": "pay", "receipt": v.get("receipt"),
                         "amount": 20000, "method": "cash", "void_seq": vd.get("seq"),
                         "reason": "wrong amount", "approved_by": "sup01"}],
    "the voided ¥200.00 is listed with its void", x.get("voided"))
r = ok_json(db, "report day", "report", "day", "--json")
tap(r.get("fee_transactions") == 3 and r.get("collected") == 12000 + 4550 + 3075
    and r.get("collected_cash") == 12000 and r.get("voids") == 1
    and len(r.get("days", [])) == 1 and r["days"][0].get("transactions") == 3
    and r["days"][0].get("collected") == 19625 and r.get("drops") == 15000,
    "report day: 3 fee transactions (voided one left out), ¥196.25", r)
tap(r.get("fee_transactions") == x.get("transactions")
    and r.get("collected_cash") == x.get("cash_in") - x.get("cash_out"),
    "report day and X agree", (r, x))

# --- 2. Bad input: exact code, one line, nothing written -----------------
refused("cash drop 0", db, ["cash", "drop", "0", "--reason", "r"] + SUP, EXIT_FAILED,
        r"^vanpos-cli: the amount: The amount must be more than")
refused("cash drop -5 (an unknown option)", db, ["cash", "drop", "-5", "--reason", "r"] + SUP,
        EXIT_USAGE, r"^vanpos-cli cash: Unknown option -5")
refused("cash paid-in 1000000.01 (over the limit)", db,
        ["cash", "paid-in", "1000000.01", "--reason", "r"] + SUP, EXIT_FAILED,
        r"at most ¥1,000,000\.00")
refused("cash paid-in abc", db, ["cash", "paid-in", "abc", "--reason", "r"] + SUP, EXIT_FAILED,
        r"“abc” is not a valid amount")
refused("cash drop 1.234", db, ["cash", "drop", "1.234", "--reason", "r"] + SUP, EXIT_FAILED,
        r"more than 2 decimal places")
refused("cash drop more than the drawer", db, ["cash", "drop", "454.71", "--reason", "r"] + SUP,
        EXIT_FAILED, r"only ¥454\.70 cash is expected")
refused("cash paid-out with an operator's PIN", db,
        ["cash", "paid-out", "5", "--reason", "fuel"] + OP, EXIT_AUTH,
        r"^vanpos-cli: A paid-out needs a supervisor; op01 is an operator")
refused("cash drop with a wrong PIN", db,
        ["cash", "drop", "5", "--reason", "r", "--staff", "sup01", "--pin", "0000"], EXIT_AUTH,
        r"Wrong staff id or PIN")
refused("cash drop without --reason", db, ["cash", "drop", "5"] + SUP, EXIT_USAGE,
        r"--reason TEXT is required")
refused("cash drop with a blank reason", db, ["cash", "drop", "5", "--reason", "  "] + SUP,
        EXIT_FAILED, r"needs a reason")
refused("cash steal 5", db, ["cash", "steal", "5", "--reason", "r"] + SUP, EXIT_USAGE,
        r"say drop, paid-in or paid-out")
refused("pay with tendered below the amount", db,
        ["pay", acct, "10", "--method", "cash", "--tendered", "9.99"] + OP, EXIT_FAILED,
        r"The cash tendered \(¥9\.99\) is less than the payment \(¥10\.00\)")
refused("pay with tendered on a card payment", db,
        ["pay", acct, "10", "--method", "card", "--ref", "T", "--tendered", "20"] + OP, EXIT_USAGE,
        r"--tendered is for cash payments only")
refused("pay with tendered abc", db,
        ["pay", acct, "10", "--method", "cash", "--tendered", "abc"] + OP, EXIT_FAILED,
        r"the cash tendered: “abc” is not a valid amount")
refused("pay with tendered 0", db,
        ["pay", acct, "10", "--method", "cash", "--tendered", "0"] + OP, EXIT_FAILED,
        r"the cash tendered: The amount must be more than")
x2 = ok_json(db, "X report after the refusals", "shift", "x", "--json", *SUP)
tap(x2.get("expected_cash") == 45470, "the refusals changed nothing in the drawer", x2)

# --- 3. Z, list and reprint ---------------------------------------------
z = ok_json(db, "shift close, counted ¥450.00", "shift", "close", "--counted", "450", "--json", *SUP)
tap(all(z.get(k) == w for k, w in want.items()) and z.get("counted") == 45000
    and z.get("difference") == -470 and z.get("z_number") == 1 and z.get("voided") == x.get("voided")
    and z.get("closed_at", 0) >= z.get("opened_at", 1) > 0
    and z.get("first_receipt") == p.get("receipt") and z.get("last_receipt") == po.get("receipt"),
    "the Z carries every X figure, counted, difference, times and receipts",
    {k: (z.get(k), w) for k, w in want.items() if z.get(k) != w})
lst = ok_json(db, "shift list --json", "shift", "list", "--json")
s = (lst.get("shifts") or [{}])[0]
tap(len(lst.get("shifts", [])) == 1 and s.get("z_number") == 1 and s.get("close_seq") == z.get("seq")
    and s.get("expected_cash") == 45470 and s.get("counted") == 45000 and s.get("difference") == -470
    and s.get("open") is False,
    "the closed shift is listed with its Z", lst)
rc, out, err = run(db, "shift", "list")
tap(rc == 0 and re.search(r"^shift 1  Z 1 .*expected ¥454\.70  counted ¥450\.00  difference -¥4\.70",
                          out, re.M), "shift list text", out)
rc, out, err = run(db, "shift", "z", "1")
rc2, out2, err2 = run(db, "receipt", str(z.get("seq")))
tap(rc == 0 and out == out2 and re.search(r"Cash float +¥500\.00", out)
    and re.search(r"Cash drops +¥150\.00", out) and re.search(r"Paid in +¥10\.00", out)
    and re.search(r"Paid out +¥25\.30", out) and re.search(r"Expected cash +¥454\.70", out)
    and re.search(r"Difference +-¥4\.70", out) and re.search(r"Voids +1", out)
    and re.search(r"Voided #%d +¥200\.00" % v.get("seq"), out) and "First receipt" in out
    and "Opened at" in out and "Closed at" in out,
    "shift z 1 reprints the Z, as receipt SEQ does", out)
zj = ok_json(db, "shift z 1 --json", "shift", "z", "1", "--json")
tap(zj.get("seq") == z.get("seq") and zj.get("expected_cash") == 45470, "the Z's signed entry", zj)
refused("shift z 2 (no such Z)", db, ["shift", "z", "2"], EXIT_NOT_FOUND, r"There is no Z report 2")
refused("shift z abc", db, ["shift", "z", "abc"], EXIT_USAGE, r"positive whole number")
refused("cash drop with no open shift", db, ["cash", "drop", "5", "--reason", "r"] + SUP,
        EXIT_FAILED, r"shift")
rc, out, err = run(db, "verify")
tap(rc == 0, "verify: the journal with the new kinds is intact", err)

shutil.rmtree(TMP, ignore_errors=True)
print("1..%d" % len(results))
sys.exit(0 if all(results) else 1)
