"""MiniWoB++ end to end on a real SandboxDesktop: Xvfb, Chromium, XTest input, the task's reward.

The one thing not real is perception: a FunctionModel answers each `perceive` call from the
task's DOM (tests/miniwob_solvers.py) instead of from the screenshot. Everything it answers
goes through the loop like a model's action: screen coordinates, validation, real XTest
input into Chromium, settling; the score is the page's own `WOB_RAW_REWARD_GLOBAL`.

Each task starts by a real XTest click on its `#sync-task-cover` before `run_task` (see
gui_agent/bench/miniwob_env.py for why the start is the environment's reset, not an agent
step). Problems are generated from fixed seeds, so a failure reproduces.
"""

from __future__ import annotations

import concurrent.futures
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gui_agent.bench.cli import bench
from gui_agent.bench.miniwob import REPORT_FILE, current_env, run_miniwob
from gui_agent.bench.miniwob_env import MiniWobEnv
from gui_agent.computers.sandbox import SandboxDesktop
from gui_agent.episode import MAX_STEPS, EpisodeStatus
from gui_agent.loop import run_task
from gui_agent.models.base import ModelRequest
from gui_agent.models.scripted import FunctionModel
from tests.gui_fixtures import chromium_missing, xvfb_missing
from tests.miniwob_solvers import TASKS, make_responder

_MISSING = (
    xvfb_missing()
    or chromium_missing()
    or (None if importlib.util.find_spec("miniwob") else "MiniWoB++ is not installed")
)
pytestmark = [
    pytest.mark.gui,
    pytest.mark.slow,
    pytest.mark.skipif(_MISSING is not None, reason=str(_MISSING)),
]
SOLVERS_FILE = Path(__file__).with_name("miniwob_solvers.py")


@pytest.fixture(scope="module")
def env() -> Iterator[MiniWobEnv]:
    with MiniWobEnv(desktop=SandboxDesktop(allow_shell=False)) as started:
        yield started


def test_at_least_20_tasks_solved_through_run_task(env: MiniWobEnv) -> None:
    model = FunctionModel(make_responder(env), name="miniwob-dom-solver")
    rows: list[tuple[str, float, int, str]] = []
    for task in TASKS:
        env.open(task)
        utterance = env.begin_episode(seed=f"acceptance-{task}")
        result = run_task(utterance, env.desktop, model=model, max_steps=MAX_STEPS,
                          settle_timeout=2.0)  # fmt: skip
        outcome = env.outcome()
        reward = outcome.reward if outcome.done else 0.0
        rows.append((task, reward, result.steps_executed, result.status.value))
        assert result.steps_executed <= MAX_STEPS, task
        assert all(step.events for step in result.steps if step.executed), task
    table = "\n".join(f"{t:<24} {r:+.2f} {s:2d} steps {st}" for t, r, s, st in rows)
    print("\n" + table)
    assert len({task for task, *_ in rows}) >= 20
    mean = sum(reward for _, reward, *_ in rows) / len(rows)
    assert mean >= 0.95, f"mean reward {mean:.3f}\n{table}"
    assert all(status == EpisodeStatus.DONE for *_, status in rows), table


def test_bench_scores_two_tasks_and_writes_the_report(env: MiniWobEnv, tmp_path: Path) -> None:
    model = FunctionModel(make_responder(env), name="miniwob-dom-solver")
    report = run_miniwob(["click-checkboxes", "enter-password"], model=model, env=env,
                         episodes=2, out_dir=tmp_path, seed=11, settle_timeout=2.0)  # fmt: skip
    assert [(e.task, e.episode) for e in report.episodes] == [
        ("click-checkboxes", 1), ("click-checkboxes", 2),
        ("enter-password", 1), ("enter-password", 2),
    ]  # fmt: skip
    assert report.mean_reward == 1.0
    assert all(e.page_done and e.status == "done" and 1 <= e.steps <= MAX_STEPS
               for e in report.episodes)  # fmt: skip
    assert all(e.tokens > 0 and e.utterance for e in report.episodes)
    assert [row.task for row in report.tasks()] == ["click-checkboxes", "enter-password"]
    data = json.loads((tmp_path / REPORT_FILE).read_text())
    assert data["mean_reward"] == 1.0
    assert data["model"] == "python:miniwob-dom-solver"
    assert {row["task"] for row in data["tasks"]} == {"click-checkboxes", "enter-password"}
    run_dir = tmp_path / "enter-password" / "02"
    assert (run_dir / "trace.jsonl").stat().st_size > 0
    result = json.loads((run_dir / "result.json").read_text())
    assert result["goal"] == report.episodes[-1].utterance
    assert result["status"] == "done"


