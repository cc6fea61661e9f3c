"""The suite's own guard: during tests, "python3" through PATH is a stub that fails loudly."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.conftest import _global_python
from tests.global_python_guard import EXIT_CODE, GlobalPythonGuard


def test_the_global_python_is_a_loud_stub_during_tests() -> None:
    for name in ("python", "python3"):
        assert Path(shutil.which(name) or "").parent == _global_python.folder
    guard = GlobalPythonGuard()  # a second one, so this deliberate call fails nothing
    try:
        guard.write_stubs()
        stub = guard.folder / "python3"
        done = subprocess.run(
            [str(stub), "-c", "pass"], capture_output=True, text=True, timeout=30
        )
        assert done.returncode == EXIT_CODE and "global Python" in done.stderr
        assert guard.calls() == [f"{stub} -c pass"]
    finally:
        guard.remove()
