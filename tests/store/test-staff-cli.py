#!/usr/bin/env python3
# test-staff-cli.py: a supervisor's staff changes (issue 11) through
# vanpos-cli: staff list|add|disable|reset-pin|unlock, each one signed
# journal entry naming the supervisor and the target (never the PIN);
# refusals are one stderr line and write nothing; an operator's PIN is
# refused; a staff member locked by 5 wrong PINs is unlocked.
#
# Usage: test-staff-cli.py PATH/TO/vanpos-cli      (speaks TAP)
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
TMP = tempfile.mkdtemp(prefix="vp-staff-test-")
OP = ["--staff", "op01", "--pin", "1234"]
SUP = ["--staff", "sup01", "--pin", "9876"]
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_AUTH = 0, 1, 2, 3, 4

results = []


def tap(ok, desc, detail=""):
    results.append(bool(ok))
    n = len(results)
    print(("ok %d - %s" if ok else "not ok %d - %s") % (n, desc))
    if not ok and detail:
        for line in str(detail).splitlines():
            print("# " + line)
    sys.stdout.flush()
    return ok


def run(db, *args):
    e = dict(os.environ)
    e["LC_ALL"] = "C.UTF-8"
    e.pop("VP_FAKE_NOW", None)
    p = subprocess.run([CLI, "--db", db] + list(args), capture_output=True, text=True, env=e,
                       timeout=120)
    return p.returncode, p.stdout, p.stderr


def jload(text, empty):
    try:
        return json.loads(text)
    except ValueError:
        return empty


def one_line(err):
    return err.count("\n") == 1 and err.endswith("\n")


def query(db, sql, *params):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def snapshot(db, who):
    # who signed in for the command: their own wrong-PIN count moves with
    # the sign-in (a wrong PIN counts, a right one resets it), not with
    # the refused change.
    return (query(db, "SELECT count(*), coalesce(max(seq), 0) FROM journal")[0],
            query(db, "SELECT id, name, role, pin_hash, active,"
                      " CASE WHEN id = ? THEN NULL ELSE failed_pins END,"
                      " CASE WHEN id = ? THEN NULL ELSE locked_until END"
                      " FROM staff ORDER BY id", who, who))


def refused(desc, db, args, code, err_re):
    who = args[args.index("--staff") + 1] if "--staff" in args else None
    before = snapshot(db, who)
    rc, out, err = run(db, *args)
    tap(rc == code and one_line(err) and re.search(err_re, err) is not None, desc,
        "rc=%d (want %d)\nstdout: %s\nstderr: %s" % (rc, code, out, err))
    tap(snapshot(db, who) == before, desc + ": nothing written")


def change(desc, db, args, kind, target):
    """One staff change: exit 0, exactly one new entry of kind naming
    target and sup01, with no PIN in it."""
    n = query(db, "SELECT count(*) FROM journal")[0][0]
    rc, out, err = run(db, *(args + SUP + ["--json"]))
    j = jload(out, {}) if rc == 0 else {}
    tap(rc == 0 and j.get("kind") == kind and err == "", desc, out + err)
    rows = query(db, "SELECT kind, payload, staff_id, amount, method FROM journal WHERE seq > ?", n)
    p = jload(rows[0][1], {}) if len(rows) == 1 else {}
    tap(len(rows) == 1 and rows[0][0] == kind and rows[0][2] == "sup01" and rows[0][3] == 0
        and rows[0][4] is None and p.get("target") == target and p.get("staff") == "sup01"
        and "pin" not in p and "pin_hash" not in p and "$" not in rows[0][1],
        desc + ": one signed %s entry for %s by sup01, no PIN, no money" % (kind, target),
        repr(rows))
    return p


def signs_in(db, staff, pin):
    rc, out, err = run(db, "shift", "x", "--staff", staff, "--pin", pin)
    return rc, err


