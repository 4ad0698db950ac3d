#!/usr/bin/env python3
# test-holes-cli.py: the small holes and approvals of issue 9 through
# vanpos-cli: a second account at one address, a top-up that buys nothing,
# an expired certificate, a top-up on a closed account, closed accounts in
# account/search, an ID number ending in a lowercase x, and the supervisor
# approvals of a cash refund, a credit move to another holder and a void.
# Exact exit codes, exactly one stderr line per refusal, and the database
# (and the card) unchanged by every refusal. Amounts in integer fen.
#
# Usage: test-holes-cli.py PATH/TO/vanpos-cli      (speaks TAP)
#
# SPDX-License-Identifier: GPL-3.0-or-later

import datetime
import hashlib
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
TMP = tempfile.mkdtemp(prefix="vp-holes-test-")
OP = ["--staff", "op01", "--pin", "1234"]
SUP = ["--staff", "sup01", "--pin", "9876"]
APPROVE = ["--approve-staff", "sup01", "--approve-pin", "9876"]
APPROVE_OP = ["--approve-staff", "op01", "--approve-pin", "1234"]
EXIT_FAILED, EXIT_USAGE, EXIT_AUTH = 1, 2, 4


def run(db, *args):
    e = dict(os.environ)
    e["LC_ALL"] = "C.UTF-8"
    e.pop("VP_FAKE_NOW", None)
    p = subprocess.run([CLI, "--db", db] + list(args), capture_output=True, text=True, env=e,
                       timeout=120)
    return p.returncode, p.stdout, p.stderr


def one_line(err):
    return err.count("\n") == 1 and err.endswith("\n")


def query(db, sql, *params):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def write(db, sql, *params):
    con = sqlite3.connect(db)
    try:
        con.execute(sql, params)
        con.commit()
    finally:
        con.close()


def snapshot(db):
    """Everything a refusal must leave as it was: the journal, the outbox,
    every account row, top-ups, bills, and the simulated cards' bytes."""
    state = [query(db, "SELECT count(*), coalesce(max(seq), 0) FROM journal"),
             query(db, "SELECT count(*) FROM outbox"),
             query(db, "SELECT * FROM accounts ORDER BY id"),
             query(db, "SELECT * FROM topups ORDER BY intent_seq"),
             query(db, "SELECT * FROM bills ORDER BY id")]
    cards = db + ".cards"
    h = hashlib.sha256()
    if os.path.isdir(cards):
        for name in sorted(os.listdir(cards)):
            path = os.path.join(cards, name)
            if os.path.isfile(path):
                h.update(name.encode())
                with open(path, "rb") as f:
                    h.update(f.read())
    state.append(h.hexdigest())
    return state


def refused(desc, db, args, code, err_re):
    """A refusal: the exit code, exactly one stderr line matching err_re,
    nothing on stdout, nothing changed."""
    before = snapshot(db)
    rc, out, err = run(db, *args)
    same = snapshot(db) == before
    ok = rc == code and one_line(err) and re.search(err_re, err) is not None and out == "" and same
    tap(ok, "refused (%d): %s" % (code, desc),
        "rc=%d (want %d) unchanged=%s\nstdout: %s\nstderr: %s" % (rc, code, same, out, err))
    return err


def ok_json(desc, db, args):
    rc, out, err = run(db, *args, "--json")
    o = None
    if rc == 0:
        try:
            o = json.loads(out)
        except ValueError:
            o = None
    tap(rc == 0 and o is not None, desc, "rc=%d\nstdout: %s\nstderr: %s" % (rc, out, err))
    return o or {}


def new_van(name):
    db = os.path.join(TMP, name + ".db")
    for args in (["init", "--van", "VAN01"], ["demo", "--accounts", "60", "--seed", "7"],
                 ["shift", "open", "--float", "500"] + SUP):
        rc, out, err = run(db, *args)
        if rc != 0:
            raise SystemExit("setup %s failed: %s" % (args, err))
    return db


def expected_cash(db):
    rc, out, err = run(db, "shift", "x", "--json", *SUP)
    return json.loads(out)["expected_cash"] if rc == 0 else None


def van_today():
    return datetime.date.today()


