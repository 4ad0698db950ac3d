#!/usr/bin/env python3
# test-cli.py: the vanpos-cli contract (issue 2). Every command with --json
# prints one JSON object; every bad input exits non-zero with one clear
# line on stderr and leaves the database exactly as it was.
#
# Usage: test-cli.py PATH/TO/vanpos-cli      (speaks TAP)
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

CLI = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="vp-cli-test-")
DB = os.path.join(TMP, "van.db")
OP = ["--staff", "op01", "--pin", "1234"]
SUP = ["--staff", "sup01", "--pin", "9876"]
APPROVE = ["--approve-staff", "sup01", "--approve-pin", "9876"]

results = []


def tap(ok, desc, detail=""):
    results.append(ok)
    n = len(results)
    print(("ok %d - %s" if ok else "not ok %d - %s") % (n, desc))
    if not ok and detail:
        for line in str(detail).splitlines():
            print("# " + line)
    sys.stdout.flush()
    return ok


def run(*args, env=None):
    e = dict(os.environ)
    e["LC_ALL"] = "C.UTF-8"
    if env:
        e.update(env)
    p = subprocess.run([CLI, "--db", DB] + list(args), capture_output=True, text=True, env=e,
                       timeout=120)
    return p.returncode, p.stdout, p.stderr


def dump():
    """The whole database as SQL, minus the PIN lockout counters (a wrong
    PIN legitimately counts towards the lockout)."""
    out = subprocess.run(["sqlite3", "-readonly", DB, ".dump"], capture_output=True, text=True,
                         check=True).stdout
    lines = [l for l in out.splitlines() if not l.startswith("INSERT INTO staff")]
    con = sqlite3.connect("file:%s?mode=ro" % DB, uri=True)
    staff = con.execute("SELECT id, name, role, pin_hash, active FROM staff ORDER BY id").fetchall()
    con.close()
    return "\n".join(lines) + "\n" + repr(staff)


