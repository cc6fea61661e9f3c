"""The MiniWoB++ bench's results, table and command-line checks: no display, no browser."""

from __future__ import annotations

import importlib.util
import json
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

import gui_agent.bench
from gui_agent.bench import MiniWobEpisode, MiniWobReport, MiniWobServer, run_miniwob
from gui_agent.bench.cli import bench, report_table
from gui_agent.errors import ConfigError
from gui_agent.models.scripted import FunctionModel

needs_miniwob = pytest.mark.skipif(
    importlib.util.find_spec("miniwob") is None,
    reason="MiniWoB++ is not installed (pip install miniwob)",
)


def _episode(task: str, index: int, reward: float, steps: int, *, tokens: int = 100,
             cost: float = 0.01, done: bool = True) -> MiniWobEpisode:  # fmt: skip
    return MiniWobEpisode(task=task, episode=index, utterance=f"do {task}", reward=reward,
                          env_reward=reward * 0.9, page_done=done, status="done", steps=steps,
                          tokens=tokens, cost_usd=cost, duration_s=2.0)  # fmt: skip


@pytest.fixture
def report() -> MiniWobReport:
    return MiniWobReport(model="python:test", max_steps=15, duration_s=8.0, episodes=[
        _episode("click-test", 1, 1.0, 1),
        _episode("click-test", 2, -1.0, 3),
        _episode("enter-text", 1, 1.0, 3, tokens=300, cost=0.03),
        _episode("enter-text", 2, 0.0, 15, done=False),
    ])  # fmt: skip


def test_exports_resolve() -> None:
    for name in gui_agent.bench.__all__:
        assert hasattr(gui_agent.bench, name), name


def test_summaries_per_task_and_overall(report: MiniWobReport) -> None:
    assert report.mean_reward == pytest.approx(0.25)
    assert report.success_rate == pytest.approx(0.5)
    click, enter = report.tasks()
    assert (click.task, click.episodes, click.mean_reward, click.success_rate) == (
        "click-test", 2, 0.0, 0.5)  # fmt: skip
    assert click.mean_steps == 2.0
    assert (enter.tokens, enter.cost_usd) == (400, pytest.approx(0.04))
    assert enter.mean_reward == 0.5


def test_env_errors_are_counted_apart_from_the_rewards(report: MiniWobReport) -> None:
    broken = _episode("click-test", 3, 0.0, 0, done=False).model_copy(
        update={"status": "env_error", "reason": "page closed"})  # fmt: skip
    report.episodes.append(broken)
    assert (report.env_errors, report.mean_reward, report.success_rate) == (
        1, pytest.approx(0.25), pytest.approx(0.5))  # fmt: skip
    click = report.tasks()[0]
    assert (click.episodes, click.env_errors, click.mean_reward) == (3, 1, 0.0)
    console = Console(record=True, width=160)
    console.print(report_table(report))
    assert "env errors" in console.export_text()


def test_json_report_round_trips(report: MiniWobReport, tmp_path: Path) -> None:
    path = report.write_json(tmp_path / "deep" / "miniwob.json")
    data = json.loads(path.read_text())
    assert data["mean_reward"] == pytest.approx(0.25)
    assert [row["task"] for row in data["tasks"]] == ["click-test", "enter-text"]
    assert MiniWobReport.model_validate(data).episodes == report.episodes
    assert not list(path.parent.glob("*.tmp"))


def test_table_shows_every_task_and_the_total(report: MiniWobReport) -> None:
    console = Console(record=True, width=140)
    console.print(report_table(report))
    text = console.export_text()
    for expected in ("click-test", "enter-text", "all", "+0.25", "50%", "python:test"):
        assert expected in text


@needs_miniwob
def test_server_serves_task_pages_and_their_scripts() -> None:
    server = MiniWobServer().start()
    try:
        with urllib.request.urlopen(server.task_url("click-test"), timeout=10) as page:
            assert b"core.startEpisode()" in page.read()
        with urllib.request.urlopen(server.url + "/core/core.js", timeout=10) as script:
            assert b"WOB_RAW_REWARD_GLOBAL" in script.read()
    finally:
        server.close()


@needs_miniwob
def test_unknown_task_is_refused_before_anything_starts() -> None:
    with pytest.raises(ConfigError, match="no-such-task"):
        run_miniwob(["no-such-task"], model=FunctionModel(lambda request: {}, name="unused"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"episodes": 0}, "episodes"), ({"max_steps": 16}, "max_steps")],
)
def test_bad_options_are_config_errors(kwargs: dict[str, int], message: str) -> None:
    model = FunctionModel(lambda request: {}, name="unused")
    with pytest.raises(ConfigError, match=message):
        run_miniwob(["click-test"], model=model, **kwargs)  # type: ignore[arg-type]


def test_cli_needs_tasks() -> None:
    result = CliRunner().invoke(bench, ["miniwob", "--model", "python:json:loads"])
    assert result.exit_code == 2
    assert "--tasks" in result.output


@needs_miniwob
def test_cli_lists_the_tasks() -> None:
    result = CliRunner().invoke(bench, ["miniwob", "--list"])
    assert result.exit_code == 0
    assert {"click-test", "enter-text"} <= set(result.output.split())


@needs_miniwob
def test_cli_refuses_an_unknown_task(tmp_path: Path) -> None:
    result = CliRunner().invoke(bench, ["miniwob", "--model", "python:json:loads",
                                        "--tasks", "no-such-task", "--out", str(tmp_path)])  # fmt: skip
    assert result.exit_code == 2
    assert "no-such-task" in result.output
