#!/usr/bin/env python3
# test-report-cli.py: the published statistics (issue 12) through
# vanpos-cli: `report day|month|year --format csv|pdf [--output PATH]`.
#
# A small van database with known entries on known days (the clock fixed
# with VP_FAKE_NOW, the zone with TZ): two trips, a consultation, a home
# visit, cash, card and mobile payments in two estates, an account opened
# with a fee in a third, a cash refund of credit and a voided cash
# payment. Every figure is worked out by hand below and the CSV compared
# byte for byte; the PDF's text (pdftotext) holds the headings and the
# figures, and its first page is rendered to PNG (pdftoppm) and kept for a
# person to look at (VP_TEST_KEEP=1 keeps the directory). Each bad input is refused with its exit code, one
# stderr line, nothing on stdout, and no file written or changed.
#
# Usage: test-report-cli.py PATH/TO/vanpos-cli      (speaks TAP)
#
# SPDX-License-Identifier: GPL-3.0-or-later

import datetime
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
TMP = tempfile.mkdtemp(prefix="vp-report-test-")
OP = ["--staff", "op01", "--pin", "1234"]
SUP = ["--staff", "sup01", "--pin", "9876"]
EXIT_FAILED, EXIT_USAGE = 1, 2
TZ = datetime.timezone(datetime.timedelta(hours=8))   # Asia/Shanghai, no DST


def at(y, m, d, hh, mm=0):
    return str(int(datetime.datetime(y, m, d, hh, mm, tzinfo=TZ).timestamp()))


def run(db, *args, now=None, text=True):
    e = dict(os.environ)
    e["LC_ALL"] = "C.UTF-8"
    e["TZ"] = "Asia/Shanghai"
    e.pop("VP_FAKE_NOW", None)
    if now is not None:
        e["VP_FAKE_NOW"] = now
    p = subprocess.run([CLI, "--db", db] + list(args), capture_output=True, text=text, env=e,
                       stdin=subprocess.DEVNULL, timeout=120)
    return p.returncode, p.stdout, p.stderr


def must(db, now, *args):
    rc, out, err = run(db, *args, now=now)
    if rc != 0:
        raise SystemExit("setup %s failed (rc %d): %s" % (args, rc, err))
    return json.loads(out) if "--json" in args else out


def query(db, sql):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def one_line(err):
    return err.count("\n") == 1 and err.endswith("\n")


def listing(d):
    return sorted((n, os.path.getsize(os.path.join(d, n))) for n in os.listdir(d))


db = os.path.join(TMP, "van.db")
out_dir = os.path.join(TMP, "out")
os.mkdir(out_dir)
must(db, at(2026, 11, 1, 8), "init", "--van", "VAN01")
must(db, at(2026, 11, 1, 8), "demo", "--accounts", "40", "--seed", "7")
# A month offline, never synced: the unsynced-age cap would stop it.
must(db, at(2026, 11, 1, 8), "limits", "set", "unsynced_hours", "8760", *SUP)

# Two post-paid accounts with credit and no open bills, in two estates:
# every payment goes to credit, and credit can be refunded in cash.
rows = query(db, "SELECT number, estate FROM accounts a WHERE meter = 'postpaid'"
                 " AND status = 'active' AND balance > 0 AND NOT EXISTS"
                 " (SELECT 1 FROM bills b WHERE b.account_id = a.id AND b.paid < b.amount)"
                 " ORDER BY id")
A, EA = rows[0]
B, EB = next((n, e) for n, e in rows if e != EA)
# The third estate's name holds a comma and quotes: RFC 4180 quoting.
EC = '新建,"测试"小区'
EC_CSV = '"新建,""测试""小区"'   # quoted, quotes doubled
assert EC not in (EA, EB)

# --- 2026-11-03: a trip to A's estate, three payments, one voided ---------
must(db, at(2026, 11, 3, 9), "shift", "open", "--float", "500", *SUP)
must(db, at(2026, 11, 3, 9, 5), "trip", "start", "--estate", EA, *OP)
must(db, at(2026, 11, 3, 9, 10), "pay", A, "120", "--method", "cash", *OP)
must(db, at(2026, 11, 3, 9, 20), "pay", B, "45.50", "--method", "card", "--ref", "T1", *OP)
must(db, at(2026, 11, 3, 9, 30), "log", "consultation", A, "--note", "阶梯价怎么算", *OP)
wrong = must(db, at(2026, 11, 3, 9, 40), "pay", A, "200", "--method", "cash", "--json", *OP)
must(db, at(2026, 11, 3, 9, 45), "void", str(wrong["seq"]), "--reason", "wrong amount", *SUP)
must(db, at(2026, 11, 3, 11), "trip", "end", *OP)
must(db, at(2026, 11, 3, 17), "shift", "close", "--counted", "620", *SUP)

