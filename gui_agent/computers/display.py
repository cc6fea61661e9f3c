"""A private X display: one Xvfb child process, started and reaped by us.

Xvfb picks a free display number itself (`-displayfd`) and writes it to a pipe once the server
accepts connections, so there is no polling and no race over lock files. It writes the number
and the newline separately, and it exits if the pipe is closed before it has written both, so
the pipe is read to the newline. Xvfb stays our child and is `wait()`ed: orphans are reaped
slowly on these machines.
"""

from __future__ import annotations

import logging
import os
import select
import shutil
import subprocess
import tempfile
import time
from types import TracebackType
from typing import TYPE_CHECKING

from gui_agent.computers.processes import stop_process
from gui_agent.errors import ConfigError, EnvError
from gui_agent.vault import scrub_environment

if TYPE_CHECKING:
    from Xlib.display import Display

log = logging.getLogger(__name__)

_START_TIMEOUT_S = 20.0


def connect_x(display: str, *, attempts: int = 5, delay_s: float = 0.1) -> Display:
    """Open an Xlib connection to `display`, retrying a refused or reset connect.

    Measured on Xvfb: about 1 connect in 200 made right after another client disconnected is
    reset by the server; a short pause and a retry always succeeded.
    """
    from Xlib import error
    from Xlib.display import Display

    for attempt in range(1, attempts + 1):
        try:
            return Display(display)
        except (error.DisplayError, error.ConnectionClosedError, OSError) as exc:
            if attempt == attempts:
                raise EnvError(f"cannot open X display {display!r}: {exc}") from exc
            time.sleep(delay_s)
    raise AssertionError("unreachable")


class XvfbDisplay:
    """A virtual framebuffer X server of `width` x `height` x `depth`."""

    def __init__(self, *, width: int = 1280, height: int = 800, depth: int = 24) -> None:
        self.width = width
        self.height = height
        self.depth = depth
        self._proc: subprocess.Popen[bytes] | None = None
        self._display: str | None = None
        # A file, not a pipe: nobody reads Xvfb's chatter while it runs, and a full pipe blocks it.
        self._log: tempfile._TemporaryFileWrapper[bytes] | None = None

    @property
    def display(self) -> str:
        """The display name, ':N'; raises EnvError before start()."""
        if self._display is None:
            raise EnvError("XvfbDisplay is not started")
        return self._display

    @property
    def env(self) -> dict[str, str]:
        """A copy of os.environ, without credentials, pointing child processes at this display."""
        env = scrub_environment(os.environ)
        env["DISPLAY"] = self.display
        env["XDG_SESSION_TYPE"] = "x11"
        env.pop("WAYLAND_DISPLAY", None)
        return env

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> XvfbDisplay:
        """Spawn Xvfb and block until it accepts connections; return self."""
        if self._proc is not None:
            return self
        xvfb = shutil.which("Xvfb")
        if xvfb is None:
            raise ConfigError("Xvfb not found on PATH: install the 'xvfb' package")
        read_fd, write_fd = os.pipe()
        self._log = tempfile.NamedTemporaryFile(prefix="xvfb-", suffix=".log")  # noqa: SIM115
        try:
            self._proc = subprocess.Popen(
                [
                    xvfb,
                    "-displayfd",
                    str(write_fd),
                    "-screen",
                    "0",
                    f"{self.width}x{self.height}x{self.depth}",
                    "-nolisten",
                    "tcp",
                ],
                pass_fds=(write_fd,),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self._log,
                # Its own session: a Ctrl+C in the terminal reaches only us, and we stop Xvfb
                # last, after the programs drawing on it.
                start_new_session=True,
            )
            os.close(write_fd)
            write_fd = -1
            number = self._read_display_number(read_fd)
        except BaseException:
            self.stop()
            raise
        finally:
            if write_fd != -1:
                os.close(write_fd)
            os.close(read_fd)
        self._display = f":{number}"
        log.debug("Xvfb %s started (pid %d)", self._display, self._proc.pid)
        return self

    def _read_display_number(self, read_fd: int) -> int:
        assert self._proc is not None
        data = b""
        deadline = time.monotonic() + _START_TIMEOUT_S
        while b"\n" not in data:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise EnvError(f"Xvfb did not report a display within {_START_TIMEOUT_S:g}s")
            ready, _, _ = select.select([read_fd], [], [], min(remaining, 0.5))
            if not ready:
                if self._proc.poll() is not None:
                    raise EnvError(f"Xvfb exited with {self._proc.returncode}: {self._stderr()}")
                continue
            chunk = os.read(read_fd, 64)
            if not chunk:  # EOF: Xvfb closed the pipe, i.e. died
                self._proc.wait(timeout=5)
                raise EnvError(f"Xvfb exited with {self._proc.returncode}: {self._stderr()}")
            data += chunk
        return int(data.strip())

    def _stderr(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode(errors="replace").strip()[-500:]

    def stop(self) -> None:
        """Terminate Xvfb and reap it; safe to call twice."""
        proc, self._proc = self._proc, None
        log_file, self._log = self._log, None
        if proc is None:
            if log_file is not None:
                log_file.close()
            return
        stop_process(proc)
        if log_file is not None:
            log_file.close()
        log.debug("Xvfb %s stopped", self._display)

    def __enter__(self) -> XvfbDisplay:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"XvfbDisplay({self._display or 'not started'}, {self.width}x{self.height})"
