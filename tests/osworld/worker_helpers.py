"""What the worker-process tests hand to worker processes: a model that reports where it runs
and can block, and a sandbox factory giving each worker a home of its own.

Both are imported inside spawned workers, so they live in a small module of their own (a
`python:` model spec names `respond` here).

A task's instruction says `task=NAME mode=MODE`; each model call writes the worker's pid to
`$GUI_AGENT_TEST_WORKER_DIR/NAME.<attempt>.pid` (attempt 1, 2, ...) and then, by MODE:
`finish` answers done; `die-once` blocks on its first attempt (for the test to kill the worker),
then answers done; `block` always blocks. "done" carries "attempt N in worker PID".
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gui_agent.models.base import ModelRequest
from osworld_eval.task_run import TaskEnvironment, TaskOutcome, TaskStatus

DIR_ENV = "GUI_AGENT_TEST_WORKER_DIR"
BLOCK_S = 120.0


def instruction(name: str, mode: str) -> str:
    return f"a worker test: task={name} mode={mode}"


def respond(request: ModelRequest) -> dict[str, Any]:
    found = re.search(r"task=([\w-]+) mode=([\w-]+)", request.prompt)
    assert found is not None, "not a worker-test task"
    name, mode = found.groups()
    folder = Path(os.environ[DIR_ENV])
    folder.mkdir(parents=True, exist_ok=True)
    attempt = len(list(folder.glob(f"{name}.*.pid"))) + 1
    tmp = folder / f".{name}.{attempt}.tmp"
    tmp.write_text(str(os.getpid()))
    tmp.rename(folder / f"{name}.{attempt}.pid")
    if mode == "block" or (mode == "die-once" and attempt == 1):
        time.sleep(BLOCK_S)  # until the test kills or interrupts this worker
        return {"observation": "still here", "action": {"kind": "fail", "reason": "not killed"}}
    answer = f"attempt {attempt} in worker {os.getpid()}"
    return {"observation": "a desktop", "action": {"kind": "done", "answer": answer}}


@dataclass(frozen=True)
class PrivateHomeSandbox:
    """`sandbox_environment` with a home folder per worker process (so workers run at once)."""

    root: Path
    cache_dir: Path

    def __call__(self) -> TaskEnvironment:
        from osworld_eval.environments import sandbox_environment

        home = self.root / f"home-{os.getpid()}"
        return sandbox_environment(width=640, height=480, cache_dir=self.cache_dir, home=home,
                                   home_wait_s=30.0)  # fmt: skip


class KeptEnvironment:
    """Stands in for a provisioned VM: kept by its worker between tasks (it can `reset`), with
    a process of its own (`sleep`) started in the worker."""

    def __init__(self) -> None:
        self.child = subprocess.Popen(["sleep", "600"], start_new_session=True)
        self.resets = 0

    def reset(self) -> None:
        self.resets += 1

    def close(self) -> None:
        self.child.kill()
        self.child.wait()


def kept_environment() -> KeptEnvironment:
    return KeptEnvironment()


def run_on_kept(task: Any, environment: KeptEnvironment, *, model: Any, max_steps: int,
                result_dir: Path, cache_dir: Path) -> TaskOutcome:  # fmt: skip
    """A run_one that scores 1 and says which worker and environment process ran the task."""
    message = f"worker {os.getpid()} environment {environment.child.pid}"
    outcome = TaskOutcome(task_id=task.id, domain=task.domain, status=TaskStatus.SCORED,
                          score=1.0, message=message)  # fmt: skip
    (result_dir / "outcome.json").write_text(outcome.model_dump_json())
    (result_dir / "result.txt").write_text("1.0\n")
    return outcome
