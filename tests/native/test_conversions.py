"""Each model family's native actions convert to exactly the Action a user expects."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gui_agent.actions import parse_action
from gui_agent.models.native import NativeActionError, openai_cua, qwen_vl, uitars
from gui_agent.models.native import claude_computer as cc
from gui_agent.models.native.keys import to_our_keys
from gui_agent.models.native.resize import smart_resize
from gui_agent.perception import Perceived

SIZE = (1280, 800)


def claude(action: str, **fields: object) -> object:
    converted = cc.convert(action, dict(fields), size=SIZE)
    return parse_action(converted) if isinstance(converted, dict) else converted


@pytest.mark.parametrize(
    ("action", "fields", "expected"),
    [
        ("left_click", {"coordinate": [10, 20]}, {"kind": "click", "x": 10, "y": 20}),
        ("right_click", {"coordinate": [5, 6]}, {"kind": "right_click", "x": 5, "y": 6}),
        ("double_click", {"coordinate": [7, 8]}, {"kind": "double_click", "x": 7, "y": 8}),
        ("triple_click", {"coordinate": [9, 1]}, {"kind": "triple_click", "x": 9, "y": 1}),
        ("mouse_move", {"coordinate": [3, 4]}, {"kind": "move", "x": 3, "y": 4}),
        ("left_click_drag", {"start_coordinate": [1, 2], "coordinate": [30, 40]},
         {"kind": "drag", "x": 1, "y": 2, "to_x": 30, "to_y": 40}),
        ("scroll", {"coordinate": [100, 200], "scroll_direction": "down", "scroll_amount": 5},
         {"kind": "scroll", "x": 100, "y": 200, "direction": "down", "amount": 5}),
        ("scroll", {"scroll_direction": "up", "scroll_amount": 2},
         {"kind": "scroll", "x": 640, "y": 400, "direction": "up", "amount": 2}),
        ("type", {"text": "héllo <world>"}, {"kind": "type", "text": "héllo <world>"}),
        ("key", {"text": "ctrl+shift+Escape"}, {"kind": "key", "keys": "ctrl+shift+escape"}),
        ("key", {"text": "Return"}, {"kind": "key", "keys": "enter"}),
        ("key", {"text": "Page_Down"}, {"kind": "key", "keys": "pagedown"}),
        ("key", {"text": "alt+Tab"}, {"kind": "key", "keys": "alt+tab"}),
        ("key", {"text": "BackSpace"}, {"kind": "key", "keys": "backspace"}),
        ("key", {"text": "super"}, {"kind": "key", "keys": "super"}),
        ("wait", {"duration": 2}, {"kind": "wait", "seconds": 2.0}),
    ],
)
def test_every_claude_action_kind_converts(action: str, fields: dict, expected: dict) -> None:
    assert claude(action, **fields) == parse_action(expected)


def test_claude_screenshot_and_zoom_are_observations_not_actions() -> None:
    assert claude("screenshot") == cc.Observe("screenshot")
    assert claude("zoom", region=[0, 0, 100, 50]) == cc.Observe("zoom", (0, 0, 100, 50))


@pytest.mark.parametrize(
    ("action", "fields", "says"),
    [
        ("left_click", {}, "coordinate"),
        ("left_click", {"coordinate": [1, 2], "text": "shift"}, "holding"),
        ("middle_click", {"coordinate": [1, 2]}, "not supported"),
        ("hold_key", {"text": "shift", "duration": 1}, "not supported"),
        ("key", {"text": "ctrl+Hyper_L"}, "unknown key"),
        ("key", {"text": "a", "repeat": 3}, "repeat"),
        ("scroll", {"coordinate": [1, 2], "scroll_direction": "sideways"}, "scroll_direction"),
        ("left_click", {"coordinate": [1]}, "[x, y]"),
        ("zoom", {"region": [5, 5, 5, 9]}, "empty"),
    ],
)
def test_claude_actions_without_a_match_say_why(action: str, fields: dict, says: str) -> None:
    with pytest.raises(NativeActionError, match=says.replace("[", r"\[").replace("]", r"\]")):
        cc.convert(action, fields, size=SIZE)


def test_both_claude_tool_shapes_give_the_same_call() -> None:
    single = cc.native_call("computer", {"action": "left_click", "coordinate": [1, 2]})
    member = cc.native_call("left_click", {"coordinate": [1, 2]})
    assert single == member == ("left_click", {"coordinate": [1, 2]})


def test_finish_tool_is_done_or_fail() -> None:
    assert cc.convert_finish({"status": "done", "answer": "42"}) == {"kind": "done", "answer": "42"}
    assert cc.convert_finish({"status": "fail", "reason": "no such"}) == {
        "kind": "fail", "reason": "no such"}  # fmt: skip
    with pytest.raises(NativeActionError):
        cc.convert_finish({"status": "fail"})


@pytest.mark.parametrize(
    ("model", "tool"),
    [
        ("claude-sonnet-4-6", "computer_20251124"),
        ("claude-opus-4-6", "computer_20251124"),
        ("claude-opus-4-5-20251101", "computer_20251124"),
        ("claude-sonnet-4-5-20250929", "computer_20250124"),
        ("claude-haiku-4-5", "computer_20250124"),
        ("claude-3-7-sonnet-20250219", "computer_20250124"),
        ("claude-sonnet-5-5", "computer_toolset_20260801"),
    ],
)
def test_tool_version_follows_anthropics_table(model: str, tool: str) -> None:
    version = cc.tool_version_for(model)
    assert version.tool_type == tool
    assert (version.beta is None) == version.toolset


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ({"type": "click", "button": "left", "x": 3, "y": 4}, {"kind": "click", "x": 3, "y": 4}),
        ({"type": "click", "button": "right", "x": 3, "y": 4},
         {"kind": "right_click", "x": 3, "y": 4}),
        ({"type": "double_click", "x": 1, "y": 2}, {"kind": "double_click", "x": 1, "y": 2}),
        ({"type": "move", "x": 1, "y": 2}, {"kind": "move", "x": 1, "y": 2}),
        ({"type": "drag", "path": [{"x": 1, "y": 2}, {"x": 5, "y": 5}, {"x": 9, "y": 10}]},
         {"kind": "drag", "x": 1, "y": 2, "to_x": 9, "to_y": 10}),
        ({"type": "scroll", "x": 10, "y": 20, "scroll_x": 0, "scroll_y": 300},
         {"kind": "scroll", "x": 10, "y": 20, "direction": "down", "amount": 3}),
        ({"type": "scroll", "x": 10, "y": 20, "scroll_x": -100, "scroll_y": 0},
         {"kind": "scroll", "x": 10, "y": 20, "direction": "left", "amount": 1}),
        ({"type": "type", "text": "abc"}, {"kind": "type", "text": "abc"}),
        ({"type": "keypress", "keys": ["CTRL", "L"]}, {"kind": "key", "keys": "ctrl+l"}),
        ({"type": "keypress", "keys": ["ArrowLeft"]}, {"kind": "key", "keys": "left"}),
        ({"type": "keypress", "keys": ["ENTER"]}, {"kind": "key", "keys": "enter"}),
        ({"type": "wait"}, {"kind": "wait", "seconds": 2.0}),
    ],
)
def test_every_openai_computer_action_converts(action: dict, expected: dict) -> None:
    assert parse_action(openai_cua.convert_computer_action(action)) == parse_action(expected)


def test_openai_screenshot_is_answered_in_the_call_and_odd_buttons_are_refused() -> None:
    with pytest.raises(openai_cua.ScreenshotRequest):
        openai_cua.convert_computer_action({"type": "screenshot"})
    with pytest.raises(NativeActionError, match="ALT\\+LEFT"):
        openai_cua.convert_computer_action({"type": "click", "button": "back", "x": 1, "y": 1})


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("Thought: open it\nAction: click(start_box='(500,500)')", {"kind": "click", "x": 640, "y": 400}),
        ("Action: left_double(start_box='<|box_start|>(0,0)<|box_end|>')",
         {"kind": "double_click", "x": 0, "y": 0}),
        ("Action: right_single(start_box='(100,200,300,400)')",
         {"kind": "right_click", "x": 256, "y": 240}),
        ("Action: drag(start_box='(0,0)', end_box='(1000,1000)')",
         {"kind": "drag", "x": 0, "y": 0, "to_x": 1279, "to_y": 799}),
        ("Action: hotkey(key='ctrl c')", {"kind": "key", "keys": "ctrl+c"}),
        ("Action: hotkey(key='enter')", {"kind": "key", "keys": "enter"}),
        ("Action: type(content='it\\'s done\\n')", {"kind": "type", "text": "it's done\n"}),
        ("Action: scroll(start_box='(500,500)', direction='down')",
         {"kind": "scroll", "x": 640, "y": 400, "direction": "down", "amount": 5}),
        ("Action: click(point='<point>250 750</point>')", {"kind": "click", "x": 320, "y": 600}),
        ("Action: wait()", {"kind": "wait", "seconds": 5.0}),
        ("Thought: ok\nAction: finished(content='42')", {"kind": "done", "answer": "42"}),
        ("Action: call_user()", {"kind": "fail", "reason": "the model asked for a person to take over"}),
    ],
)
def test_every_uitars_action_converts_on_the_relative_grid(reply: str, expected: dict) -> None:
    action, _ = uitars.parse(reply, size=SIZE, space="relative")
    assert parse_action(action) == parse_action(expected)


@pytest.mark.parametrize(
    "reply", ["Thought: hmm", "Action: click(start_box='(1)')", "Action: fly(to='moon')",
              "Action: click(start_box=x)"],
)
def test_malformed_uitars_replies_say_why(reply: str) -> None:
    with pytest.raises(NativeActionError):
        uitars.parse(reply, size=SIZE, space="relative")


def test_uitars_version_picks_its_coordinate_space() -> None:
    assert uitars.default_space("ui-tars-1.5-7b") == "absolute"
    assert uitars.default_space("UI-TARS-7B-DPO") == "relative"


@pytest.mark.parametrize(
    ("size", "resized"),
    [((1280, 800), (1288, 812)), ((1920, 1080), (1932, 1092)), ((20, 20), (56, 56)),
     ((1024, 640), (1036, 644))],
)
def test_smart_resize_matches_the_processor(size: tuple[int, int], resized: tuple[int, int]) -> None:
    assert smart_resize(*size) == resized


def test_smart_resize_respects_max_pixels() -> None:
    width, height = smart_resize(8000, 5000, max_pixels=1_000_000)
    assert width * height <= 1_000_000 and width % 28 == 0 and height % 28 == 0
    assert abs(width / height - 8000 / 5000) < 0.05


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"action": "left_click", "coordinate": [644, 406]}, {"kind": "click", "x": 640, "y": 400}),
        ({"action": "double_click", "coordinate": [0, 0]}, {"kind": "double_click", "x": 0, "y": 0}),
        ({"action": "triple_click", "coordinate": [1287, 811]},
         {"kind": "triple_click", "x": 1279, "y": 799}),
        ({"action": "right_click", "coordinate": [322, 203]}, {"kind": "right_click", "x": 320, "y": 200}),
        ({"action": "mouse_move", "coordinate": [322, 203]}, {"kind": "move", "x": 320, "y": 200}),
        ({"action": "left_click_drag", "start_coordinate": [0, 0], "coordinate": [644, 406]},
         {"kind": "drag", "x": 0, "y": 0, "to_x": 640, "to_y": 400}),
        ({"action": "key", "keys": ["ctrl", "s"]}, {"kind": "key", "keys": "ctrl+s"}),
        ({"action": "type", "text": "abc"}, {"kind": "type", "text": "abc"}),
        ({"action": "scroll", "pixels": -300}, {"kind": "scroll", "x": 640, "y": 400,
                                                "direction": "down", "amount": 3}),
        ({"action": "wait", "time": 3}, {"kind": "wait", "seconds": 3.0}),
        ({"action": "terminate", "status": "success"}, {"kind": "done", "answer": None}),
        ({"action": "terminate", "status": "failure"}, {"kind": "fail", "reason": "the model gave up"}),
        ({"action": "answer", "text": "Paris"}, {"kind": "done", "answer": "Paris"}),
    ],
)
def test_every_qwen_action_converts_from_the_resized_image(args: dict, expected: dict) -> None:
    reply = f"I will act.\n<tool_call>\n{json.dumps({'name': 'computer_use', 'arguments': args})}\n</tool_call>"
    space = qwen_vl.model_size(SIZE, space="absolute")
    action, thought = qwen_vl.parse(reply, size=SIZE, answer_space=space)
    assert parse_action(action) == parse_action(expected)
    assert thought == "I will act."


def test_qwen_drag_without_a_start_is_refused() -> None:
    reply = '<tool_call>{"name": "computer_use", "arguments": {"action": "left_click_drag", "coordinate": [1, 1]}}</tool_call>'
    with pytest.raises(NativeActionError, match="start_coordinate"):
        qwen_vl.parse(reply, size=SIZE, answer_space=(1288, 812))


screens = st.tuples(st.integers(320, 3840), st.integers(240, 2160))


@given(screens, st.data())
def test_relative_grid_points_land_on_the_pixel_the_grid_names(size: tuple[int, int], data: st.DataObject) -> None:
    gx, gy = data.draw(st.integers(0, 999)), data.draw(st.integers(0, 999))
    action, _ = uitars.parse(f"Action: click(start_box='({gx},{gy})')", size=size, space="relative")
    assert (action["x"], action["y"]) == (min(round(gx * size[0] / 1000), size[0] - 1),
                                          min(round(gy * size[1] / 1000), size[1] - 1))


@given(screens, st.data())
def test_resized_image_points_map_back_to_the_same_screenshot_pixel(size: tuple[int, int], data: st.DataObject) -> None:
    # A model pointing at screenshot pixel (x, y) answers that pixel's position on the resized
    # image; mapping it back must land within one resized pixel, and exactly when sizes agree.
    x, y = data.draw(st.integers(0, size[0] - 1)), data.draw(st.integers(0, size[1] - 1))
    width, height = smart_resize(*size)
    native = (round(x * width / size[0]), round(y * height / size[1]))
    args = {"action": "left_click", "coordinate": list(native)}
    reply = f"<tool_call>{json.dumps({'name': 'computer_use', 'arguments': args})}</tool_call>"
    action, _ = qwen_vl.parse(reply, size=size, answer_space=(width, height))
    assert abs(action["x"] - x) <= max(1, size[0] / width) and abs(action["y"] - y) <= max(1, size[1] / height)


@given(screens, st.data())
def test_claude_and_openai_points_are_screenshot_pixels_exactly(size: tuple[int, int], data: st.DataObject) -> None:
    x, y = data.draw(st.integers(0, size[0] - 1)), data.draw(st.integers(0, size[1] - 1))
    assert cc.convert("left_click", {"coordinate": [x, y]}, size=size) == {"kind": "click", "x": x, "y": y}
    assert openai_cua.convert_computer_action({"type": "click", "button": "left", "x": x, "y": y}) == {
        "kind": "click", "x": x, "y": y}  # fmt: skip


def test_keys_from_every_family_reach_our_names() -> None:
    assert to_our_keys(["Control_L", "Shift", "KP_Enter"]) == "ctrl+shift+enter"
    assert to_our_keys(["Prior"]) == "pageup"
    with pytest.raises(NativeActionError, match="unknown key"):
        to_our_keys(["XF86AudioMute"])


def test_a_safety_check_rides_on_the_reply_but_never_in_the_schema() -> None:
    assert "safety_checks" not in json.dumps(Perceived.model_json_schema())
    from gui_agent.models.native import perceived_json

    reply = Perceived.model_validate_json(perceived_json({"kind": "wait", "seconds": 1.0},
                                                         safety_checks=["malicious_instructions: x"]))
    assert reply.safety_checks == ["malicious_instructions: x"]
