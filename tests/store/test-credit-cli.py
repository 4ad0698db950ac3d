#!/usr/bin/env python3
# test-credit-cli.py: the account position through vanpos-cli (issue 9):
# credit applied in every payment, settle-credit, refund-credit (supervisor)
# and topup --from-credit. Amounts worked out here in integer fen; exact
# exit codes, exactly one stderr line and an unchanged database on refusal.
#
# Usage: test-credit-cli.py PATH/TO/vanpos-cli      (speaks TAP)
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
TMP = tempfile.mkdtemp(prefix="vp-credit-test-")
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


try:
    for args in (["init", "--van", "VAN01"],
                 ["demo", "--accounts", "120", "--seed", "7", "--pin-iterations", "1000"],
                 ["shift", "open", "--float", "500"] + SUP):
        rc, out, err = run(*args)
        if rc != 0:
            raise SystemExit("setup %s failed: %s" % (args, err))

    for d in range(10):
        rc, out, err = run("account", "3409999999%d" % d)
        if rc == EXIT_NOT_FOUND:
            UNKNOWN = "3409999999%d" % d
    tap(UNKNOWN is not None, "a valid account number no account has")

    # Demo accounts that hold credit and owe bills (the case).
    both = [r[0] for r in query(
        "SELECT a.number FROM accounts a WHERE a.meter = 'postpaid' AND a.balance > 0 AND"
        " (SELECT sum(b.amount - b.paid) FROM bills b WHERE b.account_id = a.id) > a.balance"
        " ORDER BY a.number")]
    tap(len(both) >= 3, "the demo has accounts with credit and arrears", both)

    # --- pay applies the credit first ---------------------------------------
    acct = both[0]
    arrears, credit = position(acct)
    net = arrears - credit
    o = ok_json("pay of the net", "pay", acct, "%d.%02d" % divmod(net, 100), "--method", "cash",
                "--json", *OP)
    tap(o is not None and o["kind"] == "pay" and o["amount"] == net and o["credit_applied"] == credit
        and o["credit_before"] == credit and o["arrears_before"] == arrears
        and o["arrears_after"] == 0 and o["credit_after"] == 0 and o["to_credit"] == 0
        and sum(b["from_credit"] for b in o["bills"]) == credit
        and sum(b["paid"] for b in o["bills"]) == arrears,
        "pay of the net: credit applied, arrears and credit 0", o)
    tap(position(acct) == (0, 0), "account position after the net", position(acct))

    acct = both[1]
    arrears, credit = position(acct)
    net = arrears - credit
    cash0 = expected_cash()
    o = ok_json("pay of the net + ¥45.92", "pay", acct, "%d.%02d" % divmod(net + 4592, 100),
                "--method", "cash", "--json", *OP)
    tap(o is not None and o["credit_applied"] == credit and o["to_credit"] == 4592
        and o["arrears_after"] == 0 and o["credit_after"] == 4592,
        "surplus over the net becomes credit", o)
    tap(position(acct) == (0, 4592), "account position after the surplus", position(acct))
    tap(expected_cash() == cash0 + net + 4592, "the drawer counts only the money taken",
        (cash0, expected_cash(), net))

    # Text output names the credit applied.
    acct = both[2]
    arrears, credit = position(acct)
    rc, out, err = run("pay", acct, "1.00", "--method", "cash", *OP)
    tap(rc == 0 and re.search(r"credit applied\s+¥", out) is not None, "pay prints the credit applied",
        out + err)
    tap(position(acct) == (arrears - credit - 100, 0), "partial payment after the credit",
        (position(acct), arrears, credit))

    # --- settle-credit --------------------------------------------------------
    # Give an account with bills more credit than it owes (move from a
    # payment made into an account without bills).
    owing = [r[0] for r in query(
        "SELECT a.number FROM accounts a WHERE a.meter = 'postpaid' AND a.balance = 0 AND"
        " (SELECT sum(b.amount - b.paid) FROM bills b WHERE b.account_id = a.id) > 0"
        " ORDER BY a.number")]
    nobills = query("SELECT a.number FROM accounts a WHERE a.meter = 'postpaid' AND NOT EXISTS"
                    " (SELECT 1 FROM bills b WHERE b.account_id = a.id AND b.paid < b.amount)"
                    " ORDER BY a.number LIMIT 1")[0][0]
    tap(len(owing) >= 2, "accounts that owe with no credit", owing)
    ok_json("pay into an account without bills", "pay", nobills, "3000.00", "--method", "cash",
            "--json", *OP)
    settle = owing[0]
    arrears, _ = position(settle)
    # Another holder's account: a supervisor approves the move.
    ok_json("move credit", "move-credit", nobills, settle, "%d.%02d" % divmod(arrears + 1000, 100),
            "--json", *OP, "--approve-staff", "sup01", "--approve-pin", "9876")
    refused("settle-credit: no account", ["settle-credit"] + OP, EXIT_USAGE, r"ACCOUNT_NO")
    refused("settle-credit: unknown account", ["settle-credit", UNKNOWN] + OP, EXIT_NOT_FOUND,
            r"^vanpos-cli: ")
    refused("settle-credit: no credit", ["settle-credit", owing[1]] + OP, EXIT_FAILED,
            r"nothing to settle")
    refused("settle-credit: wrong PIN", ["settle-credit", settle, "--staff", "op01", "--pin", "0000"],
            EXIT_AUTH, r"^vanpos-cli: ")
    cash0 = expected_cash()
    o = ok_json("settle-credit", "settle-credit", settle, "--json", *OP)
    tap(o is not None and o["kind"] == "credit.settle" and o["amount"] == 0
        and o["credit_applied"] == arrears and o["arrears_after"] == 0 and o["credit_after"] == 1000
        and "method" not in o, "settle-credit pays the bills from credit, no money", o)
    tap(position(settle) == (0, 1000), "position after settle-credit", position(settle))
    tap(expected_cash() == cash0, "settle-credit moves no drawer money", (cash0, expected_cash()))
    refused("settle-credit: nothing left to settle", ["settle-credit", settle] + OP, EXIT_FAILED,
            r"nothing to settle")
    rc, out, err = run("receipt", str(o["seq"]))
    tap(rc == 0 and "Credit applied" in out and "Credit now" in out, "settle receipt", out + err)

    # --- refund-credit --------------------------------------------------------
    refused("refund-credit: zero", ["refund-credit", settle, "0"] + SUP, EXIT_FAILED, r"more than")
    refused("refund-credit: negative", ["refund-credit", settle, "-5"] + SUP, EXIT_USAGE, r"-5")
    refused("refund-credit: not a number", ["refund-credit", settle, "abc"] + SUP, EXIT_FAILED,
            r"amount")
    refused("refund-credit: over the credit", ["refund-credit", settle, "10.01"] + SUP, EXIT_FAILED,
            r"less than ¥10\.01")
    refused("refund-credit: unknown account", ["refund-credit", UNKNOWN, "1.00"] + SUP,
            EXIT_NOT_FOUND, r"^vanpos-cli: ")
    refused("refund-credit: operator PIN", ["refund-credit", settle, "1.00"] + OP, EXIT_AUTH,
            r"supervisor")
    refused("refund-credit: wrong PIN", ["refund-credit", settle, "1.00", "--staff", "sup01",
                                         "--pin", "0000"], EXIT_AUTH, r"^vanpos-cli: ")
    refused("refund-credit: missing amount", ["refund-credit", settle] + SUP, EXIT_USAGE, r"AMOUNT")
    refused("refund-credit: open bills", ["refund-credit", both[2], "0.01"] + SUP, EXIT_FAILED,
            r"unpaid bills")
    cash0 = expected_cash()
    o = ok_json("refund-credit ¥4.00", "refund-credit", settle, "4.00", "--reason", "moving",
                "--json", *SUP)
    tap(o is not None and o["kind"] == "credit.refund" and o["amount"] == 400
        and o["method"] == "cash" and o["credit_before"] == 1000 and o["credit_after"] == 600
        and o["approved_by"] == "sup01", "refund-credit payload", o)
    tap(position(settle) == (0, 600), "credit after the refund, account still open",
        position(settle))
    tap(query("SELECT status FROM accounts WHERE number = ?", settle)[0][0] == "active",
        "the account stays active")
    tap(expected_cash() == cash0 - 400, "the refund is cash paid out of the drawer",
        (cash0, expected_cash()))
    rc, out, err = run("receipt", str(o["seq"]))
    tap(rc == 0 and "Credit refund" in out and "Refunded in cash" in out, "refund receipt", out + err)
    rc, out, err = run("verify")
    tap(rc == 0, "the journal verifies", out + err)

    # --- topup --from-credit --------------------------------------------------
    prepaid = query("SELECT number FROM accounts WHERE meter = 'prepaid' AND card_number IS NOT NULL"
                    " AND tariff_class = 'residential' AND status = 'active' ORDER BY number"
                    " LIMIT 1")[0][0]
    ok_json("move credit to the prepaid account", "move-credit", nobills, prepaid, "50.00", "--json",
            *OP, "--approve-staff", "sup01", "--approve-pin", "9876")
    _, credit = position(prepaid)
    cash0 = expected_cash()
    o = ok_json("topup ¥20.00 from credit", "topup", prepaid, "--amount", "20.00", "--from-credit",
                "--json", *OP)
    tap(o is not None and o["kind"] == "topup.confirm" and o["amount"] == 0
        and o["credit_used"] == 2000 and o["funds"] == 2000, "top-up paid all from credit", o)
    tap(position(prepaid)[1] == credit - 2000 + (o or {}).get("to_credit", 0),
        "credit after the top-up", (position(prepaid), credit, o))
    tap(expected_cash() == cash0, "no drawer money for a top-up from credit", (cash0, expected_cash()))
    # (After the first card top-up, which makes the demo van's card key.)
    _, credit = position(prepaid)
    refused("topup --from-credit: more than the credit, no method",
            ["topup", prepaid, "--amount", "%d.%02d" % divmod(credit + 100, 100), "--from-credit"]
            + OP, EXIT_FAILED, r"give a payment method")
    refused("topup without --from-credit needs a method", ["topup", prepaid, "--amount", "1.00"] + OP,
            EXIT_FAILED, r"method")
    _, credit = position(prepaid)
    o = ok_json("topup from credit and cash", "topup", prepaid, "--amount",
                "%d.%02d" % divmod(credit + 1000, 100), "--from-credit", "--method", "cash", "--json",
                *OP)
    tap(o is not None and o["credit_used"] == credit and o["amount"] == 1000
        and o["funds"] == credit + 1000, "top-up paid in part from credit", o)
    tap(expected_cash() == cash0 + 1000, "the drawer counts the cash part only",
        (cash0, expected_cash()))

    # --- a cash top-up with the cash tendered and the change (issue 12) --------
    cash0 = expected_cash()
    refused("topup --tendered below the top-up",
            ["topup", prepaid, "--amount", "30.00", "--method", "cash", "--tendered", "29.99"] + OP,
            EXIT_FAILED, r"cash tendered \(¥29\.99\) is less than the top-up \(¥30\.00\)")
    refused("topup --tendered for a card payment",
            ["topup", prepaid, "--amount", "30.00", "--method", "card", "--ref", "T1", "--tendered",
             "50"] + OP, EXIT_FAILED, r"only for a top-up paid in cash")
    refused("topup --tendered not an amount",
            ["topup", prepaid, "--amount", "30.00", "--method", "cash", "--tendered", "abc"] + OP,
            EXIT_FAILED, r"tendered")
    o = ok_json("topup ¥30.00 in cash, ¥50.00 tendered", "topup", prepaid, "--amount", "30.00",
                "--method", "cash", "--tendered", "50", "--json", *OP)
    intent = query("SELECT payload FROM journal WHERE kind = 'topup.intent' ORDER BY seq DESC LIMIT 1")
    ip = json.loads(intent[0][0]) if intent else {}
    tap(ip.get("amount") == 3000 and ip.get("tendered") == 5000 and ip.get("change") == 2000,
        "the signed intent has tendered ¥50.00 and change ¥20.00", ip)
    tap(expected_cash() == cash0 + 3000, "the drawer counts the top-up, not the tendered cash",
        (cash0, expected_cash()))
    rc, out, err = run("receipt", str(o["intent_seq"] if o and "intent_seq" in o else ""))
    tap(rc == 0 and "50.00" in out and "20.00" in out, "the receipt shows tendered and change", out + err)
    rc, out, err = run("verify")
    tap(rc == 0, "the journal still verifies", out + err)
finally:
    shutil.rmtree(TMP, ignore_errors=True)

print("1..%d" % len(results))
sys.exit(0 if all(results) else 1)
