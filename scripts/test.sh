#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test suite
# (core, store, card, sync, hq, print, gui, security, reliability).
# GUI tests start their own Xvfb, D-Bus session and AT-SPI bus; HQ tests
# start a private PostgreSQL cluster on loopback.
# Then builds a second tree, build-asan, with AddressSanitizer and
# UndefinedBehaviorSanitizer and runs the core, store, card, security,
# reliability, HQ and sync suites in it again (VP_SKIP_ASAN=1 leaves that
# out).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh
mkdir -p test-artifacts
rc=0
logs=(build/meson-logs/testlog.json)
rm -f build/meson-logs/testlog.json
meson test -C build --print-errorlogs --num-processes 2 "$@" || rc=$?

asan_build_failed=0
if [ "${VP_SKIP_ASAN:-0}" != 1 ]; then
  # The money and card paths are what memory errors would hurt; the HQ and
  # sync suites run too (HQ parses hostile bodies; its ASan binary serves
  # those tests). Not the GUI or print suites. Leaks are errors;
  # tests/lsan.supp names the few known ones. VP_TEST_QUICK: the crash
  # test kills 40 times here, not 200 (the normal build above does the 200).
  rm -f build-asan/meson-logs/testlog.json
  if [ ! -f build-asan/build.ninja ]; then
    meson setup build-asan --buildtype=debugoptimized \
      -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
  fi
  if ninja -C build-asan; then
    logs+=(build-asan/meson-logs/testlog.json)
    ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:print_stacktrace=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0" \
    VP_TEST_QUICK=1 \
      meson test -C build-asan --no-rebuild --print-errorlogs --num-processes 2 \
        --suite core --suite store --suite card --suite security --suite reliability \
        --suite hq --suite sync || rc=$?
  else
    echo "ASan+UBSan build (build-asan) failed" >&2
    asan_build_failed=1
    rc=1
  fi
fi

# One closing line for whoever reads the log: programs run (in both
# builds), and the TAP test cases inside them.
python3 - "$asan_build_failed" "${logs[@]}" <<'PY' || true
import json, os, re, sys
passed = failed = skipped = cases = 0
failed += int(sys.argv[1])   # the ASan tree did not build: one failure
for log in sys.argv[2:]:
    if not os.path.exists(log):
        failed += 1          # the run did not even start
        print(f"no test log {log}")
        continue
    for line in open(log, encoding="utf-8"):
        t = json.loads(line)
        r = t.get("result")
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
        cases += len(re.findall(r"^ok \d+", t.get("stdout") or "", re.M))
print(f"({cases} TAP test cases inside the programs, ASan+UBSan build included)")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $rc
