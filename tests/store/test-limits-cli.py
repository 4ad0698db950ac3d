#!/usr/bin/env python3
# test-limits-cli.py: offline exposure caps (issue 9) through vanpos-cli:
# limits show|set, a sale over a cap refused with one stderr line and
# nothing written, approved by a supervisor (never an operator), sync first.
#
# Usage: test-limits-cli.py PATH/TO/vanpos-cli      (speaks TAP)
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
TMP = tempfile.mkdtemp(prefix="vp-limits-test-")
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


def snapshot(db):
    return (query(db, "SELECT count(*), coalesce(max(seq), 0) FROM journal")[0],
            query(db, "SELECT coalesce(sum(balance), 0) FROM accounts")[0][0],
            query(db, "SELECT key, value FROM meta WHERE key LIKE 'limit.%' ORDER BY key"))


def refused(desc, db, args, rc_want, err_re, env=None):
    before = snapshot(db)
    rc, out, err = run(db, *args, env=env)
    ok = rc == rc_want and one_line(err) and re.search(err_re, err) is not None
    tap(ok, desc, "rc=%d (want %d)\nstdout: %s\nstderr: %s" % (rc, rc_want, out, err))
    tap(snapshot(db) == before, desc + ": nothing written")


APPROVE_OP = ["--approve-staff", "op01", "--approve-pin", "1234"]
APPROVE_SUP = ["--approve-staff", "sup01", "--approve-pin", "9876"]

db = new_van("limits")
acct = postpaid(db)

# --- limits show ----------------------------------------------------------
rc, out, err = run(db, "limits")
tap(rc == 0 and err == "" and len(out.splitlines()) == 8
    and re.search(r"cash_per_transaction +¥5,000\.00", out) is not None
    and re.search(r"unsynced_hours +72 h", out) is not None, "limits shows the 8 defaults", out + err)
rc, out, err = run(db, "limits", "show", "--json")
j = json.loads(out) if rc == 0 else {}
tap(j.get("cash_in_van") == {"value": 3000000, "default": 3000000, "unit": "fen"}
    and j.get("card_per_day", {}).get("value") == 20000000
    and j.get("unsynced_hours") == {"value": 72, "default": 72, "unit": "hours"},
    "limits --json", out)

# --- per transaction --------------------------------------------------------
rc, out, err = run(db, "pay", acct, "5000.00", "--method", "cash", "--json", *OP)
tap(rc == 0 and "limit_approved_by" not in json.loads(out), "¥5,000.00 cash: at the cap, passes",
    out + err)
refused("¥5,000.01 cash refused over cash_per_transaction", db,
        ["pay", acct, "5000.01", "--method", "cash"] + OP, 1,
        r"^vanpos-cli: .*¥5,000\.01.*¥5,000\.00.*\(cash_per_transaction\).*supervisor.*"
        r"--approve-staff SUP --approve-pin PIN\)$")
refused("an operator as approver is refused", db,
        ["pay", acct, "5000.01", "--method", "cash"] + OP + APPROVE_OP, EXIT_AUTH,
        r"needs a supervisor; op01 is an operator")
refused("--approve-staff without --approve-pin is a usage error", db,
        ["pay", acct, "5000.01", "--method", "cash", "--approve-staff", "sup01"] + OP, 2,
        r"give both --approve-staff SUP and --approve-pin PIN")
refused("a wrong approver PIN is refused", db,
        ["pay", acct, "5000.01", "--method", "cash"] + OP +
        ["--approve-staff", "sup01", "--approve-pin", "0000"], EXIT_AUTH, r".")
n = journal_len(db)
rc, out, err = run(db, "pay", acct, "5000.01", "--method", "cash", "--json", *(OP + APPROVE_SUP))
j = json.loads(out) if rc == 0 else {}
tap(rc == 0 and j.get("limit_approved_by") == "sup01"
    and j.get("limit_exceeded") == "cash_per_transaction" and j.get("amount") == 500001
    and journal_len(db) == n + 1, "a supervisor approves: paid, the approval signed", out + err)
