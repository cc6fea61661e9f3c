#!/usr/bin/env bash
# Install what gui-agent needs on a Debian/Ubuntu machine: system packages (Xvfb, Debian's
# Chromium, xdotool, LibreOffice Calc, OCR...) and the project itself in ./.venv.
# Usage: scripts/install.sh [--dev]    (--dev adds the test and evaluator dependencies)
# Never downloads a browser: Chromium comes from the distribution's packages.
set -euo pipefail
cd "$(dirname "$0")/.."

extras="osworld"
[ "${1:-}" = "--dev" ] && extras="osworld,dev"

packages=(xvfb xauth xdotool x11-utils chromium chromium-driver scrot imagemagick tesseract-ocr
          python3-tk python3-venv python3-pip python3-pyatspi at-spi2-core dbus dbus-x11
          libreoffice-calc libreoffice-gtk3 xterm bubblewrap gir1.2-gtk-3.0
          fonts-dejavu-core)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "install.sh: apt-get not found; install these by hand: ${missing[*]}" >&2
    exit 1
  fi
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e ".[${extras}]"
echo "installed: .venv/bin/gui-agent ($(.venv/bin/gui-agent --version))"
