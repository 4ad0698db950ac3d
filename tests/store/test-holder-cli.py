#!/usr/bin/env python3
# test-holder-cli.py: change of holder through vanpos-cli (issue 9):
# credit nets the arrears, the rest is settled (tendered/change) or carried,
# credit left is refunded (supervisor) or carried with consent, final bill. Amounts worked out here in integer fen; exact
# exit codes, exactly one stderr line and an unchanged database on refusal.
#
# Usage: test-holder-cli.py PATH/TO/vanpos-cli      (speaks TAP)
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
TMP = tempfile.mkdtemp(prefix="vp-holder-test-")
DB = os.path.join(TMP, "van.db")
OP = ["--staff", "op01", "--pin", "1234"]
SUP = ["--staff", "sup01", "--pin", "9876"]
EXIT_FAILED, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_AUTH = 1, 2, 3, 4
UNKNOWN = None   # a well-formed number no account has (set below)


def run(*args):
    e = dict(os.environ)
    e["LC_ALL"] = "C.UTF-8"
    e.pop("VP_FAKE_NOW", None)
    p = subprocess.run([CLI, "--db", DB] + list(args), capture_output=True, text=True, env=e,
                       timeout=120)
    return p.returncode, p.stdout, p.stderr


def query(sql, *params):
    con = sqlite3.connect("file:%s?mode=ro" % DB, uri=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def state():
    """Everything a refused command must leave alone."""
    return (query("SELECT count(*), max(seq) FROM journal")[0],
            query("SELECT count(*) FROM outbox")[0][0],
            query("SELECT number, balance, card_counter FROM accounts ORDER BY id"),
            query("SELECT id, paid FROM bills ORDER BY id"),
            query("SELECT intent_seq, state FROM topups ORDER BY intent_seq"))


def position(number):
    credit = query("SELECT balance FROM accounts WHERE number = ?", number)[0][0]
    arrears = query("SELECT coalesce(sum(b.amount - b.paid), 0) FROM bills b JOIN accounts a"
                    " ON a.id = b.account_id WHERE a.number = ?", number)[0][0]
    return arrears, credit


def ok_json(desc, *args):
    rc, out, err = run(*args)
    try:
        o = json.loads(out) if rc == 0 else None
    except ValueError:
        o = None
    # The demo van's first card operation notes the card key it made.
    err = "".join(l for l in err.splitlines(True) if "had no card key" not in l)
    tap(o is not None and err == "", desc, "rc=%d\nstdout: %s\nstderr: %s" % (rc, out, err))
    return o


def refused(desc, args, rc_want, err_re):
    before = state()
    rc, out, err = run(*args)
    after = state()
    ok = (rc == rc_want and err.count("\n") == 1 and err.endswith("\n")
          and re.search(err_re, err, re.I) is not None and before == after)
    return tap(ok, "refused: " + desc, "rc=%d (want %d)\nstdout: %s\nstderr: %s\nunchanged: %s"
               % (rc, rc_want, out, err, before == after))


def expected_cash():
    rc, out, err = run("shift", "x", "--json", *SUP)
    return json.loads(out).get("expected_cash") if rc == 0 else None


def setup_account(number, credit, bills, last_reading):
    con = sqlite3.connect(DB)
    try:
        aid = con.execute("SELECT id FROM accounts WHERE number = ?", (number,)).fetchone()[0]
        con.execute("DELETE FROM bills WHERE account_id = ?", (aid,))
        for period, amount in bills:
            con.execute("INSERT INTO bills (account_id, period, amount, paid) VALUES (?, ?, ?, 0)",
                        (aid, period, amount))
        con.execute("UPDATE accounts SET balance = ?, last_reading = ? WHERE id = ?",
                    (credit, last_reading, aid))
        con.commit()
    finally:
        con.close()


NEW = ["--new-name", "高志明", "--new-id-number", "110105198001011238", "--new-phone", "13812345678"]

try:
    for args in (["init", "--van", "VAN01"],
                 ["demo", "--accounts", "120", "--seed", "7", "--pin-iterations", "1000"],
                 ["shift", "open", "--float", "500"] + SUP):
        rc, out, err = run(*args)
        if rc != 0:
            raise SystemExit("setup %s failed: %s" % (args, err))

    post = [r[0] for r in query("SELECT number FROM accounts WHERE meter = 'postpaid' AND"
                                " status = 'active' AND tariff_class = 'residential' ORDER BY number")]
    pre = [r[0] for r in query("SELECT number FROM accounts WHERE meter = 'prepaid' AND"
                               " status = 'active' ORDER BY number")]
    issue, refund = post[0], pre[0]
    # The issue's account: arrears ¥402.22 (¥200.00 + ¥202.22), credit ¥148.14,
    # last reading 500 m³.
    setup_account(issue, 14814, [("2026-08", 20000), ("2026-09", 20222)], 500000)
    setup_account(refund, 5000, [], 0)
    cash0 = expected_cash()

    refused("reading below the last one", ["transfer", issue] + NEW + ["--reading", "499.999",
            "--settle", "--method", "cash"] + OP, EXIT_FAILED, "lower")
    refused("no choice for what is still due", ["transfer", issue] + NEW + ["--reading", "500"] + OP,
            EXIT_FAILED, r"¥254\.08 still due")
    refused("settle and carry both", ["transfer", issue] + NEW + ["--reading", "500", "--settle",
            "--carry-arrears", "--method", "cash"] + OP, EXIT_USAGE, "not both")
    refused("tendered less than due", ["transfer", issue] + NEW + ["--reading", "500", "--settle",
            "--method", "cash", "--tendered", "254.07"] + OP, EXIT_FAILED, "less than")
    refused("low-income new holder with an expired certificate", ["transfer", issue] + NEW +
            ["--reading", "500", "--settle", "--method", "cash", "--new-tariff", "low_income",
             "--concession-expiry", "2020-01-01"] + OP, EXIT_FAILED, "expired")
    refused("no choice for the credit left", ["transfer", refund] + NEW + ["--reading", "0"] + OP,
            EXIT_FAILED, r"¥50\.00 of credit")
    refused("refund without a supervisor", ["transfer", refund] + NEW + ["--reading", "0",
            "--refund-credit"] + OP, EXIT_AUTH, "supervisor")
    refused("refund approved by an operator", ["transfer", refund] + NEW + ["--reading", "0",
            "--refund-credit", "--approve-staff", "op01", "--approve-pin", "1234"] + OP,
            EXIT_AUTH, "supervisor")
    refused("approval without a refund", ["transfer", refund] + NEW + ["--reading", "0",
            "--carry-credit-consent", "--approve-staff", "sup01", "--approve-pin", "9876"] + OP,
            EXIT_USAGE, "approves only")
    tap(expected_cash() == cash0, "nothing reached the drawer", (cash0, expected_cash()))

    o = ok_json("transfer --settle with tendered cash", "transfer", issue, *NEW, "--reading", "500",
                "--settle", "--method", "cash", "--tendered", "300", "--json", *OP)
    tap(o is not None and o["arrears"] == 40222 and o["credit_applied"] == 14814
        and o["arrears_settled"] == 25408 and o["tendered"] == 30000 and o["change"] == 4592
        and o["arrears_carried"] == 0 and o["credit_carried"] == 0, "settle takes ¥254.08", o)
    tap(o is not None and all(k in o for k in ("account", "old_holder", "new_holder", "final_reading",
                                               "arrears_settled", "arrears_carried", "credit_carried",
                                               "card_number", "card_counter", "method")),
        "today's transfer --json fields are all there", o)
    tap(position(issue) == (0, 0), "no arrears and no credit left", position(issue))
    tap(expected_cash() == cash0 + 25408, "the drawer counts ¥254.08", (cash0, expected_cash()))
    seq = o["seq"] if o else 0
    rc, out, err = run("receipt", str(seq))
    want = [r"Credit applied\s+¥148\.14", r"Arrears paid\s+¥254\.08", r"Tendered\s+¥300\.00",
            r"Change\s+¥45\.92", r"Arrears\s+¥402\.22"]
    tap(rc == 0 and all(re.search(w, out) for w in want), "the receipt shows the settlement",
        out + err)

    o = ok_json("transfer --refund-credit approved", "transfer", refund, *NEW, "--reading", "0",
                "--refund-credit", "--approve-staff", "sup01", "--approve-pin", "9876", "--json", *OP)
    tap(o is not None and o["credit_refunded"] == 5000 and o["approved_by"] == "sup01",
        "¥50.00 refunded to the old holder", o)
    tap(expected_cash() == cash0 + 25408 - 5000, "the drawer pays out ¥50.00", (cash0, expected_cash()))

    o = ok_json("void the settlement", "void", str(seq), "--reason", "wrong account", "--json", *SUP)
    tap(position(issue) == (40222, 14814), "the void restores bills and credit", position(issue))
    tap(query("SELECT holder FROM accounts WHERE number = ?", issue)[0][0] != "高志明",
        "the void restores the old holder")
    tap(expected_cash() == cash0 - 5000, "the void takes the ¥254.08 back out", (cash0, expected_cash()))
    rc, out, err = run("verify")
    tap(rc == 0, "the journal still verifies", out + err)
finally:
    shutil.rmtree(TMP, ignore_errors=True)

print("1..%d" % len(results))
sys.exit(0 if all(results) else 1)