refused("¥20,000.01 by card refused over card_per_transaction", db,
        ["pay", acct, "20000.01", "--method", "card", "--ref", "T1"] + OP, 1,
        r"card_per_transaction")

# --- set ----------------------------------------------------------------------
refused("an operator cannot set a limit", db, ["limits", "set", "cash_in_van", "100"] + OP,
        EXIT_AUTH, r"Setting an offline limit needs a supervisor")
refused("an unknown limit is a usage error", db, ["limits", "set", "cash_in_pocket", "100"] + SUP,
        2, r"unknown limit “cash_in_pocket”")
refused("a per-transaction cap above ¥1,000,000.00 is refused", db,
        ["limits", "set", "cash_per_transaction", "1000000.01"] + SUP, 1, r"at most ¥1,000,000\.00")
refused("zero hours is a usage error", db, ["limits", "set", "unsynced_hours", "0"] + SUP, 2,
        r"whole number of hours")
n = journal_len(db)
rc, out, err = run(db, "limits", "set", "cash_in_van", "10600", "--json", *SUP)
j = json.loads(out) if rc == 0 else {}
tap(rc == 0 and j.get("kind") == "limits.set" and j.get("name") == "cash_in_van"
    and j.get("value") == 1060000 and j.get("previous") == 3000000 and journal_len(db) == n + 1,
    "a supervisor sets cash_in_van, journaled as limits.set", out + err)

# --- cash in the van: float 500 + 5000 + 5000.01 = 10500.01 -------------------
rc, out, err = run(db, "pay", acct, "99.99", "--method", "cash", *OP)
tap(rc == 0, "¥99.99 more cash: ¥10,600.00 in the van, at the cap", err)
refused("one fen more is over cash_in_van", db, ["pay", acct, "0.01", "--method", "cash"] + OP, 1,
        r"¥10,600\.01 cash in the van.*\(cash_in_van\); drop cash to the safe first")
rc, out, err = run(db, "pay", acct, "0.01", "--method", "mobile", "--ref", "M1", *OP)
tap(rc == 0, "mobile money is not in the drawer", err)

# --- sync first -----------------------------------------------------------------
rc, out, err = run(db, "limits", "set", "unsynced_hours", "1", *SUP)
tap(rc == 0, "unsynced_hours set to 1", err)
later = {"VP_FAKE_NOW": str(int(time.time()) + 2 * 3600 + 60)}
refused("two hours unsynced: sync first", db,
        ["pay", acct, "1.00", "--method", "card", "--ref", "T2"] + OP, 1,
        r"not yet synced is 2 hours old.*\(unsynced_hours\); sync with HQ first", env=later)
rc, out, err = run(db, "pay", acct, "1.00", "--method", "card", "--ref", "T2", "--json",
                   *(OP + APPROVE_SUP), env=later)
tap(rc == 0 and json.loads(out).get("limit_exceeded") == "unsynced_hours",
    "a supervisor approves a sale before the sync", out + err)

# --- open-account: the fee is a sale too -----------------------------------------
OPEN = ["open-account", "--name", "孙丽华", "--phone", "13512345678",
        "--id-number", "11010519491231002X", "--estate", "新村", "--building", "9",
        "--room", "901", "--service", "water", "--meter", "postpaid",
        "--fee", "6000.00", "--method", "cash"]
rc, out, err = run(db, "limits", "set", "unsynced_hours", "72", *SUP)
refused("an opening fee over the cash cap is refused", db, OPEN + OP, 1,
        r"¥6,000\.00.*\(cash_per_transaction\)")
rc, out, err = run(db, *(OPEN + OP + APPROVE_SUP + ["--json"]))
j = json.loads(out) if rc == 0 else {}
tap(rc == 0 and j.get("limit_approved_by") == "sup01" and "approved_by" not in j,
    "open-account: the supervisor approves the fee (not a duplicate override)", out + err)

rc, out, err = run(db, "verify")
tap(rc == 0, "the journal verifies", out + err)

shutil.rmtree(TMP, ignore_errors=True)
print("1..%d" % len(results))
sys.exit(0 if all(results) else 1)
