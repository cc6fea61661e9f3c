"""An eval run stops starting tasks when the provider refuses the key or the spend limit is hit.

Real anthropic SDK over HTTP to the local fake provider, real `run_one_task` on the fake in-VM
server (no display): through `run_benchmark` and through `gui-agent osworld run`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gui_agent.computers.vm import VMComputer
from gui_agent.models.anthropic import AnthropicModel
from osworld_eval import cli
from osworld_eval.results import load_outcome, run_folder
from osworld_eval.runner import RunProgress, run_benchmark
from osworld_eval.server_api import ServerAPI
from osworld_eval.task_run import TaskEnvironment, TaskOutcome, TaskStatus
from osworld_eval.tasks import Task
from osworld_eval.vm_env import VMEvalEnv
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.vm_server import FakeVMServer
from tests.osworld.test_runner import Factory, make_tasks, write_like_task_run

CHECK = "cat ~/Desktop/answer.txt"
SPEND_LIMIT = "You have reached your specified API usage limits. Regain access on 2026-12-01."
CLI_MODEL = "anthropic:claude-sonnet-4-6"


def answer_yes(payload: dict[str, Any]) -> dict[str, Any]:
    output = "yes\n" if payload.get("command") == CHECK else ""
    return {"status": "success", "output": output, "error": "", "returncode": 0}


def task_spec(n: int) -> dict[str, Any]:
    return {
        "id": f"task-{n}",
        "instruction": f"say yes {n}",
        "config": [],
        "evaluator": {
            "func": "exact_match",
            "result": {"type": "vm_command_line", "command": CHECK, "shell": True},
            "expected": {"type": "rule", "rules": {"expected": "yes\n"}},
        },
    }


def tasks(count: int) -> list[Task]:
    made = [Task.model_validate(task_spec(n)) for n in range(count)]
    for task in made:
        task.domain = "os"
    return made


@pytest.fixture
def server() -> Iterator[FakeVMServer]:
    with FakeVMServer(size=(800, 600), on_execute=answer_yes) as started:
        yield started


@dataclass(frozen=True)
class VMFactory:
    """Fresh clients of the fake in-VM server for every environment the runner asks for
    (a picklable factory: `osworld run` sends it to its worker processes)."""

    url: str
    cache_dir: Path

    def __call__(self) -> TaskEnvironment:
        computer = VMComputer(self.url, retries=0)
        api = ServerAPI(self.url, retries=0)
        eval_env = VMEvalEnv(computer, api=api, cache_dir=self.cache_dir)
        return TaskEnvironment(computer=computer, eval_env=eval_env, base_url=self.url, api=api)


def spend_limit(fake: FakeAnthropic) -> None:
    fake.reply_status(429, message=SPEND_LIMIT, headers={"retry-after": "0"})


def done(fake: FakeAnthropic) -> None:
    fake.reply_tool({"observation": "a desktop", "action": {"kind": "done"}})


def test_spend_limit_stops_run_benchmark_and_resume_finishes_it(
    server: FakeVMServer, fake_anthropic: FakeAnthropic, tmp_path: Path
) -> None:
    todo = tasks(5)
    done(fake_anthropic)  # task-0 finishes and is scored
    spend_limit(fake_anthropic)  # task-1 meets the spend limit
    model = AnthropicModel(base_url=fake_anthropic.base_url, native=False, max_retries=3)
    seen: list[RunProgress] = []

    def run(*, resume: bool) -> list[TaskOutcome]:
        return run_benchmark(todo, environment_factory=VMFactory(server.url, tmp_path / "cache"),
                             model=model, results_root=tmp_path / "results",
                             cache_dir=tmp_path / "cache", resume=resume, on_progress=seen.append)  # fmt: skip

    outcomes = run(resume=False)

    assert [(o.task_id, o.status) for o in outcomes] == [
        ("task-0", TaskStatus.SCORED),
        ("task-1", TaskStatus.MODEL_ERROR),
    ]
    assert len(fake_anthropic.requests) == 2, "the spend limit is not retried, no task after it"
    run_dir = run_folder(tmp_path / "results", model.spec)
    written = json.loads((run_dir / "os" / "task-1" / "outcome.json").read_text())
    assert written["error_kind"] == "model_auth" and "usage limits" in written["message"]
    assert sorted(p.name for p in (run_dir / "os").iterdir()) == ["task-0", "task-1"]
    assert (seen[-1].stopped_by, seen[-1].not_started, seen[-1].running) == ("model_auth", 3, 0)

    for _ in range(4):  # the limit is lifted: resume runs task-1..4, task-0 stays as it was
        done(fake_anthropic)
    resumed = run(resume=True)
    assert [o.status for o in resumed] == [TaskStatus.SCORED] * 5
    assert len(fake_anthropic.requests) == 6 and seen[-1].stopped_by is None
    assert load_outcome(run_dir / "os" / "task-0", domain="os", task_id="task-0") == outcomes[0]


def test_running_tasks_finish_after_the_stop(tmp_path: Path) -> None:
    """Two workers: one task meets the limit while the other is running; that one finishes."""
    other_started, stop_recorded = threading.Event(), threading.Event()
    ran: list[str] = []

    def run_one(task, environment, *, model, max_steps, result_dir, cache_dir):  # noqa: ANN001, ANN202
        ran.append(task.id)
        if task.id == "task-00":
            assert other_started.wait(5)
            outcome = TaskOutcome(task_id=task.id, domain=task.domain, status="model_error",
                                  error_kind="model_auth", message="spend limit")  # fmt: skip
            return write_like_task_run(outcome, result_dir)
        other_started.set()
        assert stop_recorded.wait(5), "the stop was not reported while this task ran"
        outcome = TaskOutcome(task_id=task.id, domain=task.domain, status="scored", score=1.0)
        return write_like_task_run(outcome, result_dir)

    def on_progress(p: RunProgress) -> None:
        if p.stopped_by is not None:
            stop_recorded.set()

    outcomes = run_benchmark(make_tasks(6), environment_factory=Factory(), model="scripted:x",
                             results_root=tmp_path / "r", cache_dir=tmp_path / "c",
                             run_one=run_one, num_envs=2, on_progress=on_progress)  # fmt: skip
    assert sorted(ran) == ["task-00", "task-01"]
    assert {o.task_id: o.status for o in outcomes} == {
        "task-00": TaskStatus.MODEL_ERROR,
        "task-01": TaskStatus.SCORED,
    }


def write_examples(root: Path, count: int) -> Path:
    """`count` offline tasks in OSWorld's layout, with an index naming them."""
    (root / "examples" / "os").mkdir(parents=True)
    for n in range(count):
        (root / "examples" / "os" / f"task-{n}.json").write_text(json.dumps(task_spec(n)))
    (root / "test_small.json").write_text(json.dumps({"os": [f"task-{n}" for n in range(count)]}))
    return root