OPEN_BASE = ["open-account", "--name", "孙丽华", "--phone", "13512345678",
             "--meter", "postpaid"]


def open_args(estate, building, unit, room, service="gas", id_number="11010519491231002X"):
    args = OPEN_BASE + ["--id-number", id_number, "--estate", estate, "--building", building,
                        "--room", room, "--service", service]
    if unit:
        args += ["--unit", unit]
    return args


db = new_van("holes")

# --- 1. A second account at one address ----------------------------------
row = query(db, "SELECT number, estate, building, unit, room FROM accounts"
                " WHERE service = 'gas' AND status = 'active' ORDER BY id LIMIT 1")[0]
number, estate, building, unit, room = row
dup = open_args(estate, building, unit, room)
err = refused("a second gas account at %s's address" % number, db, dup + OP, EXIT_FAILED,
              re.escape(number))
tap("supervisor" in err, "the refusal says a supervisor can override", err)
refused("--override-duplicate by an operator alone", db, dup + ["--override-duplicate"] + OP,
        EXIT_AUTH, "supervisor")
refused("--override-duplicate approved by an operator", db,
        dup + ["--override-duplicate"] + OP + APPROVE_OP, EXIT_AUTH, "supervisor.*op01")
refused("--override-duplicate with a wrong supervisor PIN", db,
        dup + ["--override-duplicate"] + OP + ["--approve-staff", "sup01", "--approve-pin", "0000"],
        EXIT_AUTH, ".")
refused("--approve-staff without --approve-pin", db,
        dup + ["--override-duplicate"] + OP + ["--approve-staff", "sup01"], EXIT_USAGE,
        "--approve-pin")
# --approve-staff also approves a fee over an offline limit (issue 9): alone
# it does not override the duplicate.
refused("--approve-staff without --override-duplicate", db, dup + OP + APPROVE, EXIT_FAILED,
        "needs a supervisor's override")
o = ok_json("water at the same address opens", db,
            open_args(estate, building, unit, room, service="water") + OP)
tap(o.get("service") == "water" and "duplicate_of" not in o, "no override recorded for water", o)
o = ok_json("a supervisor approves the second gas account", db,
            dup + ["--override-duplicate"] + OP + APPROVE)
tap(o.get("duplicate_of") == number and o.get("approved_by") == "sup01" and o.get("staff") == "op01",
    "payload: duplicate_of, approved_by sup01, staff op01", o)

# --- 6. An ID number ending in a lowercase x ------------------------------
o = ok_json("an ID number ending in x opens", db,
            open_args("天鹅湖畔", "88", "", "808", id_number="11010519491231002x") + OP)
tap(o.get("id_number") == "11010519491231002X", "the payload holds the upper-case X", o)
stored = query(db, "SELECT id_number FROM accounts WHERE number = ?", o.get("account", ""))
tap(stored == [("11010519491231002X",)], "the account stores the upper-case X", stored)
refused("a wrong check character stays wrong", db,
        open_args("天鹅湖畔", "88", "", "809", id_number="110105194912310021") + OP, EXIT_FAILED,
        "check digit")

# --- 3. The low-income certificate ---------------------------------------
today = van_today()
low = open_args("天鹅湖畔", "89", "", "901") + ["--tariff", "low_income"]
for label, day in (("yesterday", today - datetime.timedelta(days=1)), ("today", today)):
    refused("a certificate that expired %s" % label, db,
            low + ["--concession-expiry", day.isoformat()] + OP, EXIT_FAILED, day.isoformat())
refused("a low-income account without its certificate", db, low + OP, EXIT_FAILED, "certificate")
tomorrow = (today + datetime.timedelta(days=1)).isoformat()
o = ok_json("a certificate running until tomorrow", db, low + ["--concession-expiry", tomorrow] + OP)
tap(o.get("concession_expiry") == tomorrow, "the expiry is recorded", o)

# --- 2. A top-up must buy something and cost at least one fen ------------
pre = query(db, "SELECT number, card_counter FROM accounts WHERE meter = 'prepaid'"
                " AND tariff_class = 'residential' AND service = 'gas' AND status = 'active'"
                " AND card_number IS NOT NULL ORDER BY id LIMIT 1")[0]
