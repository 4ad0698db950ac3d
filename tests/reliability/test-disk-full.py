#!/usr/bin/env python3
# test-disk-full.py: a full disk and a read-only medium, on a real small
# filesystem (a tmpfs mounted for the test), not only max_page_count
# (issue 8).
#
# On a full disk SQLite cannot grow the WAL index (-shm), so every command
# used to fail with "disk I/O error", verify and backup included. Now:
# writing commands refuse with one line ("The disk is full; nothing was
# saved") and exit 1; read-only commands work; after space is freed every
# acknowledged payment is there exactly once and the journal verifies. The
# same for the filesystem remounted read-only ("This medium cannot be
# written (Read-only file system); nothing was saved").
#
# Needs root (mount). If the tmpfs cannot be mounted the test FAILS with
# the reason: CI runs as root on the same kind of machine. The read-only
# directory case runs the CLI as nobody (setpriv), as root writes anywhere.
#
# Usage: test-disk-full.py PATH/TO/vanpos-cli      (speaks TAP)
#
# SPDX-License-Identifier: GPL-3.0-or-later

import errno
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

CLI = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="vp-disk-test-")
MNT = os.path.join(TMP, "mnt")     # unique mount point, removed at the end
DB = os.path.join(MNT, "van.db")
OP = ["--staff", "op01", "--pin", "1234"]
# The one line a refused write prints. The path is named when the failure
# came at opening (which disk), not when a write of an open database failed.
FULL = (r"vanpos-cli: (%s: )?The disk is full; nothing was saved \(No space left on device\)"
        % re.escape(DB))
RO = (r"vanpos-cli: (%s: )?This medium cannot be written \(Read-only file system\);"
      r" nothing was saved" % re.escape(DB))

results = []
mounted = False


def tap(ok, desc, detail=""):
    results.append(ok)
    print(("ok %d - %s" if ok else "not ok %d - %s") % (len(results), desc))
    if not ok and detail:
        for line in str(detail).splitlines():
            print("# " + line)
    sys.stdout.flush()
    return ok


def run(*args, env=None):
    e = dict(os.environ)
    e["LC_ALL"] = "C.UTF-8"
    e.pop("VP_CRASH_BEFORE_COMMIT", None)
    e.pop("VP_CRASH_AFTER_COMMIT", None)
    if env:
        e.update(env)
    p = subprocess.run([CLI, "--db", DB] + list(args), capture_output=True, text=True, env=e,
                       timeout=120)
    return p.returncode, p.stdout, p.stderr


def expect(desc, args, rc_want, out_re=None, err_line=None):
    """Runs the CLI; exact exit code; stdout matching out_re; stderr
    exactly err_line (or empty)."""
    rc, out, err = run(*args)
    ok = rc == rc_want
    if out_re is not None:
        ok = ok and re.search(out_re, out) is not None
    if err_line is None:
        ok = ok and err == ""
    else:
        ok = ok and re.fullmatch(err_line + "\n", err) is not None and out == ""
    tap(ok, desc, "rc=%d (want %d)\nstdout: %s\nstderr: %s" % (rc, rc_want, out, err))
    return out


def sh(*cmd):
    return subprocess.run(list(cmd), capture_output=True, text=True)


def fill_disk():
    """Writes until the filesystem says ENOSPC; returns the bytes written."""
    n = 0
    with open(os.path.join(MNT, "fill"), "ab", buffering=0) as f:
        for chunk in (1 << 20, 1 << 16, 4096, 512, 1):
            while True:
                try:
                    f.write(b"\0" * chunk)
                    n += chunk
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
    return n


def free_space():
    st = os.statvfs(MNT)
    return st.f_bavail * st.f_frsize


def journal_pays():
    """(seq, account, amount) of every pay entry, read from a copy of the
    files so that this test never writes to the filesystem under test."""
    copy = os.path.join(TMP, "peek")
    shutil.rmtree(copy, ignore_errors=True)
    os.mkdir(copy)
    for suffix in ("", "-wal"):
        if os.path.exists(DB + suffix):
            shutil.copy(DB + suffix, os.path.join(copy, "van.db" + suffix))
    con = sqlite3.connect(os.path.join(copy, "van.db"))
    try:
        return con.execute("SELECT seq, payload FROM journal WHERE kind = 'pay' ORDER BY seq"
                           ).fetchall()
    finally:
        con.close()


