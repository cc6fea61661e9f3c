"""Process workers: a worker killed mid-task costs one retry of that task and leaves nothing.

Real processes throughout: spawned workers, each owning a real sandbox environment (Xvfb and
our server), a model that blocks in the worker until the test SIGKILLs it, and PIDs checked.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from gui_agent.errors import ConfigError
from osworld_eval.results import load_outcome, run_folder
from osworld_eval.runner import RunProgress, run_benchmark
from osworld_eval.task_run import TaskStatus
from osworld_eval.tasks import Task
from osworld_eval.worker_process import WORKER_MARK_ENV
from tests.gui_fixtures import xvfb_missing
from tests.osworld.test_runner import Factory, FakeRunOne, make_tasks
from tests.osworld.worker_helpers import (
    DIR_ENV,
    PrivateHomeSandbox,
    instruction,
    kept_environment,
    run_on_kept,
)

MODEL = "python:tests.osworld.worker_helpers:respond"
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(xvfb_missing() is not None, reason=str(xvfb_missing()))


def worker_tasks(modes: dict[str, str]) -> list[Task]:
    tasks = [
        Task.model_validate(
            {
                "id": name,
                "instruction": instruction(name, mode),
                "evaluator": {"func": "infeasible"},
            }
        )  # fmt: skip
        for name, mode in modes.items()
    ]
    for task in tasks:
        task.domain = "os"
    return tasks


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` in the process tree (from /proc)."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as stat:
                    parents[int(entry.name)] = int(stat.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [p for p, pp in parents.items() if pp == parent]
        found += children
        frontier += children
    return found


def command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != b"Z"


def marked_by_this_run() -> list[int]:
    """Processes carrying the mark of a worker of this (test) process."""
    needle = f"{WORKER_MARK_ENV}={os.getpid()}-".encode()
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if needle in Path(f"/proc/{entry.name}/environ").read_bytes() and alive(
                    int(entry.name)
                ):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def wait_for(path: Path, timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.05)
    return int(path.read_text())


def test_a_killed_worker_s_task_runs_again_once_and_nothing_of_it_is_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, record_property: Any
) -> None:
    pids = tmp_path / "pids"
    monkeypatch.setenv(DIR_ENV, str(pids))
    tasks = worker_tasks({"first": "finish", "killed": "die-once", "third": "finish",
                          "twice": "block", "last": "finish"})  # fmt: skip
    killed: dict[str, int] = {}
    left_behind: dict[int, list[tuple[int, str]]] = {}
    failures: list[BaseException] = []

    def kill(name: str) -> None:
        worker = wait_for(pids / name)
        time.sleep(0.2)  # let the worker's tree settle (it is blocked in the model call)
        left_behind[worker] = [(p, command(p)) for p in descendants(worker)]
        os.kill(worker, signal.SIGKILL)
        killed[name] = worker

    def killer() -> None:
        try:
            for name in ("killed.1.pid", "twice.1.pid", "twice.2.pid"):
                kill(name)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            failures.append(exc)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    started = time.monotonic()
    outcomes = run_benchmark(tasks, environment_factory=PrivateHomeSandbox(tmp_path, tmp_path / "cache"),
                             model=MODEL, results_root=tmp_path / "results", cache_dir=tmp_path / "cache",
                             num_envs=2, workers="process")  # fmt: skip
    elapsed = time.monotonic() - started
    thread.join(5)
    assert not failures, failures

    by_task = {o.task_id: o for o in outcomes}
    assert Counter(o.task_id for o in outcomes) == Counter(t.id for t in tasks), "one outcome each"
    for name in ("first", "third", "last"):
        assert by_task[name].status is TaskStatus.SCORED and "attempt 1" in by_task[name].message
    assert by_task["killed"].status is TaskStatus.SCORED
    assert by_task["killed"].message.startswith("attempt 2 in worker ")
    assert str(killed["killed.1.pid"]) not in by_task["killed"].message, "a fresh worker ran it"
    assert (by_task["twice"].status, by_task["twice"].message) == (
        TaskStatus.ENV_ERROR,
        "worker process died (signal 9) twice",
    )
    assert sorted(p.name for p in pids.glob("*.pid")) == sorted(
        [
            "first.1.pid",
            "killed.1.pid",
            "killed.2.pid",
            "third.1.pid",
            "twice.1.pid",
            "twice.2.pid",
            "last.1.pid",
        ]  # fmt: skip
    )
    run_dir = run_folder(tmp_path / "results", MODEL)
    recorded = load_outcome(run_dir / "os" / "twice", domain="os", task_id="twice")
    assert recorded is not None and recorded.status is TaskStatus.ENV_ERROR

    # nothing of a killed worker is left: its Xvfb (and anything else it started), by PID
    for worker, tree in left_behind.items():
        assert any("Xvfb" in cmd for _, cmd in tree), f"worker {worker} had no Xvfb: {tree}"
    deadline = time.monotonic() + 10
    while (alive_left := [p for tree in left_behind.values() for p, _ in tree if alive(p)]) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.1)
    assert alive_left == [], "processes of a killed worker outlived it"
    assert not any(alive(w) for w in left_behind)
    assert marked_by_this_run() == [], "a worker or its descendants outlived the run"
    record_property("observed", f"killed 3 workers; 'killed' scored on attempt 2, 'twice' "
                                f"env_error; {sum(len(t) for t in left_behind.values())} "
                                f"processes of dead workers all gone; {elapsed:.1f} s")  # fmt: skip


def test_a_worker_that_died_between_tasks_is_replaced_and_its_environment_killed(
    tmp_path: Path,
) -> None:
    """A kept environment (like a VM) lives in its worker; the worker is killed while idle: the
    next task starts a fresh worker, is not counted as a death, and the old environment's
    process is killed."""
    killed: list[tuple[int, int]] = []

    def kill_after_first(progress: RunProgress) -> None:
        if progress.last is not None and progress.last.task_id == "one":
            worker, environment = map(int, re.findall(r"\d+", progress.last.message))
            os.kill(worker, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while alive(worker) and time.monotonic() < deadline:
                time.sleep(0.02)
            killed.append((worker, environment))

    tasks = worker_tasks({"one": "finish", "two": "finish"})
    outcomes = run_benchmark(tasks, environment_factory=kept_environment, model=MODEL,
                             results_root=tmp_path / "r", cache_dir=tmp_path / "c",
                             run_one=run_on_kept, workers="process",
                             on_progress=kill_after_first)  # fmt: skip
    assert [o.status for o in outcomes] == [TaskStatus.SCORED, TaskStatus.SCORED]
    [(worker, environment)] = killed
    assert f"worker {worker} " not in outcomes[1].message, "a fresh worker ran the next task"
    deadline = time.monotonic() + 10
    while alive(environment) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(environment), "the dead worker's environment was left running"
    assert marked_by_this_run() == []


INTERRUPT_SCRIPT = """
import sys
from pathlib import Path
from osworld_eval.runner import RunProgress, run_benchmark
from tests.osworld.test_runner_processes import worker_tasks
from tests.osworld.worker_helpers import PrivateHomeSandbox
tmp = Path(sys.argv[1])
tasks = worker_tasks({"a": "block", "b": "block", "c": "finish"})
try:
    run_benchmark(tasks, environment_factory=PrivateHomeSandbox(tmp, tmp / "cache"),
                  model=sys.argv[2], results_root=tmp / "results", cache_dir=tmp / "cache",
                  num_envs=2, workers="process")
