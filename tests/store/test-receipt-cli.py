#!/usr/bin/env python3
# test-receipt-cli.py: receipts a resident can check (issue 12) through
# vanpos-cli: the check address (a supervisor sets it), the QR payload as
# text, `reprint` (a journaled duplicate with its count, moving no money),
# the VOID mark on a voided payment and the reversal's own receipt,
# `verify-receipt` (paid, voided, code mismatch, unknown, malformed input,
# a tampered journal) with exact exit codes, exactly one stderr line per
# refusal and nothing written by one.
#
# Usage: test-receipt-cli.py PATH/TO/vanpos-cli      (speaks TAP)
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
TMP = tempfile.mkdtemp(prefix="vp-receipt-test-")
OP = ["--staff", "op01", "--pin", "1234"]
SUP = ["--staff", "sup01", "--pin", "9876"]
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_AUTH, EXIT_VERIFY = 0, 1, 2, 3, 4, 5
# 2026-11-23 10:08:38 in Asia/Shanghai: every entry of this van carries it.
NOW = "1795399718"
DAY = "20261123"
WHEN = "2026-11-23 10:08:38"
CHECK = "https://check.example.cn"


def run(db, *args):
    e = dict(os.environ)
    e["LC_ALL"] = "C.UTF-8"
    e["TZ"] = "Asia/Shanghai"
    e["VP_FAKE_NOW"] = NOW
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


def snapshot(db):
    return [query(db, "SELECT count(*), coalesce(max(seq), 0) FROM journal"),
            query(db, "SELECT * FROM meta WHERE key = 'receipt_check_url'"),
            query(db, "SELECT count(*) FROM outbox")]


def refused(desc, db, args, code, err_re):
    before = snapshot(db)
    rc, out, err = run(db, *args)
    same = snapshot(db) == before
    ok = rc == code and one_line(err) and re.search(err_re, err) is not None and out == "" and same
    tap(ok, "refused (%d): %s" % (code, desc),
        "rc=%d (want %d) unchanged=%s\nstdout: %s\nstderr: %s" % (rc, code, same, out, err))


def has_lines(desc, text, expected):
    """expected appear in text as whole lines, in this order."""
    lines = text.split("\n")
    at = 0
    missing = None
    for want in expected:
        while at < len(lines) and lines[at] != want:
            at += 1
        if at == len(lines):
            missing = want
            break
        at += 1
    tap(missing is None, desc, "missing line %r in:\n%s" % (missing, text))


def receipt(n):
    return "VAN01-%s-%06d" % (DAY, n)


def journal(db):
    rc, out, err = run(db, "journal", "--json")
    return [json.loads(l) for l in out.splitlines() if l.strip()]


db = os.path.join(TMP, "van.db")
for args in (["init", "--van", "VAN01"], ["demo", "--accounts", "60", "--seed", "7"],
             ["shift", "open", "--float", "500"] + SUP):
    rc, out, err = run(db, *args)
    if rc != 0:
        raise SystemExit("setup %s failed: %s" % (args, err))

# --- the check address --------------------------------------------------------
rc, out, err = run(db, "receipt-check-url")
tap(rc == 0 and out == "not set: receipts carry no QR code\n", "no check address at first", out + err)
refused("an operator sets the check address", db, ["receipt-check-url", CHECK] + OP,
        EXIT_AUTH, "only a supervisor")
refused("a check address set without a supervisor", db, ["receipt-check-url", CHECK],
        EXIT_USAGE, "supervisor's --staff and --pin")
refused("a check address that is not https", db, ["receipt-check-url", "ftp://x.cn"] + SUP,
        EXIT_USAGE, "not an https:// address")
refused("a check address with a query", db, ["receipt-check-url", CHECK + "/?a=1"] + SUP,
        EXIT_USAGE, "without a query")
rc, out, err = run(db, "receipt-check-url", CHECK, *SUP)
tap(rc == 0 and query(db, "SELECT value FROM meta WHERE key = 'receipt_check_url'") == [(CHECK,)],
    "a supervisor sets the check address", out + err)

# --- a cash payment's receipt ---------------------------------------------------
acct = query(db, "SELECT a.number FROM accounts a WHERE a.status = 'active' AND EXISTS"
                 " (SELECT 1 FROM bills b WHERE b.account_id = a.id AND b.paid < b.amount)"
                 " ORDER BY a.id LIMIT 1")[0][0]
