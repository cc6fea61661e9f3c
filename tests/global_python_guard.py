"""Keep a machine's global Python out of the suite: stubs for `python`/`python3` first on PATH.

A machine whose global python3 has the project's packages installed by hand hides every place
where the project spawns "python3" from PATH instead of its own interpreter; a fresh machine
does not. With these stubs first on PATH, such a spawn fails on every machine: the stub says
so on stderr, exits 97, and leaves a line in a log that fails the whole session at its end
(even when the caller swallowed the error). The project's own ways to run Python are unaffected:
`sys.executable`, and the interpreter wrappers a served desktop puts before this on its PATH.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

EXIT_CODE = 97

_STUB = """#!/bin/sh
echo "$0 $*" >> {log}
echo "tests: '$0' is the machine's global Python, found through PATH; the project must run its own \
interpreter (sys.executable, or a served desktop's python)" >&2
exit {code}
"""


def stub_names() -> list[str]:
    return ["python", "python3", *(f"python3.{minor}" for minor in range(6, 16))]


class GlobalPythonGuard:
    """Puts the stubs first on this process's PATH (inherited by every child) until `remove`."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="gui-agent-no-global-python-"))
        self.log = self.folder / "calls.log"
        self._old_path = os.environ.get("PATH", os.defpath)
        self._installed = False

    def install(self) -> None:
        self.write_stubs()
        self._installed = True
        os.environ["PATH"] = os.pathsep.join([str(self.folder), self._old_path])

    def write_stubs(self) -> None:
        for name in stub_names():
            stub = self.folder / name
            stub.write_text(_STUB.format(log=shlex.quote(str(self.log)), code=EXIT_CODE))
            stub.chmod(0o755)

    def calls(self) -> list[str]:
        """The command lines that reached a stub so far."""
        if not self.log.is_file():
            return []
        return self.log.read_text(errors="replace").splitlines()

    def remove(self) -> None:
        if self._installed:
            os.environ["PATH"] = self._old_path
        shutil.rmtree(self.folder, ignore_errors=True)


def report(calls: list[str]) -> str:
    lines = "\n".join(f"  {call}" for call in calls[:20])
    return (
        f"{len(calls)} command(s) ran the machine's global Python through PATH instead of the "
        f"project's interpreter ({sys.executable}):\n{lines}"
    )
