"""Run many OSWorld tasks on a pool of environments, with resume and honest statuses.

Each worker thread owns one environment at a time (created lazily, closed at the end) and takes
tasks from a shared queue. Every task starts on a clean desktop: an environment that can
`reset()` itself (a provisioned VM reverting to its snapshot) is reset before each task and
kept; any other one (the sandbox, which is cheap to start) serves one task and is replaced.
A task that ends `env_error` costs its worker the environment: the next task gets a fresh one
and that task is queued again, once; a second `env_error` is recorded.

A task that ends on the provider refusing the credentials or the account's spend limit
(`error_kind` "model_auth") stops the run from starting new tasks: every other task would fail
the same way. Running tasks finish; the tasks not started get no folder, so `--resume` runs them.

Ctrl-C (KeyboardInterrupt in the main thread, or raised out of `run_one` in a worker) stops
handing out tasks, records the running ones as `interrupted`, closes every environment and
returns what was recorded. Results go to OSWorld's layout (see results.py), under a lock.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from gui_agent.episode import MAX_STEPS
from gui_agent.errors import ConfigError, ErrorKind
from gui_agent.models.base import Model
from osworld_eval.results import (
    ResultsLock,
    RunManifest,
    has_results,
    is_finished,
    load_outcome,
    read_manifest,
    run_folder,
    task_folder,
    write_manifest,
    write_outcome,
)
from osworld_eval.task_run import TaskEnvironment, TaskOutcome, TaskStatus, run_one_task
from osworld_eval.tasks import Task

logger = logging.getLogger(__name__)

EnvironmentFactory = Callable[[], TaskEnvironment]
SHUTDOWN_WAIT_S = 10.0
"""How long an interrupted run waits for workers to notice their closed environments."""
STOPPING_KINDS: frozenset[ErrorKind] = frozenset({"model_auth"})
"""Errors after which no new task is started: retrying on another task cannot help."""


@runtime_checkable
class Resettable(Protocol):
    """An environment that can return to a clean state; reset before every task it runs."""

    def reset(self) -> None: ...


class RunOne(Protocol):
    def __call__(
        self,
        task: Task,
        environment: TaskEnvironment,
        *,
        model: Model | str,
        max_steps: int,
        result_dir: Path,
        cache_dir: Path,
    ) -> TaskOutcome: ...


@dataclass(frozen=True)
class RunProgress:
    """Counts at one moment of a run; outcomes loaded on resume count as finished."""

    total: int
    finished: int
    skipped: int
    running: int
    scored: int
    score_sum: float
    errors: int
    cost_usd: float
    elapsed_s: float
    last: TaskOutcome | None = None
    stopped_by: ErrorKind | None = None
    """Set once a task ended on an error in STOPPING_KINDS: no new task is started after it."""

    @property
    def not_started(self) -> int:
        """Tasks neither finished nor running (waiting, or never started if `stopped_by`)."""
        return self.total - self.finished - self.running

    @property
    def success_rate(self) -> float | None:
        """Mean score of the scored tasks, in percent (errors are not in it)."""
        return 100.0 * self.score_sum / self.scored if self.scored else None


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
) -> list[TaskOutcome]:
    """Run `tasks` on `num_envs` environments; the outcomes, in task order, of those that ended.

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
        _record_manifest(run_dir, spec, max_steps, keys, resume=resume)
        logger.info("run folder %s: %d to run, %d already finished", run_dir, len(todo), len(done))
        pool = _Pool(
            todo,
            done,
            run_dir=run_dir,
            factory=environment_factory,
            run_one=run_one,
            model=model,
            max_steps=max_steps,
            cache_dir=Path(cache_dir),
            num_envs=num_envs,
            on_progress=on_progress,
        )
        outcomes = pool.run()
    return [outcomes[k] for k in keys if k in outcomes]