rc, out, err = run(db, "pay", acct, "300.00", "--method", "cash", "--tendered", "500.00",
                   "--json", *OP)
pay = json.loads(out) if rc == 0 else {}
seq = pay.get("seq")
code = pay.get("verify_code")
tap(rc == 0 and pay.get("receipt") == receipt(seq), "pay ¥300.00 cash, ¥500.00 tendered", out + err)
rc, out, err = run(db, "receipt", receipt(seq))
rc2, out2, err2 = run(db, "receipt", str(seq))
tap(rc == 0 and out == out2, "receipt by number shows the same as by seq", out + err + err2)
has_lines("the receipt shows tendered, change, its check address", out, [
    "     " + receipt(seq),
    "      " + WHEN,
    "Paid                     ¥300.00",
    "Tendered                 ¥500.00",
    "Change                   ¥200.00",
    "Method                      Cash",
    "Verification code      " + code,
    "      Check this receipt:",
    "https://check.example.cn/v1/rece",
    "ipts/%s?code=" % receipt(seq),
    code,
])
tap("DUPLICATE" not in out and "VOID" not in out, "the original has no marks", out)

# --- reprints -----------------------------------------------------------------
refused("reprint without staff", db, ["reprint", receipt(seq)], EXIT_USAGE, "--staff ID and --pin PIN")
refused("reprint with a wrong PIN", db, ["reprint", receipt(seq), "--staff", "op01", "--pin", "0000"],
        EXIT_AUTH, "PIN")
refused("reprint of a receipt the journal does not hold", db, ["reprint", receipt(999)] + OP,
        EXIT_NOT_FOUND, "holds no receipt " + receipt(999))
refused("reprint of another van's receipt", db, ["reprint", "VAN02-%s-%06d" % (DAY, seq)] + OP,
        EXIT_NOT_FOUND, "not from this van")
refused("reprint of a receipt of another day", db, ["reprint", "VAN01-20261122-%06d" % seq] + OP,
        EXIT_NOT_FOUND, "holds no receipt")
refused("reprint of a malformed receipt number", db, ["reprint", "VAN01-2026-1"] + OP,
        EXIT_USAGE, "not a receipt number")

before = len(journal(db))
rc, out, err = run(db, "reprint", receipt(seq), *OP)
first = seq + 1
has_lines("the first reprint is marked DUPLICATE, copy 1, with its own entry", out, [
    "     " + receipt(seq),
    "重印 / DUPLICATE",
    "Reprint no.                    1",
    "Reprint    " + receipt(first),
    "Reprinted at " + WHEN,
    "Paid                     ¥300.00",
    "Verification code      " + code,
    "ipts/%s?code=" % receipt(seq),
])
tap(rc == 0 and err == "", "reprint exits 0, nothing on stderr", err)
rc, out, err = run(db, "reprint", receipt(seq), "--json", *OP)
o = json.loads(out) if rc == 0 else {}
tap(o.get("kind") == "receipt.reprint" and o.get("copy") == 2 and o.get("reprinted_seq") == seq
    and o.get("reprinted_receipt") == receipt(seq) and o.get("staff") == "op01"
    and o.get("account") == acct and "amount" not in o,
    "the second reprint is journaled as copy 2, naming the receipt, no money", out + err)
entries = journal(db)
reprints = [e for e in entries if e["kind"] == "receipt.reprint"]
tap(len(entries) == before + 2 and [e["copy"] for e in reprints] == [1, 2],
    "exactly two reprint entries, copies 1 and 2", [e["kind"] for e in entries[before:]])
tap(query(db, "SELECT count(*) FROM journal WHERE kind = 'receipt.reprint' AND amount = 0"
              " AND method IS NULL") == [(2,)], "the reprints move no money in the ledger")
rc, out, err = run(db, "reprint", receipt(seq), "--printer", "text:" + os.path.join(TMP, "copy3.txt"),
                   *OP)
with open(os.path.join(TMP, "copy3.txt"), encoding="utf-8") as f:
    copy3 = f.read()
tap(rc == 0 and "Reprint no." in copy3 and re.search(r"Reprint no\. +3\n", copy3) is not None,
    "a printed reprint is copy 3", out + err + copy3)
