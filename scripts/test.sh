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
meson test -C build --print-errorlogs --num-processes 2 "$@"
