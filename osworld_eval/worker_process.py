"""A runner slot whose tasks run in a long-lived worker process, so a worker can die alone.

`ProcessSlot.run` hands a task to its worker (a `spawn`ed child of this interpreter, started
when the slot first needs it) and waits for the TaskOutcome. The worker owns the slot's
environment (a `TaskSlot` inside it: same start/reset/close rules as a worker thread), so the
sandbox's Xvfb, server and browser are the worker's descendants. Queue, attempts, retries,
result folders and progress stay with the runner in this process.

If the worker dies mid-task (any signal, or an exit without an answer), `run` answers a
`SlotFailure("died")` after killing everything the worker started: its process group, and
every process carrying its mark (`WORKER_MARK_ENV=<token>` in the environment, which each
worker sets for itself and its descendants inherit, whatever session or group they moved to).
The next task starts a fresh worker. `interrupt` (Ctrl-C) sends the worker SIGINT: its running
task ends `interrupted` and it closes its environment; `close` stops it and kills what is left.

Workers live in their own process group, so a Ctrl-C in the terminal reaches only the runner,
which then interrupts them in order. A worker whose runner dies (even by SIGKILL) gets SIGINT
from the kernel and ends the same way.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from gui_agent.cli_errors import debug_enabled, enable_debug
from gui_agent.errors import ConfigError, GuiAgentError
from gui_agent.models.base import Model
from gui_agent.vault import RedactingFilter
from osworld_eval.tasks import Task
from osworld_eval.worker_slot import EnvironmentFactory, RunOne, SlotAnswer, SlotFailure, TaskSlot

logger = logging.getLogger(__name__)

WORKER_MARK_ENV = "GUI_AGENT_EVAL_WORKER"
STOP_WAIT_S = 10.0
"""How long a worker asked to stop may take to close its environment before it is killed."""
KILL_WAIT_S = 10.0
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class WorkerSpec:
    """What every worker process needs; pickled once per worker start."""

    factory: EnvironmentFactory
    run_one: RunOne
    model: Model | str
    """A spec string is resolved once in the worker (a Model object must be picklable)."""
    max_steps: int
    cache_dir: Path


def check_picklable(spec: WorkerSpec) -> None:
    """ConfigError naming the part of `spec` a worker process cannot receive."""
    for part in ("factory", "run_one", "model"):
        try:
            pickle.dumps(getattr(spec, part))
        except Exception as exc:  # noqa: BLE001 - pickle raises many kinds
            hint = " (pass the model as a spec string)" if part == "model" else ""
            raise ConfigError(
                f"cannot run tasks in worker processes: the {part} cannot be sent to another "
                f"process ({type(exc).__name__}: {exc}){hint}; use thread workers for "
                "in-process objects (--workers thread)"
            ) from exc


def _spawn_context() -> Any:
    context = multiprocessing.get_context("spawn")
    context.set_executable(sys.executable)  # this venv's interpreter, never another python
    return context


class ProcessSlot:
    """The runner's side of one worker process; `run` from one thread, the rest from any."""

    def __init__(self, spec: WorkerSpec, *, name: str) -> None:
        self._spec, self._name = spec, name
        self._lock = threading.Lock()
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._token = ""
        self._closed = False

    @property
    def pid(self) -> int | None:
        with self._lock:
            return self._process.pid if self._process is not None else None

    def run(self, task: Task, folder: Path) -> SlotAnswer:
        with self._lock:
            previous = self._process
        if previous is not None and not previous.is_alive():  # died between tasks
            self._bury(previous)
        started = self._ensure_worker()
        if started is None:
            return SlotFailure("interrupted")
        process, conn = started
        try:
            conn.send((task, str(folder)))
            ready = wait([conn, process.sentinel])  # an answer, or the worker's exit
            if conn in ready or conn.poll():
                answer: SlotAnswer = conn.recv()
                return answer
        except (EOFError, OSError):  # the pipe broke: the worker is dying or dead
            pass
        return SlotFailure("died", f"worker process died ({self._bury(process)})")

    def _ensure_worker(self) -> tuple[BaseProcess, Connection] | None:
        with self._lock:
            if self._closed:
                return None
            alive = self._process is not None and self._process.is_alive()
            if alive and self._process is not None and self._conn is not None:
                return self._process, self._conn
            context = _spawn_context()
            ours, theirs = context.Pipe()
            self._token = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
            process = context.Process(
                target=_worker_main,
                args=(theirs, self._spec, self._token, self._name, os.getpid(), _log_setup()),
                name=self._name,
                daemon=False,
            )
            process.start()
            theirs.close()
            self._process, self._conn = process, ours
            logger.info("%s: worker process %d started", self._name, process.pid)
            return process, ours

    def _bury(self, process: BaseProcess) -> str:
        """Reap a dead worker, kill what it left behind; how it died, for the record."""
        with self._lock:
            token = self._token
            if self._process is process:
                self._process, self._conn = None, None
        left = _finish(process, token, wait_s=KILL_WAIT_S)
        code = process.exitcode
        how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        logger.warning("%s: worker process %s died (%s); killed %d process(es) it left: %s",
                       self._name, process.pid, how, len(left), left)  # fmt: skip
        return how

    def interrupt(self) -> None:
        """Ctrl-C for the worker: its running task ends `interrupted`, then it exits."""
        pid = self.pid
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGINT)

    def close(self) -> None:
        """Stop the worker (it closes its environment), killing it if it takes too long."""
        with self._lock:
            self._closed = True
            process, conn, token = self._process, self._conn, self._token
            self._process = self._conn = None
        if process is None:
            return
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.send(None)
        _finish(process, token, wait_s=STOP_WAIT_S)
        if conn is not None:
            conn.close()


