#!/bin/sh
# run-fuzz.sh FUZZER SEED_CORPUS SECONDS: runs a libFuzzer harness for a
# bounded time on a scratch copy of the seed corpus; fails on any crash,
# leak, timeout or sanitizer report (libFuzzer's exit status).
set -eu
fuzzer=$1
seeds=$2
seconds=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$seeds"/* "$work"/
exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 "$work"
