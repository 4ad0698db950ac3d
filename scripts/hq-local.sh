#!/bin/sh
# hq-local.sh: a private PostgreSQL 15 cluster and vanpos-hq on loopback,
# for the README, the demo and the tests (HQ and sync).
#
# Usage:
#   scripts/hq-local.sh start [DIR]     cluster + schema + CA + staff sup01/9876 + server
#   scripts/hq-local.sh start-pg [DIR]  cluster + schema only (no CA, no server)
#   scripts/hq-local.sh stop DIR        stops the server and the cluster (DIR is kept)
#   scripts/hq-local.sh env DIR         prints DIR/hq.env
#
# DIR defaults to a new mktemp dir. After start, DIR/hq.env holds shell
# assignments to source (`. DIR/hq.env`):
#   VANPOS_HQ_DIR      the dir
#   VANPOS_HQ_PG       libpq conninfo of the private cluster (Unix socket in DIR)
#   VANPOS_HQ_TLS_DIR  the CA dir (ca.crt, server.crt, backup-server.key …)
#   VANPOS_HQ_URL      https://127.0.0.1:PORT
#   VANPOS_HQ_PUBLIC_URL  https://127.0.0.1:PORT2, the public receipt check (no client cert)
#   VANPOS_HQ_PINS     "sha256//…;sha256//…" (server pin; backup pin)
#   VANPOS_HQ_PID      vanpos-hq's process id
# and the same lines are printed on stdout.
#
# Environment:
#   VANPOS_HQ_BIN       the vanpos-hq binary (default: first of build*/src/hq/vanpos-hq)
#   VANPOS_HQ_PORT      server port (default: a free one, picked by the server)
#   VANPOS_HQ_PUBLIC_PORT  public receipt-check port (default: a free one)
#   VANPOS_HQ_PIN_ITERATIONS  PBKDF2 iterations for sup01 (default 600000; tests use 1000)
#   VANPOS_HQ_SERVE_ARGS      extra `serve` options, e.g. "--workers 8 --db-pool 8"
#
# Provision a van afterwards:
#   vanpos-cli --db van.db export-key > van.pub
#   $VANPOS_HQ_BIN --pg "$VANPOS_HQ_PG" provision VAN01 --public-key van.pub \
#       --tls-dir "$VANPOS_HQ_TLS_DIR" --url "$VANPOS_HQ_URL" --out bundle/
#   vanpos-cli --db van.db sync setup --bundle bundle/
#
# Works as root (the cluster runs as user postgres, DIR is chowned to it)
# and as an ordinary user (initdb runs directly).
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
here=$(cd "$(dirname "$0")/.." && pwd)

die () { echo "hq-local.sh: $*" >&2; exit 1; }

find_bin () {
  if [ -n "${VANPOS_HQ_BIN:-}" ]; then echo "$VANPOS_HQ_BIN"; return; fi
  for b in "$here"/build/src/hq/vanpos-hq "$here"/build*/src/hq/vanpos-hq; do
    [ -x "$b" ] && { echo "$b"; return; }
  done
  die "vanpos-hq not found; build it or set VANPOS_HQ_BIN"
}

as_pg () {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_pg () {
  dir=$1
  [ -x "$PGBIN/initdb" ] || die "PostgreSQL 15 is not installed ($PGBIN/initdb); apt-get install postgresql"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
  chmod 0755 "$dir"
  as_pg "$PGBIN/initdb" -D "$dir/data" -A trust -U vanpos -E UTF8 --locale=C.UTF-8 \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  # A TCP port on loopback too (picked at random, retried if taken); the
  # tools connect through the Unix socket in DIR. fsync and
  # synchronous_commit stay on, as in production (src/hq/README.md): HQ
  # answers acked_seq only for what PostgreSQL has on disk, so a crash or
  # an immediate restart never loses acknowledged entries (issue 10).
  tries=0
  while :; do
    port=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 30000 ))
    if as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 30 \
         -o "-k $dir -p $port -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c full_page_writes=on" \
         start >/dev/null 2>&1; then
      break
    fi
    tries=$((tries + 1))
    [ $tries -lt 5 ] || { cat "$dir/postgres.log" >&2; die "PostgreSQL did not start"; }
  done
  as_pg "$PGBIN/createdb" -h "$dir" -p "$port" -U vanpos vanpos
  echo "host=$dir port=$port dbname=vanpos user=vanpos" >"$dir/pg.conninfo"
}

