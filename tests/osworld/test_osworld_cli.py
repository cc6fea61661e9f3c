"""`gui-agent osworld coverage | run | report` through click's CliRunner."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from gui_agent.models.base import ModelRequest
from osworld_eval import cli, task_run
from osworld_eval.results import run_folder
from osworld_eval.task_run import TaskStatus
from tests.osworld.test_runner import Factory, FakeRunOne

MODEL = "python:tests.osworld.test_osworld_cli:reply"


def reply(request: ModelRequest) -> dict[str, Any]:
    """A model no test should reach: the fake run_one never asks it anything."""
    raise AssertionError("the model was called")


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli.osworld, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def small_examples(examples: Path, tmp_path: Path) -> Path:
    """Four real OS tasks and an index naming them, in the official layout."""
    index = json.loads((examples / "test_all.json").read_text())
    ids = index["os"][:4]
    root = tmp_path / "evaluation_examples"
    (root / "examples" / "os").mkdir(parents=True)
    for task_id in ids:
        shutil.copy(examples / "examples" / "os" / f"{task_id}.json", root / "examples" / "os")
    (root / "test_small.json").write_text(json.dumps({"os": ids}))
    return root


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> tuple[Factory, FakeRunOne]:
    """No desktop and no task run: a fake environment factory and a fake run_one."""
    factory, run_one = Factory(), FakeRunOne()
    monkeypatch.setenv(cli.WORKERS_ENV, "thread")  # in-process fakes cannot go to a worker process
    monkeypatch.setattr(cli, "environment_factory", lambda config, *, cache_dir: factory)
    monkeypatch.setattr(task_run, "run_one_task", run_one)
    return factory, run_one


def test_coverage_over_the_shared_tasks_prints_counts_per_domain(examples: Path) -> None:
    result = invoke("coverage", "--examples", examples, "--index", "test_all.json")
    assert result.exit_code == 0, result.output
    summary = result.output.strip().splitlines()[-1]
    match = re.fullmatch(
        r"fully supported: chrome (\d+)/46, os (\d+)/24, multi_apps (\d+)/101; total (\d+)/171",
        summary,
    )
    assert match, summary
    chrome, os_, multi, total = map(int, match.groups())
    assert (chrome, os_, multi, total) == (46, 24, 101, 171)
    assert "Coverage per domain" in result.output
    assert "Google credentials (--google-settings DIR): 8 of them" in " ".join(
        result.output.split()
    )


def test_coverage_restricted_to_offline_tasks(examples: Path) -> None:
    result = invoke(
        "coverage",
        "--examples",
        examples,
        "--index",
        "test_all.json",
        "--offline-ids",
        examples / "offline_ids.json",
        "--unsupported-only",
    )
    assert result.exit_code == 0, result.output
    assert re.search(r"total \d+/97$", result.output.strip())


def test_coverage_names_what_an_unsupported_task_lacks(tmp_path: Path) -> None:
    folder = tmp_path / "examples" / "os"
    folder.mkdir(parents=True)
    task = {
        "id": "t1",
        "instruction": "x",
        "config": [{"type": "tidy_desktop", "parameters": {}}],
        "evaluator": {"func": "no_such_metric"},
    }
    (folder / "t1.json").write_text(json.dumps(task))
    result = invoke("coverage", "--examples", tmp_path, "--domains", "os")
    assert result.exit_code == 0
    assert "setup:tidy_desktop" in result.output and "func:no_such_metric" in result.output
    assert result.output.strip().endswith("fully supported: os 0/1; total 0/1")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--env", "vm"], "--env vm needs --vm-config"),
        (["--vm-config", "vm_configs/local.yaml"], "--vm-config is for --env vm"),
        (["--index", "nope.json"], "index file 'nope.json' not found"),
        (["--task-ids", "no-such-task"], "--task-ids not among the selected tasks: no-such-task"),
        (["--domains", ","], "--domains is empty"),
        (["--model", "bogus"], "model spec 'bogus'"),
        (["--env", "vm", "--vm-config", "missing.yaml"], "no such VM config file"),
        (["--google-settings", "/no/such/settings"], "'/no/such/settings' does not exist"),
    ],
)
def test_run_refuses_bad_input_before_anything_runs(
    small_examples: Path, fakes: tuple[Factory, FakeRunOne], args: list[str], message: str
) -> None:
    result = invoke(
        "run",
        "--examples",
        small_examples,
        "--index",
        "test_small.json",
        "--domains",
        "os",
        "--model",
        MODEL,
        *args,
    )
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert fakes[0].calls == 0 and not fakes[1].calls


def test_run_refuses_a_malformed_task_file(
    small_examples: Path, fakes: tuple[Factory, FakeRunOne], tmp_path: Path
) -> None:
    bad = next((small_examples / "examples" / "os").glob("*.json"))
    bad.write_text(json.dumps({"id": bad.stem, "instruction": "x"}))  # no evaluator
    result = invoke(
        "run",
        "--examples",
        small_examples,
        "--index",
        "test_small.json",
        "--domains",
        "os",
        "--model",
        MODEL,
        "--results",
        tmp_path / "r",
    )
    assert result.exit_code == 2
    assert "nothing was run" in result.output and "evaluator" in result.output
    assert fakes[0].calls == 0 and not (tmp_path / "r").exists()


def test_run_writes_results_and_the_report(
    small_examples: Path, fakes: tuple[Factory, FakeRunOne], tmp_path: Path
) -> None:
    args = [
        "run",
        "--examples",
        small_examples,
        "--index",
        "test_small.json",
        "--domains",
        "os",
        "--model",
        MODEL,
        "--num-envs",
        "2",
        "--results",
        tmp_path / "results",
        "--cache-dir",
        tmp_path / "cache",
    ]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    run_dir = run_folder(tmp_path / "results", MODEL)
    assert len(list(run_dir.glob("os/*/result.txt"))) == 4
    assert (run_dir / "report.md").is_file() and (run_dir / "report.json").is_file()
    assert "ours" in result.output and "published" in result.output

    again = invoke(*args)
    assert again.exit_code == 2 and "--resume" in " ".join(again.output.split())
    resumed = invoke(*args, "--resume")
    assert resumed.exit_code == 0 and sum(fakes[1].calls.values()) == 4
    assert fakes[1].agents == {"skills"}  # the default


def test_run_with_the_bare_loop_and_with_an_unknown_agent(
    small_examples: Path, fakes: tuple[Factory, FakeRunOne], tmp_path: Path
) -> None:
    args = ["run", "--examples", small_examples, "--index", "test_small.json", "--domains",
            "os", "--model", MODEL, "--results", tmp_path / "results"]  # fmt: skip
    assert invoke(*args, "--agent", "loop").exit_code == 0
    assert fakes[1].agents == {"loop"}
    unknown = invoke(*args, "--agent", "wizard")
    assert unknown.exit_code == 2 and "no agent named 'wizard'" in unknown.output
    assert "loop, skills" in unknown.output


def test_run_on_a_vm_config(
    small_examples: Path, fakes: tuple[Factory, FakeRunOne], tmp_path: Path
) -> None:
    configs = Path(__file__).resolve().parents[2] / "vm_configs"
    result = invoke(
        "run",
        "--examples",
        small_examples / "examples",
        "--index",
        "test_small.json",
        "--domains",
        "os",
        "--model",
        MODEL,
        "--results",
        tmp_path / "results",
        "--env",
        "vm",
        "--vm-config",
        configs / "local.yaml",
    )
    assert result.exit_code == 0, result.output
    assert sum(fakes[1].calls.values()) == 4


def test_interrupted_run_exits_130_and_resume_finishes_it(
    small_examples: Path, fakes: tuple[Factory, FakeRunOne], tmp_path: Path
) -> None:
    fakes[1].interrupt_at = 2
    args = [
        "run",
        "--examples",
        small_examples,
        "--index",
        "test_small.json",
        "--domains",
        "os",
        "--model",
        MODEL,
        "--results",
        tmp_path / "results",
    ]
    result = invoke(*args)
    assert result.exit_code == 130
    assert "--resume" in " ".join(result.output.split())
    fakes[1].interrupt_at = None
    assert invoke(*args, "--resume").exit_code == 0
    assert len(list(run_folder(tmp_path / "results", MODEL).glob("os/*/result.txt"))) == 4


def test_report_command(tmp_path: Path) -> None:
    run_dir = run_folder(tmp_path, "anthropic:claude-sonnet-4-6")
    folder = run_dir / "chrome" / "t1"
    folder.mkdir(parents=True)
    outcome = task_run.TaskOutcome(task_id="t1", domain="chrome", status=TaskStatus.SETUP_ERROR)
    (folder / "outcome.json").write_text(outcome.model_dump_json())
    result = invoke("report", tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "report.md").is_file() and (tmp_path / "report.json").is_file()
    assert re.search(r"setup error\s+1\s+1", result.output), result.output  # Chrome, Overall

    empty = tmp_path / "empty"
    empty.mkdir()
    result = invoke("report", empty)
    assert result.exit_code == 2 and "no OSWorld results" in result.output
