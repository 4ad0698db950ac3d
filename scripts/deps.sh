#!/usr/bin/env bash
# Installs the Debian 12 packages VanPOS needs to build, run and test —
# only those missing, so it is quick and idempotent. Needs root (or sudo).
set -euo pipefail

PACKAGES=(
  # build
  build-essential meson ninja-build pkg-config gettext
  libglib2.0-dev libglib2.0-bin libjson-glib-dev libsqlite3-dev sqlite3 libssl-dev openssl
  libgtk-4-dev libadwaita-1-dev libcairo2-dev zlib1g-dev
  # the app loads the GL driver on a thread while GTK starts (EGL headers)
  libegl-dev
  libcurl4-openssl-dev libsoup-3.0-dev libpq-dev libpcsclite-dev
  # HQ reads push bodies as they stream (yajl), with no JSON tree
  libyajl-dev
  # Ed25519 signature checks (half the time of OpenSSL 3.0's on the same core)
  libsodium-dev
  # HQ reference server and its tests; protocol JSON Schemas checked live
  # (docs/schemas/); two HQs behind a TCP proxy (tests/hq/test-hq-haproxy.py)
  postgresql python3-jsonschema haproxy
  # IC-card tests over the real PC/SC stack
  pcscd vsmartcard-vpcd vsmartcard-vpicc python3-pycryptodome
  # GUI tests: a real window under Xvfb driven through AT-SPI
  xvfb xauth dbus dbus-x11 at-spi2-core python3-dogtail python3-gi gir1.2-atspi-2.0
  imagemagick x11-apps
  # data/ validation
  desktop-file-utils appstream-util
  # receipts: CJK font for PDF, pdftotext in the print tests
  fonts-noto-cjk poppler-utils
  # receipt QR codes, and decoding them in the print tests
  libqrencode-dev zbar-tools
  # fuzzing
  clang libclang-rt-14-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
echo "Installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