cmd=${1:-}
case "$cmd" in
  start|start-pg)
    dir=${2:-}
    if [ -z "$dir" ]; then dir=$(mktemp -d /tmp/vanpos-hq.XXXXXX); fi
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ ! -e "$dir/data" ] || die "$dir already has a cluster; stop it and use a new dir"
    bin=$(find_bin)
    start_pg "$dir"
    pg=$(cat "$dir/pg.conninfo")
    "$bin" --pg "$pg" init-db >/dev/null
    {
      echo "VANPOS_HQ_DIR='$dir'"
      echo "VANPOS_HQ_PG='$pg'"
      echo "VANPOS_HQ_BIN='$bin'"
    } >"$dir/hq.env"
    if [ "$cmd" = start ]; then
      "$bin" ca-init --dir "$dir/tls" >"$dir/ca-init.log"
      pins=$(sed -n 's/^pins: *//p' "$dir/ca-init.log")
      "$bin" --pg "$pg" staff-add sup01 --name "值班主管" --role supervisor --pin 9876 \
        ${VANPOS_HQ_PIN_ITERATIONS:+--pin-iterations "$VANPOS_HQ_PIN_ITERATIONS"} >/dev/null
      rm -f "$dir/hq.port"
      nohup "$bin" --pg "$pg" serve --listen "127.0.0.1:${VANPOS_HQ_PORT:-0}" \
        --tls-dir "$dir/tls" --port-file "$dir/hq.port" \
        --public-listen "127.0.0.1:${VANPOS_HQ_PUBLIC_PORT:-0}" --public-port-file "$dir/hq-public.port" \
        ${VANPOS_HQ_SERVE_ARGS:-} \
        >"$dir/hq.log" 2>&1 </dev/null &
      pid=$!
      echo $pid >"$dir/hq.pid"
      i=0
      while [ ! -s "$dir/hq.port" ]; do
        kill -0 $pid 2>/dev/null || { cat "$dir/hq.log" >&2; die "vanpos-hq did not start"; }
        i=$((i + 1)); [ $i -lt 300 ] || die "vanpos-hq did not start listening"
        sleep 0.1
      done
      port=$(cat "$dir/hq.port")
      {
        echo "VANPOS_HQ_TLS_DIR='$dir/tls'"
        echo "VANPOS_HQ_URL='https://127.0.0.1:$port'"
        echo "VANPOS_HQ_PUBLIC_URL='https://127.0.0.1:$(cat "$dir/hq-public.port")'"
        echo "VANPOS_HQ_PINS='$pins'"
        echo "VANPOS_HQ_PID='$pid'"
      } >>"$dir/hq.env"
    fi
    cat "$dir/hq.env"
    if [ "$cmd" = start ]; then
      . "$dir/hq.env"
      cat >&2 <<EOT
vanpos-hq is serving $VANPOS_HQ_URL (log $dir/hq.log); supervisor sup01, PIN 9876.
Server pin and backup pin: $VANPOS_HQ_PINS
Provision a van:
  vanpos-cli --db van.db export-key > van.pub
  $bin --pg "$VANPOS_HQ_PG" provision VAN01 --public-key van.pub \\
      --tls-dir $VANPOS_HQ_TLS_DIR --url $VANPOS_HQ_URL --out van-bundle
  vanpos-cli --db van.db sync setup --bundle van-bundle
Stop: $0 stop $dir
EOT
    fi
    ;;
  stop)
    dir=${2:-}
    [ -n "$dir" ] && [ -d "$dir" ] || die "usage: hq-local.sh stop DIR"
    if [ -s "$dir/hq.pid" ]; then
      pid=$(cat "$dir/hq.pid")
      if kill "$pid" 2>/dev/null; then
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        kill -9 "$pid" 2>/dev/null || true
      fi
      rm -f "$dir/hq.pid"
    fi
    if [ -f "$dir/data/postmaster.pid" ]; then
      # fast: a clean shutdown with a checkpoint (immediate skips it and
      # leaves crash recovery to the next start).
      as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
    fi
    ;;
  env)
    cat "${2:?usage: hq-local.sh env DIR}/hq.env"
    ;;
  *)
    sed -n '2,/^# SPDX/p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
