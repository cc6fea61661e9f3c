"""A 15-step episode through each native path on the real sandbox (Xvfb, Chromium, XTest).

The fake model of each family clicks the page's button 15 times in its own format and then
finishes; the page counts the clicks it received.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from gui_agent.episode import EpisodeStatus
from gui_agent.loop import run_task
from gui_agent.models.anthropic import AnthropicModel
from gui_agent.models.native.chat_native import QwenVLModel, UITarsModel
from gui_agent.models.native.openai_cua import OpenAICUAModel
from gui_agent.models.native.resize import smart_resize
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.openai_responses_server import FakeResponses
from tests.fakes.openai_server import FakeOpenAI
from tests.gui_fixtures import screen_point

SCREEN = (1280, 800)


def _claude(point: tuple[int, int]) -> tuple[Any, Callable[[Any], None], Callable[[Any], None]]:
    def click(fake: FakeAnthropic) -> None:
        fake.reply_message([{"type": "tool_use", "id": "t", "name": "computer",
                             "input": {"action": "left_click", "coordinate": list(point)}}])  # fmt: skip

    def finish(fake: FakeAnthropic) -> None:
        fake.reply_message([{"type": "tool_use", "id": "f", "name": "finish",
                             "input": {"status": "done", "answer": "clicked"}}])  # fmt: skip

    return FakeAnthropic(), click, finish


def _openai(point: tuple[int, int]) -> tuple[Any, Callable[[Any], None], Callable[[Any], None]]:
    def click(fake: FakeResponses) -> None:
        fake.reply_computer_call({"type": "click", "button": "left", "x": point[0], "y": point[1]})

    return FakeResponses(), click, lambda fake: fake.reply_finish('{"status": "done"}')


def _uitars(point: tuple[int, int]) -> tuple[Any, Callable[[Any], None], Callable[[Any], None]]:
    grid = (round(point[0] * 1000 / SCREEN[0]), round(point[1] * 1000 / SCREEN[1]))

    def click(fake: FakeOpenAI) -> None:
        fake.reply_text(f"Thought: press it\nAction: click(start_box='({grid[0]},{grid[1]})')")

    return FakeOpenAI(), click, lambda fake: fake.reply_text("Action: finished(content='ok')")


def _qwen(point: tuple[int, int]) -> tuple[Any, Callable[[Any], None], Callable[[Any], None]]:
    width, height = smart_resize(*SCREEN)
    native = [round(point[0] * width / SCREEN[0]), round(point[1] * height / SCREEN[1])]

    def call(arguments: dict[str, Any]) -> str:
        return f"<tool_call>{json.dumps({'name': 'computer_use', 'arguments': arguments})}</tool_call>"

    def click(fake: FakeOpenAI) -> None:
        fake.reply_text(call({"action": "left_click", "coordinate": native}))

    return FakeOpenAI(), click, lambda fake: fake.reply_text(call({"action": "terminate", "status": "success"}))


def _model(family: str, fake: Any) -> Any:
    match family:
        case "claude":
            return AnthropicModel("claude-sonnet-4-6", base_url=fake.base_url, api_key="test")
        case "openai-cua":
            return OpenAICUAModel("computer-use-preview", base_url=fake.base_url, api_key="k")
        case "uitars":
            return UITarsModel("ui-tars-7b", base_url=fake.base_url)
        case _:
            return QwenVLModel("qwen2.5-vl-7b", base_url=fake.base_url)


SCRIPTS = {"claude": _claude, "openai-cua": _openai, "uitars": _uitars, "qwen-vl": _qwen}


@pytest.mark.parametrize("family", sorted(SCRIPTS))
def test_fifteen_native_clicks_reach_the_page(family: str, sandbox: Any, gui_page: Any) -> None:
    page = gui_page("pointer.html")
    point = screen_point(page, "#button")
    fake, click, finish = SCRIPTS[family](point)
    with fake:
        for _ in range(15):
            click(fake)
        finish(fake)
        result = run_task("Press the button 15 times", sandbox, model=_model(family, fake))
        assert fake.pending == 0
    assert result.status == EpisodeStatus.DONE, result.reason
    assert result.steps_executed == 15
    assert page.locator("#button").inner_text() == "clicked 15"
