"""Where the sandbox desktop's commands run: a bubblewrap namespace with a home of its own.

Shell actions, skills' commands and scripts, and programs launched on the sandbox (a terminal
the agent types into) run inside one namespace (gui_agent/computers/server/namespace.py) that
holds the system read-only, the project's interpreter, and two private folders: one seen as
`/home/user` (the desktop user's home, `SEEN_HOME`) and one seen as `/tmp`. Nothing else of
the host - the user's home, other projects, the host's /tmp - is there, so a command the model
wrote cannot read or change it. The desktop's file calls (`read_file`, `write_file`) go through
`host_path`, so a path means the same file to them and to the commands.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from gui_agent.computers.server.isolation import Isolation, bwrap_problem
from gui_agent.computers.server.namespace import SessionNamespace

log = logging.getLogger(__name__)

SEEN_HOME = Path("/home/user")
SEEN_TMP = Path("/tmp")


def boundary_available() -> bool:
    return bwrap_problem() is None


class ShellBoundary:
    """A private home and /tmp, and the namespace whose commands see them; close() removes both."""

    def __init__(self, *, env: Mapping[str, str], extra_ro: Sequence[str] = ()) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="gui-agent-sandbox-")).resolve()
        self.home = self.root / "home"
        self.tmp = self.root / "tmp"
        state = self.root / "state"
        for folder in (self.home / "Desktop", self.tmp, state):
            folder.mkdir(parents=True)
        isolation = Isolation(home=self.home, state=state, home_inside=SEEN_HOME, tmp=self.tmp,
                              extra_ro=tuple(extra_ro))  # fmt: skip
        self.env = {**env, "HOME": str(SEEN_HOME)}
        self._namespace = SessionNamespace(isolation, env=self.env, log_dir=self.root)

    def wrap(self, argv: Sequence[str]) -> list[str]:
        """`argv` as it runs inside the boundary."""
        return self._namespace.wrap(list(argv), shell=False)

    def host_path(self, path: str) -> Path | None:
        """The host file behind a path the commands see; None if it is outside the boundary."""
        for seen, host in ((SEEN_HOME, self.home), (SEEN_TMP, self.tmp)):
            text = str(seen)
            if path == text or path.startswith(text + "/"):
                inner = Path(host, path[len(text) :].lstrip("/")).resolve()
                return inner if inner == host or inner.is_relative_to(host) else None
        return None

    def close(self) -> None:
        self._namespace.close()
        shutil.rmtree(self.root, ignore_errors=True)
