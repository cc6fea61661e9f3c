"""run_one_task's statuses and result folder, on the fake in-VM server (no display needed)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gui_agent.computers.vm import VMComputer
from gui_agent.models.base import ModelRequest
from gui_agent.models.scripted import FunctionModel, ScriptedModel
from osworld_eval.server_api import ServerAPI
from osworld_eval.task_run import TaskEnvironment, TaskOutcome, TaskStatus, run_one_task
from osworld_eval.tasks import Task
from osworld_eval.vm_env import VMEvalEnv
from tests.fakes.vm_server import FakeVMServer

CHECK = "cat ~/Desktop/answer.txt"


def answer_yes(payload: dict[str, Any]) -> dict[str, Any]:
    outputs = {CHECK: "yes\n", "echo $HOME": "/home/user\n"}
    command = payload.get("command")
    output = outputs.get(command, "") if isinstance(command, str) else ""
    return {"status": "success", "output": output, "error": "", "returncode": 0}


@pytest.fixture
def server() -> Iterator[FakeVMServer]:
    with FakeVMServer(size=(800, 600), on_execute=answer_yes) as started:
        yield started


@pytest.fixture
def environment(server: FakeVMServer, tmp_path: Path) -> Iterator[TaskEnvironment]:
    computer = VMComputer(server.url, retries=0)
    api = ServerAPI(server.url, retries=0)
    env = VMEvalEnv(computer, api=api, cache_dir=tmp_path / "cache")
    environment = TaskEnvironment(computer=computer, eval_env=env, base_url=server.url, api=api)
    yield environment
    environment.close()


def make_task(config: list[dict[str, Any]] | None = None, **evaluator: Any) -> Task:
    spec: dict[str, Any] = {
        "func": "exact_match",
        "result": {"type": "vm_command_line", "command": CHECK, "shell": True},
        "expected": {"type": "rule", "rules": {"expected": "yes\n"}},
    }
    spec.update(evaluator)
    task = Task.model_validate(
        {"id": "t-1", "instruction": "say yes", "config": config or [], "evaluator": spec}
    )
    task.domain = "os"
    return task


def act(kind: str, **fields: Any) -> dict[str, Any]:
    return {"observation": "a screen", "action": {"kind": kind, **fields}}


def run(task: Task, environment: TaskEnvironment, tmp_path: Path, model: Any) -> TaskOutcome:
    return run_one_task(task, environment, model=model, result_dir=tmp_path / "result",
                        cache_dir=tmp_path / "cache")  # fmt: skip


def written(tmp_path: Path) -> dict[str, Any]:
    return json.loads((tmp_path / "result" / "outcome.json").read_text())


def test_a_finished_episode_is_scored_and_result_txt_written_last(
    environment: TaskEnvironment, tmp_path: Path
) -> None:
    model = ScriptedModel([act("key", keys="ctrl+s"), act("done")])
    outcome = run(make_task(), environment, tmp_path, model)
    assert (outcome.status, outcome.score, outcome.episode_status) == ("scored", 1.0, "done")
    assert outcome.steps == 1 and outcome.input_tokens > 0
    result = tmp_path / "result"
    assert (result / "result.txt").read_text() == "1.0\n"
    assert written(tmp_path)["status"] == "scored"
    lines = [json.loads(line) for line in (result / "traj.jsonl").read_text().splitlines()]
    assert [line["step_num"] for line in lines] == [1, 2]
    assert [line["done"] for line in lines] == [False, True]
    assert {"action", "action_timestamp", "reward", "info", "screenshot_file"} <= set(lines[0])
    assert (result / "step_1.png").is_file() and (result / "trace.jsonl").is_file()


def test_a_fail_action_scores_0_unless_the_task_is_infeasible(
    environment: TaskEnvironment, tmp_path: Path
) -> None:
    outcome = run(make_task(), environment, tmp_path, ScriptedModel([act("fail", reason="no")]))
    assert (outcome.status, outcome.score, outcome.episode_status) == ("scored", 0.0, "failed")
    infeasible = make_task(func="infeasible", result=None, expected=None)
    outcome = run(infeasible, environment, tmp_path, ScriptedModel([act("fail", reason="no")]))
    assert (outcome.status, outcome.score) == ("scored", 1.0)


def test_a_setup_failure_is_setup_error_and_leaves_no_result_txt(
    environment: TaskEnvironment, tmp_path: Path
) -> None:
    (tmp_path / "result").mkdir()
    (tmp_path / "result" / "result.txt").write_text("1.0\n")  # from an earlier run
    task = make_task(config=[{"type": "googledrive", "parameters": {}}])
    model = ScriptedModel([])
    outcome = run(task, environment, tmp_path, model)
    assert outcome.status is TaskStatus.SETUP_ERROR and outcome.score is None
    assert "googledrive" in outcome.message
    assert model.requests == []
    assert not (tmp_path / "result" / "result.txt").exists()
    assert written(tmp_path)["status"] == "setup_error"


def test_a_model_failure_is_model_error(environment: TaskEnvironment, tmp_path: Path) -> None:
    outcome = run(make_task(), environment, tmp_path, ScriptedModel([]))
    assert outcome.status is TaskStatus.MODEL_ERROR and outcome.episode_status == "model_error"
    assert not (tmp_path / "result" / "result.txt").exists()


def test_a_users_model_that_raises_is_model_error_naming_it(
    environment: TaskEnvironment, tmp_path: Path
) -> None:
    def respond(request: ModelRequest) -> dict[str, Any]:
        raise KeyError("logits")

    outcome = run(
        make_task(), environment, tmp_path, FunctionModel(respond, name="mine.py:respond")
    )
    reason = "python model mine.py:respond raised KeyError: 'logits'"
    assert (outcome.status, outcome.message) == (TaskStatus.MODEL_ERROR, reason)
    result = json.loads((tmp_path / "result" / "result.json").read_text())
    assert (result["status"], result["reason"]) == ("model_error", reason)


def test_an_evaluator_we_lack_is_unsupported_evaluator(
    environment: TaskEnvironment, tmp_path: Path
) -> None:
    outcome = run(make_task(func="no_such_metric"), environment, tmp_path,
                  ScriptedModel([act("done")]))  # fmt: skip
    assert outcome.status is TaskStatus.UNSUPPORTED_EVALUATOR
    assert "no_such_metric" in outcome.message


def test_a_dead_server_is_env_error(
    server: FakeVMServer, environment: TaskEnvironment, tmp_path: Path
) -> None:
    task = make_task(config=[{"type": "execute", "parameters": {"command": ["true"]}}])
    server.die()
    outcome = run(task, environment, tmp_path, ScriptedModel([act("done")]))
    assert outcome.status is TaskStatus.ENV_ERROR and "setup" in outcome.message


def test_ctrl_c_writes_interrupted_then_reraises(
    environment: TaskEnvironment, tmp_path: Path
) -> None:
    def interrupt(request: ModelRequest) -> Any:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(make_task(), environment, tmp_path, FunctionModel(interrupt))
    assert written(tmp_path)["status"] == "interrupted"
    assert not (tmp_path / "result" / "result.txt").exists()


def test_a_custom_agent_replaces_the_step_loop(
    environment: TaskEnvironment, tmp_path: Path
) -> None:
    from gui_agent.loop import run_task

    seen: list[str] = []

    def agent(task: Task, computer: Any) -> Any:
        seen.append(task.id)
        return run_task(task.instruction, computer, model=ScriptedModel([act("done")]))

    outcome = run_one_task(make_task(), environment, model="unused", agent=agent,
                           result_dir=tmp_path / "result", cache_dir=tmp_path / "cache")  # fmt: skip
    assert seen == ["t-1"] and outcome.score == 1.0
    traj = (tmp_path / "result" / "traj.jsonl").read_text().splitlines()
    assert len(traj) == 1  # written from the episode's steps