def _record_manifest(
    run_dir: Path, spec: str, max_steps: int, keys: list[Key], *, resume: bool
) -> None:
    """Write run.json; on resume, add to the earlier plan (which must share the step budget)."""
    planned: dict[str, list[str]] = {}
    for domain, task_id in keys:
        planned.setdefault(domain, []).append(task_id)
    manifest = RunManifest(
        model=spec,
        max_steps=max_steps,
        tasks=planned,
        started_at=[time.strftime("%Y-%m-%dT%H:%M:%S%z")],
    )
    previous = read_manifest(run_dir) if resume else None
    if previous is not None and previous.max_steps != max_steps:
        raise ConfigError(
            f"{run_dir} holds a run with max steps {previous.max_steps}: resume it with "
            f"--max-steps {previous.max_steps}, or choose another results folder"
        )
    write_manifest(run_dir, previous.merged(manifest) if previous is not None else manifest)


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
        factory: EnvironmentFactory,
        run_one: RunOne,
        model: Model | str,
        max_steps: int,
        cache_dir: Path,
        num_envs: int,
        on_progress: ProgressCallback | None,
    ) -> None:
        self._queue: deque[Task] = deque(todo)
        self._outcomes = dict(done)
        self._skipped = len(done)
        self._total = len(todo) + len(done)
        self._run_dir, self._factory, self._run_one = run_dir, factory, run_one
        self._model, self._max_steps, self._cache_dir = model, max_steps, cache_dir
        self._workers = min(num_envs, len(todo))
        self._on_progress = on_progress
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._stopped_by: ErrorKind | None = None
        self._attempts: Counter[Key] = Counter()
        self._running: dict[int, Task] = {}
        self._envs: dict[int, TaskEnvironment] = {}
        self._started = time.monotonic()

    # --- main thread ------------------------------------------------------------------------
    def run(self) -> dict[Key, TaskOutcome]:
        self._progress(None)
        threads: list[threading.Thread] = []
        try:
            for slot in range(self._workers):
                name = f"osworld-env-{slot}"
                threads.append(threading.Thread(target=self._work, args=(slot,), name=name))
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
            envs = list(self._envs.items())
            self._envs.clear()
        for task in running:
            self._record(task, self._interrupted(task, "interrupted by the user (Ctrl-C)"))
        for slot, env in envs:
            self._close(slot, env)
        deadline = time.monotonic() + SHUTDOWN_WAIT_S
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                logger.warning("%s did not stop within %.0f s", thread.name, SHUTDOWN_WAIT_S)

    # --- workers ----------------------------------------------------------------------------
    def _work(self, slot: int) -> None:
        try:
            self._serve(slot)
        except Exception:  # noqa: BLE001 - logged; the other workers go on
            logger.exception("worker %d stopped on an unexpected error", slot)
        finally:
            self._discard(slot)

    def _serve(self, slot: int) -> None:
        while not self._stop.is_set():
            task = self._take(slot)
            if task is None:
                return
            env = self._environment(slot, task)
            if env is None:
                continue
            outcome = self._attempt(task, env)
            if outcome is None:
                return
            if outcome.status is TaskStatus.ENV_ERROR or not isinstance(env, Resettable):
                self._discard(slot)
            self._settle(slot, task, outcome)

    def _take(self, slot: int) -> Task | None:
        with self._lock:
            if self._stop.is_set() or self._stopped_by is not None or not self._queue:
                return None
            task = self._queue.popleft()
            self._running[slot] = task
            self._attempts[_key(task)] += 1
        self._progress(None)
        return task

    def _environment(self, slot: int, task: Task) -> TaskEnvironment | None:
        """The slot's environment, started if needed and reset if it can be; None on failure."""
        with self._lock:
            env = self._envs.get(slot)
        doing = "start an environment" if env is None else "reset the environment"
        try:
            if env is None:
                env = self._factory()
                with self._lock:
                    stopped = self._stop.is_set()
                    if not stopped:
                        self._envs[slot] = env
                if stopped:  # the run stopped while this one was starting
                    self._close(slot, env)
                    return None
                doing = "reset the new environment"
            if isinstance(env, Resettable):
                env.reset()
        except Exception as exc:  # noqa: BLE001 - a desktop that will not start is env_error
            logger.exception("could not %s for %s", doing, task.id)
            self._discard(slot)
            outcome = self._env_error(task, f"could not {doing}: {exc}")
            self._settle(slot, task, outcome)
            return None
        return env

    def _attempt(self, task: Task, env: TaskEnvironment) -> TaskOutcome | None:
        """Run one task; None if it was interrupted (the run then stops)."""
        try:
            folder = _fresh_folder(self._folder(task))
            return self._run_one(
                task,
                env,
                model=self._model,
                max_steps=self._max_steps,
                result_dir=folder,
                cache_dir=self._cache_dir,
            )
        except KeyboardInterrupt:
            logger.warning("task %s interrupted: stopping the run", task.id)
            self._stop.set()
            return None
        except Exception as exc:  # noqa: BLE001 - a crash in one task must not end the run
            logger.exception("task %s crashed", task.id)
            return self._env_error(task, f"crashed: {type(exc).__name__}: {exc}")

    def _env_error(self, task: Task, message: str) -> TaskOutcome:
        """An env_error outcome the runner itself records (written as outcome.json)."""
        domain, task_id = _key(task)
        outcome = TaskOutcome(
            task_id=task_id, domain=domain, status=TaskStatus.ENV_ERROR, message=message
        )
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

    def _discard(self, slot: int) -> None:
        with self._lock:
            env = self._envs.pop(slot, None)
        if env is not None:
            self._close(slot, env)

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

    @staticmethod
    def _close(slot: int, env: TaskEnvironment) -> None:
        try:
            env.close()
        except Exception:  # noqa: BLE001 - closing is best effort; the next env is fresh
            logger.exception("closing environment %d", slot)

    def _progress(self, last: TaskOutcome | None) -> None:
        if self._on_progress is None:
            return
        with self._lock:
            outcomes = list(self._outcomes.values())
            running = len(self._running)
            stopped_by = self._stopped_by
        scored = [o for o in outcomes if o.status is TaskStatus.SCORED]
        progress = RunProgress(
            total=self._total,
            finished=len(outcomes),
            skipped=self._skipped,
            running=running,
            scored=len(scored),
            score_sum=sum(o.score or 0.0 for o in scored),
            errors=len(outcomes) - len(scored),
            cost_usd=sum(o.cost_usd for o in outcomes),
            elapsed_s=time.monotonic() - self._started,
            last=last,
            stopped_by=stopped_by,
        )
        try:
            self._on_progress(progress)
        except Exception:  # noqa: BLE001 - a display problem must not stop the run
            logger.exception("progress callback failed")
