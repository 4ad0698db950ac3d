#!/usr/bin/env bash
# Quick start: installs what is missing, builds, creates the embedded demo
# database (demo/vanpos-demo.db: van VAN01, 20,000 accounts in the estates
# the van serves, tariffs, staff) and starts the touchscreen app on it.
#
#   Operator   op01  PIN 1234
#   Supervisor sup01 PIN 9876
#
# Options: --accounts N (default 20000), --reset (recreate the database),
#          --no-start (prepare only).
set -euo pipefail
cd "$(dirname "$0")/.."

accounts=20000
reset=0
start=1
while [ $# -gt 0 ]; do
  case "$1" in
    --accounts) accounts="$2"; shift 2 ;;
    --reset) reset=1; shift ;;
    --no-start) start=0; shift ;;
    *) echo "demo.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

bash scripts/deps.sh
bash scripts/build.sh >/dev/null

mkdir -p demo
db=demo/vanpos-demo.db
cli=build/src/cli/vanpos-cli
if [ "$reset" = 1 ]; then
  rm -rf "$db" "$db-wal" "$db-shm" "$db.vankey" "$db.anchor" "$db.cards"
fi
if [ ! -f "$db" ]; then
  "$cli" --db "$db" init --van VAN01
  "$cli" --db "$db" demo --accounts "$accounts" --seed 1
fi
"$cli" --db "$db" check

if [ "$start" = 0 ]; then
  exit 0
fi

export GSETTINGS_SCHEMA_DIR="$PWD/build/data"
export VANPOS_LOCALEDIR="$PWD/build/po"
app=build/src/gui/vanpos
if [ -x "$app" ]; then
  if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    echo "demo.sh: no display; run this from a desktop session (the database is ready in $db)" >&2
    exit 1
  fi
  echo "Starting VanPOS on $db — operator op01 PIN 1234, supervisor sup01 PIN 9876"
  exec "$app" --db "$db"
fi

# Without the GUI, walk through a short day with the CLI.
echo "The GUI is not built; running a CLI demo scenario on $db"
acct=$("$cli" --db "$db" search 光明社区 --limit 1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["results"][0]["number"])')
"$cli" --db "$db" shift open --float 200 --staff op01 --pin 1234 || true
"$cli" --db "$db" account "$acct"
"$cli" --db "$db" pay "$acct" 50 --method cash --staff op01 --pin 1234
"$cli" --db "$db" report day
