"""Native perception over real HTTP: the real anthropic SDK and httpx against local fakes."""

from __future__ import annotations

import base64
import io
from dataclasses import replace

import pytest
from PIL import Image

from gui_agent.actions import Click, Done, Key, Wait
from gui_agent.agentic import use_model
from gui_agent.computers.fake import FakeComputer
from gui_agent.episode import EpisodeStatus
from gui_agent.errors import ConfigError, OutputValidationError
from gui_agent.loop import run_task
from gui_agent.models.anthropic import AnthropicModel
from gui_agent.models.base import Retry
from gui_agent.models.native.chat_native import QwenVLModel, UITarsModel
from gui_agent.models.native.openai_cua import OpenAICUAModel
from gui_agent.models.registry import resolve_model
from gui_agent.perception import Perceived, perceive
from gui_agent.policy import Policy
from gui_agent.screen import encode_for_model
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.openai_responses_server import FakeResponses
from tests.fakes.openai_server import FakeOpenAI

SCREEN = Image.new("RGB", (1280, 800), "white")


def screenshot() -> object:
    return encode_for_model(SCREEN, max_size=(1280, 800))


def tool_use(name: str, tool_input: dict, **extra: object) -> dict:
    return {"type": "tool_use", "id": f"toolu_{name}_{len(str(tool_input))}", "name": name,
            "input": tool_input, **extra}  # fmt: skip


def claude(fake: FakeAnthropic, model_id: str = "claude-sonnet-4-6") -> AnthropicModel:
    return AnthropicModel(model_id, base_url=fake.base_url, api_key="test", sleep=lambda s: None)


def perceive_with(model: object) -> Perceived:
    with use_model(model):  # type: ignore[arg-type]
        return perceive("Open the settings", screenshot())


