"""Child processes a computer starts: each in its own process group, always reaped.

Children are started with `start_new_session=True`, so a Ctrl+C in the terminal reaches only
our Python process (which then closes everything in order) and `killpg` reaches every helper a
child forks. Every child is `wait()`ed: on these machines orphans are reaped slowly by pid 1.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from contextlib import suppress

log = logging.getLogger(__name__)


def group_members(pgid: int) -> list[int]:
    """Pids of every process (zombies included) whose process group is `pgid`, from /proc."""
    members = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):  # exited while we looked
            continue
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ...
            members.append(int(entry.name))
    return members


def stop_process(proc: subprocess.Popen[bytes], *, timeout: float = 10.0) -> None:
    """SIGTERM one child (not its group), SIGKILL it if it outlives `timeout`, and reap it."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def terminate_group(proc: subprocess.Popen[bytes], *, name: str, timeout: float = 10.0) -> None:
    """SIGTERM a child's process group, reap the child, SIGKILL what is left, and wait until
    the group is gone.

    The child is a group leader (start_new_session), so its pid is the group id. Helpers it
    forked are not our children: once orphaned, pid 1 reaps them (here after a second or two),
    so we wait for that instead of returning while they linger as zombies.
    """
    pgid = proc.pid
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        log.warning("%s (pid %d) ignored SIGTERM for %gs; killing it", name, proc.pid, timeout)
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + timeout
    while (left := group_members(pgid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    if left:
        log.warning("%s: processes %s of group %d outlived %gs", name, left, pgid, timeout)


def processes_mentioning(text: str) -> list[int]:
    """Live (non-zombie) processes whose command line contains `text`, from /proc."""
    needle = text.encode()
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as cmdline:
                if needle not in cmdline.read():
                    continue
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                if stat.read().rsplit(b")", 1)[1].split()[0] == b"Z":
                    continue
        except OSError:
            continue
        found.append(int(entry.name))
    return found


def kill_strays(text: str, *, name: str, timeout: float = 10.0) -> None:
    """SIGKILL every process whose command line contains `text` and wait until none is left."""
    deadline = time.monotonic() + timeout
    while strays := processes_mentioning(text):
        for pid in strays:
            with suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        if time.monotonic() > deadline:
            log.warning("%s processes %s outlived %gs", name, strays, timeout)
            return
        time.sleep(0.05)


class ChildProcesses:
    """A set of launched programs that `close` terminates and reaps, group by group."""

    def __init__(self) -> None:
        self._children: list[subprocess.Popen[bytes]] = []
        self._lock = threading.Lock()

    def launch(self, argv: Sequence[str], *, env: dict[str, str]) -> subprocess.Popen[bytes]:
        """Start `argv` in its own session with `env`; output is discarded."""
        proc = subprocess.Popen(
            list(argv),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        with self._lock:
            self._children = [child for child in self._children if child.poll() is None]
            self._children.append(proc)
        return proc

    @property
    def pids(self) -> list[int]:
        with self._lock:
            return [child.pid for child in self._children]

    def close(self) -> None:
        with self._lock:
            children, self._children = self._children, []
        for child in reversed(children):
            terminate_group(child, name=str(child.args))
