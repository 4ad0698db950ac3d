#!/usr/bin/env python3
# test-topup-reversal-cli.py: a card top-up reversed by `vanpos-cli void
# SEQ` with its card (issue 9, DESIGN §3 "Reversals"): the money back the
# way it came, the year's volume back, the card rewritten; and the
# refusals (card not presented, another card, a later purchase, loaded
# into the meter, already reversed, no reason, an operator's PIN) with
# exact exit codes, exactly one stderr line and nothing written; a card
# write that fails abandons it (exit 1, money untouched); a card that may
# hold it leaves it pending (exit 6) until `card recover` finishes it.
#
# Figures by hand, integer fen. The account is made a residential gas
# account at 295 m³ this year (tiers 300 m³ at ¥2.98, then ¥3.57):
# 10 m³ = 5 × 298 + 5 × 357 = 1490 + 1785 = 3275 fen; a top-up not
# reversed leaves the account 10 m³ further, so the next 10 m³ are all in
# the second tier: 10 × 357 = 3570 fen.
#
# Usage: test-topup-reversal-cli.py PATH/TO/vanpos-cli      (speaks TAP)
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
TMP = tempfile.mkdtemp(prefix="vp-topup-reversal-test-")
OP = ["--staff", "op01", "--pin", "1234"]
SUP = ["--staff", "sup01", "--pin", "9876"]
APPROVE = ["--approve-staff", "sup01", "--approve-pin", "9876"]
APPROVE_OP = ["--approve-staff", "op01", "--approve-pin", "1234"]
EXIT_FAILED, EXIT_USAGE, EXIT_AUTH, EXIT_PARTIAL = 1, 2, 4, 6
FLOAT = 50000
PRICE = 1490 + 1785
PRICE2 = 10 * 357
YEAR0 = 295000
NO_AUTO = {"VANPOS_CARD_AUTOINSERT": "0"}


def run(db, *args, env=None):
    e = dict(os.environ)
    e["LC_ALL"] = "C.UTF-8"
    e.pop("VP_FAKE_NOW", None)
    e.pop("VANPOS_CARD_DIR", None)
    e.pop("VANPOS_SIM_FAULT", None)
    if env:
        e.update(env)
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
    """What a refusal must leave as it was: the journal, the outbox, the
    accounts, top-ups and the simulated cards' bytes."""
    state = [query(db, "SELECT count(*), coalesce(max(seq), 0) FROM journal"),
             query(db, "SELECT count(*) FROM outbox"),
             query(db, "SELECT * FROM accounts ORDER BY id"),
             query(db, "SELECT * FROM topups ORDER BY intent_seq")]
    cards = db + ".cards"
    h = hashlib.sha256()
    for name in sorted(os.listdir(cards)):
        path = os.path.join(cards, name)
        if os.path.isfile(path) and name.endswith(".card"):
            h.update(name.encode())
            with open(path, "rb") as f:
                h.update(f.read())
    state.append(h.hexdigest())
    return state


def refused(desc, db, args, code, err_re, env=None):
    before = snapshot(db)
    rc, out, err = run(db, *args, env=env)
    same = snapshot(db) == before
    ok = rc == code and one_line(err) and re.search(err_re, err) is not None and out == "" and same
    tap(ok, "refused (%d): %s" % (code, desc),
        "rc=%d (want %d) unchanged=%s\nstdout: %s\nstderr: %s" % (rc, code, same, out, err))


def ok_json(desc, db, args, env=None):
    rc, out, err = run(db, *(list(args) + ["--json"]), env=env)
    o = None
    if rc == 0:
        try:
            o = json.loads(out)
        except ValueError:
            o = None
    tap(rc == 0 and o is not None, desc, "rc=%d\nstdout: %s\nstderr: %s" % (rc, out, err))
    return o or {}


def expected_cash(db):
    rc, out, err = run(db, "shift", "x", "--json", *SUP)
    return json.loads(out)["expected_cash"] if rc == 0 else None


def account(db, number):
    return query(db, "SELECT balance, card_counter, year_volume FROM accounts WHERE number = ?",
                 number)[0]


