"""The command line, through click's runner: what a user types and sees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gui_agent.cli import main

MODEL = "python:tests/models/click_then_done.py:respond"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _only_run(out: Path) -> Path:
    (run_dir,) = list(out.iterdir())
    return run_dir


def test_help_lists_the_commands(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("run", "replay", "view", "doctor", "serve"):
        assert command in result.output


def test_run_writes_a_run_folder_and_exits_by_status(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        main, ["run", "click twice", "--env", "fake", "--model", MODEL, "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "step  1" in result.output and "done after 2 actions" in result.output
    run_dir = _only_run(tmp_path)
    data = json.loads((run_dir / "result.json").read_text())
    assert data["status"] == "done" and data["answer"] == "clicked twice"
    assert data["steps_executed"] == 2
    assert (run_dir / "trace.jsonl").stat().st_size > 0
    assert (run_dir / "step_01.png").exists() and (run_dir / "step_03.png").exists()


def test_a_status_other_than_done_has_its_own_exit_code(runner: CliRunner, tmp_path) -> None:
    result = runner.invoke(main, ["run", "g", "--env", "fake", "--model", MODEL,
                                  "--max-steps", "1", "--out", str(tmp_path)])  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "max_steps after 1 action " in result.output


def test_without_an_api_key_it_says_exactly_what_to_set(runner, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("GUI_AGENT_MODEL", raising=False)
    result = runner.invoke(main, ["run", "g", "--env", "fake", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "ANTHROPIC_API_KEY" in result.output
    assert not tmp_path.exists() or not any(tmp_path.iterdir())  # nothing half-made


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "gpt4"], "is not one of"),
        (["--model", "nosuch:thing"], "unknown model kind"),
        (["--model", "python:tests/models/missing.py:respond"], "not found"),
        (["--env", "vm"], "--vm-url"),
    ],
)
def test_bad_input_is_a_clear_error(runner, tmp_path, args, message) -> None:
    model = [] if "--model" in args else ["--model", MODEL]
    result = runner.invoke(main, ["run", "g", *model, *args, "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert message in result.output


def test_max_steps_over_15_is_refused_by_the_parser(runner: CliRunner) -> None:
    result = runner.invoke(main, ["run", "g", "--max-steps", "16"])
    assert result.exit_code == 2
    assert "16 is not in the range 1<=x<=15" in result.output


def test_view_and_replay_of_a_recorded_run(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(main, ["run", "click twice", "--env", "fake", "--model", MODEL,
                         "--out", str(tmp_path / "a")])  # fmt: skip
    run_dir = _only_run(tmp_path / "a")
    shown = runner.invoke(main, ["view", str(run_dir)])
    assert shown.exit_code == 0 and "click(100, 200)" in shown.output
    replayed = runner.invoke(main, ["replay", str(run_dir), "--env", "fake",
                                    "--out", str(tmp_path / "b")])  # fmt: skip
    assert replayed.exit_code == 0, replayed.output
    first = json.loads((run_dir / "result.json").read_text())
    second = json.loads((_only_run(tmp_path / "b") / "result.json").read_text())
    assert [a["action"] for a in second["actions"]] == [a["action"] for a in first["actions"]]
    assert second["model"].startswith("replay:")


def test_view_of_a_folder_that_is_not_a_run(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["view", str(tmp_path)])
    assert result.exit_code == 2 and "not a run folder" in result.output