def new_van(name):
    db = os.path.join(TMP, name + ".db")
    for args in (["init", "--van", "VAN01"], ["demo", "--accounts", "20", "--seed", "7"]):
        rc, out, err = run(db, *args)
        if rc != 0:
            raise SystemExit("setup %s failed: %s" % (args, err))
    return db


db = new_van("staff")
rc, out, err = run(db, "shift", "open", "--float", "100", *SUP)
tap(rc == 0, "a shift is open", err)

# --- list ----------------------------------------------------------------------
rc, out, err = run(db, "staff", "list", "--json")
j = jload(out, []) if rc == 0 else []
tap(rc == 0 and [(s["id"], s["role"], s["active"], s["locked"], s["failed_pins"]) for s in j]
    == [("op01", "operator", True, False, 0), ("sup01", "supervisor", True, False, 0)],
    "staff list --json: op01 and sup01, active, unlocked", out + err)

# --- add -------------------------------------------------------------------------
ADD = ["staff", "add", "op02", "--name", "李娜", "--role", "operator", "--new-pin", "5555"]
refused("an operator may not add staff", db, ADD + OP, EXIT_AUTH, r"needs a supervisor")
refused("a wrong supervisor PIN adds nothing", db, ADD + ["--staff", "sup01", "--pin", "1111"],
        EXIT_AUTH, r"Wrong staff id or PIN")
refused("a 2-digit new PIN is refused", db,
        ["staff", "add", "op02", "--name", "李娜", "--role", "operator", "--new-pin", "12"] + SUP,
        EXIT_FAILED, r"PIN")
refused("a bad staff id is refused", db,
        ["staff", "add", "o p", "--name", "李娜", "--role", "operator", "--new-pin", "5555"] + SUP,
        EXIT_FAILED, r"Staff id must be")
refused("an existing id is refused", db,
        ["staff", "add", "op01", "--name", "李娜", "--role", "operator", "--new-pin", "5555"] + SUP,
        EXIT_FAILED, r"Staff id op01 already exists")
p = change("sup01 adds op02", db, ADD, "staff.add", "op02")
tap(p.get("name") == "李娜" and p.get("role") == "operator", "staff.add names the name and role",
    repr(p))
tap(query(db, "SELECT name, role, active, failed_pins FROM staff WHERE id = 'op02'")
    == [("李娜", "operator", 1, 0)], "op02 is in the staff table")
rc, err = signs_in(db, "op02", "5555")
tap(rc == 0, "op02 signs in with the PIN given", err)

# --- lock and unlock -----------------------------------------------------------
for i in range(5):
    rc, err = signs_in(db, "op01", "0000")
tap(query(db, "SELECT failed_pins, locked_until > 0 FROM staff WHERE id = 'op01'") == [(5, 1)],
    "5 wrong PINs lock op01")
rc, err = signs_in(db, "op01", "1234")
tap(rc == EXIT_AUTH and one_line(err) and "locked" in err and "ask a supervisor" in err,
    "the right PIN is refused while locked", err)
rc, out, err = run(db, "staff", "list", "--json")
j = {s["id"]: s for s in jload(out, [])} if rc == 0 else {}
tap(j.get("op01", {}).get("locked") is True and j["op01"].get("failed_pins") == 5,
    "staff list shows op01 locked after 5 wrong PINs", out + err)
rc, out, err = run(db, "staff", "list")
tap(rc == 0 and re.search(r"^op01\s+operator\s+.*\[locked\]$", out, re.M) is not None
    and re.search(r"^sup01\s+supervisor\s+\S+$", out, re.M) is not None,
    "staff list (text) marks op01 locked only", out + err)
refused("an operator may not unlock", db, ["staff", "unlock", "op01", "--staff", "op02", "--pin",
                                          "5555"], EXIT_AUTH, r"needs a supervisor")
refused("unlocking an unknown id", db, ["staff", "unlock", "nobody"] + SUP, EXIT_NOT_FOUND,
        r"No staff member nobody")
