"""Learned programs on the real sandbox: learn a run, replay it with no model, heal a changed
page with one model call, then replay the rewritten program with none."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gui_agent.cli import main
from gui_agent.episode import EpisodeStatus
from gui_agent.loop import run_task
from gui_agent.models.scripted import ScriptedModel
from gui_agent.trace import TraceWriter
from skills.learned.learn import learn
from skills.learned.runtime import run_learned
from tests.gui_fixtures import screen_point, wait_until


def reply(kind: str, **fields: Any) -> dict[str, Any]:
    return {"observation": "a form", "action": {"kind": kind, **fields}}


def record_run(sandbox: Any, page: Any, run_dir: Path) -> None:
    name_at, save_at = screen_point(page, "#name"), screen_point(page, "#save")
    model = ScriptedModel([
        reply("click", x=name_at[0], y=name_at[1], target="Name"),
        reply("type", text="Alice"),
        reply("click", x=save_at[0], y=save_at[1], target="Save"),
        reply("done"),
    ])  # fmt: skip
    trace = TraceWriter(run_dir)
    result = run_task("Save the name Alice", sandbox, model=model, trace=trace)
    trace.close()
    result.write(run_dir)
    assert result.status == EpisodeStatus.DONE, result.reason


def saved(page: Any) -> str:
    return str(wait_until(lambda: page.locator("#out").inner_text(), timeout=5))


def test_learn_replay_heal_and_replay_again(sandbox: Any, gui_page: Any, tmp_path: Path) -> None:
    record_run(sandbox, gui_page("learn_v1.html"), tmp_path / "run")
    program = learn(tmp_path / "run", name="save_name", params={"name": "Alice"},
                    into=tmp_path / "learned")  # fmt: skip
    source = program.read_text()
    assert "program.click('Name'" in source and "program.type(name)" in source
    assert "PARAMS = {'name': 'Alice'}" in source and "VERSIONS = {'perceive':" in source

    # The same page: every step grounds and verifies, no model at all.
    page = gui_page("learn_v1.html")
    result = run_learned(None, sandbox, program=str(program), params={"name": "Bob"},
                         model=ScriptedModel([]))  # fmt: skip
    assert result.status == EpisodeStatus.DONE, result.reason
    assert result.model_calls == 0 and result.steps_executed == 3
    assert saved(page) == "Saved: Bob"
    assert result.goal == "Save the name Bob"
    assert "3 steps from code, 0 needed the model" in result.reason

    # The button was renamed and moved: one model call heals that step, the file is rewritten.
    page = gui_page("learn_v2.html")
    store_at = screen_point(page, "#save")
    healer = ScriptedModel([reply("click", x=store_at[0], y=store_at[1], target="Store")])
    result = run_learned(None, sandbox, program=str(program), params={"name": "Cy"},
                         model=healer)  # fmt: skip
    assert result.status == EpisodeStatus.DONE, result.reason
    assert result.model_calls == 1 and saved(page) == "Saved: Cy"
    assert "2 steps from code, 1 needed the model (step 3)" in result.reason
    rewritten = program.read_text()
    assert "program.click('Store'" in rewritten and "HEALED = (" in rewritten

    # The rewritten program replays the changed page with no model.
    page = gui_page("learn_v2.html")
    result = run_learned(None, sandbox, program=str(program), params={"name": "Di"},
                         model=ScriptedModel([]))  # fmt: skip
    assert result.status == EpisodeStatus.DONE and result.model_calls == 0
    assert saved(page) == "Saved: Di"


def test_a_step_nobody_can_do_fails_the_run_and_keeps_the_program(
    sandbox: Any, gui_page: Any, tmp_path: Path
) -> None:
    record_run(sandbox, gui_page("learn_v1.html"), tmp_path / "run")
    program = learn(tmp_path / "run", name="save_name", into=tmp_path)
    before = program.read_text()
    gui_page("learn_v2.html")
    result = run_learned(None, sandbox, program=str(program),
                         model=ScriptedModel([reply("fail", reason="no save button")]))  # fmt: skip
    assert result.status != EpisodeStatus.DONE
    assert "could not be repaired" in result.reason
    assert program.read_text() == before


def test_learn_refuses_what_it_cannot_learn(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "result.json").write_text(json.dumps({"goal": "g", "status": "max_steps", "actions": []}))
    runner = CliRunner()
    failed = runner.invoke(main, ["learn", str(run), "--name", "x"])
    assert failed.exit_code == 2 and "only a run that ended 'done'" in failed.output
    bad_name = runner.invoke(main, ["learn", str(run), "--name", "Bad-Name"])
    assert bad_name.exit_code == 2 and "lowercase" in bad_name.output
    (run / "result.json").write_text(json.dumps({"goal": "g", "status": "done", "actions": [
        {"index": 1, "executed": True, "action": {"kind": "type", "text": "hello"},
         "screen_changed": True}]}))  # fmt: skip
    unknown = runner.invoke(main, ["learn", str(run), "--name", "x", "--param", "who=bob",
                                   "--into", str(tmp_path)])  # fmt: skip
    assert unknown.exit_code == 2 and "--param who" in unknown.output
    ok = runner.invoke(main, ["learn", str(run), "--name", "greet", "--param", "who=hello",
                              "--into", str(tmp_path)])  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert "program.type(who)" in (tmp_path / "greet.py").read_text()


def test_run_learned_names_a_missing_program_and_unknown_parameters(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(main, ["run", "--learned", str(tmp_path / "nope.py"), "--env", "fake"])
    assert missing.exit_code == 2 and "no learned program" in missing.output
    stray = runner.invoke(main, ["run", "do it", "--param", "a=b", "--env", "fake"])
    assert stray.exit_code == 2 and "--param is for --learned" in stray.output


@pytest.mark.parametrize("pair", ["novalue", "=x"])
def test_a_malformed_param_is_a_usage_error(pair: str) -> None:
    result = CliRunner().invoke(main, ["run", "--learned", "x", "--param", pair, "--env", "fake"])
    assert result.exit_code == 2 and "KEY=VALUE" in result.output
