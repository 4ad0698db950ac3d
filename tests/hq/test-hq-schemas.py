#!/usr/bin/env python3
# test-hq-schemas.py: every request and answer of the van ⇄ HQ protocol
# checked live against docs/schemas/ (issue 10).
#
# A real van (vanpos-cli) is provisioned at the real vanpos-hq started by
# run-with-hq.sh, makes entries HQ will accept, turn into a conflict and
# reject, and syncs with `vanpos-cli sync`; the same routes are then asked
# directly over HTTPS with the bundle's client certificate (python ssl),
# error cases included: a wrong PIN, a throttled retry, a lock, an operator, a
# malformed body, no certificate, no token, another van's URL, a 409 gap,
# a 422 bad signature, a bad cursor, an unknown route. Every body HQ
# answers is validated against its schema, and every request this test
# sends (built from the van's own journal rows) against the request's.
# Last, the van syncs through a recording TLS proxy, so the requests
# vanpos-cli itself sends and the answers it gets are validated too.
#
# Usage (TAP): run-with-hq.sh python3 test-hq-schemas.py PATH/TO/vanpos-cli
#
# SPDX-License-Identifier: GPL-3.0-or-later

import base64
import copy
import glob
import http.server
import gzip
import http.client
import json
import os
import shutil
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import warnings

import jsonschema

CLI = sys.argv[1]
HQ_BIN = os.environ["VANPOS_HQ_BIN"]
PG = os.environ["VANPOS_HQ_PG"]
URL = os.environ["VANPOS_HQ_URL"]
TLS_DIR = os.environ["VANPOS_HQ_TLS_DIR"]
SRC = os.environ.get("VP_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
SCHEMA_DIR = os.environ.get("VP_SCHEMA_DIR", os.path.join(SRC, "docs", "schemas"))
TMP = tempfile.mkdtemp(prefix="vp-hq-schemas-")
SUP = ["--staff", "sup01", "--pin", "9876"]
OP = ["--staff", "op01", "--pin", "1234"]

results = []


def tap(ok, desc, detail=""):
    results.append(bool(ok))
    print(("ok %d - %s" if ok else "not ok %d - %s") % (len(results), desc))
    if not ok and detail:
        for line in str(detail).splitlines():
            print("# " + line)
    sys.stdout.flush()
    return ok


def bail(msg):
    print("Bail out! " + msg)
    sys.exit(1)


# --- schemas -----------------------------------------------------------------

SCHEMAS = {}
for path in sorted(glob.glob(os.path.join(SCHEMA_DIR, "*.json"))):
    with open(path, encoding="utf-8") as f:
        s = json.load(f)
    SCHEMAS[os.path.basename(path)[:-5]] = s
    try:
        jsonschema.Draft202012Validator.check_schema(s)
        tap(True, "schema %s is valid draft 2020-12" % os.path.basename(path))
    except jsonschema.SchemaError as e:
        tap(False, "schema %s is valid draft 2020-12" % os.path.basename(path), e)


def validator(name):
    schema = SCHEMAS[name]
    try:
        # jsonschema ≥ 4.18 resolves $ref through `referencing`.
        from referencing import Registry, Resource
        reg = Registry().with_resources(
            [(s["$id"], Resource.from_contents(s)) for s in SCHEMAS.values()])
        return jsonschema.Draft202012Validator(schema, registry=reg)
    except ImportError:
        # Debian 12's python3-jsonschema (4.10).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            resolver = jsonschema.RefResolver.from_schema(
                schema, store={s["$id"]: s for s in SCHEMAS.values()})
            return jsonschema.Draft202012Validator(schema, resolver=resolver)


VALIDATORS = {}
seen = set()   # (route, status, schema) checked live


def errors_of(name, doc):
    if name not in VALIDATORS:
        VALIDATORS[name] = validator(name)
    return ["%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(root)", e.message)
            for e in VALIDATORS[name].iter_errors(doc)]