finally:
    print("run_benchmark returned", flush=True)
"""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_ctrl_c_and_sigterm_record_running_tasks_and_leave_no_worker(
    tmp_path: Path, signum: int
) -> None:
    pids = tmp_path / "pids"
    env = dict(os.environ, **{DIR_ENV: str(pids)})
    runner = subprocess.Popen([sys.executable, "-c", INTERRUPT_SCRIPT, str(tmp_path), MODEL],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)  # fmt: skip
    try:
        workers = [wait_for(pids / "a.1.pid"), wait_for(pids / "b.1.pid")]
        time.sleep(0.2)
        trees = [p for w in workers for p in descendants(w)]
        assert any("Xvfb" in command(p) for p in trees)
        runner.send_signal(signum)
        out, err = runner.communicate(timeout=60)
    finally:
        if runner.poll() is None:
            runner.kill()
    assert "run_benchmark returned" in out, err
    run_dir = run_folder(tmp_path / "results", MODEL)
    for name in ("a", "b"):
        outcome = load_outcome(run_dir / "os" / name, domain="os", task_id=name)
        assert outcome is not None and outcome.status is TaskStatus.INTERRUPTED
    assert not (run_dir / "os" / "c").exists(), "nothing is started after the interrupt"
    deadline = time.monotonic() + 10
    while [p for p in workers + trees if alive(p)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [p for p in workers + trees if alive(p)] == []


def test_workers_of_a_killed_runner_interrupt_their_tasks_and_clean_up(tmp_path: Path) -> None:
    """SIGKILL of the runner itself: the kernel tells each worker (SIGINT), which records its
    task as interrupted and closes its environment; nothing is left."""
    pids = tmp_path / "pids"
    env = dict(os.environ, **{DIR_ENV: str(pids)})
    runner = subprocess.Popen([sys.executable, "-c", INTERRUPT_SCRIPT, str(tmp_path), MODEL],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        workers = [wait_for(pids / "a.1.pid"), wait_for(pids / "b.1.pid")]
        time.sleep(0.2)
        trees = [p for w in workers for p in descendants(w)]
        assert any("Xvfb" in command(p) for p in trees)
    finally:
        runner.kill()
        runner.wait()
    deadline = time.monotonic() + 20
    while [p for p in workers + trees if alive(p)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [p for p in workers + trees if alive(p)] == []
    run_dir = run_folder(tmp_path / "results", MODEL)
    for name in ("a", "b"):
        outcome = load_outcome(run_dir / "os" / name, domain="os", task_id=name)
        assert outcome is not None and outcome.status is TaskStatus.INTERRUPTED


def test_what_a_worker_process_cannot_receive_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"the factory cannot be sent.*--workers thread"):
        run_benchmark(make_tasks(1), environment_factory=Factory(), model=MODEL,
                      results_root=tmp_path, cache_dir=tmp_path, run_one=FakeRunOne(),
                      workers="process")  # fmt: skip
    assert not any(tmp_path.iterdir()), "refused before a run folder is made"
