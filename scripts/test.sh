#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test suite
# (core, store, card, sync, hq, print, gui, security, reliability).
# GUI tests start their own Xvfb, D-Bus session and AT-SPI bus; HQ tests
# start a private PostgreSQL cluster on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh
mkdir -p test-artifacts
rc=0
meson test -C build --print-errorlogs --num-processes 2 "$@" || rc=$?

# One closing line for whoever reads the log: programs run, and the TAP
# test cases inside them.
python3 - build/meson-logs/testlog.json <<'PY' || true
import json, re, sys
passed = failed = skipped = cases = 0
for line in open(sys.argv[1], encoding="utf-8"):
    t = json.loads(line)
    r = t.get("result")
    if r in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif r == "SKIP":
        skipped += 1
    else:
        failed += 1
    cases += len(re.findall(r"^ok \d+", t.get("stdout") or "", re.M))
print(f"({cases} TAP test cases inside the programs)")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $rc
