"""The project's own interpreter under the names commands use: `python`, `python3`, `python3.N`.

Commands the project runs for a task (OSWorld's `python -c "import pyautogui; ..."`, getter
scripts) name Python through PATH. On a fresh machine the global python3 lacks the project's
packages, so a folder of wrappers goes first on those commands' PATH. Wrappers, not symlinks: a
symlink to a venv's interpreter placed outside the venv starts the base interpreter (Python
looks for `pyvenv.cfg` beside the path it was started by), without the venv's packages;
exec'ing the venv's own path keeps the venv.
"""

from __future__ import annotations

import atexit
import functools
import shlex
import shutil
import sys
import tempfile
from pathlib import Path


def python_names() -> tuple[str, ...]:
    """The names a command may use for Python; every one means this interpreter."""
    major, minor = sys.version_info[:2]
    return ("python", f"python{major}", f"python{major}.{minor}")


def write_python_wrappers(folder: Path) -> Path:
    """Write one executable wrapper per name into `folder` (created if missing); returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in python_names():
        script = folder / name
        script.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} "$@"\n')
        script.chmod(0o755)
    return folder


@functools.cache
def python_wrapper_dir() -> Path:
    """A process-wide folder of wrappers (removed at exit), for PATH of local commands."""
    folder = Path(tempfile.mkdtemp(prefix="gui-agent-python-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return write_python_wrappers(folder)