def pay(acct, amount):
    """One payment; returns its seq if acknowledged (exit 0), else None
    after checking it was refused with exactly the disk-full line."""
    rc, out, err = run("pay", acct, amount, "--method", "cash", *OP, "--json")
    if rc == 0:
        return json.loads(out)["seq"]
    tap(rc == 1 and re.fullmatch(FULL + "\n", err) is not None and out == "",
        "pay %s on a nearly full disk: refused with the disk-full line" % amount,
        "rc=%d stdout=%r stderr=%r" % (rc, out, err))
    return None


def read_only_commands(label, acct, n_entries, backup_name):
    expect("%s: verify works" % label, ["verify"], 0,
           r"^Journal intact: %d entries, chain and signatures verified\n$" % n_entries)
    expect("%s: check works" % label, ["check"], 0,
           r"^Database integrity ok; 50 accounts, %d journal entries" % n_entries)
    expect("%s: account works" % label, ["account", acct], 0, r"^%s " % acct)
    out = expect("%s: journal works" % label, ["journal", "--json"], 0)
    tap(len(out.splitlines()) == n_entries, "%s: journal lists all %d entries" % (label, n_entries),
        out)
    expect("%s: search works" % label, ["search", acct], 0, acct)
    expect("%s: report works" % label, ["report", "day"], 0, r"^Report ")
    expect("%s: receipt works" % label, ["receipt", "2"], 0, r"VAN01-\d{8}-000002")
    expect("%s: sync status works" % label, ["sync", "status"], 0, r"journal: +%d entries" % n_entries)
    dest = os.path.join(TMP, backup_name)
    expect("%s: backup to another disk works" % label, ["backup", dest], 0,
           r"^Backed up to %s \(with " % re.escape(dest))
    tap(os.stat(dest + ".vankey").st_mode & 0o777 == 0o600 and os.path.exists(dest + ".anchor"),
        "%s: the backup set has the key (0600) and the anchor" % label)
    con = sqlite3.connect("file:%s?mode=ro" % dest, uri=True)
    n = con.execute("SELECT count(*) FROM journal").fetchone()[0]
    con.close()
    tap(n == n_entries, "%s: the backup holds all %d entries" % (label, n_entries), n)