def query(sql, *params):
    con = sqlite3.connect("file:%s?mode=ro" % DB, uri=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def ok_json(desc, *args):
    rc, out, err = run(*args)
    obj = None
    try:
        lines = [l for l in out.splitlines() if l.strip()]
        if len(lines) != 1:
            raise ValueError("expected one line of JSON, got %d" % len(lines))
        obj = json.loads(lines[0])
        if not isinstance(obj, dict):
            raise ValueError("not an object")
    except ValueError as e:
        tap(False, desc, "rc=%d %s\nstdout: %s\nstderr: %s" % (rc, e, out, err))
        return None
    tap(rc == 0, desc, "rc=%d stderr: %s" % (rc, err))
    return obj


def entry_fields(desc, obj, kind):
    ok = (obj is not None and obj.get("kind") == kind
          and re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", obj.get("uuid", ""))
          and isinstance(obj.get("seq"), int) and obj["seq"] > 0
          and re.fullmatch(r"VAN01-\d{8}-%06d" % obj["seq"], obj.get("receipt", ""))
          and re.fullmatch(r"[0-9A-F]{4}-[0-9A-F]{4}", obj.get("verify_code", "")))
    return tap(bool(ok), desc + ": uuid, seq, receipt, verify code", obj)


def refused(desc, *args, code=None, expect=None, env=None):
    """The command fails with one stderr line and changes nothing."""
    before = dump()
    rc, out, err = run(*args, env=env)
    after = dump()
    lines = [l for l in err.splitlines() if l.strip()]
    ok = rc != 0 and len(lines) == 1 and before == after and out.strip() == ""
    if code is not None:
        ok = ok and rc == code
    if expect is not None:
        ok = ok and re.search(expect, err, re.I) is not None
    detail = "rc=%d stdout=%r stderr=%r unchanged=%s" % (rc, out, err, before == after)
    return tap(ok, "refused: " + desc, detail)


try:
    rc, out, err = run("init", "--van", "VAN01")
    tap(rc == 0 and os.path.exists(DB + ".vankey"), "init", err)
    rc, out, err = run("demo", "--accounts", "400", "--seed", "3", "--pin-iterations", "1000")
    tap(rc == 0 and "op01" in out and "sup01" in out, "demo 400 accounts", err)
    tap(query("SELECT count(*) FROM accounts")[0][0] == 400, "demo wrote 400 accounts")

    postpaid = query("SELECT a.number, sum(b.amount - b.paid) FROM accounts a JOIN bills b"
                     " ON b.account_id = a.id WHERE b.paid < b.amount AND a.balance = 0 GROUP BY a.id"
                     " HAVING count(*) >= 2 ORDER BY a.number LIMIT 1")[0]
    prepaid = query("SELECT number FROM accounts WHERE meter = 'prepaid' AND tariff_class = 'residential'"
                    " AND service = 'gas' ORDER BY number LIMIT 1")[0][0]
    rich = query("SELECT number, balance FROM accounts WHERE balance >= 500 AND number NOT IN (?, ?)"
                 " AND NOT EXISTS (SELECT 1 FROM bills b WHERE b.account_id = accounts.id AND b.paid < b.amount)"
                 " ORDER BY number LIMIT 2", postpaid[0], prepaid)
    other = query("SELECT number FROM accounts WHERE number NOT IN (?, ?, ?, ?) ORDER BY number DESC LIMIT 1",
                  postpaid[0], prepaid, rich[0][0], rich[1][0])[0][0]

    # Before a shift is open, money operations are refused.
    refused("pay without an open shift", "pay", postpaid[0], "10", "--method", "cash", *OP,
            expect="shift")

    o = ok_json("shift open --json", "shift", "open", "--float", "200", *OP, "--json")
    entry_fields("shift open", o, "shift.open")
    tap(o is not None and o.get("float") == 20000, "shift open float in fen", o)

    # pay: partial payment of the oldest bill.
    arrears = postpaid[1]
    o = ok_json("pay --json", "pay", postpaid[0], "12.34", "--method", "cash", *OP, "--json")
    entry_fields("pay", o, "pay")
    tap(o is not None and o["amount"] == 1234 and o["arrears_before"] == arrears
        and o["arrears_after"] == arrears - 1234 and o["bills"][0]["paid"] == 1234
        and o["to_credit"] == 0, "pay amounts in fen, oldest bill first", o)
    # pay: surplus to credit.
    o = ok_json("pay surplus --json", "pay", postpaid[0], "¥1,000.00", "--method", "mobile",
                "--ref", "WX0001", *OP, "--json")
    tap(o is not None and o["arrears_after"] == 0 and o["to_credit"] == 100000 - (arrears - 1234)
        and o["credit_after"] == o["credit_before"] + o["to_credit"] and o["reference"] == "WX0001",
        "pay surplus becomes credit", o)

    # topup by volume with the tier breakdown.
    o = ok_json("topup --volume --json", "topup", prepaid, "--volume", "2", "--method", "cash", *OP, "--json")
    topup_cash = o["amount"] if o else 0
    entry_fields("topup", o, "topup.confirm")
    ok = o is not None and o.get("volume") == 2000 and isinstance(o.get("tiers"), list) and len(o["tiers"]) >= 1
    if ok:
        ok = (sum(t["volume"] for t in o["tiers"]) == 2000
              and sum(t["amount"] for t in o["tiers"]) == o["charged"] and "credit_after" in o)
    tap(ok, "topup JSON has volume, tier breakdown summing to the charge, new balance", o)
    o = ok_json("topup --amount --json", "topup", prepaid, "--amount", "50", "--method", "card",
                "--ref", "POS77", *OP, "--json")
    tap(o is not None and o.get("amount") == 5000, "topup by amount in fen", o)

    o = ok_json("open-account --json", "open-account", "--name", "孙丽华", "--id-number", "11010519491231002X",
                "--phone", "13512345678", "--estate", "长江花园", "--building", "12", "--unit", "3",
                "--room", "602", "--service", "gas", "--meter", "prepaid", "--issue-card", *OP, "--json")
    entry_fields("open-account", o, "account.open")
    tap(o is not None and o["account"] == "P-VAN01-000001", "provisional number P-VAN01-000001", o)
    o = ok_json("open-account again", "open-account", "--name", "马超", "--id-number", "110105198001011238",
                "--phone", "13512345679", "--estate", "西园小区", "--building", "1",
                "--room", "101", "--service", "water", "--meter", "postpaid", *OP, "--json")
    tap(o is not None and o["account"] == "P-VAN01-000002", "provisional number P-VAN01-000002", o)

    o = ok_json("transfer --json", "transfer", other, "--new-name", "高志明", "--new-id-number",
                "340104197505050013", "--new-phone", "13812345678", "--reading", "99999", "--carry-arrears",
                "--carry-credit-consent", *OP, "--json")
    entry_fields("transfer", o, "account.transfer")
    tap(o is not None and o["new_holder"]["name"] == "高志明" and "credit_carried" in o, "transfer payload", o)

    a, b = rich[0][0], rich[1][0]
    bal_a, bal_b = rich[0][1], rich[1][1]
    # a and b have different holders: a supervisor approves (issue 9).
    o = ok_json("move-credit --json", "move-credit", a, b, "1.00", *OP, *APPROVE, "--json")
    entry_fields("move-credit", o, "credit.move")
    tap(o is not None and o["balance_before"] == bal_a and o["balance_after"] == bal_a - 100
        and o["to_balance_before"] == bal_b and o["to_balance_after"] == bal_b + 100,
        "move-credit shows both balances", o)
    o = ok_json("close-account --to --json", "close-account", a, "--to", b, *OP, *APPROVE, "--json")
    entry_fields("close-account", o, "account.close")
    tap(o is not None and o["balance_after"] == 0 and o["to_balance_after"] == bal_b + bal_a,
        "close-account moves the rest", o)
    tap(query("SELECT status FROM accounts WHERE number = ?", a)[0][0] == "closed", "account closed")

    o = ok_json("log consultation --json", "log", "consultation", b, "--note", "Asked about tiers", *OP, "--json")
    entry_fields("log", o, "log.consultation")
    o = ok_json("log visit --json", "log", "visit", b, "--note", "Checked the valve", *OP, "--json")
    o = ok_json("trip start --json", "trip", "start", "--estate", "光明社区", *OP, "--json")
    entry_fields("trip start", o, "trip.start")
    o = ok_json("trip end --json", "trip", "end", "--estate", "光明社区", *OP, "--json")

    o = ok_json("search --json", "search", "光明社区", "--limit", "5", "--json")
    tap(o is not None and o["count"] == 5 and len(o["results"]) == 5
        and all("光明社区" in r["address"] for r in o["results"]), "search results", o)
    o = ok_json("account --json", "account", postpaid[0], "--json")
    tap(o is not None and o["number"] == postpaid[0] and o["arrears"] == 0 and "open_bills" in o,
        "account JSON", o)

    o = ok_json("report day --json", "report", "day", "--json")
    tap(o is not None and o["trips"] == 1 and o["consultations"] == 1 and o["home_visits"] == 1
        and o["fee_transactions"] == 4 and o["applications"] == 4,
        "report day counts: 2 payments + 2 top-ups; 2 openings, a transfer, a closure", o)

    refused("shift close by an operator", "shift", "close", "--counted", "100", *OP, code=4,
            expect="supervisor")
    o = ok_json("shift close --json", "shift", "close", "--counted", "212.34", *SUP, "--json")
    entry_fields("shift close", o, "shift.close")
    tap(o is not None and o["z_number"] == 1 and o["cash_in"] == 1234 + topup_cash
        and o["card_in"] == 5000 and o["mobile_in"] == 100000
        and o["expected_cash"] == 20000 + 1234 + topup_cash
        and o["difference"] == 21234 - (20000 + 1234 + topup_cash),
        "Z report: expected cash = float + cash in - cash out, difference", o)
    o = ok_json("shift open again", "shift", "open", "--float", "0", *OP, "--json")

    rc, out, err = run("verify")
    tap(rc == 0 and "intact" in out, "verify", out + err)
    o = ok_json("verify --json", "verify", "--json")
    tap(o is not None and o["ok"] is True and o["checked"] == query("SELECT count(*) FROM journal")[0][0],
        "verify --json counts every entry", o)

    # --- bad input: refused, one line, nothing changed ---------------------
    for amount in ["-5", "0", "1.234", "abc", "99999999999", "", "1e3", "0x10", "12.", "NaN"]:
        refused("pay amount %r" % amount, "pay", postpaid[0], amount, "--method", "cash", *OP)
    unknown = "34099999990"
    # a real number with a valid check digit that is not in the database
    con = None
    body = "3409999999"
    digits = [int(c) for c in body]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    unknown = body + str((10 - total % 10) % 10)
    rc, out, err = run("account", unknown)
    if rc == 2 or "check digit" in err:
        # the Luhn convention differs: try the other one
        unknown = None
        for c in "0123456789":
            rc, out, err = run("account", body + c)
            if "check digit" not in err and rc == 3:
                unknown = body + c
                break
    tap(unknown is not None, "found a valid, unknown account number")
    refused("pay unknown account", "pay", unknown, "10", "--method", "cash", *OP, code=3, expect="unknown")
    bad_digit = postpaid[0][:-1] + str((int(postpaid[0][-1]) + 1) % 10)
    refused("pay bad check digit", "pay", bad_digit, "10", "--method", "cash", *OP, expect="check")
    refused("pay wrong PIN", "pay", postpaid[0], "10", "--method", "cash", "--staff", "op01",
            "--pin", "1111", code=4, expect="PIN")
    refused("pay unknown staff", "pay", postpaid[0], "10", "--method", "cash", "--staff", "nobody",
            "--pin", "1234", code=4)
    refused("pay unknown method", "pay", postpaid[0], "10", "--method", "bitcoin", *OP, expect="method")
    refused("pay missing --method", "pay", postpaid[0], "10", *OP, expect="method")
    refused("pay missing --staff", "pay", postpaid[0], "10", "--method", "cash", "--pin", "1234")
    refused("pay card without reference", "pay", postpaid[0], "10", "--method", "card", *OP,
            expect="reference")
    refused("pay missing amount", "pay", postpaid[0], "--method", "cash", *OP)
    refused("pay unknown option", "pay", postpaid[0], "10", "--method", "cash", "--bogus", *OP)
    refused("topup both amount and volume", "topup", prepaid, "--amount", "5", "--volume", "1",
            "--method", "cash", *OP, "--json")
    refused("topup volume 0", "topup", prepaid, "--volume", "0", "--method", "cash", *OP, "--json")
    refused("topup volume -1", "topup", prepaid, "--volume", "-1", "--method", "cash", *OP, "--json")
    refused("topup volume 1.2345", "topup", prepaid, "--volume", "1.2345", "--method", "cash", *OP, "--json")
    refused("topup post-paid account", "topup", postpaid[0], "--amount", "5", "--method", "cash", *OP,
            "--json", expect="post-paid|no IC card")
    refused("open-account missing --phone", "open-account", "--name", "X", "--id-number",
            "11010519491231002X", "--estate", "E", "--building", "1", "--room", "1",
            "--service", "gas", "--meter", "prepaid", *OP)
    refused("open-account bad ID number", "open-account", "--name", "周七", "--id-number",
            "110105194912310021", "--phone", "13512345678", "--estate", "长江花园", "--building", "1",
            "--room", "1", "--service", "gas", "--meter", "prepaid", *OP)
    refused("open-account unknown service", "open-account", "--name", "周七", "--id-number",
            "11010519491231002X", "--phone", "13512345678", "--estate", "长江花园", "--building", "1",
            "--room", "1", "--service", "steam", "--meter", "prepaid", *OP)
    refused("transfer reading lower than the last", "transfer", other, "--new-name", "李四",
            "--new-id-number", "110105198001011238", "--new-phone", "13812345670", "--reading", "1",
            *OP, expect="lower")
    refused("transfer bad phone", "transfer", other, "--new-name", "李四",
            "--new-id-number", "110105198001011238", "--new-phone", "12345", "--reading", "99999", *OP)
    refused("move-credit insufficient", "move-credit", b, other, "99999.00", *OP, expect="credit")
    refused("move-credit amount abc", "move-credit", b, other, "abc", *OP)
    refused("move-credit to a closed account", "move-credit", b, a, "1.00", *OP, expect="closed")
    refused("close-account both --refund and --to", "close-account", b, "--refund", "cash", "--to", other, *OP)
    refused("close-account refund bank", "close-account", b, "--refund", "bank", *OP)
    refused("close-account with arrears", "close-account",
            query("SELECT a.number FROM accounts a JOIN bills b ON b.account_id = a.id WHERE b.paid < b.amount"
                  " AND a.status = 'active' LIMIT 1")[0][0], "--refund", "cash", *OP, expect="unpaid")
    refused("log visit without account", "log", "visit", "--note", "x", *OP)
    refused("log unknown kind", "log", "gossip", b, "--note", "x", *OP)
    refused("log empty note", "log", "consultation", b, "--note", "", *OP)
    refused("trip end with none in progress", "trip", "end", *OP, expect="trip")
    refused("trip start missing estate", "trip", "start", *OP)
    refused("shift open twice", "shift", "open", "--float", "10", *OP, expect="already")
    refused("shift open negative float", "shift", "open", "--float", "-10", *OP)
    refused("void by an operator", "void", "2", "--reason", "oops", *OP, code=4)
    refused("void missing reason", "void", "2", *SUP)
    refused("void bad seq", "void", "two", "--reason", "x", *SUP)
    refused("search too long", "search", "光" * 65, expect="long")
    refused("search control characters", "search", "王\x01")
    refused("search limit 0", "search", "王", "--limit", "0")
    refused("search finds nothing", "search", "不存在的名字", code=3)
    refused("account unknown", "account", unknown, code=3)
    refused("report week", "report", "week")
    refused("report bad date", "report", "day", "--date", "2026-02-30")
    refused("demo 0 accounts", "demo", "--accounts", "0")
    refused("init twice", "init", "--van", "VAN02", expect="already")
    refused("unknown command", "frobnicate")

    # A wrong PIN five times locks the staff member out (and a locked-out
    # attempt changes nothing but the counters).
    for _ in range(5):
        run("pay", postpaid[0], "10", "--method", "cash", "--staff", "op01", "--pin", "0000")
    refused("locked out after 5 wrong PINs", "pay", postpaid[0], "10", "--method", "cash", *OP,
            code=4, expect="locked")

    # --- verify names the tampered entry ---------------------------------
    con = sqlite3.connect(DB)
    con.execute("DROP TRIGGER journal_no_update")
    con.execute("UPDATE journal SET payload = replace(payload, '\"amount\":1234', '\"amount\":234')"
                " WHERE kind = 'pay' AND seq = 2")
    con.commit()
    changed = con.total_changes
    con.close()
    tap(changed == 1, "tampered the payment entry 2")
    rc, out, err = run("verify")
    tap(rc == 5 and "entry 2" in err, "verify fails naming entry 2", "rc=%d %s %s" % (rc, out, err))
finally:
    shutil.rmtree(TMP, ignore_errors=True)

print("1..%d" % len(results))
sys.exit(0 if all(results) else 1)
