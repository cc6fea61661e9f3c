#!/usr/bin/env bash
# Install everything (system packages and the project with its dev extras), then run the whole
# test suite. GUI tests start their own Xvfb and Chromium; no display is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --dev
# Prove the install, not the machine: nothing from outside .venv may satisfy an import (no
# PYTHONPATH, no user site-packages, a venv without system site-packages), and tests/conftest.py
# puts failing python/python3 stubs first on PATH so nothing can spawn the global interpreter.
unset PYTHONPATH PYTHONHOME
export PYTHONNOUSERSITE=1
if grep -qi '^include-system-site-packages *= *true' .venv/pyvenv.cfg; then
  echo "test.sh: .venv sees the system's site-packages; remove .venv and rerun" >&2
  exit 1
fi
.venv/bin/python -m ruff check .
.venv/bin/python -m mypy
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
# pytest exits 5 when it collected no test: that is a failure for this project.
exit $status
