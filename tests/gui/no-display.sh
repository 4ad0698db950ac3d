#!/bin/sh
# With no display the app says so in one line and exits 1, after the GL
# preload thread (src/gui/vp-gl-preload.c) has been joined: no crash in
# the driver at exit, no GTK warning.
#
#   no-display.sh VANPOS
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -u
vanpos=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

rc=0
env -u WAYLAND_DISPLAY DISPLAY=:4242 GDK_BACKEND=x11 \
  "$vanpos" --db "$tmp/van.db" >"$tmp/out" 2>"$tmp/err" || rc=$?
cat "$tmp/err"
if [ "$rc" -ne 1 ]; then
  echo "no-display: exit status $rc, expected 1" >&2
  exit 1
fi
if [ "$(wc -l <"$tmp/err")" -ne 1 ] ||
   ! grep -q "^VanPOS cannot open a display (DISPLAY=:4242" "$tmp/err"; then
  echo "no-display: expected one line saying the display cannot be opened" >&2
  exit 1
fi
echo "ok: one line, exit 1"
