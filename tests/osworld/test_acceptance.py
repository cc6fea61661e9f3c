"""Acceptance on this machine: real OSWorld tasks on the sandbox behind our own server.

For each task with a scripted solution (solutions.py): setup runs and the evaluator scores 0 on
the untouched state; then, on a fresh sandbox, `run_one_task` sets it up again, drives the
solution through the step loop with a scripted model, runs the postconfig and scores 1, and
leaves an OSWorld result folder. One sandbox per half (about 0.4 s to start); sandboxes take
turns on /home/user (see osworld_eval.environments). No timing asserts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gui_agent.models.scripted import ScriptedModel
from osworld_eval.evaluate import EvalOutcome, coverage, evaluate
from osworld_eval.setup import run_setup
from osworld_eval.task_run import TaskEnvironment, TaskStatus, run_one_task
from osworld_eval.tasks import SetupStep, Task
from tests.osworld.acceptance import EXAMPLES, NEEDS_A_SANDBOX, load_example
from tests.osworld.solutions import SOLUTIONS

TASK_IDS = sorted(SOLUTIONS)

pytestmark = NEEDS_A_SANDBOX


def _task(task_id: str) -> Task:
    return load_example(SOLUTIONS[task_id].domain, task_id)


def test_at_least_twelve_offline_chrome_and_os_tasks_are_covered() -> None:
    offline = json.loads((EXAMPLES / "offline_ids.json").read_text())
    listed = {
        task_id
        for domain in ("chrome", "os")
        for ids in offline.get(domain, {}).values()
        for task_id in ids
    }
    assert set(TASK_IDS) <= listed
    assert len(TASK_IDS) >= 12
    assert {SOLUTIONS[t].domain for t in TASK_IDS} == {"chrome", "os"}


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_untouched_state_scores_0(task_id: str, served_sandbox: TaskEnvironment) -> None:
    task = _task(task_id)
    assert coverage(task) == []

    def setup(steps: list[SetupStep]) -> None:
        run_setup(steps, api=served_sandbox.server, env=served_sandbox.eval_env, task_id=task.id,
                  cache_dir=served_sandbox.eval_env.cache_dir, port_map=served_sandbox.port_map,
                  offline=True)  # fmt: skip

    setup(task.config)
    outcome = evaluate(task, served_sandbox.eval_env, last_action_failed=False, run_postconfig=setup)
    assert outcome == EvalOutcome.scored(0.0)


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_scripted_solution_scores_1(
    task_id: str, served_sandbox: TaskEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OSWORLD_OFFLINE", "1")
    task = _task(task_id)
    solution = SOLUTIONS[task_id]
    model = ScriptedModel(solution.replies, name="scripted-solution")
    result_dir = tmp_path / "results" / task.domain / task.id  # type: ignore[operator]

    outcome = run_one_task(task, served_sandbox, model=model, max_steps=15,
                           result_dir=result_dir, cache_dir=tmp_path / "cache")  # fmt: skip

    assert outcome.status is TaskStatus.SCORED, outcome.message
    assert outcome.score == 1.0, f"{solution.note}: {outcome.model_dump()}"
    assert model.remaining == 0
    assert (result_dir / "result.txt").read_text().strip() == "1.0"
    written = json.loads((result_dir / "outcome.json").read_text())
    assert written["status"] == "scored" and written["task_id"] == task_id
    steps = [json.loads(line) for line in (result_dir / "traj.jsonl").read_text().splitlines()]
    assert len(steps) == len(solution.replies)
    assert (
        steps[-1]["done"] and steps[-1]["action"]["kind"] == solution.replies[-1]["action"]["kind"]
    )
    assert all((result_dir / s["screenshot_file"]).is_file() for s in steps)
    assert (result_dir / "trace.jsonl").is_file()
