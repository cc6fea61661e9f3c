"""The session's child processes: commands run to completion, and GUI programs left running.

Every child starts in its own session (process group) so a timeout or shutdown can stop the
whole group, including anything a shell backgrounded. Output goes to temporary files, not
pipes: a command such as `google-chrome &` leaves a child holding the pipe open, and reading
a pipe to EOF would then wait for the browser to exit. Launched programs stay our children and
are polled (reaped) on every call, since orphans are reaped slowly on these machines.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from gui_agent.computers.processes import terminate_group
from gui_agent.computers.server.isolation import Isolation
from gui_agent.computers.server.namespace import SessionNamespace

log = logging.getLogger(__name__)

_STOP_GRACE_S = 5.0


@dataclass(frozen=True)
class CommandResult:
    returncode: int
    output: str
    error: str


class CommandTimeout(Exception):
    """A command ran past its timeout; its process group was killed."""

    def __init__(self, seconds: float, output: str) -> None:
        super().__init__(f"command timed out after {seconds:g}s")
        self.seconds = seconds
        self.output = output


class SessionProcesses:
    """Runs and tracks children with one environment and working directory."""

    def __init__(self, *, env: Mapping[str, str], cwd: Path, log_dir: Path,
                 isolation: Isolation | None = None) -> None:  # fmt: skip
        self.env = dict(env)
        self.isolation = isolation
        self.namespace = (
            SessionNamespace(isolation, env=self.env, log_dir=log_dir) if isolation else None
        )
        self.cwd = cwd
        self.log_dir = log_dir
        self._running: list[subprocess.Popen[bytes]] = []
        self._lock = threading.Lock()

    def run(self, command: str | Sequence[str], *, shell: bool, timeout: float) -> CommandResult:
        """Run to completion; raises CommandTimeout, or OSError if it cannot start."""
        self.reap()
        command, shell = self._inside(command, shell)
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(
                command if shell else list(command),
                shell=shell,
                env=self.env,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired as exc:
                _signal_group(proc, signal.SIGKILL)
                proc.wait()
                raise CommandTimeout(timeout, _read(out) + _read(err)) from exc
            return CommandResult(proc.returncode, _read(out), _read(err))

    def launch(self, command: str | Sequence[str], *, shell: bool) -> subprocess.Popen[bytes]:
        """Start a program and leave it running, tracked; raises OSError if it cannot start."""
        self.reap()
        name = Path(command.split()[0] if shell and isinstance(command, str) else command[0]).name
        command, shell = self._inside(command, shell, detached=True)
        with tempfile.NamedTemporaryFile(
            dir=self.log_dir, prefix=f"{name[:40]}-", suffix=".log", delete=False
        ) as log_file:
            proc = subprocess.Popen(
                command if shell else list(command),
                shell=shell,
                env=self.env,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        with self._lock:
            self._running.append(proc)
        log.info("launched %s (pid %d, log %s)", name, proc.pid, log_file.name)
        return proc

    def inside(self, argv: list[str]) -> list[str]:
        """`argv` as it runs inside the isolation boundary (itself when there is none)."""
        return argv if self.namespace is None else self.namespace.wrap(argv, shell=False,
                                                                       detached=True)

    def _inside(self, command: str | Sequence[str], shell: bool, *,
                detached: bool = False) -> tuple[str | Sequence[str], bool]:  # fmt: skip
        """The command as it runs: inside the isolation boundary when there is one."""
        if self.namespace is None:
            return command, shell
        return self.namespace.wrap(command, shell=shell, detached=detached), False

    def reap(self) -> None:
        """Collect the exit status of launched programs that have ended."""
        with self._lock:
            self._running = [proc for proc in self._running if proc.poll() is None]

    @property
    def running(self) -> list[subprocess.Popen[bytes]]:
        self.reap()
        with self._lock:
            return list(self._running)

    def stop_all(self) -> None:
        """Terminate every launched program's process group and wait until each is gone."""
        with self._lock:
            procs, self._running = self._running, []
        if self.namespace is None or not self.namespace.shared:
            for proc in reversed(procs):
                terminate_group(proc, name=str(proc.args), timeout=_STOP_GRACE_S)
            if self.namespace is not None:
                self.namespace.close()
            return
        # Inside one shared namespace: every program gets SIGTERM at once and the grace to
        # exit; then ending the namespace ends whatever is left (helpers included) in one go,
        # instead of waiting group by group for orphans to be reaped.
        for proc in procs:
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + _STOP_GRACE_S
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        self.namespace.close()
        for proc in procs:
            _signal_group(proc, signal.SIGKILL)
            proc.wait()


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def _read(file: IO[bytes]) -> str:
    file.seek(0)
    return file.read().decode(errors="replace")
