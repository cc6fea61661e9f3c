"""Run many OSWorld tasks on a pool of environments, with resume and honest statuses.

Each worker slot owns one environment at a time and takes tasks from a shared queue; the
environment rules (start, reset or replace, close) are worker_slot.py's. With
`workers="thread"` a slot is a thread of this process; with `workers="process"` (what
`osworld run` uses) each slot's thread hands its tasks to a long-lived worker process that owns
the environment (worker_process.py), so a worker that dies takes only its own task with it.
A task that ends `env_error` costs its worker the environment: the next task gets a fresh one
and that task is queued again, once; a second `env_error` is recorded. A worker process that
dies mid-task (SIGKILL, a crash of the interpreter) is an `env_error` the same way: its task is
queued again once, on a fresh worker, and a second death is recorded ("... died (signal 9)
twice"); what the dead worker started is killed.

A task that ends on the provider refusing the credentials or the account's spend limit
(`error_kind` "model_auth") stops the run from starting new tasks: every other task would fail
the same way. Running tasks finish; the tasks not started get no folder, so `--resume` runs them.

Ctrl-C or SIGTERM (KeyboardInterrupt in the main thread, or raised out of `run_one` in a worker)
stops handing out tasks, records the running ones as `interrupted`, closes every environment
and worker process and returns what was recorded. Results go to OSWorld's layout (see
results.py), written by this process under a lock (a worker writes only its task's folder).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import signal
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Literal

from gui_agent.episode import MAX_STEPS
from gui_agent.errors import ConfigError, ErrorKind
from gui_agent.models.base import Model
from osworld_eval.results import (
    ResultsLock,
    has_results,
    is_finished,
    load_outcome,
    record_manifest,
    run_folder,
    task_folder,
    write_outcome,
)
from osworld_eval.run_progress import RunProgress
from osworld_eval.task_run import TaskOutcome, TaskStatus, run_one_task
from osworld_eval.tasks import Task
from osworld_eval.worker_process import ProcessSlot, WorkerSpec, check_picklable
from osworld_eval.worker_slot import (
    EnvironmentFactory,
    Resettable,
    RunOne,
    SlotFailure,
    TaskSlot,
)

logger = logging.getLogger(__name__)

SHUTDOWN_WAIT_S = 10.0
"""How long an interrupted run waits for workers to notice their closed environments."""
STOPPING_KINDS: frozenset[ErrorKind] = frozenset({"model_auth"})
"""Errors after which no new task is started: retrying on another task cannot help."""


WorkerMode = Literal["thread", "process"]
__all__ = [
    "EnvironmentFactory",
    "Resettable",
    "RunOne",
    "RunProgress",
    "WorkerMode",
    "run_benchmark",
]


ProgressCallback = Callable[[RunProgress], None]
Key = tuple[str, str]


def _key(task: Task) -> Key:
    if not task.domain:
        raise ConfigError(f"task {task.id} has no domain (load it with load_tasks)")
    return task.domain, task.id


def run_benchmark(
    tasks: Sequence[Task],
    *,
    environment_factory: EnvironmentFactory,
    model: Model | str,
    max_steps: int = MAX_STEPS,
    results_root: Path,
    num_envs: int = 1,
    resume: bool = False,
    cache_dir: Path,
    run_one: RunOne = run_one_task,
    on_progress: ProgressCallback | None = None,
    workers: WorkerMode = "thread",
) -> list[TaskOutcome]:
    """Run `tasks` on `num_envs` environments; the outcomes, in task order, of those that ended.

    `workers="process"` runs each environment's tasks in a worker process: the factory, run_one
    and model (a spec string, or a picklable Model) must be picklable (ConfigError otherwise).

    Without `resume`, a run folder that already holds results is refused; with it, exactly the
    tasks without result.txt run again and the others' recorded outcomes are returned.
    Tasks never started (Ctrl-C) have no outcome.
    """
    if num_envs < 1:
        raise ConfigError(f"num_envs must be at least 1, got {num_envs}")
    keys = [_key(t) for t in tasks]
    duplicates = sorted({f"{d}/{i}" for (d, i), n in Counter(keys).items() if n > 1})
    if duplicates:
        raise ConfigError("tasks listed twice: " + ", ".join(duplicates))
    worker = WorkerSpec(factory=environment_factory, run_one=run_one, model=model,
                        max_steps=max_steps, cache_dir=Path(cache_dir))  # fmt: skip
    if workers == "process":
        check_picklable(worker)
    spec = model if isinstance(model, str) else model.spec
    run_dir = run_folder(Path(results_root), spec)
    with ResultsLock(run_dir):
        if not resume and has_results(run_dir):
            raise ConfigError(
                f"{run_dir} already holds results of an earlier run: pass --resume to finish "
                "that run, or choose another results folder"
            )
        done: dict[Key, TaskOutcome] = {}
        todo: list[Task] = []
        for task, (domain, task_id) in zip(tasks, keys, strict=True):
            folder = task_folder(run_dir, domain=domain, task_id=task_id)
            outcome = load_outcome(folder, domain=domain, task_id=task_id)
            if resume and is_finished(folder) and outcome is not None:
                done[(domain, task_id)] = outcome
            else:
                todo.append(task)
        record_manifest(run_dir, spec, max_steps, keys, resume=resume)
        logger.info("run folder %s: %d to run, %d already finished", run_dir, len(todo), len(done))
        pool = _Pool(todo, done, run_dir=run_dir, spec=worker, workers=workers,
                     num_envs=num_envs, on_progress=on_progress)  # fmt: skip
        outcomes = pool.run()
    return [outcomes[k] for k in keys if k in outcomes]


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops the run like Ctrl-C (records running tasks, closes everything); main thread
    only, and only while nothing else handles SIGTERM."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.getsignal(signal.SIGTERM)
    installed = previous is signal.SIG_DFL
    if installed:
        signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        if installed:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _fresh_folder(folder: Path) -> Path:
    """An empty task folder: leftovers of an unfinished attempt never mix with a new one."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class _Pool:
    """The workers, the shared queue and everything they record, behind one lock."""

    def __init__(
        self,
        todo: list[Task],
        done: dict[Key, TaskOutcome],
        *,
        run_dir: Path,
        spec: WorkerSpec,
        workers: WorkerMode,
        num_envs: int,
        on_progress: ProgressCallback | None,
    ) -> None:
        self._queue: deque[Task] = deque(todo)
        self._outcomes = dict(done)
        self._skipped = len(done)
        self._total = len(todo) + len(done)
        self._run_dir = run_dir
        self._on_progress = on_progress
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._stopped_by: ErrorKind | None = None
        self._attempts: Counter[Key] = Counter()
        self._deaths: Counter[Key] = Counter()
        self._running: dict[int, Task] = {}
        self._started = time.monotonic()
        self._slots = [self._slot(spec, workers, n) for n in range(min(num_envs, len(todo)))]

    def _slot(self, spec: WorkerSpec, workers: WorkerMode, n: int) -> TaskSlot | ProcessSlot:
        name = f"osworld-env-{n}"
        if workers == "process":
            return ProcessSlot(spec, name=name)
        return TaskSlot(factory=spec.factory, run_one=spec.run_one, model=spec.model,
                        max_steps=spec.max_steps, cache_dir=spec.cache_dir, name=name,
                        stopped=self._stop.is_set)  # fmt: skip

    # --- main thread ------------------------------------------------------------------------
    def run(self) -> dict[Key, TaskOutcome]:
        self._progress(None)
        threads: list[threading.Thread] = []
        try:
            with _sigterm_as_interrupt():
                for n in range(len(self._slots)):
                    name = f"osworld-env-{n}"
                    threads.append(threading.Thread(target=self._work, args=(n,), name=name))
                    threads[-1].daemon = True
                    threads[-1].start()
                while not self._stop.is_set() and any(t.is_alive() for t in threads):
                    self._stop.wait(0.1)
        except KeyboardInterrupt:
            logger.warning("interrupted: stopping the run")
            self._stop.set()
        if self._stop.is_set():
            self._shutdown([t for t in threads if t.ident is not None])
        self._progress(None)
        with self._lock:
            return dict(self._outcomes)

    def _shutdown(self, threads: list[threading.Thread]) -> None:
        self._stop.set()
        with self._lock:
            running = list(self._running.values())
        for task in running:
            self._record(task, self._interrupted(task, "interrupted by the user (Ctrl-C)"))
        for slot in self._slots:
            if isinstance(slot, ProcessSlot):
                slot.interrupt()
            else:
                slot.discard()
        deadline = time.monotonic() + SHUTDOWN_WAIT_S
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                logger.warning("%s did not stop within %.0f s", thread.name, SHUTDOWN_WAIT_S)
        for slot in self._slots:  # no worker process outlives the run
            if isinstance(slot, ProcessSlot):
                slot.close()

    # --- workers ----------------------------------------------------------------------------
    def _work(self, n: int) -> None:
        slot = self._slots[n]
        try:
            self._serve(n, slot)
        except Exception:  # noqa: BLE001 - logged; the other workers go on
            logger.exception("worker %d stopped on an unexpected error", n)
        finally:
            if isinstance(slot, ProcessSlot):
                slot.close()
            else:
                slot.discard()

    def _serve(self, n: int, slot: TaskSlot | ProcessSlot) -> None:
        while not self._stop.is_set():
            task = self._take(n)
            if task is None:
                return
            answer = slot.run(task, _fresh_folder(self._folder(task)))
            if isinstance(answer, SlotFailure):
                if answer.kind == "interrupted" or self._stop.is_set():
                    self._stop.set()
                    return
                answer = self._env_error(task, self._failure_message(task, answer))
            self._settle(n, task, answer)

    def _failure_message(self, task: Task, failure: SlotFailure) -> str:
        if failure.kind != "died":
            return failure.message
        with self._lock:
            self._deaths[_key(task)] += 1
            twice = self._deaths[_key(task)] > 1
        return failure.message + (" twice" if twice else "")

    def _take(self, slot: int) -> Task | None:
        with self._lock:
            if self._stop.is_set() or self._stopped_by is not None or not self._queue:
                return None
            task = self._queue.popleft()
            self._running[slot] = task
            self._attempts[_key(task)] += 1
        self._progress(None)
        return task

    def _env_error(self, task: Task, message: str) -> TaskOutcome:
        """An env_error outcome the runner itself records (written as outcome.json)."""
        domain, task_id = _key(task)
        outcome = TaskOutcome(task_id=task_id, domain=domain, status=TaskStatus.ENV_ERROR,
                              message=message, error_kind="env")  # fmt: skip
        try:
            write_outcome(_fresh_folder(self._folder(task)), outcome)
        except OSError:
            logger.exception("could not write the outcome of %s", task.id)
        return outcome

    def _settle(self, slot: int, task: Task, outcome: TaskOutcome) -> None:
        key = _key(task)
        with self._lock:
            self._running.pop(slot, None)
            stops = outcome.error_kind in STOPPING_KINDS and self._stopped_by is None
            if stops:
                self._stopped_by = outcome.error_kind
            retry = (
                outcome.status is TaskStatus.ENV_ERROR
                and self._attempts[key] < 2
                and not self._stop.is_set()
                and self._stopped_by is None
            )
            if retry:
                self._queue.appendleft(task)
        if stops:
            logger.error(
                "task %s: %s; no new task is started (the running ones finish)",
                task.id,
                outcome.message,
            )
        if retry:
            logger.warning(
                "task %s: env_error (%s); queued again on a fresh environment",
                task.id,
                outcome.message,
            )
            self._progress(None)
            return
        if self._stop.is_set() and outcome.status is TaskStatus.ENV_ERROR:
            # the shutdown closed its environment under it; keep the steps and cost it used
            message = f"interrupted by the user (Ctrl-C); then: {outcome.message}"
            outcome = outcome.model_copy(
                update={"status": TaskStatus.INTERRUPTED, "score": None, "message": message}
            )
        self._record(task, outcome)

    # --- shared -----------------------------------------------------------------------------
    def _folder(self, task: Task) -> Path:
        domain, task_id = _key(task)
        return task_folder(self._run_dir, domain=domain, task_id=task_id)

    def _interrupted(self, task: Task, message: str) -> TaskOutcome:
        domain, task_id = _key(task)
        return TaskOutcome(
            task_id=task_id, domain=domain, status=TaskStatus.INTERRUPTED, message=message
        )

    def _record(self, task: Task, outcome: TaskOutcome) -> None:
        """Keep `outcome`; interrupted ones are also written unless the task finished."""
        folder = self._folder(task)
        with self._lock:
            self._running = {s: t for s, t in self._running.items() if t is not task}
            if outcome.status is TaskStatus.INTERRUPTED and is_finished(folder):
                return  # it finished after all: task_run's own outcome stands
            self._outcomes[_key(task)] = outcome
        if outcome.status is TaskStatus.INTERRUPTED:
            try:
                write_outcome(folder, outcome)
            except OSError:
                logger.exception("could not write the outcome of %s", task.id)
        self._progress(outcome)

    def _progress(self, last: TaskOutcome | None) -> None:
        if self._on_progress is None:
            return
        with self._lock:
            outcomes = list(self._outcomes.values())
            running = len(self._running)
            stopped_by = self._stopped_by
        progress = RunProgress.of(outcomes, total=self._total, skipped=self._skipped,
                                  running=running, elapsed_s=time.monotonic() - self._started,
                                  last=last, stopped_by=stopped_by)  # fmt: skip
        try:
            self._on_progress(progress)
        except Exception:  # noqa: BLE001 - a display problem must not stop the run
            logger.exception("progress callback failed")
