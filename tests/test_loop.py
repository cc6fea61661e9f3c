"""The step loop on the in-memory computer: statuses, the 15-step cap, rejections, the guard."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gui_agent.computers.fake import FakeComputer
from gui_agent.episode import EpisodeStatus
from gui_agent.errors import ConfigError, ModelRefusal
from gui_agent.loop import run_task
from gui_agent.models.base import ModelRequest
from gui_agent.models.scripted import FunctionModel, ScriptedModel
from gui_agent.policy import Policy
from gui_agent.trace import TraceWriter, read_records


def act(kind: str, **fields) -> dict:
    return {"observation": "a screen", "action": {"kind": kind, **fields}}


def click(x: int, y: int) -> dict:
    return act("click", x=x, y=y)


def test_done_ends_the_episode_with_the_answer() -> None:
    computer = FakeComputer()
    model = ScriptedModel([click(10, 40), act("type", text="hi"), act("done", answer="42")])
    result = run_task("say 42", computer, model=model)
    assert result.status == EpisodeStatus.DONE
    assert result.answer == "42"
    assert result.steps_executed == 2
    assert [a.kind for a in computer.executed] == ["click", "type"]


def test_fail_ends_the_episode_as_failed_with_the_reason() -> None:
    result = run_task("g", FakeComputer(), model=ScriptedModel([act("fail", reason="no such app")]))
    assert result.status == EpisodeStatus.FAILED
    assert result.reason == "no such app"
    assert result.last_action_was_fail


def test_the_cap_stops_at_15_executed_actions() -> None:
    computer = FakeComputer()
    model = FunctionModel(lambda r: click(10 + len(computer.executed) * 7, 100))
    result = run_task("never done", computer, model=model)
    assert result.status == EpisodeStatus.MAX_STEPS
    assert len(computer.executed) == 15
    assert result.steps_executed == 15
    assert model.requests[-1].prompt.count("- step: click") == 15  # every earlier step, 1 line


def test_after_the_last_allowed_action_the_model_may_still_say_done() -> None:
    computer = FakeComputer()
    model = ScriptedModel([click(10, 40), click(20, 40), act("done")])
    result = run_task("g", computer, model=model, max_steps=2)
    assert result.status == EpisodeStatus.DONE
    assert len(computer.executed) == 2


def test_max_steps_above_15_is_refused() -> None:
    with pytest.raises(ConfigError, match="between 1 and 15"):
        run_task("g", FakeComputer(), model=ScriptedModel([]), max_steps=16)


def test_a_rejected_action_sends_no_event_and_the_reason_reaches_the_next_call() -> None:
    computer = FakeComputer(size=(800, 600))
    model = ScriptedModel([click(5000, 10), act("key", keys="ctrl+nonsense"), act("done")])
    result = run_task("g", computer, model=model)
    assert computer.executed == []
    assert result.status == EpisodeStatus.DONE
    assert result.steps[0].rejected and "outside" in result.steps[0].rejected
    assert "rejected and not executed" in (model.requests[1].parts[-1].text)  # type: ignore[union-attr]
    assert "unknown key" in model.requests[2].prompt


def test_three_rejections_in_a_row_end_the_episode_as_failed() -> None:
    computer = FakeComputer(size=(800, 600))
    result = run_task("g", computer, model=ScriptedModel([click(9000, 9000)] * 3))
    assert result.status == EpisodeStatus.FAILED
    assert "3 rejected actions in a row" in result.reason
    assert computer.executed == []


def test_shell_is_rejected_on_a_computer_that_does_not_allow_it() -> None:
    computer = FakeComputer(allow_shell=False)
    result = run_task("g", computer, model=ScriptedModel([act("shell", command="ls"), act("done")]))
    assert result.steps[0].rejected == "this computer does not allow shell actions"
    assert computer.executed == []


def test_the_same_action_with_no_change_is_reported_then_fails_the_episode() -> None:
    computer = FakeComputer(frozen=True)
    model = ScriptedModel([click(50, 50)] * 6)
    result = run_task("g", computer, model=model)
    assert "ran 3 times in a row with no visible change" in model.requests[3].prompt
    assert "no visible change" not in model.requests[2].parts[-1].text  # type: ignore[union-attr]
    assert result.status == EpisodeStatus.FAILED
    assert result.reason.startswith("stuck:")
    assert len(computer.executed) == 4


def test_model_output_that_never_validates_is_a_model_error() -> None:
    result = run_task("g", FakeComputer(), model=ScriptedModel([{"nonsense": 1}] * 3))
    assert result.status == EpisodeStatus.MODEL_ERROR
    assert "no valid reply after 3 attempts" in result.reason


def test_a_refusal_is_its_own_status() -> None:
    def refuse(request: ModelRequest) -> dict:
        raise ModelRefusal("I can't help with that")

    result = run_task("g", FakeComputer(), model=FunctionModel(refuse))
    assert result.status == EpisodeStatus.REFUSED


def test_a_dead_computer_is_an_env_error_and_the_trace_keeps_what_happened(tmp_path) -> None:
    computer = FakeComputer(fail_after=2)
    trace = TraceWriter(tmp_path)
    model = FunctionModel(lambda r: click(10 + len(computer.executed) * 9, 100))
    result = run_task("g", computer, model=model, trace=trace)
    assert result.status == EpisodeStatus.ENV_ERROR
    steps = [r for r in read_records(tmp_path) if r["event"] == "step"]
    assert [(s["index"], s["executed"]) for s in steps] == [(1, True), (2, True)]
    assert result.steps_executed == 2  # step 2 executed; the capture after it died


def test_ctrl_c_during_an_action_is_interrupted() -> None:
    class Interrupting(FakeComputer):
        def execute(self, action):
            raise KeyboardInterrupt

    result = run_task("g", Interrupting(), model=ScriptedModel([click(1, 30)]))
    assert result.status == EpisodeStatus.INTERRUPTED


def test_an_unconfirmed_consequential_action_is_blocked() -> None:
    computer = FakeComputer(allow_shell=True)
    model = ScriptedModel([act("shell", command="rm notes.txt")])
    result = run_task("g", computer, model=model, policy=Policy(confirm=lambda a: False))
    assert result.status == EpisodeStatus.BLOCKED
    assert computer.executed == []


def test_a_token_budget_ends_the_episode_as_budget_exceeded() -> None:
    computer = FakeComputer()
    model = FunctionModel(lambda r: click(10 + len(computer.executed) * 7, 100))
    result = run_task("g", computer, model=model, max_tokens=3000)
    assert result.status == EpisodeStatus.BUDGET_EXCEEDED
    assert 0 < result.steps_executed < 15


def test_dry_run_executes_nothing() -> None:
    computer = FakeComputer()
    result = run_task("g", computer, model=ScriptedModel([click(10, 40), act("done")]), dry_run=True)
    assert computer.executed == []
    assert result.steps[0].executed  # counted as the step it would have been
    assert result.status == EpisodeStatus.DONE


def test_earlier_steps_reach_the_model_as_one_line_each_and_only_one_image() -> None:
    computer = FakeComputer()
    model = ScriptedModel([click(10, 40), act("type", text="hello"), act("done")])
    run_task("g", computer, model=model)
    last = model.requests[2]
    assert len(last.images) == 1
    assert "- step: click(10, 40)" in last.prompt
    assert "- step: type 'hello'" in last.prompt


def test_result_json_has_what_a_user_needs(tmp_path) -> None:
    result = run_task("g", FakeComputer(), model=ScriptedModel([click(10, 40), act("done")]))
    data = json.loads(result.write(tmp_path).read_text())
    assert data["status"] == "done" and data["steps_executed"] == 1
    assert data["actions"][0]["description"] == "click(10, 40)"
    assert data["usage"]["input_tokens"] > 0 and data["duration_s"] >= 0


replies = st.one_of(
    st.builds(lambda x, y: click(x, y), st.integers(-50, 1400), st.integers(-50, 900)),
    st.builds(lambda t: act("type", text=t), st.text(min_size=0, max_size=5)),
    st.just(act("key", keys="ctrl+a")),
    st.just(act("wait", seconds=0)),
    st.just({"garbage": True}),
    st.just("not json at all"),
    st.just(act("done")),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(replies, min_size=1, max_size=60))
def test_no_sequence_of_model_outputs_executes_more_than_15_actions(outputs) -> None:
    computer = FakeComputer()
    queue = list(outputs)

    def respond(request: ModelRequest):
        return queue.pop(0) if queue else click(300, 300)

    result = run_task("g", computer, model=FunctionModel(respond), settle_timeout=0)
    assert len(computer.executed) <= 15
    assert result.steps_executed == len(computer.executed)
    assert isinstance(result.status, EpisodeStatus)