@pytest.fixture
def cli_run(
    server: FakeVMServer,
    fake_anthropic: FakeAnthropic,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., Any]:
    """`osworld run` over 4 offline tasks on the fake VM server, the model at the fake provider;
    worker processes (the default) reach both over HTTP."""
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_anthropic.base_url)
    factory = VMFactory(server.url, tmp_path / "cache")
    monkeypatch.setattr(cli, "environment_factory", lambda config, *, cache_dir: factory)
    examples = write_examples(tmp_path / "evaluation_examples", 4)

    def invoke(*extra: str) -> Any:
        args = ["run", "--examples", str(examples), "--index", "test_small.json", "--domains",
                "os", "--model", f"{CLI_MODEL}?native=0", "--agent", "loop", "--results",
                str(tmp_path / "results"), "--cache-dir", str(tmp_path / "cache"), *extra]  # fmt: skip
        return CliRunner().invoke(cli.osworld, args, catch_exceptions=False)

    return invoke


def test_cli_stops_on_the_spend_limit_exits_4_and_resume_finishes(
    cli_run: Callable[..., Any], fake_anthropic: FakeAnthropic, tmp_path: Path
) -> None:
    spend_limit(fake_anthropic)
    result = cli_run()
    output = " ".join(result.output.split())
    assert result.exit_code == cli.STOPPED_EXIT == 4, result.output
    assert "stopped early" in output and "spend limit" in output
    assert "3 task(s) not started" in output and "--resume" in output
    assert "ANTHROPIC_API_KEY" in output, "the provider's message says what to check"
    assert len(fake_anthropic.requests) == 1
    run_dir = next((tmp_path / "results").glob("pyautogui/screenshot/*"))
    assert [p.name for p in (run_dir / "os").iterdir()] == ["task-0"]

    for _ in range(4):
        done(fake_anthropic)
    resumed = cli_run("--resume")
    assert resumed.exit_code == 0, resumed.output
    assert len(list(run_dir.glob("os/*/result.txt"))) == 4


def test_cli_exits_3_when_no_task_could_be_scored(
    cli_run: Callable[..., Any], fake_anthropic: FakeAnthropic, tmp_path: Path
) -> None:
    """Nothing scripted: the fake answers 400 to every call (a model error, not a stop)."""
    result = cli_run()
    assert result.exit_code == cli.NOTHING_SCORED_EXIT == 3, result.output
    assert "nothing scored" in result.output
    assert len(fake_anthropic.requests) == 4, "a plain model error does not stop the run"
