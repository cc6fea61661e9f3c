"""Offline OSWorld chrome tasks through `solve` with the Chrome skill's own planning call.

test_skills_acceptance.py runs the chrome tasks with the operations extracted by the router
(one model call); here the router only routes and the skill asks its own scoped question
(`plan_chrome_work`), on the tasks that file does not cover plus one it does. The model answers
only those two calls (chrome_skill_answers.py); each task scores 1 in one step. Set
CHROME_SKILL_ALL_TASKS=1 to run every task of chrome_skill_answers.py (14, about 4 minutes).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from gui_agent.models.scripted import FunctionModel
from osworld_eval.task_run import TaskEnvironment, TaskStatus, run_one_task
from osworld_eval.tasks import Task
from tests.osworld.acceptance import NEEDS_A_SANDBOX, load_example
from tests.osworld.chrome_skill_answers import CHROME_SKILL_ANSWERS, answer
from tests.osworld.solutions import SOLUTIONS

PLAN_PATH_TASKS = (
    "030eeff7-b492-4218-b312-701ec99ee0cc",  # a preference (also in test_skills_acceptance)
    "93eabf48-6a27-4cb6-b963-7d5fe1e0d3a9",  # appearance mode, on the appearance page
    "99146c54-4f37-4ab8-9327-5f3291665e1e",  # delete site data when Chrome closes
)
TASK_IDS = (
    sorted(CHROME_SKILL_ANSWERS)
    if os.environ.get("CHROME_SKILL_ALL_TASKS")
    else list(PLAN_PATH_TASKS)
)

pytestmark = NEEDS_A_SANDBOX


def _task(task_id: str) -> Task:
    return load_example("chrome", task_id)


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_chrome_task_scores_1_through_the_skill(
    task_id: str, served_sandbox: TaskEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OSWORLD_OFFLINE", "1")
    task = _task(task_id)
    model = FunctionModel(lambda request: answer(task_id, request.function))
    result_dir = tmp_path / "results" / "chrome" / task_id
    outcome = run_one_task(task, served_sandbox, model=model, max_steps=15, result_dir=result_dir,
                           cache_dir=tmp_path / "cache", agent="skills")  # fmt: skip
    assert outcome.status is TaskStatus.SCORED, outcome.message
    assert outcome.score == 1.0, outcome.model_dump()
    calls = [request.function for request in model.requests]
    feasible = CHROME_SKILL_ANSWERS[task_id][1] is not None
    assert calls == (["route_goal", "plan_chrome_work"] if feasible else ["route_goal"])
    assert outcome.steps == (1 if feasible else 0)
    loop = SOLUTIONS.get(task_id)
    if loop is not None:  # the step loop's scripted solution of the same task
        loop_steps = sum(1 for r in loop.replies if r["action"]["kind"] not in ("done", "fail"))
        assert outcome.steps < loop_steps or outcome.steps == loop_steps == 0
        assert len(calls) <= len(loop.replies)
    (result_dir / "skill_vs_loop.json").write_text(json.dumps({
        "task_id": task_id, "skill_steps": outcome.steps, "skill_model_calls": len(calls),
        "loop_steps": None if loop is None else loop_steps,
        "loop_model_calls": None if loop is None else len(loop.replies),
    }))  # fmt: skip
