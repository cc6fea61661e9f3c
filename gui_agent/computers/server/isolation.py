"""A file-system boundary for the commands a served desktop runs: bubblewrap (`bwrap`).

Without it, `/execute` runs any command as the user who started the server, with every file
of the host in reach (path checks on `/file` cannot help while `/execute` exists). With it,
each command (and each launched program) runs in a mount namespace that holds only:

- the system, read-only: /usr, /bin, /sbin, /lib*, /etc, and the interpreter and packages of
  this project (the shims run them), at their usual paths;
- the session's own folders, writable: its home (optionally mounted at another path inside,
  such as OSWorld's /home/user) and its state folder (shims, scripts);
- a private /tmp (the session's own folder when `tmp` is given, else an empty one), holding
  the X display's socket, /proc and a minimal /dev.

Anything else the host has - the user's home, other projects, /tmp of other programs - is
absent inside. The network is shared (CDP on 127.0.0.1, local servers) and so is the X display.
`prefix` is the bwrap command line of one such namespace; namespace.py keeps one running per
session and runs every command of the session inside it, so the commands share processes
(`pkill` reaches what an earlier command launched) and /tmp, as on a real machine.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gui_agent.errors import ConfigError

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc",
               "/var/cache/fontconfig")  # fmt: skip
"""Read-only inside; the font cache spares every program a scan of all fonts at start."""
X_SOCKETS = "/tmp/.X11-unix"


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


@functools.cache
def bwrap_problem() -> str | None:
    """Why bubblewrap cannot make a boundary on this machine (absent, or no namespaces), or None."""
    path = bwrap_path()
    if path is None:
        return "bubblewrap is not installed (apt-get install bubblewrap)"
    probe = subprocess.run([path, "--ro-bind", "/", "/", "--unshare-pid", "true"],
                           capture_output=True, text=True, timeout=30, check=False)  # fmt: skip
    if probe.returncode != 0:
        return f"bubblewrap cannot create namespaces here: {probe.stderr.strip()[:200]}"
    if shutil.which("nsenter") is None:
        return "nsenter is not installed (util-linux), needed to enter a session's namespace"
    return None


def _project_dirs() -> list[str]:
    """The interpreter, the venv and this project's packages: what the shims need to run."""
    import gui_agent

    package_root = Path(gui_agent.__file__).resolve().parent.parent
    found = {sys.prefix, sys.base_prefix, str(Path(sys.executable).resolve().parent.parent)}
    for name in ("gui_agent", "skills", "osworld_eval"):
        candidate = package_root / name
        if candidate.is_dir():
            found.add(str(candidate))
    return sorted(found)


@dataclass(frozen=True)
class Isolation:
    """How to wrap a session's commands: `home` (host path) appears at `home_inside`."""

    home: Path
    state: Path
    home_inside: Path | None = None
    tmp: Path | None = None
    """A host folder seen as /tmp inside (shared by the session's commands); None: empty."""
    extra_ro: tuple[str, ...] = ()
    bwrap: str = field(default_factory=lambda: bwrap_path() or "")

    def __post_init__(self) -> None:
        problem = bwrap_problem()
        if problem is not None or not self.bwrap:
            raise ConfigError(f"cannot isolate commands: {problem} (or serve with --no-isolate)")

    @property
    def home_path(self) -> Path:
        """Where the home is inside the namespace."""
        return self.home_inside or self.home

    def prefix(self, env: Mapping[str, str], *, info_fd: int | None = None,
               die_with_parent: bool = True) -> list[str]:  # fmt: skip
        """The bwrap argv that runs a command inside the boundary (the command follows).

        With `info_fd`, bwrap writes there a JSON object whose `child-pid` is the host PID of
        the command, which namespace.py enters to run further commands in the same namespace.
        """
        tmp = ["--bind", str(self.tmp), "/tmp"] if self.tmp is not None else ["--tmpfs", "/tmp"]
        argv = [self.bwrap, *(["--die-with-parent"] if die_with_parent else []),
                "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try", "--proc", "/proc",
                "--dev", "/dev", *tmp]  # fmt: skip
        for directory in SYSTEM_DIRS:
            if os.path.isdir(directory) and not os.path.islink(directory):
                argv += ["--ro-bind", directory, directory]
            elif os.path.islink(directory):
                argv += ["--symlink", os.readlink(directory), directory]
        for directory in (*_project_dirs(), *self.extra_ro):
            if os.path.exists(directory):
                argv += ["--ro-bind", directory, directory]
        if os.path.isdir(X_SOCKETS):
            argv += ["--ro-bind", X_SOCKETS, X_SOCKETS]
        for variable in ("XAUTHORITY",):
            if env.get(variable) and os.path.exists(env[variable]):
                argv += ["--ro-bind", env[variable], env[variable]]
        bus = env.get("DBUS_SESSION_BUS_ADDRESS", "")
        if bus.startswith("unix:path="):
            socket_path = bus.removeprefix("unix:path=").split(",")[0]
            if os.path.exists(socket_path):
                argv += ["--bind", socket_path, socket_path]
        argv += ["--bind", str(self.state), str(self.state)]
        argv += ["--bind", str(self.home), str(self.home_path)]
        argv += ["--setenv", "HOME", str(self.home_path), "--chdir", str(self.home_path)]
        if info_fd is not None:
            argv += ["--info-fd", str(info_fd)]
        return [*argv, "--"]
