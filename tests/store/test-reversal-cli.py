#!/usr/bin/env python3
# test-reversal-cli.py: every money-moving kind reversed by `vanpos-cli
# void SEQ` (issue 9, DESIGN §3 "Reversals"): cash movements, a credit
# refund, a credit move, an account closed with a cash refund, a card
# reissue fee; and the refusals (unknown seq, already voided, a kind that
# cannot be reversed, credit used since, an operator as approver) with
# exact exit codes, exactly one stderr line and nothing written.
# Amounts in integer fen.
#
# Usage: test-reversal-cli.py PATH/TO/vanpos-cli      (speaks TAP)
#
# SPDX-License-Identifier: GPL-3.0-or-later

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
TMP = tempfile.mkdtemp(prefix="vp-reversal-test-")
OP = ["--staff", "op01", "--pin", "1234"]
SUP = ["--staff", "sup01", "--pin", "9876"]
APPROVE = ["--approve-staff", "sup01", "--approve-pin", "9876"]
APPROVE_OP = ["--approve-staff", "op01", "--approve-pin", "1234"]
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


def balance(db, number):
    return query(db, "SELECT balance FROM accounts WHERE number = ?", number)[0][0]


def void(desc, db, seq, gives_back, kind):
    before = expected_cash(db)
    o = ok_json("void %s" % desc, db, ["void", str(seq), "--reason", "keyed wrong"] + OP + APPROVE)
    tap(o.get("voided_kind") == kind and o.get("amount") == gives_back
        and o.get("requested_by") == "op01" and o.get("approved_by") == "sup01",
        "void of %s gives back %d fen" % (kind, gives_back), o)
    tap(expected_cash(db) == before - gives_back,
        "the drawer expects %d fen more after voiding %s" % (-gives_back, desc))
    return o


db = new_van("reversal")
FLOAT = 50000
tap(expected_cash(db) == FLOAT, "float ¥500.00")

# --- cash movements --------------------------------------------------------
d = ok_json("drop ¥150.00", db, ["cash", "drop", "150.00", "--reason", "safe"] + SUP)
pi = ok_json("paid in ¥10.00", db, ["cash", "paid-in", "10.00", "--reason", "coins"] + SUP)
po = ok_json("paid out ¥25.30", db, ["cash", "paid-out", "25.30", "--reason", "fuel"] + SUP)
tap(expected_cash(db) == FLOAT - 15000 + 1000 - 2530, "50000 - 15000 + 1000 - 2530")
void("the drop", db, d.get("seq"), -15000, "cash.drop")
void("the paid-in", db, pi.get("seq"), 1000, "cash.paid_in")
void("the paid-out", db, po.get("seq"), -2530, "cash.paid_out")
tap(expected_cash(db) == FLOAT, "the drawer is back at the float")

# --- credit refund -----------------------------------------------------------
post = query(db, "SELECT number, balance FROM accounts WHERE meter = 'postpaid' AND status = 'active'"
                 " AND balance >= 1000 AND NOT EXISTS (SELECT 1 FROM bills b WHERE b.account_id ="
                 " accounts.id AND b.paid < b.amount) ORDER BY id LIMIT 2")
(acct, bal), (acct2, bal2) = post[0], post[1]
r = ok_json("refund ¥5.00 of credit", db,
            ["refund-credit", acct, "5.00", "--reason", "asked"] + SUP)
tap(balance(db, acct) == bal - 500, "credit %d - 500" % bal)
void("the refund", db, r.get("seq"), -500, "credit.refund")
tap(balance(db, acct) == bal, "credit back at %d" % bal)

# --- credit move, then the move's credit used: refused -----------------------
m = ok_json("move ¥10.00 of credit", db, ["move-credit", acct, acct2, "10.00"] + OP + APPROVE)
void("the move", db, m.get("seq"), 0, "credit.move")
tap(balance(db, acct) == bal and balance(db, acct2) == bal2, "both credits as before")
m = ok_json("move ¥10.00 again", db, ["move-credit", acct, acct2, "10.00"] + OP + APPROVE)
spend = ok_json("refund all of the receiving account's credit", db,
                ["refund-credit", acct2, "%d.%02d" % divmod(bal2 + 1000, 100), "--reason", "asked"] + SUP)
refused("void of a move whose credit was used since", db,
        ["void", str(m.get("seq")), "--reason", "x"] + OP + APPROVE, EXIT_FAILED, "used since")

# --- account closed with a cash refund ---------------------------------------
cbal = balance(db, acct)
c = ok_json("close %s refunding %d fen in cash" % (acct, cbal), db,
            ["close-account", acct, "--refund", "cash"] + OP + APPROVE)
void("the close", db, c.get("seq"), -cbal, "account.close")
tap(query(db, "SELECT status, balance FROM accounts WHERE number = ?", acct)[0] == ("active", cbal),
    "the account is active again with %d fen" % cbal)

# --- card reissue fee ----------------------------------------------------------
card_acct = query(db, "SELECT number FROM accounts WHERE meter = 'prepaid' AND status = 'active'"
                      " ORDER BY id LIMIT 1")[0][0]
ri = ok_json("reissue with a ¥20.00 fee", db,
             ["card", "reissue", card_acct, "--fee", "20.00", "--method", "cash", "--reason", "lost"] + OP)
void("the reissue fee", db, ri.get("seq"), 2000, "card.reissue")

# --- refusals ------------------------------------------------------------------
last = query(db, "SELECT max(seq) FROM journal")[0][0]
refused("void of an unknown seq", db, ["void", str(last + 100), "--reason", "x"] + OP + APPROVE,
        EXIT_NOT_FOUND, ".")
refused("void of an entry already voided", db,
        ["void", str(d.get("seq")), "--reason", "x"] + OP + APPROVE, EXIT_FAILED, "already voided")
open_seq = query(db, "SELECT min(seq) FROM journal WHERE kind = 'shift.open'")[0][0]
refused("void of a shift opening", db, ["void", str(open_seq), "--reason", "x"] + OP + APPROVE,
        EXIT_FAILED, "cannot be voided")
refused("void approved by an operator", db,
        ["void", str(spend.get("seq")), "--reason", "x"] + OP + APPROVE_OP, EXIT_AUTH, "supervisor")
refused("void without a reason", db, ["void", str(spend.get("seq"))] + OP + APPROVE, EXIT_USAGE,
        "--reason")

rc, out, err = run(db, "verify")
tap(rc == 0, "the journal verifies", out + err)

print("1..%d" % len(results))
shutil.rmtree(TMP, ignore_errors=True)
sys.exit(0 if all(results) else 1)