# --- 2026-11-17: a trip to B's estate, mobile pay, a visit, a new account
# with a cash fee, a cash refund of A's credit -----------------------------
must(db, at(2026, 11, 17, 9), "shift", "open", "--float", "500", *SUP)
must(db, at(2026, 11, 17, 9, 5), "trip", "start", "--estate", EB, *OP)
must(db, at(2026, 11, 17, 9, 10), "pay", B, "30.75", "--method", "mobile", "--ref", "M1", *OP)
must(db, at(2026, 11, 17, 9, 20), "log", "visit", B, "--note", "独居老人上门", *OP)
must(db, at(2026, 11, 17, 9, 30), "open-account", "--name", "测试户", "--id-number",
     "110101199003074514", "--phone", "13800000001", "--estate", EC, "--building", "1",
     "--room", "101", "--service", "gas", "--meter", "postpaid", "--fee", "10", "--method", "cash",
     *OP)
must(db, at(2026, 11, 17, 9, 40), "refund-credit", A, "20", "--reason", "moving away", *SUP)
must(db, at(2026, 11, 17, 11), "trip", "end", *OP)
must(db, at(2026, 11, 17, 17), "shift", "close", "--counted", "490", *SUP)

# --- 2026-12-02: one cash payment, outside November ------------------------
must(db, at(2026, 12, 2, 9), "shift", "open", "--float", "500", *SUP)
must(db, at(2026, 12, 2, 9, 10), "pay", B, "99", "--method", "cash", *OP)
must(db, at(2026, 12, 2, 17), "shift", "close", "--counted", "599", *SUP)
void_receipt = "VAN01-20261103-%06d" % wrong["seq"]


def csv_text(rows):
    return "".join(",".join(r) + "\r\n" for r in rows)


def estate_rows(figures):
    field = {EC: EC_CSV}
    return [["estate", field.get(e, e), field.get(e, e), str(n), y]
            for e, (n, y) in sorted(figures.items())]


# November, by hand (yuan). Fee transactions: 120 cash, 45.50 card, 30.75
# mobile, 10 fee in cash = 4; the voided 200 counts nowhere. Collected
# 120 + 45.50 + 30.75 + 10 − 20 refunded = 186.25.
estates_nov = {EA: (1, "100.00"), EB: (2, "76.25"), EC: (1, "10.00")}
days_nov = {3: ("2", "165.50"), 17: ("2", "20.75")}
month_csv = csv_text(
    [["section", "key", "label", "count", "amount_yuan"],
     ["period", "month", "2026-11-01/2026-11-30", "", ""],
     ["activity", "trips", "出车次数", "2", ""],
     ["activity", "consultations", "解答咨询", "1", ""],
     ["activity", "fee_transactions", "收费交易笔数", "4", ""],
     ["activity", "applications", "办理业务", "1", ""],
     ["activity", "home_visits", "上门服务", "1", ""],
     ["activity", "complaints", "投诉报修", "0", ""],
     ["activity", "voids", "作废", "1", ""],
     ["collections", "cash", "现金", "2", "130.00"],
     ["collections", "card", "银行卡", "1", "45.50"],
     ["collections", "mobile", "移动支付", "1", "30.75"],
     ["collections", "refunds", "现金退款", "1", "-20.00"],
     ["collections", "total", "收费合计", "4", "186.25"]]
    + estate_rows(estates_nov)
    + [["day", "2026-11-%02d" % d, "", *days_nov.get(d, ("0", "0.00"))] for d in range(1, 31)]
    + [["voided", void_receipt, "pay", "", "200.00"]])

# The day 2026-11-03: 120 cash (A), 45.50 card (B).
day_csv = csv_text(
    [["section", "key", "label", "count", "amount_yuan"],
     ["period", "day", "2026-11-03/2026-11-03", "", ""],
     ["activity", "trips", "出车次数", "1", ""],
     ["activity", "consultations", "解答咨询", "1", ""],
     ["activity", "fee_transactions", "收费交易笔数", "2", ""],
     ["activity", "applications", "办理业务", "0", ""],
     ["activity", "home_visits", "上门服务", "0", ""],
     ["activity", "complaints", "投诉报修", "0", ""],
     ["activity", "voids", "作废", "1", ""],
     ["collections", "cash", "现金", "1", "120.00"],
     ["collections", "card", "银行卡", "1", "45.50"],
     ["collections", "mobile", "移动支付", "0", "0.00"],
     ["collections", "refunds", "现金退款", "0", "0.00"],
     ["collections", "total", "收费合计", "2", "165.50"]]
    + estate_rows({EA: (1, "120.00"), EB: (1, "45.50")})
    + [["day", "2026-11-03", "", "2", "165.50"],
       ["voided", void_receipt, "pay", "", "200.00"]])

