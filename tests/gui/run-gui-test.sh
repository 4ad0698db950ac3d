#!/usr/bin/env bash
# Runs one AT-SPI GUI test flow against the real app:
#   run-gui-test.sh BUILD_DIR FLOW
# FLOW is a script tests/gui/FLOW.py. It gets a fresh demo database, an Xvfb
# display, a private D-Bus session with the AT-SPI bus, starts the app itself
# (vpgui.start_app) and drives it through AT-SPI with dogtail. Screenshots go
# to <source>/test-artifacts/gui/. Xvfb, the AT-SPI bus and the app are always
# stopped on exit. VP_GUI_SCREEN=1024x768x24 tries the smaller screen.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 BUILD_DIR FLOW" >&2
  exit 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src_dir=$(cd "$here/../.." && pwd)
build_dir=$(cd "$1" && pwd)
flow=$2

# Second stage, inside dbus-run-session: start the AT-SPI bus and run the flow.
if [ "${VP_GUI_STAGE:-}" = "session" ]; then
  launcher_pid=""
  inner_cleanup() {
    if [ -n "$launcher_pid" ]; then
      # The launcher runs in its own process group (setsid) with the a11y
      # dbus-daemon and at-spi2-registryd; stop that whole group.
      kill -TERM -- "-$launcher_pid" 2>/dev/null || kill -TERM "$launcher_pid" 2>/dev/null || true
    fi
  }
  trap inner_cleanup EXIT
  trap 'exit 143' TERM INT HUP
  setsid /usr/libexec/at-spi-bus-launcher --launch-immediately >"$VP_GUI_TMP/at-spi.log" 2>&1 &
  launcher_pid=$!
  # dogtail refuses to run unless toolkit-accessibility is on (dconf, in
  # this session's private XDG_CONFIG_HOME).
  gsettings set org.gnome.desktop.interface toolkit-accessibility true 2>/dev/null || true
  # Wait for the AT-SPI bus to be registered on the session bus.
  for _ in $(seq 1 100); do
    if gdbus call --session --dest org.a11y.Bus --object-path /org/a11y/bus \
         --method org.a11y.Bus.GetAddress >/dev/null 2>&1; then
      break
    fi
    sleep 0.1
  done
  set +e
  /usr/bin/python3 -u "$here/$flow.py"
  rc=$?
  set -e
  exit $rc
fi

for tool in Xvfb xwd dbus-run-session /usr/bin/python3 /usr/libexec/at-spi-bus-launcher; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "Missing $tool (see scripts/deps.sh)" >&2
    exit 1
  fi
done
if [ ! -f "$here/$flow.py" ]; then
  echo "No such flow: $here/$flow.py" >&2
  exit 2
fi
if [ ! -x "$build_dir/src/gui/vanpos" ]; then
  echo "The app $build_dir/src/gui/vanpos is not built" >&2
  exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vanpos-gui-$flow.XXXXXX")
xvfb_pid=""
cleanup() {
  rc=$?
  if [ -f "$tmp/app.pid" ]; then
    kill -TERM "$(cat "$tmp/app.pid")" 2>/dev/null || true
  fi
  if [ -n "$xvfb_pid" ]; then
    kill -TERM "$xvfb_pid" 2>/dev/null || true
    wait "$xvfb_pid" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ]; then
    mkdir -p "$src_dir/test-artifacts/gui"
    cp "$tmp/app.log" "$src_dir/test-artifacts/gui/$flow-app.log" 2>/dev/null || true
    echo "app log: test-artifacts/gui/$flow-app.log" >&2
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' INT TERM HUP

cli="$build_dir/src/cli/vanpos-cli"
db="$tmp/vanpos.db"
"$cli" --db "$db" init --van VAN01 >/dev/null
"$cli" --db "$db" demo --accounts 2000 --seed 7 --pin-iterations 1000 >/dev/null

# A free display: Xvfb picks one itself (-displayfd), so runs in parallel
# (other build directories) cannot race for the same number.
Xvfb -screen 0 "${VP_GUI_SCREEN:-1280x800x24}" -nolisten tcp -noreset -displayfd 3 \
  3>"$tmp/display" >"$tmp/xvfb.log" 2>&1 &
xvfb_pid=$!
display=""
for _ in $(seq 1 100); do
  if [ -s "$tmp/display" ]; then
    n=$(tr -dc '0-9' <"$tmp/display")
    if [ -n "$n" ] && [ -e "/tmp/.X11-unix/X$n" ]; then
      display=":$n"
      break
    fi
  fi
  if ! kill -0 "$xvfb_pid" 2>/dev/null; then
    break
  fi
  sleep 0.1
done
if [ -z "$display" ]; then
  echo "Could not start Xvfb:" >&2
  cat "$tmp/xvfb.log" >&2
  exit 1
fi

mkdir -p "$tmp/config" "$tmp/data" "$tmp/cache" "$tmp/runtime" "$src_dir/test-artifacts/gui"
chmod 700 "$tmp/runtime"

unset NO_AT_BRIDGE WAYLAND_DISPLAY
export DISPLAY="$display"
export GDK_BACKEND=x11
export GSK_RENDERER=cairo
export GTK_A11Y=atspi
export GTK_USE_PORTAL=0
export ADW_DISABLE_PORTAL=1
export LC_ALL=C.UTF-8
export LANG=C.UTF-8
export HOME="$tmp"
export XDG_CONFIG_HOME="$tmp/config"
export XDG_DATA_HOME="$tmp/data"
export XDG_CACHE_HOME="$tmp/cache"
export XDG_RUNTIME_DIR="$tmp/runtime"
export GSETTINGS_SCHEMA_DIR="$build_dir/data"
export VANPOS_LOCALEDIR="$build_dir/po"
export VP_GUI_TMP="$tmp"
export VP_GUI_DB="$db"
export VP_GUI_CLI="$cli"
export VP_GUI_APP="${VP_GUI_APP_OVERRIDE:-$build_dir/src/gui/vanpos}"
export VP_GUI_FLOW="$flow"
export VP_GUI_ARTIFACTS="$src_dir/test-artifacts/gui"
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1

VP_GUI_STAGE=session dbus-run-session -- "$0" "$build_dir" "$flow"