n_before = len(journal(db))
rc, out, err = run(db, "reprint", receipt(seq), "--printer", "escpos:/nonexistent/dir/lp0", *OP)
tap(rc == 6 and out == "" and one_line(err) and "the reprint is journaled, but printing failed" in err
    and len(journal(db)) == n_before + 1 and journal(db)[-1].get("copy") == 4,
    "a reprint whose printing fails stays journaled as copy 4 (exit 6, done in part)", "rc=%d\n%s%s" % (rc, out, err))
refused("reprint of a reprint", db, ["reprint", str(first)] + OP, EXIT_FAILED, "itself a reprint")
rc, out, err = run(db, "receipt", receipt(seq))
tap("DUPLICATE" not in out, "showing the receipt again is no reprint", out)
rc, out, err = run(db, "verify")
tap(rc == 0, "the journal verifies with the reprints", out + err)

# --- voided payment and its reversal -------------------------------------------
rc, out, err = run(db, "void", str(seq), "--reason", "keyed wrong", "--json", *SUP)
v = json.loads(out) if rc == 0 else {}
vseq = v.get("seq")
tap(rc == 0 and v.get("voided_seq") == seq, "void the payment", out + err)
rc, out, err = run(db, "receipt", receipt(seq))
has_lines("the voided payment's receipt says VOID with the reversal's number", out, [
    "     " + receipt(seq),
    " 已作废 / VOID",
    "Voided by  " + receipt(vseq),
    "Voided at    " + WHEN,
    "Paid                     ¥300.00",
])
rc, out, err = run(db, "receipt", receipt(vseq))
has_lines("the reversal has its own receipt naming the payment", out, [
    "      Void",
    "     " + receipt(vseq),
    "Reverses   " + receipt(seq),
    "Reversed            Bill payment",
    "Amount reversed          ¥300.00",
    "Reason               keyed wrong",
    "Verification code      " + v.get("verify_code", "?"),
    "ipts/%s?code=" % receipt(vseq),
])
tap("VOID" not in out, "the reversal itself is not marked VOID", out)
rc, out, err = run(db, "reprint", receipt(seq), *OP)
has_lines("a reprint of the voided payment carries both marks", out, [
    " 已作废 / VOID",
    "Voided by  " + receipt(vseq),
    "重印 / DUPLICATE",
    "Reprint no.                    5",
])

# --- verify-receipt -------------------------------------------------------------
rc, out, err = run(db, "verify-receipt", receipt(vseq), v.get("verify_code", "?"))
tap(rc == EXIT_OK and out == "%s: paid ¥300.00 %s (void)\n" % (receipt(vseq), WHEN) and err == "",
    "verify-receipt of the reversal: paid", out + err)
rc, out, err = run(db, "verify-receipt", receipt(seq), code.lower().replace("-", ""))
tap(rc == EXIT_FAILED and out == "%s: voided by %s at %s (was pay ¥300.00, %s)\n"
    % (receipt(seq), receipt(vseq), WHEN, WHEN) and err == "",
    "verify-receipt of the voided payment: voided by the reversal (exit 1)", out + err)
rc, out, err = run(db, "verify-receipt", receipt(seq), code, "--json")
o = json.loads(out) if out else {}
tap(rc == EXIT_FAILED and o == {"receipt": receipt(seq), "status": "voided", "kind": "pay",
                                "amount": 30000, "device_time": int(NOW) * 1000000, "date": WHEN,
                                "voided_by": receipt(vseq), "voided_at": WHEN},
    "verify-receipt --json of the voided payment", out + err)
wrong = "0000-0000" if code != "0000-0000" else "1111-1111"
rc, out, err = run(db, "verify-receipt", receipt(seq), wrong)
tap(rc == EXIT_FAILED and out == "%s: code mismatch (the code does not match this van's journal)\n"
    % receipt(seq) and err == "", "verify-receipt with a wrong code: mismatch, no amount (exit 1)",
    out + err)
rc, out, err = run(db, "verify-receipt", receipt(seq), wrong, "--json")
tap(rc == EXIT_FAILED and json.loads(out or "{}") == {"receipt": receipt(seq), "status": "mismatch"},
    "verify-receipt --json with a wrong code", out + err)