def test_model_is_not_asked_after_the_page_ends_the_episode(env: MiniWobEnv) -> None:
    # A model that would click the same spot forever: after its first click ends the
    # episode, the bench answers `done` itself (the START cover must not be clicked again).
    point: list[dict[str, object]] = []

    def click_forever(request: ModelRequest) -> dict[str, object]:
        if not point:
            box = env.page.locator("#subbtn").bounding_box()
            assert box is not None
            x, y = env.to_screen(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            point.append({"kind": "click", "x": x, "y": y})
        return {"observation": "a button", "action": point[0]}

    model = FunctionModel(click_forever, name="clicker")
    report = run_miniwob(["click-test"], model=model, env=env, seed=5)
    [episode] = report.episodes
    assert (episode.reward, episode.steps, episode.status) == (1.0, 1, "done")
    assert len(model.requests) == 1


def test_an_episode_the_agent_abandons_scores_zero(env: MiniWobEnv) -> None:
    model = FunctionModel(lambda request: {"observation": "nothing", "action": {"kind": "done"}},
                          name="quitter")  # fmt: skip
    report = run_miniwob(["click-test"], model=model, env=env, episodes=2, seed=5)
    assert [(e.reward, e.page_done, e.steps) for e in report.episodes] == [(0.0, False, 0)] * 2
    assert "stopped before the task page ended" in report.episodes[0].reason


def test_cli_runs_a_python_model_on_its_own_sandbox(tmp_path: Path) -> None:
    # The CLI starts its own sandbox and Playwright; the module's env holds this thread's
    # sync Playwright, so the command runs on a thread of its own.
    def invoke() -> tuple[int, str]:
        result = CliRunner().invoke(bench, [
            "miniwob", "--model", f"python:{SOLVERS_FILE}:respond",
            "--tasks", "click-test,focus-text", "--seed", "2", "--out", str(tmp_path),
        ])  # fmt: skip
        return result.exit_code, result.output + repr(result.exception)

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        code, output = pool.submit(invoke).result(timeout=240)
    assert code == 0, output
    assert "click-test" in output and "focus-text" in output
    data = json.loads((tmp_path / REPORT_FILE).read_text())
    assert data["mean_reward"] == 1.0
    assert [row["task"] for row in data["tasks"]] == ["click-test", "focus-text"]


def test_an_env_error_gets_a_fresh_environment_and_the_bench_goes_on() -> None:
    # The bench's own desktop: an app window (the page at the screen's top-left, no tab strip
    # to click). A model that closes the window with ctrl+w breaks the first episode; the next
    # ones run on a fresh environment. Own thread: the module's env holds this thread's
    # sync Playwright.
    offsets: list[tuple[int, int]] = []
    solvers: dict[int, Any] = {}

    def close_then_solve(request: ModelRequest) -> dict[str, Any]:
        env = current_env()
        offsets.append(env.to_screen(0, 0))
        if len(offsets) == 1:
            return {"observation": "closing the window", "action": {"kind": "key", "keys": "ctrl+w"}}
        solve = solvers.setdefault(id(env.page), make_responder(env))
        return solve(request)

    def bench_run() -> Any:
        model = FunctionModel(close_then_solve, name="closer")
        return run_miniwob(["click-test"], model=model, episodes=3, seed=3, settle_timeout=2.0)

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        report = pool.submit(bench_run).result(timeout=300)
    first, *rest = report.episodes
    assert first.status == "env_error", first
    assert [(e.status, e.reward) for e in rest] == [("done", 1.0), ("done", 1.0)], rest
    assert (report.env_errors, report.mean_reward, report.success_rate) == (1, 1.0, 1.0)
    assert set(offsets) == {(0, 0)}


def test_a_model_that_raises_is_a_model_error_and_the_bench_goes_on(
    env: MiniWobEnv, tmp_path: Path
) -> None:
    def broken(request: ModelRequest) -> dict[str, Any]:
        raise RuntimeError("CUDA out of memory")

    report = run_miniwob(["click-test"], model=FunctionModel(broken, name="mine.py:respond"),
                         env=env, episodes=2, seed=5, out_dir=tmp_path)  # fmt: skip
    reason = "python model mine.py:respond raised RuntimeError: CUDA out of memory"
    assert [(e.status, e.reward) for e in report.episodes] == [("model_error", 0.0)] * 2
    assert all(e.reason.startswith(reason) for e in report.episodes)
    result = json.loads((tmp_path / "click-test" / "02" / "result.json").read_text())
    assert (result["status"], result["reason"]) == ("model_error", reason)