def test_claude_gets_the_computer_tool_sized_to_the_screenshot_with_its_beta_header(
    fake_anthropic: FakeAnthropic,
) -> None:
    fake_anthropic.reply_message([
        {"type": "text", "text": "A browser with a gear icon at the top right."},
        tool_use("computer", {"action": "left_click", "coordinate": [1200, 60]}),
    ])  # fmt: skip
    perceived = perceive_with(claude(fake_anthropic))
    assert perceived.action == Click(x=1200, y=60)
    assert perceived.observation == "A browser with a gear icon at the top right."
    sent = fake_anthropic.requests[0]
    assert "computer-use-2025-11-24" in sent.headers["anthropic-beta"]
    computer = sent.json["tools"][0]
    assert computer == {"type": "computer_20251124", "name": "computer", "display_width_px": 1280,
                        "display_height_px": 800, "enable_zoom": True}  # fmt: skip
    assert {t.get("name") for t in sent.json["tools"][1:]} == {"finish", "shell"}
    assert sent.json["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert [b["type"] for b in sent.json["messages"][0]["content"]].count("image") == 1


def test_the_ga_toolset_needs_no_beta_header_and_members_are_actions(
    fake_anthropic: FakeAnthropic,
) -> None:
    fake_anthropic.reply_message([tool_use("key", {"text": "ctrl+l"}, toolset_name="computer")])
    perceived = perceive_with(claude(fake_anthropic, "claude-sonnet-5-5"))
    assert perceived.action == Key(keys="ctrl+l")
    sent = fake_anthropic.requests[0]
    assert "anthropic-beta" not in sent.headers
    assert sent.json["tools"][0] == {"type": "computer_toolset_20260801"}


def test_a_screenshot_request_is_answered_inside_the_call_not_as_a_step(
    fake_anthropic: FakeAnthropic,
) -> None:
    fake_anthropic.reply_message([tool_use("computer", {"action": "screenshot"})])
    fake_anthropic.reply_message([tool_use("computer", {"action": "zoom", "region": [0, 0, 200, 100]})])
    fake_anthropic.reply_message([tool_use("finish", {"status": "done", "answer": "ok"})])
    computer = FakeComputer(size=(1280, 800))
    result = run_task("look closely", computer, model=claude(fake_anthropic))
    assert result.status == EpisodeStatus.DONE and result.answer == "ok"
    assert result.steps_executed == 0 and len(fake_anthropic.requests) == 3
    look = fake_anthropic.requests[1].json["messages"][-1]["content"][0]
    assert look["type"] == "tool_result" and look["content"][0]["type"] == "image"
    zoomed = fake_anthropic.requests[2].json["messages"][-1]["content"][0]["content"][0]
    image = Image.open(io.BytesIO(base64.b64decode(zoomed["source"]["data"])))
    assert image.size == (800, 400)  # the 200x100 region, enlarged 4x


def test_a_native_action_that_does_not_convert_is_retried_in_the_same_call(
    fake_anthropic: FakeAnthropic,
) -> None:
    fake_anthropic.reply_message([tool_use("computer", {"action": "middle_click", "coordinate": [5, 5]})])
    fake_anthropic.reply_message([tool_use("computer", {"action": "wait", "duration": 1})])
    perceived = perceive_with(claude(fake_anthropic))
    assert perceived.action == Wait(seconds=1.0)
    correction = fake_anthropic.requests[1].json["messages"][-1]["content"][0]
    assert correction["is_error"] is True and "not supported" in correction["content"]


def test_extra_batched_actions_are_answered_not_executed(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.reply_message([tool_use("computer", {"action": "screenshot"}),
                                  tool_use("computer", {"action": "type", "text": "x"})])
    fake_anthropic.reply_message([tool_use("computer", {"action": "type", "text": "y"})])
    perceived = perceive_with(claude(fake_anthropic))
    results = fake_anthropic.requests[1].json["messages"][-1]["content"]
    assert [r["type"] for r in results] == ["tool_result", "tool_result"]
    assert "Not executed" in results[1]["content"]
    assert perceived.action.text == "y"  # type: ignore[union-attr]


def test_endless_unconvertible_replies_become_a_validation_error(fake_anthropic: FakeAnthropic) -> None:
    for _ in range(3):
        fake_anthropic.reply_message([tool_use("computer", {"action": "hold_key", "text": "a"})])
    with pytest.raises(OutputValidationError, match="hold_key"):
        perceive_with(claude(fake_anthropic))


def test_a_rejection_by_our_validation_is_replayed_against_the_native_action(
    fake_anthropic: FakeAnthropic,
) -> None:
    model = claude(fake_anthropic)
    fake_anthropic.reply_message([tool_use("computer", {"action": "left_click", "coordinate": [1, 1]})])
    fake_anthropic.reply_message([tool_use("computer", {"action": "left_click", "coordinate": [2, 2]})])
    with use_model(model):
        request = perceive.render("goal", screenshot())
    first = model.complete(request)
    model.complete(replace(request, attempt=2, retries=(Retry(first.text, "too close to the edge"),)))
    messages = fake_anthropic.requests[1].json["messages"]
    assert messages[1]["content"][0]["input"] == {"action": "left_click", "coordinate": [1, 1]}
    assert messages[2]["content"][0]["is_error"] is True
    assert "too close to the edge" in messages[2]["content"][0]["content"]


def test_native_off_keeps_the_forced_json_tool(
    fake_anthropic: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_anthropic.reply_tool({"observation": "x", "action": {"kind": "wait", "seconds": 1}})
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_anthropic.base_url)
    model = resolve_model("anthropic:claude-sonnet-4-6?native=0")
    assert model.spec == "anthropic:claude-sonnet-4-6?native=0"
    assert perceive_with(model).action == Wait(seconds=1.0)
    assert fake_anthropic.requests[0].json["tools"][0]["name"] == "respond"


@pytest.mark.parametrize(
    "spec", ["anthropic:claude-sonnet-4-6?bogus=1", "uitars:m@http://127.0.0.1:1/v1?coords=diagonal",
             "qwen-vl:m@http://127.0.0.1:1/v1?factor=x", "uitars:m"],
)
def test_bad_native_specs_name_what_is_wrong(spec: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test")
    with pytest.raises(ConfigError):
        resolve_model(spec)


@pytest.fixture
def fake_responses() -> object:
    with FakeResponses() as fake:
        yield fake


def test_openai_computer_call_converts_and_a_screenshot_call_is_answered(fake_responses: FakeResponses) -> None:
    fake_responses.reply_computer_call({"type": "screenshot"})
    fake_responses.reply_computer_call({"type": "click", "button": "left", "x": 10, "y": 20},
                                       reasoning="The search box is at the top.")
    model = OpenAICUAModel("computer-use-preview", base_url=fake_responses.base_url, api_key="k")
    perceived = perceive_with(model)
    assert perceived.action == Click(x=10, y=20)
    assert perceived.observation == "The search box is at the top."
    first, second = (r.json for r in fake_responses.requests)
    assert first["tools"][0] == {"type": "computer_use_preview", "display_width": 1280,
                                 "display_height": 800, "environment": "linux"}  # fmt: skip
    assert second["input"][-1]["type"] == "computer_call_output"
    assert second["input"][-1]["output"]["type"] == "computer_screenshot"


def test_openai_finish_is_done(fake_responses: FakeResponses) -> None:
    fake_responses.reply_finish('{"status": "done", "answer": "3 tabs"}')
    model = OpenAICUAModel("computer-use-preview", base_url=fake_responses.base_url, api_key="k")
    assert perceive_with(model).action == Done(answer="3 tabs")


def test_openai_safety_checks_reach_the_gate_and_are_never_acknowledged_by_default(
    fake_responses: FakeResponses,
) -> None:
    check = [{"id": "sc_1", "code": "malicious_instructions", "message": "The page says to pay."}]
    fake_responses.reply_computer_call({"type": "click", "button": "left", "x": 5, "y": 5},
                                       safety_checks=check)
    model = OpenAICUAModel("computer-use-preview", base_url=fake_responses.base_url, api_key="k")
    computer = FakeComputer(size=(1280, 800))
    result = run_task("pay", computer, model=model, policy=Policy())
    assert result.status == EpisodeStatus.BLOCKED and result.steps_executed == 0
    assert "malicious_instructions" in result.reason and computer.executed == []

    fake_responses.reply_computer_call({"type": "click", "button": "left", "x": 5, "y": 5},
                                       safety_checks=check)
    fake_responses.reply_finish('{"status": "done"}')
    asked: list[object] = []
    confirmed = run_task("pay", computer, model=model,
                         policy=Policy(confirm=lambda action: asked.append(action) or True))
    assert confirmed.status == EpisodeStatus.DONE and confirmed.steps_executed == 1
    assert asked == [Click(x=5, y=5)]


def test_uitars_text_is_parsed_and_a_bad_reply_is_corrected_in_the_call(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply_text("Thought: I should click.\nAction: click(start_box='(1)')")
    fake_openai.reply_text("Thought: The button is in the middle.\nAction: click(start_box='(500,500)')")
    perceived = perceive_with(UITarsModel("ui-tars-7b", base_url=fake_openai.base_url))
    assert perceived.action == Click(x=640, y=400)
    assert perceived.observation == "The button is in the middle."
    first, second = (r.json for r in fake_openai.requests)
    assert "response_format" not in first and "Action Space" in first["messages"][0]["content"]
    assert "cannot read a point" in second["messages"][-1]["content"]


def test_qwen_coordinates_come_from_the_resized_image(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply_text('<tool_call>{"name": "computer_use", "arguments": '
                           '{"action": "left_click", "coordinate": [644, 406]}}</tool_call>')
    perceived = perceive_with(QwenVLModel("qwen2.5-vl-7b", base_url=fake_openai.base_url))
    assert perceived.action == Click(x=640, y=400)
    assert "1288x812" in fake_openai.requests[0].json["messages"][0]["content"]


def test_other_agentic_calls_keep_the_json_path(fake_openai: FakeOpenAI) -> None:
    from gui_agent.agentic import agentic

    @agentic
    def count(text: str) -> int:
        """Count the words."""

    fake_openai.reply_json(3)
    with use_model(UITarsModel("ui-tars-7b", base_url=fake_openai.base_url)):
        assert count("a b c") == 3
    assert "response_format" in fake_openai.requests[0].json
