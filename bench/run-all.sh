#!/bin/sh
# Runs the foundation benchmarks (issue 2) and prints their figures:
#   - demo/import rate for 1,000,000 accounts (target < 30 s)
#   - payment commit latency vs a raw single-row INSERT (target <= 2x)
#   - account search p50/p95/p99 per query shape at 1,000,000 accounts
#     (target p95 < 10 ms)
#   - journal verify rate vs the raw OpenSSL Ed25519 verify rate, 20,000
#     entries (issue 8, target >= 0.8x)
#
# Usage: bench/run-all.sh [BUILD_DIR]    (default: build)
# The 1M-account search database is kept at $VP_BENCH_DB
# (default /tmp/vanpos-bench-1m.db) and reused on the next run.
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-"$here/../build"}
bench="$build/bench"
: "${VP_BENCH_DB:=/tmp/vanpos-bench-1m.db}"
export VP_BENCH_DB

for b in bench-demo-rate bench-commit bench-search bench-verify; do
  if [ ! -x "$bench/$b" ]; then
    echo "run-all.sh: $bench/$b is missing; build first (ninja -C $build)" >&2
    exit 1
  fi
done

echo "== demo rate =="
"$bench/bench-demo-rate" 1000000
echo
echo "== payment commit =="
"$bench/bench-commit" 500
echo
echo "== account search =="
"$bench/bench-search" "$VP_BENCH_DB"
echo
echo "== journal verify =="
"$bench/bench-verify" 20000