def check(desc, name, doc):
    errs = errors_of(name, doc)
    seen.add(name)
    return tap(not errs, "%s matches %s.json" % (desc, name),
               "\n".join(errs) + "\n" + json.dumps(doc, ensure_ascii=False)[:2000])


# --- the van and HQ by their command lines ------------------------------------

def run(args, env=None):
    p = subprocess.run(args, capture_output=True, text=True, timeout=180,
                       env=dict(os.environ, LC_ALL="C.UTF-8", **(env or {})))
    return p.returncode, p.stdout, p.stderr


def cli(*args):
    return run([CLI, "--db", DB] + list(args))


def hq(*args):
    return run([HQ_BIN, "--pg", PG] + list(args))


def psql(sql):
    rc, out, err = run(["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", PG, "-c", sql])
    if rc != 0:
        bail("psql failed: %s: %s" % (sql, err))
    return out.strip()


def van_query(sql):
    con = sqlite3.connect("file:%s?mode=ro" % DB, uri=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def must(desc, rc_out_err, rc_want=0):
    rc, out, err = rc_out_err
    if not tap(rc == rc_want, desc, "rc=%d (want %d)\nstdout: %s\nstderr: %s" % (rc, rc_want, out, err)):
        bail(desc + " failed")
    return out


DB = os.path.join(TMP, "van.db")
must("van init", cli("init", "--van", "VAN01"))
must("van demo data", cli("demo", "--accounts", "30", "--seed", "7"))
must("export-master", cli("sync", "export-master", "--out", os.path.join(TMP, "master")))
for t in ("accounts", "bills", "tariffs"):
    must("HQ imports the van's " + t, hq("import", t, os.path.join(TMP, "master", t + ".csv")))
with open(os.path.join(TMP, "van.pub"), "w") as f:
    f.write(must("export-key", cli("export-key")))
BUNDLE = os.path.join(TMP, "bundle")
must("provision VAN01", hq("provision", "VAN01", "--public-key", os.path.join(TMP, "van.pub"),
                            "--tls-dir", TLS_DIR, "--url", URL, "--out", BUNDLE))
must("sync setup", cli("sync", "setup", "--bundle", BUNDLE))
# HQ's own staff besides sup01: an operator (403 at the session) and a
# second supervisor whose PIN is guessed (the throttle is per staff id,
# so sup01's logins stay free).
must("HQ staff op01", hq("staff-add", "op01", "--name", "Op", "--role", "operator", "--pin", "1234",
                         "--pin-iterations", "1000"))
must("HQ staff sup02", hq("staff-add", "sup02", "--name", "Sup", "--role", "supervisor",
                          "--pin", "4321", "--pin-iterations", "1000"))

with open(os.path.join(BUNDLE, "hq.json"), encoding="utf-8") as f:
    check("the bundle's hq.json", "hq-bundle", json.load(f))

# Entries of each outcome. A payment of a bill HQ has open: accepted. A
# payment of a bill HQ has already as paid: conflict (money to credit).
# A credit move of credit the van has but HQ has not: rejected.
paid_bill = van_query("SELECT a.number, sum (b.amount - b.paid) FROM accounts a JOIN bills b"
                      " ON b.account_id = a.id WHERE b.paid < b.amount GROUP BY a.id"
                      " ORDER BY a.number LIMIT 2")
if len(paid_bill) < 2:
    bail("the demo van has fewer than 2 accounts with open bills")
(acct_ok, due_ok), (acct_conflict, due_conflict) = paid_bill
credit = van_query("SELECT number, balance FROM accounts WHERE balance >= 100 AND status = 'active'"
                   " AND number NOT IN ('%s', '%s') ORDER BY number LIMIT 2" % (acct_ok, acct_conflict))
if len(credit) < 2:
    bail("the demo van has fewer than 2 accounts with credit")
acct_credit, acct_to = credit[0][0], credit[1][0]
psql("UPDATE bills SET paid = amount WHERE account = '%s'" % acct_conflict)
psql("UPDATE accounts SET balance = 0 WHERE number = '%s'" % acct_credit)

must("shift open", cli("shift", "open", "--float", "500", *SUP))
must("pay a bill HQ has open", cli("pay", acct_ok, "%d.%02d" % divmod(due_ok, 100), "--method", "cash", *OP))
must("pay a bill HQ has as paid", cli("pay", acct_conflict, "%d.%02d" % divmod(due_conflict, 100),
                                      "--method", "cash", *OP))
must("move credit HQ does not have", cli("move-credit", acct_credit, acct_to, "1.00", *SUP))


def van_entries(lo=1, hi=1 << 62):
    rows = van_query("SELECT uuid, seq, kind, payload, device_time, monotonic_ms, prev_hash, hash,"
                     " signature FROM journal WHERE seq BETWEEN %d AND %d ORDER BY seq" % (lo, hi))
    names = ["uuid", "seq", "kind", "payload", "device_time", "monotonic_ms", "prev_hash", "hash",
             "signature"]
    return [dict(zip(names, r)) for r in rows]


# --- raw HTTPS --------------------------------------------------------------------

host, port = URL[len("https://"):].rsplit(":", 1)


def context(cert=True):
    ctx = ssl.create_default_context(cafile=os.path.join(BUNDLE, "ca.crt"))
    if cert:
        ctx.load_cert_chain(os.path.join(BUNDLE, "client.crt"), os.path.join(BUNDLE, "client.key"))
    return ctx


def request(method, path, body=None, token=None, cert=True, headers=None, raw_body=None):
    conn = http.client.HTTPSConnection(host, int(port), context=context(cert), timeout=60)
    h = {"Accept-Encoding": "gzip"}
    if token:
        h["Authorization"] = "Bearer " + token
    data = raw_body
    if body is not None:
        data = json.dumps(body).encode()
    if data is not None:
        h["Content-Type"] = "application/json"
    h.update(headers or {})
    conn.request(method, path, body=data, headers=h)
    r = conn.getresponse()
    payload = r.read()
    if r.getheader("Content-Encoding") == "gzip":
        payload = gzip.decompress(payload)
    status, hdrs = r.status, dict(r.getheaders())
    conn.close()
    try:
        doc = json.loads(payload)
    except ValueError:
        doc = payload
    return status, doc, hdrs


def expect(desc, method, path, status_want, schema, **kw):
    if schema.endswith("-request"):
        raise ValueError(schema)
    status, doc, hdrs = request(method, path, **kw)
    tap(status == status_want, "%s: HTTP %d" % (desc, status_want),
        "got %d: %s" % (status, str(doc)[:1000]))
    if isinstance(doc, (dict, list)):
        check(desc, schema, doc)
    else:
        tap(False, desc + ": a JSON body", repr(doc[:200]))
    return doc, hdrs


def sent(desc, name, body):
    check(desc + " (request)", name, body)
    return body


V = "/v1/vans/VAN01"

# /healthz and /v1/time
expect("GET /healthz without a certificate", "GET", "/healthz", 200, "healthz-response", cert=False)
expect("GET /v1/time", "GET", "/v1/time", 200, "time-response")
expect("GET /v1/time without a certificate", "GET", "/v1/time", 401, "error", cert=False)
expect("an unknown route", "GET", "/v1/nothing", 404, "error")

# Session: the right PIN, a malformed body, wrong fields, an operator, a
# wrong PIN and its throttled retry, another van's URL, a van HQ lacks.
doc, _ = expect("POST session", "POST", V + "/session", 200, "session-response",
                body=sent("session", "session-request", {"staff": "sup01", "pin": "9876"}))
token = doc.get("token")
expect("POST session with a malformed body", "POST", V + "/session", 400, "error",
       raw_body=b"{\"staff\": \"sup01\", \"pin\": ")
expect("POST session with a number as PIN", "POST", V + "/session", 400, "error",
       body={"staff": "sup01", "pin": 9876})
expect("POST session of an operator", "POST", V + "/session", 403, "error",
       body=sent("operator session", "session-request", {"staff": "op01", "pin": "1234"}))
doc, hdrs = expect("POST session with a wrong PIN", "POST", V + "/session", 401, "error",
                   body=sent("wrong PIN", "session-request", {"staff": "sup02", "pin": "0000"}))
tap(doc.get("error") == "auth" and "Retry-After" in hdrs, "a wrong PIN is `auth` with Retry-After", doc)
doc, hdrs = expect("POST session again at once", "POST", V + "/session", 429, "error",
                   body={"staff": "sup02", "pin": "4321"})
tap(doc.get("error") == "throttled" and "Retry-After" in hdrs, "the retry is `throttled`", doc)
# The 5th wrong PIN in a row locks the pair: rather than wait out 1+2+4+8 s
# of throttle, the test moves HQ's count to 4 wrong PINs, next try due now.
psql("UPDATE pin_attempts SET failures = 4, next_allowed = now () WHERE van = 'VAN01' AND staff = 'sup02'")
doc, _ = expect("POST session, 5th wrong PIN", "POST", V + "/session", 401, "error",
                body={"staff": "sup02", "pin": "0000"})
tap(doc.get("error") == "locked", "the 5th wrong PIN is `locked`", doc)
doc, _ = expect("POST session while locked", "POST", V + "/session", 401, "error",
                body={"staff": "sup02", "pin": "4321"})
tap(doc.get("error") == "locked", "the right PIN is `locked` too", doc)
must("staff unlock", hq("staff", "unlock", "sup02", "--van", "VAN01"))
expect("POST session after unlock", "POST", V + "/session", 200, "session-response",
       body={"staff": "sup02", "pin": "4321"})
expect("POST session at another van's URL", "POST", "/v1/vans/VAN02/session", 403, "error",
       body={"staff": "sup01", "pin": "9876"})

# Journal: the van's entries as the van sends them.
entries = van_entries()
n = len(entries)
push = sent("push of %d entries" % n, "journal-request", {"van": "VAN01", "acked_seq": 0, "entries": entries})
expect("POST journal without a token", "POST", V + "/journal", 401, "error", body=push)
expect("POST journal with a malformed body", "POST", V + "/journal", 400, "error", token=token,
       raw_body=b"{\"van\": \"VAN01\", \"entries\": [")
expect("POST journal with a string seq", "POST", V + "/journal", 400, "error", token=token,
       body={"van": "VAN01", "entries": [dict(entries[0], seq="1")]})
doc, _ = expect("POST journal", "POST", V + "/journal", 200, "journal-response", token=token, body=push)
outcomes = [r.get("outcome") for r in doc.get("results", [])]
want = ["accepted"] * (n - 2) + ["conflict", "rejected"]
tap(outcomes == want, "outcomes accepted…, conflict, rejected", "%s\nwant %s" % (outcomes, want))
tap(doc.get("acked_seq") == n and doc.get("totals", {}).get("entries") == n,
    "acked_seq and totals count every entry", doc)
doc, _ = expect("POST journal again", "POST", V + "/journal", 200, "journal-response", token=token,
                body=push)
tap([r.get("outcome") for r in doc.get("results", [])] == ["duplicate"] * n,
    "a replay is duplicate for each entry", doc)

# The van's own sync: push (all duplicates by now) and a full master pull.
rc, out, err = cli("sync", *SUP, "--json")
tap(rc == 0, "vanpos-cli sync", "rc=%d\n%s\n%s" % (rc, out, err))

# Two more entries; the second alone is a gap, the first badly signed a 422.
must("log 1", cli("log", "consultation", acct_ok, "--note", "schema test 1", *OP))
must("log 2", cli("log", "consultation", acct_ok, "--note", "schema test 2", *OP))
e1, e2 = van_entries(n + 1)
gap = sent("gap push", "journal-request", {"van": "VAN01", "acked_seq": n, "entries": [e2]})
doc, _ = expect("POST journal with a gap", "POST", V + "/journal", 409, "error", token=token, body=gap)
tap(doc.get("error") == "gap" and doc.get("expected_seq") == n + 1, "409 gap expects seq n+1", doc)
bad = dict(e1, signature=base64.b64encode(bytes(64)).decode())
doc, _ = expect("POST journal with a bad signature", "POST", V + "/journal", 422, "error",
                token=token, body=sent("bad signature", "journal-request",
                                       {"van": "VAN01", "acked_seq": n, "entries": [bad]}))
tap(doc.get("error") == "bad_entry" and doc.get("seq") == n + 1 and doc.get("reason") == "signature",
    "422 bad_entry names the seq and `signature`", doc)
expect("POST journal with too many entries", "POST", V + "/journal", 413, "error", token=token,
       body={"van": "VAN01", "entries": [e1] * 1001})
rc, out, err = cli("sync", *SUP)
tap(rc == 0, "vanpos-cli sync sends the two", "rc=%d\n%s\n%s" % (rc, out, err))
tap(psql("SELECT count(*) || ' ' || max(seq) FROM journal WHERE van = 'VAN01'") == "%d %d" % (n + 2, n + 2),
    "HQ holds every entry once", psql("SELECT count(*), max(seq) FROM journal WHERE van = 'VAN01'"))

# Master pages: small pages until `more` is false, a bad cursor and limit.
since, pages, rows = "", 0, 0
while pages < 100:
    doc, hdrs = expect("GET master page %d" % (pages + 1), "GET",
                       V + "/master?since=%s&limit=7" % since, 200, "master-response", token=token)
    pages += 1
    rows += sum(len(doc.get(k, [])) for k in ("accounts", "bills", "tariffs", "staff",
                                              "blocked_cards", "account_numbers"))
    if not doc.get("more"):
        break
    since = doc.get("cursor", "")
tap(pages > 1 and rows >= 30, "the pull took several pages", "%d pages, %d rows" % (pages, rows))
expect("GET master with a bad cursor", "GET", V + "/master?since=x", 400, "error", token=token)
expect("GET master with limit 0", "GET", V + "/master?limit=0", 400, "error", token=token)
expect("GET master without a token", "GET", V + "/master", 401, "error")

# The van's own requests, as vanpos-cli sends them: the van syncs through
# a recording TLS proxy that holds HQ's server certificate (the van's pin
# holds) and forwards each request to HQ with the van's client
# certificate; every request and answer it saw is validated.
captured = []


class Recorder(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def relay(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        plain = body
        if body and self.headers.get("Content-Encoding") == "gzip":
            plain = gzip.decompress(body)
        keep = ("authorization", "content-type", "content-encoding", "accept-encoding")
        h = {k: v for k, v in self.headers.items() if k.lower() in keep}
        c = http.client.HTTPSConnection(host, int(port), context=context(), timeout=60)
        c.request(self.command, self.path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        answer = gzip.decompress(data) if r.getheader("Content-Encoding") == "gzip" else data
        captured.append((self.command, self.path, plain, r.status, answer))
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() in ("content-type", "content-encoding", "retry-after"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        c.close()

    do_GET = do_POST = relay

    def log_message(self, *args):
        pass


proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
proxy.daemon_threads = True
sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
sctx.load_cert_chain(os.path.join(TLS_DIR, "server.crt"), os.path.join(TLS_DIR, "server.key"))
proxy.socket = sctx.wrap_socket(proxy.socket, server_side=True)
threading.Thread(target=proxy.serve_forever, daemon=True).start()
PROXY_BUNDLE = os.path.join(TMP, "proxy-bundle")
shutil.copytree(BUNDLE, PROXY_BUNDLE)
with open(os.path.join(PROXY_BUNDLE, "hq.json"), encoding="utf-8") as f:
    hqj = json.load(f)
hqj["url"] = "https://127.0.0.1:%d" % proxy.server_address[1]
with open(os.path.join(PROXY_BUNDLE, "hq.json"), "w", encoding="utf-8") as f:
    json.dump(hqj, f)
must("sync setup through the proxy", cli("sync", "setup", "--bundle", PROXY_BUNDLE))
must("log 3", cli("log", "consultation", acct_ok, "--note", "schema test 3", *OP))
rc, out, err = cli("sync", *SUP, "--json")
tap(rc == 0, "vanpos-cli sync through the recording proxy", "rc=%d\n%s\n%s" % (rc, out, err))
proxy.shutdown()
routes = set()
for method, path, req, status, answer in captured:
    route = path.split("?")[0].rsplit("/", 1)[-1]
    routes.add(route)
    desc = "vanpos-cli %s %s (%d)" % (method, path.split("?")[0], status)
    if req:
        check(desc, route + "-request", json.loads(req))
    check(desc, route + "-response" if status == 200 else "error", json.loads(answer))
tap({"session", "journal", "master"} <= routes, "the van asked for a session, pushed and pulled",
    sorted(routes))
pushes = [json.loads(q) for m, p_, q, st, a in captured if p_.endswith("/journal")]
tap(len(pushes) == 1 and pushes[0].get("acked_seq") == n + 2
    and [e["seq"] for e in pushes[0]["entries"]] == [n + 3],
    "the van pushed its one new entry with acked_seq", pushes)

# Every schema was used live, and each is strict: an answer that loses a
# member, gains one or changes a type no longer matches.
for name in SCHEMAS:
    if name != "common":
        tap(name in seen, "schema %s was checked against a live message" % name)
doc, _ = expect("POST journal once more", "POST", V + "/journal", 200, "journal-response",
                token=token, body={"van": "VAN01", "entries": [e1]})
for desc, mutate in (("a dropped member", lambda d: d.pop("totals")),
                     ("an added member", lambda d: d.update(extra=1)),
                     ("a changed type", lambda d: d.update(acked_seq=str(d["acked_seq"]))),
                     ("an unknown outcome", lambda d: d["results"][0].update(outcome="ok"))):
    d = copy.deepcopy(doc)
    mutate(d)
    tap(errors_of("journal-response", d), "journal-response.json refuses %s" % desc)

gap_doc = {"error": "gap", "message": "expects 5", "expected_seq": 5}
tap(not errors_of("error", gap_doc), "error.json takes a gap with expected_seq")
for desc, d in (("a gap without expected_seq", {"error": "gap", "message": "m"}),
                ("an unknown error code", {"error": "oops", "message": "m"}),
                ("a bad_entry without reason", {"error": "bad_entry", "message": "m", "seq": 3}),
                ("expected_seq on another error", dict(gap_doc, error="bad_request"))):
    tap(errors_of("error", d), "error.json refuses %s" % desc)
page = {"cursor": "1", "more": False, "hq_time": 1, "bills": [], "tariffs": [], "staff": [],
        "blocked_cards": [], "account_numbers": [],
        "accounts": [dict(number="1", holder="h", phone="", id_number="", estate="", building="",
                          unit="", room="", service="gas", meter="prepaid", tariff_class="residential",
                          concession_expiry=None, elderly_alone=False, needs_visit=False,
                          balance=0, card_number=None, card_counter=0, year_volume=0,
                          tariff_year=2026, last_reading=0, status="active")]}
tap(not errors_of("master-response", page), "master-response.json takes a full account row")
del page["accounts"][0]["balance"]
tap(errors_of("master-response", page), "master-response.json refuses an account without balance")

shutil.rmtree(TMP, ignore_errors=True)
print("1..%d" % len(results))
sys.exit(0 if all(results) else 1)
