#!/bin/sh
# run-with-hq.sh PROGRAM [ARGS…]: starts a private PostgreSQL cluster and
# vanpos-hq on loopback (scripts/hq-local.sh start, in a new temp dir),
# runs PROGRAM with DIR/hq.env exported (VANPOS_HQ_PG, _URL, _PINS,
# _TLS_DIR, _BIN, _DIR) and stops both on exit, whatever PROGRAM did.
# Usable by any suite: test(..., run_with_hq, args: [test_exe]).
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -u
src=${VP_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
dir=$(mktemp -d /tmp/vanpos-hq-test.XXXXXX)
cleanup () {
  "$src/scripts/hq-local.sh" stop "$dir" || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if ! VANPOS_HQ_PIN_ITERATIONS=${VANPOS_HQ_PIN_ITERATIONS:-1000} \
     "$src/scripts/hq-local.sh" start "$dir" >"$dir/start.log" 2>&1; then
  echo "Bail out! could not start PostgreSQL + vanpos-hq:"
  sed 's/^/# /' "$dir/start.log"
  exit 1
fi
set -a
. "$dir/hq.env"
set +a
"$@"
