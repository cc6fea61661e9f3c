"""The accessibility tree of the served desktop: the AT-SPI bus it needs, and reading it.

AT-SPI lives on a D-Bus session bus. When the desktop brings none, the session starts one
(dbus-daemon, then at-spi-bus-launcher, both tracked children) so that programs launched later
register with it; Chromium also needs --force-renderer-accessibility, which the shim adds.
Reading the tree runs atspi_dump.py in a child process with the system's pyatspi on PYTHONPATH.
In an isolated session (namespace.py) the bus, the launcher and the reader all run inside the
session's namespace (`inside` wraps their command lines), so the services the bus starts
(dconf, which keeps gsettings) see the session's home and /tmp, not the host's.
"""

from __future__ import annotations

import logging
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

log = logging.getLogger(__name__)

SYSTEM_PACKAGES = Path("/usr/lib/python3/dist-packages")
Inside = Callable[[list[str]], list[str]]
"""Turns a command line into one that runs where the session's programs run."""
_BUS_LAUNCHERS = (
    Path("/usr/libexec/at-spi-bus-launcher"),
    Path("/usr/lib/at-spi2-core/at-spi-bus-launcher"),
)
_DUMP_SCRIPT = Path(__file__).with_name("atspi_dump.py")


class AccessibilityUnavailable(Exception):
    """This machine cannot produce an accessibility tree (the message says what is missing)."""


def pyatspi_available() -> bool:
    return (SYSTEM_PACKAGES / "pyatspi").is_dir()


class AccessibilityBus:
    """A private D-Bus session bus with the AT-SPI bus launcher on it."""

    def __init__(self) -> None:
        self.address: str | None = None
        self._procs: list[subprocess.Popen[bytes]] = []

    def start(self, env: Mapping[str, str], *, timeout: float = 10.0, inside: Inside | None = None,
              address: str | None = None) -> dict[str, str]:  # fmt: skip
        """Start the bus (listening on `address` if given); return the variables children need
        to use it ({} if impossible)."""
        inside = inside or list
        daemon = shutil.which("dbus-daemon")
        launcher = next((path for path in _BUS_LAUNCHERS if path.exists()), None)
        if daemon is None or launcher is None:
            log.info("no dbus-daemon or at-spi-bus-launcher: no accessibility tree")
            return {}
        read_fd, write_fd = os.pipe()
        try:
            listen = [f"--address={address}"] if address else []
            bus = subprocess.Popen(
                inside([daemon, "--session", "--nofork", "--nopidfile",
                        f"--print-address={write_fd}", *listen]),  # fmt: skip
                pass_fds=(write_fd,),
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            self._procs.append(bus)
            os.close(write_fd)
            write_fd = -1
            address = _read_line(read_fd, timeout=timeout)
        finally:
            if write_fd != -1:
                os.close(write_fd)
            os.close(read_fd)
        if not address:
            self.stop()
            log.warning("dbus-daemon did not print its address; no accessibility tree")
            return {}
        self.address = address
        variables = {"DBUS_SESSION_BUS_ADDRESS": address, "ACCESSIBILITY_ENABLED": "1"}
        self._procs.append(
            subprocess.Popen(
                inside([str(launcher), "--launch-immediately"]),
                env={**env, **variables},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
        return variables

    def stop(self) -> None:
        procs, self._procs = self._procs, []
        for proc in reversed(procs):
            if proc.poll() is None:  # its group: a wrapped command's process is inside
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except (ProcessLookupError, PermissionError):
                    proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def read_tree(env: Mapping[str, str], *, timeout: float = 60.0, inside: Inside | None = None) -> str:
    """The desktop's accessibility tree as XML; AccessibilityUnavailable or RuntimeError."""
    if not pyatspi_available():
        raise AccessibilityUnavailable(
            "pyatspi is not installed (apt-get install python3-pyatspi at-spi2-core)"
        )
    if "DBUS_SESSION_BUS_ADDRESS" not in env:
        raise AccessibilityUnavailable("the desktop has no D-Bus session bus for AT-SPI")
    child_env = dict(env)
    child_env["PYTHONPATH"] = os.pathsep.join(
        [str(SYSTEM_PACKAGES), *filter(None, [env.get("PYTHONPATH")])]
    )
    try:
        done = subprocess.run(
            (inside or list)([sys.executable, str(_DUMP_SCRIPT)]),
            env=child_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"reading the accessibility tree took over {timeout:g}s") from exc
    if done.returncode != 0 or not done.stdout.startswith("<"):
        raise RuntimeError(
            f"accessibility dump failed ({done.returncode}): {done.stderr.strip()[-500:]}"
        )
    return done.stdout


def _read_line(fd: int, *, timeout: float) -> str:
    data = b""
    deadline = time.monotonic() + timeout
    while b"\n" not in data:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            break
        chunk = os.read(fd, 1024)
        if not chunk:
            break
        data += chunk
    return data.decode(errors="replace").strip()