def _finish(process: BaseProcess, token: str, *, wait_s: float) -> list[int]:
    """Wait up to `wait_s` for a worker to exit (SIGKILL it after that), kill its process group
    while its pid is still held (before reaping it, so the id cannot be reused), reap it, then
    kill every process carrying its mark; the pids killed by mark."""
    if not wait([process.sentinel], wait_s):
        logger.warning("worker %s did not exit within %gs; killing it", process.pid, wait_s)
        process.kill()
        wait([process.sentinel], KILL_WAIT_S)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(_pid(process), signal.SIGKILL)  # a group of its own (see _worker_main)
    process.join(KILL_WAIT_S)
    return kill_marked(token)


def _pid(process: BaseProcess) -> int:
    assert process.pid is not None, "a started process has a pid"
    return process.pid


def marked_processes(token: str) -> list[int]:
    """Live processes whose environment carries this worker's mark (from /proc)."""
    needle = f"{WORKER_MARK_ENV}={token}\0".encode()
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry.name}/environ", "rb") as environ:
                if needle not in environ.read() + b"\0":
                    continue
        except OSError:  # exited while we looked, or a zombie
            continue
        found.append(int(entry.name))
    return found


def kill_marked(token: str) -> list[int]:
    """SIGKILL every process carrying a worker's mark, until none is left; their pids."""
    killed: list[int] = []
    deadline = time.monotonic() + KILL_WAIT_S
    while token and (left := marked_processes(token)):
        for stray in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(stray, signal.SIGKILL)
            if stray not in killed:
                killed.append(stray)
        if time.monotonic() > deadline:
            logger.warning("processes %s of a worker outlived %gs", left, KILL_WAIT_S)
            break
        time.sleep(0.05)
    return killed


# --- in the worker process ----------------------------------------------------------------------


def _log_setup() -> tuple[int, bool]:
    """The runner's log level and --debug, for its workers to log the same way."""
    return logging.getLogger().getEffectiveLevel(), debug_enabled()


def _worker_main(
    conn: Connection,
    spec: WorkerSpec,
    token: str,
    name: str,
    runner_pid: int,
    log_setup: tuple[int, bool],
) -> None:
    """Answer tasks from `conn` until told to stop (None), the runner goes, or Ctrl-C."""
    os.environ[WORKER_MARK_ENV] = token  # inherited by everything this worker starts
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)  # terminal signals go to the runner, which interrupts us in order
    signal.signal(signal.SIGINT, signal.default_int_handler)
    _configure_logging(name, *log_setup)
    slot: TaskSlot | None = None
    try:
        _interrupt_when_orphaned(runner_pid)
        model, unusable = _model(spec.model)
        slot = TaskSlot(factory=spec.factory, run_one=spec.run_one, model=model,
                        max_steps=spec.max_steps, cache_dir=spec.cache_dir, name=name)  # fmt: skip
        while (message := conn.recv()) is not None:
            task, folder = message
            answer = unusable or slot.run(task, Path(folder))
            conn.send(answer)
            if isinstance(answer, SlotFailure) and answer.kind == "interrupted":
                return
    except (EOFError, KeyboardInterrupt):  # the runner went away, or Ctrl-C between tasks
        return
    finally:
        if slot is not None:
            slot.discard()


def _configure_logging(name: str, level: int, debug: bool) -> None:
    """Log like the runner's command line (level, --debug, secrets redacted), naming the worker."""
    logging.basicConfig(level=level, format=f"%(levelname)s {name} %(name)s: %(message)s")
    enable_debug(debug)
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactingFilter())


def _interrupt_when_orphaned(runner_pid: int) -> None:
    """Get SIGINT (Ctrl-C) if the runner dies, even by SIGKILL: the running task then ends
    `interrupted` and this worker closes its environment (Linux PR_SET_PDEATHSIG)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGINT), 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the worker ends at the next task instead
        return
    if os.getppid() != runner_pid:  # the runner died before the request took effect
        raise KeyboardInterrupt


def _model(model: Model | str) -> tuple[Model | str, SlotFailure | None]:
    """The model, resolved once if given as a spec; or why this worker cannot use it."""
    if not isinstance(model, str):
        return model, None
    from gui_agent.models.registry import resolve_model

    try:
        return resolve_model(model), None
    except GuiAgentError as exc:
        return model, SlotFailure("crashed", f"the worker cannot use the model: {exc.message}")