def main():
    global mounted

    os.mkdir(MNT)
    m = sh("mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", MNT)
    if m.returncode != 0:
        tap(False, "mount a 2 MiB tmpfs for the disk-full test (needs root): "
            + (m.stderr.strip() or "exit %d" % m.returncode))
        return
    mounted = True
    tap(True, "mounted a 2 MiB tmpfs at %s" % MNT)

    rc, out, err = run("init", "--van", "VAN01")
    tap(rc == 0, "init", err)
    rc, out, err = run("demo", "--accounts", "50", "--seed", "3", "--pin-iterations", "1000")
    tap(rc == 0, "demo 50 accounts", err)
    rc, out, err = run("shift", "open", "--float", "200", *OP)
    tap(rc == 0, "shift open", err)
    con = sqlite3.connect("file:%s?mode=ro" % DB, uri=True)
    acct = con.execute("SELECT a.number FROM accounts a JOIN bills b ON b.account_id = a.id"
                       " WHERE b.paid < b.amount ORDER BY a.number LIMIT 1").fetchone()[0]
    other = con.execute("SELECT number FROM accounts WHERE number != ? ORDER BY number LIMIT 1",
                        (acct,)).fetchone()[0]
    con.close()
    acked = [pay(acct, "1.00")]
    tap(acked[0] is not None, "a payment with room on the disk")
    n_entries = 2

    # --- completely full ------------------------------------------------
    filled = fill_disk()
    tap(free_space() == 0, "disk full (%d bytes written, %d free)" % (filled, free_space()))
    expect("full: pay refused", ["pay", acct, "2.00", "--method", "cash", *OP], 1, None, FULL)
    expect("full: open-account refused", ["open-account", "--name", "孙丽华", "--id-number", "11010519491231002X",
                                          "--phone", "13512345678",
                                          "--estate", "长江花园", "--building", "12", "--room", "602",
                                          "--service", "water", "--meter", "postpaid", *OP],
           1, None, FULL)
    # A wrong PIN that cannot be counted is not reported as merely wrong.
    expect("full: a wrong PIN fails with the disk-full line, not as a wrong PIN",
           ["pay", acct, "2.00", "--method", "cash", "--staff", "op01", "--pin", "0000"], 1, None, FULL)
    expect("full: shift close refused", ["shift", "close", "--counted", "201", *OP], 1, None, FULL)
    read_only_commands("full", acct, n_entries, "backup-full.db")
    rc, out, err = run("backup", os.path.join(MNT, "backup.db"))
    tap(rc == 1 and len(err.splitlines()) == 1 and out == ""
        and not os.path.exists(os.path.join(MNT, "backup.db")),
        "full: backup onto the full disk refused with one line, no file left", err)

    # --- nearly full: some payments fit, the rest are refused whole ----
    os.unlink(os.path.join(MNT, "fill"))
    fill_disk()
    refused = 0
    with open(os.path.join(MNT, "fill"), "r+b") as f:
        size = os.fstat(f.fileno()).st_size
        for step in range(24):
            # Give back 8 KiB at a time.
            f.truncate(max(0, size - 8192 * (step + 1)))
            seq = pay(acct if step % 2 else other, "0.%02d" % (step + 1))
            if seq is None:
                refused += 1
            else:
                acked.append(seq)
    tap(refused > 0 and len(acked) > 1,
        "nearly full: %d payments acknowledged, %d refused" % (len(acked) - 1, refused))
    n_entries = 1 + len(acked)

    # --- space freed: everything there, nothing twice -----------------
    os.unlink(os.path.join(MNT, "fill"))
    pays = journal_pays()
    tap([p[0] for p in pays] == acked,
        "after freeing space the journal holds exactly the acknowledged payments",
        "journal %s\nacked %s" % ([p[0] for p in pays], acked))
    expect("freed: verify", ["verify"], 0,
           r"^Journal intact: %d entries, chain and signatures verified\n$" % n_entries)
    expect("freed: check", ["check"], 0, r"^Database integrity ok; 50 accounts, %d journal entries"
           % n_entries)
    seq = pay(acct, "3.00")
    tap(seq == acked[-1] + 1, "freed: pay works again and continues the journal", seq)
    acked.append(seq)
    n_entries += 1

    # --- read-only medium ----------------------------------------------
    m = sh("mount", "-o", "remount,ro", MNT)
    tap(m.returncode == 0, "remount read-only", m.stderr)
    expect("read-only: pay refused", ["pay", acct, "4.00", "--method", "cash", *OP], 1, None, RO)
    expect("read-only: a wrong PIN fails with the read-only line",
           ["pay", acct, "4.00", "--method", "cash", "--staff", "op01", "--pin", "0000"], 1, None, RO)
    read_only_commands("read-only", acct, n_entries, "backup-ro.db")

    # Read-only after a power cut: the last payment is only in the -wal
    # (with its -shm). Reading must see it.
    sh("mount", "-o", "remount,rw", MNT)
    rc, out, err = run("pay", acct, "5.00", "--method", "cash", *OP,
                       env={"VP_CRASH_AFTER_COMMIT": "1"})
    tap(rc == 86 and os.path.getsize(DB + "-wal") > 0, "power cut right after a commit", err)
    acked.append(acked[-1] + 1)
    n_entries += 1
    m = sh("mount", "-o", "remount,ro", MNT)
    tap(m.returncode == 0, "remount read-only with the -wal and -shm left behind", m.stderr)
    read_only_commands("read-only after a crash", acct, n_entries, "backup-ro-crash.db")
    expect("read-only after a crash: pay refused",
           ["pay", acct, "6.00", "--method", "cash", *OP], 1, None, RO)

    # Without its -shm the -wal cannot be read on a read-only medium; the
    # database file alone would miss the last payment. Refused, not stale.
    sh("mount", "-o", "remount,rw", MNT)
    shm = os.path.join(TMP, "shm")
    shutil.move(DB + "-shm", shm)
    sh("mount", "-o", "remount,ro", MNT)
    rc, out, err = run("verify")
    tap(rc != 0 and out == "" and len(err.splitlines()) == 1,
        "read-only, -wal without -shm: verify refuses instead of reading a stale journal",
        "rc=%d stdout=%r stderr=%r" % (rc, out, err))

    sh("mount", "-o", "remount,rw", MNT)
    expect("writable again: verify", ["verify"], 0,
           r"^Journal intact: %d entries, chain and signatures verified\n$" % n_entries)
    pays = journal_pays()
    tap([p[0] for p in pays] == acked, "writable again: exactly the acknowledged payments",
        "journal %s\nacked %s" % ([p[0] for p in pays], acked))
    seq = pay(acct, "7.00")
    tap(seq == acked[-1] + 1, "writable again: pay works", seq)


