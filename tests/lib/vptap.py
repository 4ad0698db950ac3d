# vptap.py: the TAP output the CLI test scripts share (tests/*/test-*-cli.py).
# A script imports tap and results, calls tap() for each check and ends with
# print("1..%d" % len(results)).
#
# SPDX-License-Identifier: GPL-3.0-or-later

import sys

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
