"""The benchmark runner: pool, requeue on env_error, Ctrl-C, resume, lock, result folders."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gui_agent.errors import ConfigError
from osworld_eval.results import (
    LOCK_FILE,
    ResultsLock,
    load_outcome,
    read_manifest,
    run_folder,
)
from osworld_eval.runner import RunProgress, run_benchmark
from osworld_eval.task_run import TaskOutcome, TaskStatus
from osworld_eval.tasks import Task

MODEL = "scripted:runner-test"


def make_tasks(n: int) -> list[Task]:
    domains = ("chrome", "os", "multi_apps")
    return [
        Task.model_validate(
            {"id": f"task-{i:02d}", "instruction": f"do {i}", "evaluator": {"func": "exact_match"}}
        ).model_copy(update={"domain": domains[i % 3]})
        for i in range(n)
    ]


class FakeComputer:
    def __init__(self) -> None:
        self.closed = threading.Event()

    def close(self) -> None:
        self.closed.set()


class FakeEnvironment:
    """What the runner needs of a TaskEnvironment: a computer and close()."""

    def __init__(self) -> None:
        self.computer = FakeComputer()

    def close(self) -> None:
        self.computer.close()


class ResettableEnvironment(FakeEnvironment):
    """Like a provisioned VM: kept between tasks and reset before each one."""

    def __init__(self) -> None:
        super().__init__()
        self.resets = 0

    def reset(self) -> None:
        self.resets += 1


@dataclass
class Factory:
    """Hands out fake environments and remembers each one; can fail on chosen calls."""

    fail_on: set[int] = field(default_factory=set)
    resettable: bool = False
    made: list[FakeEnvironment] = field(default_factory=list)
    calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self) -> FakeEnvironment:
        with self.lock:
            self.calls += 1
            if self.calls in self.fail_on:
                raise RuntimeError("the VM did not boot")
            env = ResettableEnvironment() if self.resettable else FakeEnvironment()
            self.made.append(env)
            return env

    def all_closed(self) -> bool:
        return all(env.computer.closed.is_set() for env in self.made)


def write_like_task_run(outcome: TaskOutcome, result_dir: Path) -> TaskOutcome:
    """What run_one_task leaves behind: outcome.json, then result.txt only when scored."""
    (result_dir / "traj.jsonl").write_text('{"step_num": 1}\n')
    (result_dir / "outcome.json").write_text(outcome.model_dump_json())
    if outcome.status is TaskStatus.SCORED:
        (result_dir / "result.txt").write_text(f"{outcome.score}\n")
    return outcome


@dataclass
class FakeRunOne:
    """Scores every task 1.0 (or what `statuses` says), counting calls per task."""

    statuses: dict[str, list[TaskStatus]] = field(default_factory=dict)
    interrupt_at: int | None = None
    calls: Counter[str] = field(default_factory=Counter)
    agents: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, task, environment, *, model, max_steps, result_dir, cache_dir,  # noqa: ANN001
                 agent="loop"):  # fmt: skip
        self.agents.add(agent)
        assert not environment.computer.closed.is_set(), "ran on a closed environment"
        assert result_dir.is_dir() and not any(result_dir.iterdir()), "folder not fresh"
        with self.lock:
            self.calls[task.id] += 1
            n = sum(self.calls.values())
            attempt = self.calls[task.id]
        if self.interrupt_at is not None and n >= self.interrupt_at:
            outcome = TaskOutcome(task_id=task.id, domain=task.domain, status="interrupted")
            write_like_task_run(outcome, result_dir)
            raise KeyboardInterrupt
        planned = self.statuses.get(task.id, [TaskStatus.SCORED])
        status = planned[min(attempt, len(planned)) - 1]
        outcome = TaskOutcome(
            task_id=task.id,
            domain=task.domain,
            status=status,
            score=1.0 if status is TaskStatus.SCORED else None,
            steps=3,
            cost_usd=0.01,
        )
        return write_like_task_run(outcome, result_dir)


def run(tmp_path: Path, tasks: list[Task], run_one, factory=None, **options):  # noqa: ANN001
    return run_benchmark(
        tasks,
        environment_factory=factory or Factory(),
        model=MODEL,
        results_root=tmp_path / "results",
        cache_dir=tmp_path / "cache",
        run_one=run_one,
        **options,
    )


def finished(tmp_path: Path) -> set[str]:
    root = run_folder(tmp_path / "results", MODEL)
    return {p.parent.name for p in root.glob("*/*/result.txt")}


def test_results_use_osworld_layout(tmp_path: Path) -> None:
    tasks = make_tasks(3)
    outcomes = run(tmp_path, tasks, FakeRunOne())
    assert [o.task_id for o in outcomes] == [t.id for t in tasks]
    root = tmp_path / "results" / "pyautogui" / "screenshot" / "scripted_runner-test"
    for task in tasks:
        assert (root / task.domain / task.id / "result.txt").read_text().strip() == "1.0"
    manifest = read_manifest(root)
    assert manifest is not None and manifest.max_steps == 15
    assert manifest.tasks == {"chrome": ["task-00"], "os": ["task-01"], "multi_apps": ["task-02"]}
    assert not (root / LOCK_FILE).exists()


def test_interrupted_then_resumed_runs_every_task_exactly_once(tmp_path: Path) -> None:
    tasks = make_tasks(12)
    factory = Factory()
    first = FakeRunOne(interrupt_at=6)
    outcomes = run(tmp_path, tasks, first, factory=factory, num_envs=2)

    assert factory.all_closed()
    statuses = Counter(o.status for o in outcomes)
    assert statuses[TaskStatus.INTERRUPTED] >= 1
    assert len(outcomes) < 12, "nothing is handed out after Ctrl-C"
    done_first = finished(tmp_path)
    assert done_first == {o.task_id for o in outcomes if o.status is TaskStatus.SCORED}

    second = FakeRunOne()
    resumed = run(tmp_path, tasks, second, num_envs=2, resume=True)

    assert set(second.calls) == {t.id for t in tasks} - done_first, "only unfinished tasks rerun"
    assert all(n == 1 for n in second.calls.values())
    assert finished(tmp_path) == {t.id for t in tasks}
    assert [o.task_id for o in resumed] == [t.id for t in tasks]
    assert all(o.status is TaskStatus.SCORED for o in resumed)
    scored_runs = Counter(t for t in done_first) + second.calls
    assert all(n == 1 for n in scored_runs.values()) and len(scored_runs) == 12


def test_ctrl_c_in_main_thread_marks_running_tasks_and_closes_environments(
    tmp_path: Path,
) -> None:
    tasks = make_tasks(6)
    factory = Factory()
    started = threading.Event()
    ran: set[str] = set()

    def run_one(task, environment, *, model, max_steps, result_dir, cache_dir):  # noqa: ANN001
        ran.add(task.id)
        if not started.is_set():
            started.set()
            signal.raise_signal(signal.SIGINT)  # delivered to the main thread, as Ctrl-C is
        environment.computer.closed.wait(10)  # a real task fails once its VM is closed
        outcome = TaskOutcome(
            task_id=task.id, domain=task.domain, status="env_error", steps=2, cost_usd=0.5
        )
        return write_like_task_run(outcome, result_dir)

    outcomes = run(tmp_path, tasks, run_one, factory=factory, num_envs=2)

    assert outcomes and all(o.status is TaskStatus.INTERRUPTED for o in outcomes)
    # money a task spent is kept; a task whose environment was still starting spent nothing
    assert all((o.cost_usd, o.steps) == ((0.5, 2) if o.task_id in ran else (0.0, 0))
               for o in outcomes), [(o.task_id, o.cost_usd) for o in outcomes]  # fmt: skip
    assert "task-00" in ran and outcomes[0].cost_usd == 0.5
    assert len(outcomes) <= 2
    assert factory.all_closed()
    root = run_folder(tmp_path / "results", MODEL)
    for outcome in outcomes:
        folder = root / outcome.domain / outcome.task_id
        assert load_outcome(folder, domain=outcome.domain, task_id=outcome.task_id).status == (
            TaskStatus.INTERRUPTED
        )


def test_env_error_is_requeued_once_on_a_fresh_environment(tmp_path: Path) -> None:
    tasks = make_tasks(4)
    run_one = FakeRunOne(
        statuses={
            "task-01": [TaskStatus.ENV_ERROR, TaskStatus.SCORED],
            "task-02": [TaskStatus.ENV_ERROR, TaskStatus.ENV_ERROR, TaskStatus.SCORED],
        }
    )
    factory = Factory(resettable=True)
    outcomes = {o.task_id: o for o in run(tmp_path, tasks, run_one, factory=factory)}

    assert run_one.calls == {"task-00": 1, "task-01": 2, "task-02": 2, "task-03": 1}
    assert outcomes["task-01"].status is TaskStatus.SCORED
    assert outcomes["task-02"].status is TaskStatus.ENV_ERROR
    assert len(factory.made) == 4, "each env_error costs the worker its environment"
    assert factory.all_closed()


def test_resettable_environments_are_kept_and_reset_before_every_task(tmp_path: Path) -> None:
    factory = Factory(resettable=True)
    run(tmp_path, make_tasks(5), FakeRunOne(), factory=factory)
    assert len(factory.made) == 1 and factory.made[0].resets == 5
    assert factory.all_closed()


def test_other_environments_serve_one_task_each(tmp_path: Path) -> None:
    factory = Factory()
    run(tmp_path, make_tasks(5), FakeRunOne(), factory=factory, num_envs=2)
    assert len(factory.made) == 5 and factory.all_closed()


def test_environment_that_cannot_start_is_an_env_error_retried_once(tmp_path: Path) -> None:
    flaky = Factory(fail_on={1})
    (outcome,) = run(tmp_path / "flaky", make_tasks(1), FakeRunOne(), factory=flaky)
    assert outcome.status is TaskStatus.SCORED and flaky.calls == 2

    broken = Factory(fail_on=set(range(1, 10)))
    (outcome,) = run(tmp_path / "broken", make_tasks(1), FakeRunOne(), factory=broken)
    assert outcome.status is TaskStatus.ENV_ERROR and broken.calls == 2
    assert "could not start an environment: the VM did not boot" in outcome.message


def test_a_crash_in_run_one_does_not_end_the_run(tmp_path: Path) -> None:
    def run_one(task, environment, *, model, max_steps, result_dir, cache_dir):  # noqa: ANN001
        if task.id == "task-00":
            raise ValueError("bug")
        return FakeRunOne()(task, environment, model=model, max_steps=max_steps,
                            result_dir=result_dir, cache_dir=cache_dir)  # fmt: skip

    outcomes = {o.task_id: o for o in run(tmp_path, make_tasks(3), run_one)}
    assert outcomes["task-00"].status is TaskStatus.ENV_ERROR
    assert "ValueError: bug" in outcomes["task-00"].message
    assert outcomes["task-02"].status is TaskStatus.SCORED


def test_existing_results_need_resume(tmp_path: Path) -> None:
    tasks = make_tasks(2)
    run(tmp_path, tasks, FakeRunOne())
    with pytest.raises(ConfigError, match="--resume"):
        run(tmp_path, tasks, FakeRunOne())


def test_resume_keeps_finished_outcomes_and_reruns_errors(tmp_path: Path) -> None:
    tasks = make_tasks(3)
    run(tmp_path, tasks, FakeRunOne(statuses={"task-01": [TaskStatus.SETUP_ERROR]}))
    again = FakeRunOne()
    outcomes = run(tmp_path, tasks, again, resume=True)
    assert dict(again.calls) == {"task-01": 1}
    assert [o.status for o in outcomes] == [TaskStatus.SCORED] * 3
    assert outcomes[0].cost_usd == 0.01, "the earlier outcome is loaded, not rebuilt"


def test_resume_keeps_the_step_budget(tmp_path: Path) -> None:
    tasks = make_tasks(2)
    run(tmp_path, tasks, FakeRunOne(statuses={"task-01": [TaskStatus.MODEL_ERROR]}), max_steps=10)
    with pytest.raises(ConfigError, match="--max-steps 10"):
        run(tmp_path, tasks, FakeRunOne(), resume=True, max_steps=15)
    run(tmp_path, tasks, FakeRunOne(), resume=True, max_steps=10)
    manifest = read_manifest(run_folder(tmp_path / "results", MODEL))
    assert manifest is not None and manifest.max_steps == 10 and len(manifest.started_at) == 2


def test_lock_refuses_a_second_run_naming_the_pid(tmp_path: Path) -> None:
    root = run_folder(tmp_path / "results", MODEL)
    with ResultsLock(root), pytest.raises(ConfigError) as error:
        run(tmp_path, make_tasks(1), FakeRunOne())
    assert f"pid {os.getpid()}" in error.value.message
    assert str(root / LOCK_FILE) in error.value.message


def test_lock_refuses_a_concurrent_run_benchmark(tmp_path: Path) -> None:
    release, inside = threading.Event(), threading.Event()

    def slow(task, environment, *, model, max_steps, result_dir, cache_dir):  # noqa: ANN001
        inside.set()
        release.wait(10)
        return FakeRunOne()(task, environment, model=model, max_steps=max_steps,
                            result_dir=result_dir, cache_dir=cache_dir)  # fmt: skip

    first = threading.Thread(target=run, args=(tmp_path, make_tasks(1), slow))
    first.start()
    try:
        assert inside.wait(10)
        with pytest.raises(ConfigError, match="in use by another run"):
            run(tmp_path, make_tasks(1), FakeRunOne(), resume=True)
    finally:
        release.set()
        first.join(10)


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    root = run_folder(tmp_path / "results", MODEL)
    root.mkdir(parents=True)
    (root / LOCK_FILE).write_text(json.dumps({"pid": int(dead.stdout), "host": "here"}))
    outcomes = run(tmp_path, make_tasks(2), FakeRunOne())
    assert len(outcomes) == 2


def test_progress_reports_counts_rate_and_cost(tmp_path: Path) -> None:
    seen: list[RunProgress] = []
    run_one = FakeRunOne(statuses={"task-00": [TaskStatus.MODEL_ERROR]})
    run(tmp_path, make_tasks(4), run_one, on_progress=seen.append)
    last = seen[-1]
    assert (last.total, last.finished, last.scored, last.errors) == (4, 4, 3, 1)
    assert last.success_rate == 100.0, "errors are not folded into the rate"
    assert last.cost_usd == pytest.approx(0.04)
    assert seen[0].finished == 0


def test_bad_input_is_refused(tmp_path: Path) -> None:
    tasks = make_tasks(2)
    with pytest.raises(ConfigError, match="twice"):
        run(tmp_path, [tasks[0], tasks[0]], FakeRunOne())
    with pytest.raises(ConfigError, match="num_envs"):
        run(tmp_path, tasks, FakeRunOne(), num_envs=0)