def read_only_directory():
    """A directory the van's user cannot write (EACCES, not a read-only
    mount): run as nobody, since root writes anywhere."""
    d = tempfile.mkdtemp(prefix="vp-disk-acl-")
    try:
        os.chmod(d, 0o755)
        van = os.path.join(d, "van")
        os.mkdir(van)
        shutil.chown(van, "nobody", "nogroup")
        db = os.path.join(van, "van.db")
        nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", CLI, "--db", db]

        def as_nobody(*args):
            e = dict(os.environ, LC_ALL="C.UTF-8")
            p = subprocess.run(nobody + list(args), capture_output=True, text=True, env=e,
                               timeout=120)
            return p.returncode, p.stdout, p.stderr

        ok = all(as_nobody(*a)[0] == 0 for a in (
            ["init", "--van", "VAN01"],
            ["demo", "--accounts", "5", "--seed", "3", "--pin-iterations", "1000"],
            ["shift", "open", "--float", "100", *OP]))
        tap(ok, "read-only directory: a van set up by nobody")
        os.chmod(van, 0o555)
        tap(not os.path.exists(db + "-shm") and not os.path.exists(db + "-wal"),
            "read-only directory: no -shm or -wal left")
        rc, out, err = as_nobody("verify")
        tap(rc == 0 and out == "Journal intact: 1 entries, chain and signatures verified\n"
            and err == "", "read-only directory: verify works", "rc=%d %r %r" % (rc, out, err))
        rc, out, err = as_nobody("check")
        tap(rc == 0 and out.startswith("Database integrity ok; 5 accounts, 1 journal entries")
            and err == "", "read-only directory: check works", "rc=%d %r %r" % (rc, out, err))
        rc, out, err = as_nobody("shift", "close", "--counted", "100", *OP)
        tap(rc == 1 and out == "" and re.fullmatch(
            r"vanpos-cli: (%s: )?This medium cannot be written \(Permission denied\);"
            r" nothing was saved\n" % re.escape(db), err) is not None,
            "read-only directory: shift close refused with one line", "rc=%d %r %r" % (rc, out, err))
        os.chmod(van, 0o755)
        rc, out, err = as_nobody("verify")
        tap(rc == 0 and out == "Journal intact: 1 entries, chain and signatures verified\n",
            "read-only directory: writable again, nothing changed", "rc=%d %r %r" % (rc, out, err))
    finally:
        shutil.rmtree(d, ignore_errors=True)


try:
    main()
    read_only_directory()
except Exception as e:  # a crash of the test itself is a failure, with its reason
    import traceback
    tap(False, "test raised %s" % type(e).__name__, traceback.format_exc())
finally:
    if mounted:
        u = sh("umount", MNT)
        if u.returncode != 0:
            sh("umount", "-l", MNT)
            tap(False, "unmount %s" % MNT, u.stderr)
    shutil.rmtree(TMP, ignore_errors=True)
    print("1..%d" % len(results))
    sys.exit(0 if all(results) else 1)
