"""The user session the server presents on a desktop: a home folder, an environment, children.

OSWorld commands use `~` and expect a user's home with a Desktop folder; the session gives them
one (a temporary folder unless told otherwise) instead of the real /root. Children get the
desktop's display variables, HOME, and the stand-ins of shims.py first on PATH.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from gui_agent.computers.chromium import find_chromium
from gui_agent.computers.server import shims
from gui_agent.computers.server.accessibility import AccessibilityBus, pyatspi_available
from gui_agent.computers.server.desktop import DesktopLike
from gui_agent.computers.server.isolation import Isolation
from gui_agent.computers.server.processes import SessionProcesses
from gui_agent.computers.server.shortcuts import TerminalShortcut
from gui_agent.errors import ConfigError

log = logging.getLogger(__name__)

_VARIABLE = re.compile(r"\$(\w+)|\$\{(\w+)\}")


class Session:
    """Home folder, environment and tracked child processes for one served desktop.

    With `isolate`, every command and program runs inside a bubblewrap boundary that shows it
    only the system, this session's folders and its home (see isolation.py), and a /tmp of
    the session's own. `home_inside` is where the commands see the home (such as OSWorld's
    /home/user, which each isolated session can then have to itself); `home` stays the host
    folder behind it, where the server's file routes read and write (`host_path`).
    """

    def __init__(
        self, desktop: DesktopLike, *, home: Path | None = None, accessibility: bool = True,
        isolate: bool = False, home_inside: Path | None = None,
    ) -> None:
        if home_inside is not None and not isolate:
            raise ConfigError("a home seen at another path needs the isolation boundary")
        self.desktop = desktop
        self._state = Path(tempfile.mkdtemp(prefix="gui-agent-server-"))
        self.home = (home or self._state / "home").resolve()
        self.seen_home = Path(home_inside) if home_inside is not None else self.home
        """The home as the session's commands see it."""
        self.tmp = self._state / "tmp" if isolate else None
        """The host folder the commands see as /tmp (isolated sessions only)."""
        if self.tmp is not None:
            self.tmp.mkdir()
        self.desktop_dir = self.home / "Desktop"
        self.desktop_dir.mkdir(parents=True, exist_ok=True)
        self.shim_dir = self._state / "bin"
        self.terminal_logs = self._state / "terminals"
        """Where the session's terminals log what they show (see terminal_text.py)."""
        self.terminal_logs.mkdir()
        shims.write_shims(self.shim_dir)
        self.chrome_profile = self.home / ".config" / "google-chrome"
        self.chromium = _find_chromium()
        width, height = desktop.size
        env = dict(desktop.env)
        env.update(
            {
                "HOME": str(self.seen_home),
                "PATH": os.pathsep.join([str(self.shim_dir), env.get("PATH", os.defpath)]),
                "XDG_SESSION_TYPE": "x11",
                "SAL_USE_VCLPLUGIN": env.get("SAL_USE_VCLPLUGIN", "gen"),
                shims.ENV_SHIM_DIR: str(self.shim_dir),
                shims.ENV_TERMINAL_LOGS: str(self.terminal_logs),
                shims.ENV_PROFILE: str(self.seen_home / ".config" / "google-chrome"),
                shims.ENV_SCREEN: f"{width}x{height}",
            }
        )
        if self.chromium:
            env[shims.ENV_CHROMIUM] = self.chromium
        if isolate:  # the bus and what it starts live inside too (accessibility.py)
            env.pop("DBUS_SESSION_BUS_ADDRESS", None)
            runtime = self._state / "runtime"
            runtime.mkdir(mode=0o700)
            env["XDG_RUNTIME_DIR"] = str(runtime)  # the same path inside and out
        log_dir = self._state / "logs"
        log_dir.mkdir()
        self.scratch = self._state / "scratch"
        """Where the server keeps scripts it runs (/run_python), out of the user's home."""
        self.scratch.mkdir()
        isolation = (
            Isolation(home=self.home, state=self._state, home_inside=home_inside, tmp=self.tmp)
            if isolate
            else None
        )
        self.children = SessionProcesses(env=env, cwd=self.home, log_dir=log_dir,
                                         isolation=isolation)  # fmt: skip
        self._bus = AccessibilityBus()
        if accessibility and "DBUS_SESSION_BUS_ADDRESS" not in env and pyatspi_available():
            address = f"unix:path={self._state / 'bus'}" if isolate else None
            bus = self._bus.start(env, inside=self.children.inside, address=address)
            env.update(bus)
            self.children.env.update(bus)
        self.env = env
        self._shortcut = _bind_terminal_shortcut(self)

    @property
    def display(self) -> str:
        return self.env["DISPLAY"]

    def expand(self, path: str) -> str:
        """Expand a leading `~` to the home and $VARS from the session's environment, as the
        session's commands see them."""
        if path == "~" or path.startswith("~/"):
            path = str(self.seen_home) + path[1:]

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1) or match.group(2)
            return self.env.get(name, match.group(0))

        return _VARIABLE.sub(substitute, path)

    def host_path(self, path: str) -> str:
        """Where a path the commands see (expanded as `expand` does) is on the host."""
        expanded = self.expand(path)
        seen_to_host = [(self.seen_home, self.home)]
        if self.tmp is not None:
            seen_to_host.append((Path("/tmp"), self.tmp))
        for seen, host in seen_to_host:
            if expanded == str(seen) or expanded.startswith(str(seen).rstrip("/") + "/"):
                return str(host) + expanded[len(str(seen).rstrip("/")):]
        return expanded

    @property
    def allowed_roots(self) -> list[Path]:
        """The host folders the file routes may touch by default."""
        if self.tmp is not None:
            return [self.home, self.tmp]
        return [self.home, Path(tempfile.gettempdir())]

    def expand_argv(self, argv: list[str]) -> list[str]:
        """Expand `~/` at the start of each argument, as OSWorld's server does."""
        return [self.expand(arg) if arg.startswith("~/") else arg for arg in argv]

    def close(self) -> None:
        """Stop every program the session started and delete its temporary folders."""
        if self._shortcut is not None:
            self._shortcut.close()
        self.children.stop_all()
        self._bus.stop()
        for _ in range(3):  # a dying child may still be writing into the folder
            shutil.rmtree(self._state, ignore_errors=True)
            if not self._state.exists():
                return
            time.sleep(0.5)
        log.warning("could not remove the session folder %s", self._state)

    def __repr__(self) -> str:
        return f"Session(home={self.home}, display={self.env.get('DISPLAY')})"


def _bind_terminal_shortcut(session: Session) -> TerminalShortcut | None:
    """Ctrl+Alt+T opens the session's terminal, as on OSWorld's Ubuntu (None if no display)."""
    display = session.env.get("DISPLAY")
    if not display:
        return None
    try:
        return TerminalShortcut(
            display, lambda: session.children.launch(["x-terminal-emulator"], shell=False)
        )
    except Exception as exc:  # no X server to talk to: the desktop simply lacks the shortcut
        log.warning("cannot bind Ctrl+Alt+T on %s: %s", display, exc)
        return None


def _find_chromium() -> str | None:
    try:
        return find_chromium()
    except ConfigError:
        log.warning("no Chromium: google-chrome commands will fail on this desktop")
        return None