for desc, r in (("a seq the journal does not hold", receipt(999)),
                ("another van's receipt", "VAN02-%s-%06d" % (DAY, seq)),
                ("a receipt of another day", "VAN01-20261122-%06d" % seq)):
    rc, out, err = run(db, "verify-receipt", r, code)
    tap(rc == EXIT_NOT_FOUND and out == "%s: unknown (this van's journal holds no such receipt)\n" % r
        and err == "", "verify-receipt of %s: unknown (exit 3)" % desc, out + err)
for desc, args, err_re in (
        ("a malformed receipt number", ["VAN01-2026112-000001", code], "not a receipt number"),
        ("a lower-case van", ["van01-%s-%06d" % (DAY, seq), code], "not a receipt number"),
        ("a code too short", [receipt(seq), "3FA9-0C1"], "not a verification code"),
        ("a code that is not hex", [receipt(seq), "3FG9-0C1D"], "not a verification code"),
        ("no code", [receipt(seq)], "give the RECEIPT number and its verification CODE"),
        ("one argument too many", [receipt(seq), code, "x"], "give the RECEIPT number")):
    refused("verify-receipt with %s" % desc, db, ["verify-receipt"] + args, EXIT_USAGE, err_re)

# A payment's receipt with no void: paid.
rc, out, err = run(db, "pay", acct, "1.00", "--method", "mobile", "--ref", "WX123", "--json", *OP)
p2 = json.loads(out) if rc == 0 else {}
rc, out, err = run(db, "verify-receipt", p2.get("receipt", "?"), p2.get("verify_code", "?"))
tap(rc == EXIT_OK and out == "%s: paid ¥1.00 %s (pay)\n" % (p2.get("receipt"), WHEN),
    "verify-receipt of a mobile payment: paid", out + err)
rc, out, err = run(db, "receipt", p2.get("receipt", "?"))
has_lines("the mobile payment's receipt shows the reference", out, [
    "Method                Mobile pay",
    "Reference                  WX123",
])

# --- no address: no QR text -------------------------------------------------------
rc, out, err = run(db, "receipt-check-url", "--clear", *SUP)
rc2, out2, err2 = run(db, "receipt", p2.get("receipt", "?"))
tap(rc == 0 and rc2 == 0 and "Check this receipt" not in out2 and "v1/receipts" not in out2,
    "with the address cleared, receipts carry no check address", out + err + out2)

# --- a tampered journal never vouches for a receipt ----------------------------------
bad = os.path.join(TMP, "tampered.db")
rc, out, err = run(db, "backup", bad)
con = sqlite3.connect(bad)
con.execute("DROP TRIGGER journal_no_update")
con.execute("UPDATE journal SET payload = replace(payload, '\"amount\":100', '\"amount\":900')"
            " WHERE seq = ?", (p2.get("seq"),))
con.commit()
con.close()
rc, out, err = run(bad, "verify-receipt", p2.get("receipt", "?"), p2.get("verify_code", "?"))
tap(rc == EXIT_VERIFY and out == "" and one_line(err) and "does not verify" in err,
    "verify-receipt on a tampered entry: verification failed (exit 5)", "rc=%d\n%s%s" % (rc, out, err))

# --- a cut journal cannot call a receipt unknown -------------------------------------
cut = os.path.join(TMP, "cut.db")
rc, out, err = run(db, "backup", cut)
last = journal(cut)[-1]
con = sqlite3.connect(cut)
con.executescript("DROP TRIGGER journal_no_delete; DELETE FROM outbox WHERE seq = %d;"
                  " DELETE FROM journal WHERE seq = %d" % (last["seq"], last["seq"]))
con.commit()
con.close()
rc, out, err = run(cut, "verify-receipt", last["receipt"], last["verify_code"])
tap(rc == 7 and out == "" and one_line(err) and "may have been cut" in err,
    "verify-receipt of a receipt cut from the journal: damaged, never unknown (exit 7)",
    "rc=%d\n%s%s" % (rc, out, err))
rc, out, err = run(cut, "verify-receipt", receipt(seq), code)
tap(rc == EXIT_FAILED and out.startswith("%s: voided by " % receipt(seq)),
    "a receipt the cut journal still holds is still answered", "rc=%d\n%s%s" % (rc, out, err))

shutil.rmtree(TMP, ignore_errors=True)
print("1..%d" % len(results))
sys.exit(0 if all(results) else 1)
