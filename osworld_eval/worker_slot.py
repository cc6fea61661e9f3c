"""One worker's environment and how it runs a task on it, in the calling process.

The runner's worker threads use a `TaskSlot` directly; a worker process (worker_process.py)
runs one inside itself, so the environment rules are the same either way: the environment is
started when a task needs one; one that can `reset()` itself (a provisioned VM) is reset before
each task and kept; any other (the sandbox, cheap to start) serves one task and is closed. A
task that ends `env_error` or crashes also costs the slot its environment.

`run` answers the task's TaskOutcome, or a `SlotFailure` when no outcome came from the task
itself (no environment, a crash, Ctrl-C, a worker process that died): the runner records those.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from gui_agent.models.base import Model
from osworld_eval.task_run import TaskEnvironment, TaskOutcome, TaskStatus
from osworld_eval.tasks import Task

logger = logging.getLogger(__name__)

EnvironmentFactory = Callable[[], TaskEnvironment]


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


FailureKind = Literal["no_environment", "crashed", "interrupted", "died"]


@dataclass(frozen=True)
class SlotFailure:
    """Why a task has no outcome of its own; `message` is what the runner records."""

    kind: FailureKind
    message: str = ""


SlotAnswer = TaskOutcome | SlotFailure


class TaskSlot:
    """Holds at most one environment; `run` is called by one thread, `discard` by any."""

    def __init__(
        self,
        *,
        factory: EnvironmentFactory,
        run_one: RunOne,
        model: Model | str,
        max_steps: int,
        cache_dir: Path,
        name: str,
        stopped: Callable[[], bool] = lambda: False,
    ) -> None:
        self._factory, self._run_one, self._model = factory, run_one, model
        self._max_steps, self._cache_dir, self._name = max_steps, cache_dir, name
        self._stopped = stopped
        self._lock = threading.Lock()
        self._env: TaskEnvironment | None = None

    def run(self, task: Task, folder: Path) -> SlotAnswer:
        """Run `task` into the (fresh) result folder `folder` on this slot's environment."""
        env = self._environment(task)
        if isinstance(env, SlotFailure):
            return env
        try:
            outcome = self._run_one(
                task,
                env,
                model=self._model,
                max_steps=self._max_steps,
                result_dir=folder,
                cache_dir=self._cache_dir,
            )
        except KeyboardInterrupt:
            logger.warning("task %s interrupted: stopping the run", task.id)
            return SlotFailure("interrupted")
        except Exception as exc:  # noqa: BLE001 - a crash in one task must not end the run
            logger.exception("task %s crashed", task.id)
            self.discard()
            return SlotFailure("crashed", f"crashed: {type(exc).__name__}: {exc}")
        if outcome.status is TaskStatus.ENV_ERROR or not isinstance(env, Resettable):
            self.discard()
        return outcome

    def _environment(self, task: Task) -> TaskEnvironment | SlotFailure:
        """The slot's environment, started if needed and reset if it can be."""
        with self._lock:
            env = self._env
        doing = "start an environment" if env is None else "reset the environment"
        try:
            if env is None:
                env = self._factory()
                with self._lock:
                    stopped = self._stopped()
                    if not stopped:
                        self._env = env
                if stopped:  # the run stopped while this one was starting
                    self._close(env)
                    return SlotFailure("interrupted")
                doing = "reset the new environment"
            if isinstance(env, Resettable):
                env.reset()
        except Exception as exc:  # noqa: BLE001 - a desktop that will not start is env_error
            logger.exception("could not %s for %s", doing, task.id)
            self.discard()
            return SlotFailure("no_environment", f"could not {doing}: {exc}")
        return env

    def discard(self) -> None:
        """Close the environment (if any); the next task gets a fresh one. Safe from any thread:
        a task running on it then fails, which is how Ctrl-C stops a worker thread."""
        with self._lock:
            env, self._env = self._env, None
        if env is not None:
            self._close(env)

    def _close(self, env: TaskEnvironment) -> None:
        try:
            env.close()
        except Exception:  # noqa: BLE001 - closing is best effort; the next env is fresh
            logger.exception("closing environment %s", self._name)