acct, counter = pre
# 2 litres cost 2 × 2.98 = 0.596 fen at the cheapest gas tier (2 × 4.47 =
# 0.894 at the dearest): one fen, rounded half up, at every tier.
o = ok_json("topup --volume 0.002 charges one fen", db,
            ["topup", acct, "--volume", "0.002", "--method", "cash"] + OP)
tap(o.get("charged") == 1 and o.get("amount") == 1 and o.get("volume") == 2
    and o.get("counter") == counter + 1, "¥0.01 for 2 litres, counter %d" % (counter + 1), o)
# 1 litre costs at most 0.447 fen: ¥0.00.
refused("topup --volume 0.001 (¥0.00)", db,
        ["topup", acct, "--volume", "0.001", "--method", "cash"] + OP, EXIT_FAILED, r"¥0\.01")
tap(query(db, "SELECT card_counter FROM accounts WHERE number = ?", acct) == [(counter + 1,)],
    "the card counter did not advance")

# --- 4. A top-up on a closed account; 5. closed in account/search --------
closing = query(db, "SELECT a.number, a.balance FROM accounts a WHERE a.meter = 'prepaid'"
                    " AND a.status = 'active' AND a.card_number IS NOT NULL AND a.balance > 0"
                    " AND a.number <> ? AND NOT EXISTS (SELECT 1 FROM bills b"
                    " WHERE b.account_id = a.id AND b.paid < b.amount) ORDER BY a.id LIMIT 1",
                acct)[0]
closed, credit = closing
# A purchase on its card first, so the card holds a record to read later.
o = ok_json("topup ¥10.00 before closing", db, ["topup", closed, "--amount", "10", "--method", "cash"] + OP)
credit += o.get("leftover", 0)
card = query(db, "SELECT card_number FROM accounts WHERE number = ?", closed)[0][0]
tap(query(db, "SELECT balance FROM accounts WHERE number = ?", closed) == [(credit,)],
    "credit %d fen after the top-up's leftover" % credit)
cash_before = expected_cash(db)

# 7. A cash refund needs a supervisor.
refused("close-account --refund cash by an operator alone", db,
        ["close-account", closed, "--refund", "cash"] + OP, EXIT_AUTH, "supervisor.*op01")
refused("close-account --refund cash approved by an operator", db,
        ["close-account", closed, "--refund", "cash"] + OP + APPROVE_OP, EXIT_AUTH, "supervisor")
o = ok_json("close-account --refund cash approved by a supervisor", db,
            ["close-account", closed, "--refund", "cash"] + OP + APPROVE)
tap(o.get("amount") == credit and o.get("refund") == "cash" and o.get("approved_by") == "sup01"
    and o.get("staff") == "op01", "payload: refund %d fen, approved_by sup01" % credit, o)
cash_after = expected_cash(db)
tap(cash_before is not None and cash_after == cash_before - credit,
    "the drawer expects %d fen less" % credit, (cash_before, cash_after))

err = refused("a top-up on a closed account", db,
              ["topup", closed, "--amount", "10", "--method", "cash"] + OP, EXIT_FAILED,
              re.escape(closed) + ".*closed")
tap("lost" not in err and "stolen" not in err, "not called lost or stolen", err)

run(db, "card", "insert", card)
rc, out, err = run(db, "card", "read", "--json")
o = json.loads(out) if out.strip() else {}
tap(rc == EXIT_FAILED and one_line(err) and "closed account " + closed in err and "lost" not in err
    and "closed account" in (o.get("problem") or ""), "card read: the card of a closed account",
    "rc=%d\nstdout: %s\nstderr: %s" % (rc, out, err))

rc, out, err = run(db, "account", closed)
tap(rc == 0 and "CLOSED" in out, "account says CLOSED", out + err)
rc, out, err = run(db, "account", closed, "--json")
o = json.loads(out) if rc == 0 else {}
tap(o.get("closed") is True and o.get("status") == "closed", "account --json: closed true", o)
rc, out, err = run(db, "search", closed)
tap(rc == 0 and "CLOSED" in out, "search says CLOSED", out + err)
rc, out, err = run(db, "search", closed, "--json")
o = json.loads(out)["results"][0] if rc == 0 else {}
tap(o.get("closed") is True, "search --json: closed true", o)
rc, out, err = run(db, "account", acct, "--json")
o = json.loads(out) if rc == 0 else {}
tap(o.get("closed") is False and o.get("status") == "active", "an active account: closed false", o)
rc, out, err = run(db, "account", acct)
tap(rc == 0 and "CLOSED" not in out, "an active account is not CLOSED", out)