p = change("sup01 unlocks op01", db, ["staff", "unlock", "op01"], "staff.unlock", "op01")
tap(p.get("failed_pins") == 5, "staff.unlock records the 5 wrong PINs it lifted", repr(p))
tap(query(db, "SELECT failed_pins, locked_until FROM staff WHERE id = 'op01'") == [(0, 0)],
    "op01's count and lock are cleared")
rc, err = signs_in(db, "op01", "1234")
tap(rc == 0, "op01 signs in again", err)
refused("unlocking someone not locked", db, ["staff", "unlock", "op01"] + SUP, EXIT_FAILED,
        r"Staff op01 is not locked")

# --- reset PIN -------------------------------------------------------------------
refused("reset-pin without --new-pin is a usage error", db, ["staff", "reset-pin", "op01"] + SUP,
        EXIT_USAGE, r"--new-pin")
refused("an operator may not reset a PIN", db,
        ["staff", "reset-pin", "op02", "--new-pin", "7777"] + OP, EXIT_AUTH, r"needs a supervisor")
for i in range(2):
    signs_in(db, "op01", "0000")
old_hash = query(db, "SELECT pin_hash FROM staff WHERE id = 'op01'")[0][0]
change("sup01 resets op01's PIN", db, ["staff", "reset-pin", "op01", "--new-pin", "4321"],
       "staff.pin_reset", "op01")
tap(query(db, "SELECT pin_hash != ?, failed_pins, locked_until FROM staff WHERE id = 'op01'",
          old_hash) == [(1, 0, 0)], "a new hash, wrong-PIN count cleared")
rc, err = signs_in(db, "op01", "1234")
tap(rc == EXIT_AUTH and one_line(err), "the old PIN no longer signs in", err)
rc, err = signs_in(db, "op01", "4321")
tap(rc == 0, "the new PIN signs in", err)

# --- disable ---------------------------------------------------------------------
refused("a supervisor cannot disable themselves", db, ["staff", "disable", "sup01"] + SUP,
        EXIT_AUTH, r"cannot disable their own")
refused("an operator may not disable staff", db,
        ["staff", "disable", "op02", "--staff", "op01", "--pin", "4321"], EXIT_AUTH,
        r"needs a supervisor")
change("sup01 disables op02", db, ["staff", "disable", "op02"], "staff.disable", "op02")
tap(query(db, "SELECT active FROM staff WHERE id = 'op02'") == [(0,)], "op02 is inactive")
rc, err = signs_in(db, "op02", "5555")
tap(rc == EXIT_AUTH and one_line(err) and "Wrong staff id or PIN" in err,
    "a disabled staff member cannot sign in", err)
refused("disabling op02 again", db, ["staff", "disable", "op02"] + SUP, EXIT_FAILED,
        r"Staff op02 is disabled")
refused("unlocking a disabled id", db, ["staff", "unlock", "op02"] + SUP, EXIT_FAILED,
        r"Staff op02 is disabled")
rc, out, err = run(db, "staff", "list")
tap(rc == 0 and re.search(r"^op02\s+operator\s+.*\[disabled\]$", out, re.M) is not None,
    "staff list shows op02 disabled", out + err)
refused("an unknown verb is a usage error", db, ["staff", "promote", "op01"] + SUP, EXIT_USAGE,
        r"staff")

# --- the journal -------------------------------------------------------------------
tap([r[0] for r in query(db, "SELECT kind FROM journal WHERE kind LIKE 'staff.%' ORDER BY seq")]
    == ["staff.add", "staff.unlock", "staff.pin_reset", "staff.disable"],
    "the journal holds exactly the four staff changes, in order")
rc, out, err = run(db, "verify")
tap(rc == 0, "the journal verifies", out + err)

shutil.rmtree(TMP, ignore_errors=True)
print("1..%d" % len(results))
sys.exit(0 if all(results) else 1)