# The year: November as above plus 99 cash (B) on 2026-12-02.
estates_year = dict(estates_nov)
estates_year[EB] = (3, "175.25")
months_year = {11: ("4", "186.25"), 12: ("1", "99.00")}
year_csv = csv_text(
    [["section", "key", "label", "count", "amount_yuan"],
     ["period", "year", "2026-01-01/2026-12-31", "", ""],
     ["activity", "trips", "出车次数", "2", ""],
     ["activity", "consultations", "解答咨询", "1", ""],
     ["activity", "fee_transactions", "收费交易笔数", "5", ""],
     ["activity", "applications", "办理业务", "1", ""],
     ["activity", "home_visits", "上门服务", "1", ""],
     ["activity", "complaints", "投诉报修", "0", ""],
     ["activity", "voids", "作废", "1", ""],
     ["collections", "cash", "现金", "3", "229.00"],
     ["collections", "card", "银行卡", "1", "45.50"],
     ["collections", "mobile", "移动支付", "1", "30.75"],
     ["collections", "refunds", "现金退款", "1", "-20.00"],
     ["collections", "total", "收费合计", "5", "285.25"]]
    + estate_rows(estates_year)
    + [["month", "2026-%02d" % m, "", *months_year.get(m, ("0", "0.00"))] for m in range(1, 13)]
    + [["voided", void_receipt, "pay", "", "200.00"]])

journal_before = query(db, "SELECT count(*) FROM journal")[0][0]

# --- 1. CSV, exact -----------------------------------------------------------
for period, date, want in (("month", "2026-11-20", month_csv), ("day", "2026-11-03", day_csv),
                           ("year", "2026-06-01", year_csv)):
    rc, out, err = run(db, "report", period, "--date", date, "--format", "csv", text=False)
    tap(rc == 0 and err == b"" and out == want.encode("utf-8"),
        "report %s --format csv to stdout: exactly the figures worked out by hand" % period,
        "rc=%d stderr=%r\n--- got\n%s\n--- want\n%s"
        % (rc, err, out.decode("utf-8", "replace"), want))

path = os.path.join(out_dir, "2026-11.csv")
rc, out, err = run(db, "report", "month", "--date", "2026-11-30", "--format", "csv",
                   "--output", path)
got = open(path, "rb").read() if os.path.exists(path) else None
tap(rc == 0 and out == "" and err == "" and got == month_csv.encode("utf-8"),
    "--output writes the same CSV to the file and nothing to stdout",
    "rc=%d out=%r err=%r" % (rc, out, err))

# The JSON keeps its members and adds the new ones with the same figures.
rc, out, err = run(db, "report", "month", "--date", "2026-11-01", "--json")
j = json.loads(out) if rc == 0 else {}
old_members = {"period", "from", "to", "trips", "consultations", "fee_transactions",
               "applications", "home_visits", "complaints", "voids", "collected",
               "collected_cash", "collected_card", "collected_mobile", "days", "cash_refunds",
               "refunds", "drops", "paid_in", "paid_out", "voided_count", "by_kind", "by_staff",
               "voided"}
tap(rc == 0 and old_members <= set(j) and j.get("collected") == 18625
    and j.get("collected_cash") == 11000 and j.get("cash_in") == 13000
    and j.get("cash_in_count") == 2 and j.get("card_in") == 4550 and j.get("mobile_in") == 3075
    and [(e["estate"], e["transactions"], e["collected"]) for e in j.get("by_estate", [])]
    == sorted([(EA, 1, 10000), (EB, 2, 7625), (EC, 1, 1000)])
    and len(j.get("bars", [])) == 30
    and j["bars"][2] == {"date": "2026-11-03", "transactions": 2, "collected": 16550},
    "report --json keeps every member and adds cash_in/card_in/mobile_in, by_estate and bars",
    out[:2000])