# --- 7. Credit moved to another holder needs a supervisor ----------------
src, dst, mine = [r[0] for r in query(
    db, "SELECT number FROM accounts WHERE status = 'active' AND balance >= 1000"
        " AND number NOT IN (?, ?) ORDER BY id LIMIT 3", acct, closed)]
bal = dict(query(db, "SELECT number, balance FROM accounts WHERE number IN (?, ?, ?)",
                 src, dst, mine))
refused("move-credit to another holder by an operator alone", db,
        ["move-credit", src, dst, "5.00"] + OP, EXIT_AUTH, "supervisor.*op01")
refused("move-credit to another holder approved by an operator", db,
        ["move-credit", src, dst, "5.00"] + OP + APPROVE_OP, EXIT_AUTH, "supervisor")
refused("move-credit with --approve-pin alone", db,
        ["move-credit", src, dst, "5.00"] + OP + ["--approve-pin", "9876"], EXIT_USAGE,
        "--approve-staff")
o = ok_json("move-credit to another holder approved by a supervisor", db,
            ["move-credit", src, dst, "5.00"] + OP + APPROVE)
tap(o.get("approved_by") == "sup01" and o.get("balance_after") == bal[src] - 500
    and o.get("to_balance_after") == bal[dst] + 500,
    "%d - 500 and %d + 500" % (bal[src], bal[dst]), o)
# The same person (same ID number) moving house: the operator alone.
write(db, "UPDATE accounts SET id_number = (SELECT id_number FROM accounts WHERE number = ?)"
          " WHERE number = ?", src, mine)
o = ok_json("move-credit between one holder's accounts by an operator", db,
            ["move-credit", src, mine, "2.50"] + OP)
tap("approved_by" not in o and o.get("balance_after") == bal[src] - 750
    and o.get("to_balance_after") == bal[mine] + 250, "no approval; %d - 750" % bal[src], o)

# --- 7. Voids record who asked and who approved --------------------------
postpaid = query(db, "SELECT number FROM accounts WHERE meter = 'postpaid' AND status = 'active'"
                     " ORDER BY id LIMIT 1")[0][0]
p1 = ok_json("pay ¥20.00", db, ["pay", postpaid, "20.00", "--method", "cash"] + OP)
p2 = ok_json("pay ¥3.00", db, ["pay", postpaid, "3.00", "--method", "cash"] + OP)
s1, s2 = str(p1.get("seq")), str(p2.get("seq"))
refused("void by an operator alone", db, ["void", s1, "--reason", "wrong account"] + OP,
        EXIT_AUTH, "supervisor")
refused("void approved by an operator", db,
        ["void", s1, "--reason", "wrong account"] + OP + APPROVE_OP, EXIT_AUTH, "supervisor")
cash_before = expected_cash(db)
o = ok_json("void asked by op01, approved by sup01", db,
            ["void", s1, "--reason", "wrong account"] + OP + APPROVE)
tap(o.get("requested_by") == "op01" and o.get("approved_by") == "sup01" and o.get("amount") == 2000,
    "payload: requested_by op01, approved_by sup01, 2000 fen", o)
o = ok_json("the old form: --staff SUPERVISOR", db, ["void", s2, "--reason", "typo"] + SUP)
tap(o.get("requested_by") == "sup01" and o.get("approved_by") == "sup01" and o.get("amount") == 300,
    "payload: the supervisor asked and approved, 300 fen", o)
tap(expected_cash(db) == cash_before - 2300, "the drawer expects 2000 + 300 fen less")

rc, out, err = run(db, "verify")
tap(rc == 0, "the journal verifies", out + err)

print("1..%d" % len(results))
shutil.rmtree(TMP, ignore_errors=True)
sys.exit(0 if all(results) else 1)
