"""skills.base and skills.router: skill steps share the episode's budget and step list; hand-off.

A tiny test skill (run through `solve` by patching the router's entry lookup) runs commands,
asks one scoped question, and hands the rest to the step loop.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gui_agent import context as ctx
from gui_agent.actions import Click
from gui_agent.agentic import agentic
from gui_agent.computers.fake import FakeComputer
from gui_agent.episode import EpisodeStatus
from gui_agent.errors import ActionRejected, BudgetExceeded
from gui_agent.models.base import ModelRequest
from gui_agent.models.scripted import FunctionModel, ScriptedModel
from gui_agent.trace import TraceWriter, read_records
from skills import router
from skills.base import SkillResult, SkillStatus, act, observe, run_command, run_script
from skills.router import solve


@agentic
def pick_a_command(listing: str) -> str:
    """SUBCALL-MARKER: choose the command that lists the folder best."""


def listing_skill(commands: int, *, status: SkillStatus = SkillStatus.HANDOFF):
    def run(goal: str, computer, *, params) -> SkillResult:
        with ctx.frame("test.list", arguments={"goal": goal}) as node:
            observe("screen", "nothing to see")
            chosen = pick_a_command("a b c")
            for _ in range(commands):
                run_command(computer, chosen, why="list the folder")
            act(computer, Click(x=10, y=10), why="focus")
            node.summary = f"listed the folder with {chosen!r} {commands} times"
        return SkillResult(status, node.summary, answer="3 files")

    return run


@pytest.fixture
def os_skill(monkeypatch):
    def install(entry) -> None:
        monkeypatch.setattr(router, "_optional_entry", lambda module, fn: entry)

    return install


def respond_with(loop_actions: list[dict], route: dict | None = None):
    """A model answering the router, the test skill's question, then the loop's perceptions."""
    queue = list(loop_actions)

    def respond(request: ModelRequest):
        if request.function == "route_goal":
            return route or {"kind": "os", "task": "list the folder"}
        if request.function == "pick_a_command":
            return "ls -1"
        return queue.pop(0)

    return FunctionModel(respond)


def loop_step(kind: str, **fields) -> dict:
    return {"observation": "a screen", "action": {"kind": kind, **fields}}


def test_skill_steps_are_episode_steps_with_their_source(os_skill, tmp_path: Path) -> None:
    os_skill(listing_skill(2, status=SkillStatus.DONE))
    computer = FakeComputer(allow_shell=True)
    trace = TraceWriter(tmp_path)
    result = solve("list my home folder", computer, model=respond_with([]), trace=trace)
    trace.close()
    assert result.status == EpisodeStatus.DONE and result.answer == "3 files"
    assert result.agent == "skills" and result.model_calls == 2
    assert computer.shell_commands == ["ls -1", "ls -1"]
    assert result.steps_executed == 3
    assert [s.source for s in result.steps] == ["test.list"] * 3 + ["os"]
    assert [s.action["kind"] for s in result.steps] == ["shell", "shell", "click", "done"]
    records = read_records(tmp_path)
    steps = [r for r in records if r["event"] == "step"]
    assert [s["source"] for s in steps] == ["test.list"] * 3
    assert [r["what"] for r in records if r["event"] == "observe"] == ["screen"]
    saved = json.loads(result.write(tmp_path).read_text())
    assert saved["agent"] == "skills" and saved["steps_executed"] == 3


def test_a_later_perception_sees_the_skill_summary_not_its_sub_calls(os_skill) -> None:
    os_skill(listing_skill(1))
    model = respond_with([loop_step("done", answer="ok")])
    result = solve("list my home folder", FakeComputer(allow_shell=True), model=model)
    assert result.status == EpisodeStatus.DONE
    perceive = [r for r in model.requests if r.function == "perceive"]
    assert len(perceive) == 1
    prompt = perceive[0].prompt
    assert "listed the folder with 'ls -1' 1 times" in prompt
    assert "SUBCALL-MARKER" not in prompt and "pick_a_command" not in prompt
    assert "shell 'ls -1'" not in prompt  # the skill's own steps stay inside its frame
    subcall = next(r for r in model.requests if r.function == "pick_a_command")
    assert "route: os" in subcall.prompt  # a sub-call sees its ancestors' returned lines


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(skill_steps=st.integers(0, 18), loop_clicks=st.integers(0, 18),
       max_steps=st.integers(1, 15))  # fmt: skip
def test_skill_and_loop_share_one_budget(skill_steps: int, loop_clicks: int,
                                         max_steps: int) -> None:  # fmt: skip
    computer = FakeComputer(allow_shell=True)

    def skill(goal, computer, *, params) -> SkillResult:
        for n in range(skill_steps):
            run_command(computer, f"echo {n}")
        return SkillResult(SkillStatus.HANDOFF, f"ran {skill_steps} commands")

    clicks = [loop_step("click", x=10 + i, y=40) for i in range(loop_clicks)]
    model = respond_with([*clicks, loop_step("done")])
    original = router._optional_entry
    router._optional_entry = lambda module, fn: skill  # type: ignore[assignment]
    try:
        result = solve("g", computer, model=model, max_steps=max_steps)
    finally:
        router._optional_entry = original  # type: ignore[assignment]
    executed = len(computer.shell_commands) + len(computer.executed)
    assert executed == result.steps_executed <= max_steps
    if skill_steps + loop_clicks <= max_steps:
        assert result.status == EpisodeStatus.DONE and executed == skill_steps + loop_clicks
    else:
        assert result.status == EpisodeStatus.MAX_STEPS and executed == max_steps
    assert len(computer.shell_commands) == min(skill_steps, max_steps)


def test_a_command_past_the_budget_is_not_run() -> None:
    computer = FakeComputer(allow_shell=True)
    with ctx.frame("episode", budget=ctx.Budget(max_actions=1)):
        run_command(computer, "true")
        with pytest.raises(BudgetExceeded):
            run_script(computer, "print(1)")
    assert computer.shell_commands == ["true"]


def test_infeasible_answers_fail_with_the_reason() -> None:
    model = ScriptedModel([{"kind": "infeasible", "reason": "Chrome has no such setting"}])
    computer = FakeComputer()
    result = solve("turn on the teleporter in Chrome", computer, model=model)
    assert result.status == EpisodeStatus.FAILED
    assert result.reason == "Chrome has no such setting" and result.last_action_was_fail
    assert computer.executed == [] and result.steps_executed == 0


def test_a_missing_skill_module_falls_back_to_the_loop(monkeypatch) -> None:
    monkeypatch.setattr(router, "_optional_entry", lambda module, fn: None)
    model = ScriptedModel([{"kind": "chrome", "task": "open history"},
                           loop_step("key", keys="ctrl+h"), loop_step("done")])  # fmt: skip
    result = solve("open the history page", FakeComputer(), model=model)
    assert result.status == EpisodeStatus.DONE and result.steps_executed == 1
    assert [s.source for s in result.steps] == ["loop", "loop"]


def test_a_skill_module_that_does_not_exist_is_none() -> None:
    assert router._optional_entry("skills.no_such_skill", "run") is None


def test_a_refused_skill_action_hands_off_to_the_loop(os_skill) -> None:
    def skill(goal, computer, *, params) -> SkillResult:
        act(computer, Click(x=99999, y=5))
        raise AssertionError("not reached")

    os_skill(skill)
    computer = FakeComputer()
    model = respond_with([loop_step("done")])
    result = solve("g", computer, model=model)
    assert result.status == EpisodeStatus.DONE and computer.executed == []
    perceive = next(r for r in model.requests if r.function == "perceive")
    assert "an action was refused" in perceive.prompt


class FilesComputer(FakeComputer):
    """A fake computer whose files are a local folder (HasFiles)."""

    def read_file(self, path: str) -> bytes:
        return Path(path).read_bytes()

    def write_file(self, path: str, data: bytes) -> None:
        Path(path).write_bytes(data)


def test_the_router_sees_the_named_files_and_the_known_settings(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["Region", "Units"])
    book.save(tmp_path / "units.xlsx")
    model = ScriptedModel([{"kind": "infeasible", "reason": "test"}])
    solve(f"Sum the Units in {tmp_path}/units.xlsx", FilesComputer(), model=model)
    (request,) = model.requests
    assert "Region" in request.prompt and "units.xlsx" in request.prompt
    assert "enable_do_not_track" in request.prompt  # the chrome skill's settings catalogue


def test_the_skills_package_exports_what_it_documents() -> None:
    import skills

    public = {n for n in vars(skills) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(skills, n)).__name__ == "module"}
    assert public - modules == set(skills.__all__)


def test_the_router_prompt_names_the_closed_set_and_its_output_is_typed() -> None:
    from skills.router import route_goal
    from skills.routes import OsParams

    request = route_goal.render("g", "run shell commands", ["enable_do_not_track (cookies)"], "[]")
    for kind in ("chrome", "forms", "os", "multi_app", "generic", "infeasible"):
        assert f"- {kind}:" in request.prompt
    kinds = {option["properties"]["kind"]["const"]
             for option in request.output_schema["$defs"].values()
             if "kind" in option.get("properties", {}) and "const" in option["properties"]["kind"]}
    assert {"chrome", "forms", "os", "multi_app", "generic", "infeasible"} <= kinds
    assert OsParams(task="t").proposal is None


def test_a_script_is_not_refused_for_a_word_in_its_text() -> None:
    computer = FakeComputer(allow_shell=True)
    run_script(computer, "print('the machine will not halt or reboot')")
    assert len(computer.shell_commands) == 1
    with pytest.raises(ActionRejected):
        run_command(computer, "sudo reboot")
    assert len(computer.shell_commands) == 1
