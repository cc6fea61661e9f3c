"""One bubblewrap namespace per served session, entered by every command the session runs.

A fresh bwrap per command would give each command its own processes and its own /tmp: a
`pkill chrome` could not see the browser an earlier command launched, and a file one command
left in /tmp would be gone for the next. So the session starts one namespace (bwrap holding a
`sleep infinity`) and runs each command with `nsenter` into its mount and PID namespaces, with
its root and working folder (the home inside). What the commands start stays inside: ending
the namespace's first process ends every process in it.

The holder is started, and waited for, by a thread of its own: bwrap's `--die-with-parent`
fires when the *thread* that forked it ends, so it must not be a short-lived request thread.
It also fires when the server process dies, which is the point.

Where the namespace cannot be entered (unprivileged bubblewrap nests a user namespace that
`nsenter` may not join: EPERM), each command gets a bubblewrap of its own over the same
folders instead: home and /tmp are still the session's, but a command no longer sees the
processes of another (`pkill` reaches only its own). A program left running (`detached`)
then has no `--die-with-parent`, which would end it with the thread that started it; the
session stops it when it closes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import shutil
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from gui_agent.computers.server.isolation import Isolation
from gui_agent.errors import EnvError

log = logging.getLogger(__name__)

START_TIMEOUT_S = 30.0


class SessionNamespace:
    """A running namespace for `isolation`, (re)started when a command first needs it."""

    def __init__(self, isolation: Isolation, *, env: Mapping[str, str], log_dir: Path) -> None:
        self.isolation = isolation
        self._env = dict(env)
        self._log_dir = log_dir
        self._lock = threading.Lock()
        self._holder: subprocess.Popen[bytes] | None = None
        self._enter: list[str] = []
        self._closed = False
        self._per_command = False
        """True once entering failed here: every command gets its own bubblewrap."""

    @property
    def shared(self) -> bool:
        """Whether the session's commands share one namespace (False after the fallback)."""
        return not self._per_command

    def wrap(self, command: str | Sequence[str], *, shell: bool,
             detached: bool = False) -> list[str]:  # fmt: skip
        """`command` (a shell string or an argv) as an argv that runs inside the namespace;
        `detached` for a program left running (see the module doc)."""
        argv = ["/bin/sh", "-c", command] if shell and isinstance(command, str) else list(command)
        entry = self._entry()
        if self._per_command:
            return [*self.isolation.prefix(self._env, die_with_parent=not detached), *argv]
        home = f"HOME={self.isolation.home_path}"
        return [*entry, "/usr/bin/env", home, *argv]

    def _entry(self) -> list[str]:
        with self._lock:
            if self._closed:
                raise EnvError("the session's namespace is closed")
            if self._per_command:
                return []
            if self._holder is None or self._holder.poll() is not None:
                if self._holder is not None:
                    log.warning("the session's namespace ended (%s); starting a new one",
                                self._holder.returncode)  # fmt: skip
                self._holder, self._enter = self._start()
                if not _can_enter(self._enter):
                    log.warning("cannot enter the session's namespace here (unprivileged "
                                "bubblewrap?): each command gets a namespace of its own")  # fmt: skip
                    self._per_command = True
                    _end(self._holder)
                    self._holder = None
                    return []
            return list(self._enter)

    def _start(self) -> tuple[subprocess.Popen[bytes], list[str]]:
        started: list[subprocess.Popen[bytes] | BaseException] = []
        ready = threading.Event()
        read_end, write_end = os.pipe()
        thread = threading.Thread(target=self._keep, args=(write_end, started, ready),
                                  name="session-namespace", daemon=True)  # fmt: skip
        thread.start()
        try:
            if not ready.wait(START_TIMEOUT_S):
                raise EnvError(f"bubblewrap did not start within {START_TIMEOUT_S:g}s")
            holder = started[0]
            if isinstance(holder, BaseException):
                raise EnvError(f"cannot start the session's namespace: {holder}") from holder
            try:
                child = _read_child_pid(read_end, holder)
                _wait_until_inside(holder)
            except EnvError:
                holder.kill()
                raise
        finally:
            os.close(read_end)
        return holder, _nsenter_argv(child)

    def _keep(self, write_end: int, started: list[object], ready: threading.Event) -> None:
        """Start the holder, then wait on it for as long as it lives (see the module doc)."""
        holder: subprocess.Popen[bytes] | None = None
        try:
            with (self._log_dir / "namespace.log").open("ab") as errors:
                holder = subprocess.Popen(
                    [*self.isolation.prefix(self._env, info_fd=write_end), *_HOLD],
                    pass_fds=(write_end,), env=self._env, stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE, stderr=errors, start_new_session=True,
                )  # fmt: skip
            started.append(holder)
        except OSError as exc:
            started.append(exc)
        finally:
            os.close(write_end)
            ready.set()
        if holder is not None:
            holder.wait()

    def close(self) -> None:
        """End the namespace and with it every process still inside."""
        with self._lock:
            self._closed = True
            holder, self._holder = self._holder, None
        if holder is not None:
            _end(holder)


def _end(holder: subprocess.Popen[bytes]) -> None:
    if holder.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(holder.pid, 9)
        with contextlib.suppress(subprocess.TimeoutExpired):
            holder.wait(timeout=10)


def _can_enter(entry: list[str]) -> bool:
    """Whether `entry` (an nsenter command line) can run a command inside."""
    try:
        done = subprocess.run([*entry, "/bin/true"], capture_output=True, timeout=START_TIMEOUT_S,
                              check=False)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return False
    if done.returncode != 0:
        log.info("nsenter refused: %s", done.stderr.decode(errors="replace").strip()[:200])
    return done.returncode == 0


_HOLD = ["/bin/sh", "-c", "echo ready; exec sleep infinity"]
"""What the namespace holds: its line says the mounts are done (bwrap reports the PID before)."""


def _wait_until_inside(holder: subprocess.Popen[bytes]) -> None:
    assert holder.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and holder.poll() is None:
        ready, _, _ = select.select([holder.stdout], [], [], 0.1)
        if ready:
            if holder.stdout.readline().strip() == b"ready":
                return
            break
    raise EnvError(f"the session's namespace did not come up (exit {holder.poll()})")


def _read_child_pid(read_end: int, holder: subprocess.Popen[bytes]) -> int:
    """The host PID of the process inside, from bwrap's --info-fd JSON."""
    data = b""
    deadline = time.monotonic() + START_TIMEOUT_S
    decoder = json.JSONDecoder()
    while time.monotonic() < deadline:
        ready, _, _ = select.select([read_end], [], [], 0.1)
        if ready:
            chunk = os.read(read_end, 4096)
            data += chunk
            with contextlib.suppress(ValueError):
                info, _ = decoder.raw_decode(data.decode().strip())
                return int(info["child-pid"])
            if not chunk and holder.poll() is not None:
                break
        elif holder.poll() is not None:
            break
    raise EnvError(f"bubblewrap ended before its namespace was ready (exit {holder.poll()})")


def _nsenter_argv(child: int) -> list[str]:
    """nsenter into the child's mount and PID namespaces, its root and its working folder;
    into its user namespace too when bwrap made one (unprivileged bubblewrap)."""
    nsenter = shutil.which("nsenter") or "nsenter"
    argv = [nsenter, "-t", str(child)]
    with contextlib.suppress(OSError):
        if os.stat(f"/proc/{child}/ns/user").st_ino != os.stat("/proc/self/ns/user").st_ino:
            argv += ["-U", "--preserve-credentials"]
    return [*argv, "-m", "-p", "-r", "-w", "--"]