def card(db):
    rc, out, err = run(db, "card", "read", "--json")
    return json.loads(out) if rc == 0 else {"rc": rc, "err": err}


def topup(db, number, extra=()):
    o = ok_json("top up 10 m³ on %s" % number, db,
                ["topup", number, "--volume", "10", "--method", "cash"] + list(extra) + OP)
    return o.get("seq")


def void_args(seq, approve=APPROVE, reason="wrong account"):
    args = ["void", str(seq)]
    if reason is not None:
        args += ["--reason", reason]
    return args + OP + approve


# --- a van, an account at 295 m³ this year ------------------------------------
db = os.path.join(TMP, "van.db")
for args in (["init", "--van", "VAN01"], ["demo", "--accounts", "60", "--seed", "7"],
             ["shift", "open", "--float", "500"] + SUP):
    rc, out, err = run(db, *args)
    if rc != 0:
        raise SystemExit("setup %s failed: %s" % (args, err))
(acct, card_no), (other, other_card) = query(
    db, "SELECT number, card_number FROM accounts WHERE meter = 'prepaid' AND status = 'active'"
        " AND card_number IS NOT NULL ORDER BY id LIMIT 2")
year = datetime.date.today().year
for n in (acct, other):
    write(db, "UPDATE accounts SET tariff_class = 'residential', concession_expiry = NULL,"
              " tariff_year = ?, year_volume = ?, free_used = 0, balance = 0 WHERE number = ?",
          year, YEAR0, n)
# The first card use makes the demo key (one note on stderr): do it here.
run(db, "topup", other, "--volume", "10", "--method", "cash", *OP)
counter0 = account(db, acct)[1]
FLOAT += PRICE
tap(expected_cash(db) == FLOAT, "the drawer holds the float and the other account's ¥32.75")

# --- reversed: cash back, volume back, the card rewritten ------------------------
seq = topup(db, acct)
tap(expected_cash(db) == FLOAT + PRICE, "the drawer took %d fen" % PRICE)
tap(account(db, acct) == (0, counter0 + 1, YEAR0 + 10000), "counter +1, 305 m³ this year")
o = ok_json("void the top-up's receipt with its card", db, void_args(seq))
tap(o.get("kind") == "void" and o.get("voided_kind") == "topup.intent"
    and o.get("voided_seq") == seq - 1 and o.get("amount") == PRICE and o.get("method") == "cash"
    and o.get("requested_by") == "op01" and o.get("approved_by") == "sup01"
    and o.get("card_counter") == counter0 + 2 and o.get("volume") == 10000
    and o.get("credit_back") == 0 and o.get("year_volume_after") == YEAR0,
    "the void names the top-up, gives back 3275 fen cash, says who asked and who approved", o)
tap(expected_cash(db) == FLOAT, "the drawer gives the 3275 fen back")
tap(account(db, acct) == (0, counter0 + 2, YEAR0), "credit 0, counter +2, back at 295 m³")
c = card(db)
tap(c.get("card_number") == card_no and c.get("counter") == counter0 + 2 and c.get("reversal") is True
    and c.get("loaded") is False and c.get("last_volume") == 0 and c.get("verified") is True,
    "the card: counter +2, the purchase taken off, nothing to load", c)
kinds = [k for (k,) in query(db, "SELECT kind FROM journal WHERE seq >= ? ORDER BY seq", seq - 1)]
tap(kinds == ["topup.intent", "topup.confirm", "reversal.intent", "void"],
    "journal: intent, confirm, reversal intent, void", kinds)
refused("already reversed", db, void_args(seq), EXIT_FAILED, "already reversed")

# --- paid partly from credit: the credit goes back onto the account -------------
write(db, "UPDATE accounts SET balance = 1000 WHERE number = ?", acct)
seq = topup(db, acct, ["--from-credit"])
tap(expected_cash(db) == FLOAT + PRICE - 1000, "¥10.00 from credit, ¥22.75 in cash")
o = ok_json("void the top-up paid partly from credit", db, void_args(seq))
tap(o.get("amount") == PRICE - 1000 and o.get("credit_back") == 1000
    and o.get("credit_after") == 1000, "2275 fen back in cash, 1000 back as credit", o)