# --- 2. PDF: its text, and a page rendered to PNG ---------------------------
have_poppler = shutil.which("pdftotext") and shutil.which("pdftoppm")
for period, date, needles in (
        ("month", "2026-11-15",
         ["流动营业服务车 月报", "Monthly report", "2026-11-01 – 2026-11-30",
          "业务量", "Activity", "出车次数", "解答咨询", "收费交易笔数", "办理业务", "上门服务",
          "收费", "Collections by method", "收费合计", "¥186.25", "¥130.00", "¥45.50", "¥30.75",
          "-¥20.00", "按小区收费", "Collections by estate", EA, EB, EC, "¥100.00", "¥76.25",
          "每日收费", "Collections per day", "已作废", void_receipt, "¥200.00",
          # the chart: its scale tops at the best day, a label under every day
          "¥165.50", " ".join(str(d) for d in range(1, 31))]),
        ("year", "2026-11-15",
         ["流动营业服务车 年报", "Annual report", "每月收费", "Collections per month", "11月",
          "12月", "¥285.25", "¥175.25", "¥99.00"]),
        ("day", "2026-11-03",
         ["流动营业服务车 日报", "Daily report", "按支付方式收费", "¥165.50", "¥120.00",
          "现金 Cash", "银行卡 Bank card", "移动支付 Mobile pay"])):
    pdf = os.path.join(out_dir, "%s.pdf" % period)
    rc, out, err = run(db, "report", period, "--date", date, "--format", "pdf", "--output", pdf)
    ok = tap(rc == 0 and out == "" and err == "" and os.path.exists(pdf)
             and open(pdf, "rb").read(5) == b"%PDF-",
             "report %s --format pdf --output writes a PDF" % period,
             "rc=%d out=%r err=%r" % (rc, out, err))
    if not have_poppler:
        tap(True, "# SKIP pdftotext/pdftoppm (poppler-utils) not installed")
        continue
    text = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True,
                          text=True).stdout if ok else ""
    if not ok:
        tap(False, "the %s PDF's text and page (no PDF)" % period)
        continue
    flat = re.sub(r"[ \t]+", " ", text)
    missing = [n for n in needles if n not in flat]
    tap(ok and not missing, "the %s PDF's text has its headings and figures" % period,
        "missing %r\n%s" % (missing, text))
    # The voided 200 is nowhere among the money but in its own list.
    if period == "month":
        tap(flat.count("¥200.00") == 1, "the voided ¥200.00 appears once, in the voided list",
            text)
    png = os.path.join(out_dir, period)
    p = subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile",
                        pdf, png], capture_output=True)
    tap(p.returncode == 0 and os.path.getsize(png + ".png") > 5000,
        "page 1 of the %s PDF renders to %s.png (look at it)" % (period, png), p.stderr)

# --- 3. Bad input: one line, exit code, nothing written ---------------------
keep = os.path.join(out_dir, "keep.csv")
with open(keep, "w") as f:
    f.write("old\n")
ro_parent = os.path.join(out_dir, "not-a-dir")
with open(ro_parent, "w") as f:
    f.write("x")
for desc, args, code, err_re in (
        ("an unknown period", ["report", "week", "--format", "csv", "--output", keep],
         EXIT_USAGE, r"day, month or year"),
        ("an unknown format", ["report", "month", "--format", "xlsx", "--output", keep],
         EXIT_USAGE, r"pdf or csv"),
        ("an unparsable date", ["report", "month", "--date", "2026-13-01", "--format", "pdf",
                                "--output", keep], EXIT_USAGE, r"not a valid date"),
        ("a date that is no date", ["report", "day", "--date", "yesterday", "--format", "csv",
                                    "--output", keep], EXIT_USAGE, r"not a valid date"),
        ("a year past 9999", ["report", "year", "--date", "9999-12-31", "--format", "csv",
                              "--output", keep], EXIT_FAILED, r"9999"),
        ("--output without --format", ["report", "month", "--output", keep], EXIT_USAGE,
         r"--format"),
        ("--format with --json", ["report", "month", "--format", "csv", "--json"], EXIT_USAGE,
         r"--json"),
        ("--output to a missing directory",
         ["report", "month", "--format", "csv", "--output", os.path.join(TMP, "nope", "r.csv")],
         EXIT_FAILED, r"cannot write .*nope/r\.csv: No such file or directory"),
        ("--output under a file", ["report", "month", "--format", "pdf", "--output",
                                   os.path.join(ro_parent, "r.pdf")],
         EXIT_FAILED, r"cannot write .*not-a-dir/r\.pdf: Not a directory"),
        ("--output to a directory", ["report", "month", "--format", "pdf", "--output", out_dir],
         EXIT_FAILED, r"is a directory")):
    before = listing(out_dir)
    rc, out, err = run(db, *args)
    tap(rc == code and one_line(err) and re.search(err_re, err) is not None and out == ""
        and listing(out_dir) == before and open(keep).read() == "old\n"
        and not os.path.exists(os.path.join(TMP, "nope")),
        "refused: %s (exit %d, one line, nothing written)" % (desc, code),
        "rc=%d out=%r err=%r" % (rc, out, err))

tap(query(db, "SELECT count(*) FROM journal")[0][0] == journal_before,
    "no report wrote to the journal")

print("1..%d" % len(results))
if all(results) and not os.environ.get("VP_TEST_KEEP"):
    shutil.rmtree(TMP, ignore_errors=True)
else:
    print("# kept %s" % TMP)
sys.exit(0 if all(results) else 1)
