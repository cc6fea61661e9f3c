"""Measure what a process worker costs per task against a worker thread (README numbers).

    .venv/bin/python -m tests.osworld.measure_workers [--tasks 6] [--rounds 3]

Runs the same offline tasks (one model call that answers done, scored by `infeasible`) on real
sandbox environments (Xvfb + our server, one per task as in `osworld run`), one environment at
a time, with `workers="thread"` and `workers="process"`, alternating; prints seconds per task.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from osworld_eval.runner import WorkerMode, run_benchmark
from osworld_eval.task_run import TaskStatus
from tests.osworld.test_runner_processes import MODEL, worker_tasks
from tests.osworld.worker_helpers import DIR_ENV, PrivateHomeSandbox


def one_run(workers: WorkerMode, count: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        os.environ[DIR_ENV] = str(tmp / "pids")
        tasks = worker_tasks({f"t{n}": "finish" for n in range(count)})
        started = time.monotonic()
        outcomes = run_benchmark(tasks, environment_factory=PrivateHomeSandbox(tmp, tmp / "c"),
                                 model=MODEL, results_root=tmp / "r", cache_dir=tmp / "c",
                                 workers=workers)  # fmt: skip
        elapsed = time.monotonic() - started
    assert [o.status for o in outcomes] == [TaskStatus.SCORED] * count, outcomes
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    times: dict[WorkerMode, list[float]] = {"thread": [], "process": []}
    for _ in range(args.rounds):
        for mode in ("thread", "process"):
            times[mode].append(one_run(mode, args.tasks))
    for mode, runs in times.items():
        per_task = [t / args.tasks for t in runs]
        print(f"{mode:8s} runs {', '.join(f'{t:.2f}' for t in runs)} s for {args.tasks} tasks; "
              f"median {statistics.median(per_task):.3f} s/task")  # fmt: skip
    extra = statistics.median(times["process"]) - statistics.median(times["thread"])
    print(
        f"process workers: {extra:+.2f} s per run of {args.tasks} tasks "
        f"({extra / args.tasks:+.3f} s per task, median of {args.rounds} rounds)"
    )


if __name__ == "__main__":
    main()