tap(expected_cash(db) == FLOAT, "the drawer is back")
tap(account(db, acct) == (1000, counter0 + 4, YEAR0), "credit 1000 again, back at 295 m³")
write(db, "UPDATE accounts SET balance = 0 WHERE number = ?", acct)

# --- refusals --------------------------------------------------------------------
seq = topup(db, acct)
refused("no reason", db, void_args(seq, reason=None), EXIT_USAGE, "--reason")
refused("an operator's PIN as the approval", db, void_args(seq, approve=APPROVE_OP), EXIT_AUTH,
        "needs a supervisor")
run(db, "card", "remove")
refused("card not presented", db, void_args(seq), EXIT_FAILED, "Insert card %s" % card_no,
        env=NO_AUTO)
run(db, "card", "insert", other_card)
refused("another account's card", db, void_args(seq), EXIT_FAILED, "Wrong card: this is card %s"
        % other_card, env=NO_AUTO)
later = topup(db, acct)
refused("a later purchase on the card", db, void_args(seq), EXIT_FAILED, "later purchase")
rc, out, err = run(db, "card", "insert", card_no)
rc, out, err = run(db, "card", "meter")
tap(rc == 0 and "loaded into the meter" in out, "the meter loads the last purchase", out + err)
tap(card(db).get("loaded") is True, "the card says it is loaded")
refused("loaded into the meter", db, void_args(later), EXIT_FAILED, "already loaded into the meter")
refused("not a top-up (the shift's opening)", db,
        void_args(query(db, "SELECT min(seq) FROM journal WHERE kind = 'shift.open'")[0][0]),
        EXIT_FAILED, "cannot be voided")
tap(expected_cash(db) == FLOAT + PRICE + PRICE2, "both top-ups still in the drawer (3275 + 3570)")
FLOAT += PRICE + PRICE2

# --- the card write fails: abandoned, nothing changed but the record of it ------
seq = topup(db, acct)
before = account(db, acct)
rc, out, err = run(db, *void_args(seq), env={"VANPOS_SIM_FAULT": "write-error"})
tap(rc == EXIT_FAILED and one_line(err) and "abandoned, nothing changed" in err and out == "",
    "a failed card write abandons the reversal (exit 1, one line)", "rc=%d\n%s%s" % (rc, out, err))
tap(account(db, acct) == before and expected_cash(db) == FLOAT + PRICE2,
    "money, counter and volume untouched")
tap(query(db, "SELECT count(*) FROM journal WHERE kind = 'reversal.abandon'")[0][0] == 1,
    "one reversal.abandon on the journal")

# --- written but not read back: pending (exit 6) until the card is read ----------
rc, out, err = run(db, *void_args(seq), env={"VANPOS_SIM_FAULT": "read-fail:2"})
tap(rc == EXIT_PARTIAL and one_line(err) and "is pending" in err and out == "",
    "card rewritten, reversal not confirmed: exit 6, one line", "rc=%d\n%s%s" % (rc, out, err))
tap(expected_cash(db) == FLOAT + PRICE2, "no money back while pending")
refused("closing the shift while the reversal is pending", db,
        ["shift", "close", "--counted", "1.00"] + SUP, EXIT_FAILED,
        "1 top-up reversal\\(s\\) are not resolved")
rc, out, err = run(db, "card", "recover", "--json")
rec = json.loads(out).get("recovered", []) if rc == 0 else []
tap(len(rec) == 1 and rec[0].get("outcome") == "reversed" and rec[0].get("reversal") is True,
    "card recover finishes it", out + err)
tap(expected_cash(db) == FLOAT, "the 3570 fen given back once")
tap(account(db, acct) == (0, before[1] + 1, before[2] - 10000), "counter +1, 10 m³ back")
rc, out, err = run(db, "card", "recover", "--json")
tap(rc == 0 and json.loads(out).get("recovered") == [], "nothing more to recover", out + err)

rc, out, err = run(db, "verify")
tap(rc == 0, "the journal verifies", out + err)

print("1..%d" % len(results))
shutil.rmtree(TMP, ignore_errors=True)
sys.exit(0 if all(results) else 1)
