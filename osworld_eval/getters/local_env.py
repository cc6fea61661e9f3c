"""`LocalEvalEnv`: score against this machine's files and processes (tests, the local sandbox).

With `root` set, the machine's paths are looked up under that folder, so a test can lay out
`<root>/home/user/Desktop/x.xlsx` and score a real task that names `/home/user/Desktop/x.xlsx`.
Commands run as local subprocesses with HOME and the working folder set to the mapped home,
and `python`/`python3` meaning this interpreter.
"""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gui_agent.computers.own_python import python_wrapper_dir
from osworld_eval.getters.base import DEFAULT_CHROME_PROFILE_DIR, CommandResult, RemoteFileMissing

logger = logging.getLogger(__name__)


@dataclass
class LocalEvalEnv:
    """An `EvalEnv` over local files, subprocesses and an optional Chromium CDP endpoint."""

    cache_dir: Path
    cdp_url: str | None = None
    platform: str = "Linux"
    chrome_profile_dir: str = DEFAULT_CHROME_PROFILE_DIR
    root: Path | None = None
    home: str = field(default_factory=lambda: str(Path.home()))
    accessibility_xml: str | Callable[[], str] = ""
    terminal_text: str | Callable[[], str] = ""
    command_timeout: float = 120.0

    def local_path(self, path: str) -> Path:
        """Where a path of the scored machine lives on this one."""
        if path == "~" or path.startswith("~/"):
            path = self.home + path[1:]
        if self.root is None:
            return Path(path)
        return self.root / path.lstrip("/")

    def read_file(self, path: str) -> bytes:
        local = self.local_path(path)
        try:
            return local.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise RemoteFileMissing(path) from None

    def run_command(self, command: list[str] | str, *, shell: bool = False) -> CommandResult:
        args: list[str] | str = command
        if isinstance(command, str) and not shell:
            args = shlex.split(command)
        if isinstance(args, list):
            args = [str(self.local_path(a)) if a.startswith("~/") else a for a in args]
        home = self.local_path(self.home)
        # `python3` in a command is this interpreter, never the machine's global one.
        path = os.pathsep.join([str(python_wrapper_dir()), os.environ.get("PATH", os.defpath)])
        env = {**os.environ, "HOME": str(home), "PATH": path}
        cwd = home if home.is_dir() else None
        try:
            done = subprocess.run(
                args,
                shell=shell,
                capture_output=True,
                text=True,
                timeout=self.command_timeout,
                env=env,
                cwd=cwd,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return CommandResult(returncode=None, output="", error=str(exc))
        return CommandResult(returncode=done.returncode, output=done.stdout, error=done.stderr)

    def accessibility_tree(self) -> str:
        xml = self.accessibility_xml
        return xml() if callable(xml) else xml

    def terminal_output(self) -> str:
        text = self.terminal_text
        return text() if callable(text) else text

    def list_directory(self, path: str) -> dict[str, Any] | None:
        """The OSWorld server's /list_directory tree, or None if `path` is not a folder."""
        local = self.local_path(path)
        if not local.is_dir():
            return None
        return _tree(local)


def _tree(folder: Path) -> dict[str, Any]:
    children: list[dict[str, Any]] = []
    for entry in os.listdir(folder):
        full = folder / entry
        if full.is_dir():
            children.append(_tree(full))
        else:
            children.append({"type": "file", "name": entry})
    return {"type": "directory", "name": folder.name, "children": children}
