"""Claude's computer-use tool: which version a model takes, and its actions -> our actions.

Claude was trained on the `computer` tool (its published OSWorld numbers use it). Three
shapes exist: `computer_20250124` and `computer_20251124` (one tool named "computer", the action
in `input.action`, behind a beta header) and the generally available `computer_toolset_20260801`
(one tools[] entry; each action is its own member tool, `tool_use.name` = the action). We declare
the display as the screenshot we send, so the tool's coordinates are that screenshot's pixels,
exactly the space `Perceived` actions use; the loop maps them to the screen as for any model.

Two tools of ours travel beside it: `finish` (done / fail, which the computer tool cannot say)
and `shell` (our shell action; validation still refuses it where the computer has no shell).
`screenshot` and `zoom` are observations answered inside the same call, never steps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from gui_agent.models.native import (
    FINISH_DESCRIPTION,
    FINISH_PARAMETERS,
    NativeActionError,
    finish_action,
    require_int_pair,
)
from gui_agent.models.native.keys import split_combo, to_our_keys

FINISH_TOOL = "finish"
SHELL_TOOL = "shell"
COMPUTER_TOOL = "computer"


@dataclass(frozen=True)
class ToolVersion:
    tool_type: str
    beta: str | None
    toolset: bool = False


TOOLSET_2026 = ToolVersion("computer_toolset_20260801", None, toolset=True)
COMPUTER_2025_11 = ToolVersion("computer_20251124", "computer-use-2025-11-24")
COMPUTER_2025_01 = ToolVersion("computer_20250124", "computer-use-2025-01-24")
VERSIONS = {v.tool_type: v for v in (TOOLSET_2026, COMPUTER_2025_11, COMPUTER_2025_01)}

_GENERATION = re.compile(r"claude-(?:(?:opus|sonnet|haiku)-(\d+)(?:[-.](\d+))?|(\d+)[-.](\d+))")


def tool_version_for(model_id: str, *, override: str | None = None) -> ToolVersion:
    """The computer tool version for a model id (Anthropic's table), or the one `override` names.

    Claude 5 and later (and ids we cannot read): the GA toolset; Opus 4.5, Opus/Sonnet 4.6:
    computer_20251124; other Claude 4 and 3.7 models: computer_20250124.
    """
    if override:
        if override not in VERSIONS:
            raise ValueError(f"unknown computer tool {override!r}; one of {sorted(VERSIONS)}")
        return VERSIONS[override]
    match = _GENERATION.search(model_id)
    if match is None:
        return TOOLSET_2026
    major = int(match.group(1) or match.group(3))
    minor = int(match.group(2) or match.group(4) or 0)
    if major >= 5:
        return TOOLSET_2026
    if major == 4 and (minor >= 6 or (minor == 5 and "opus" in model_id)):
        return COMPUTER_2025_11
    return COMPUTER_2025_01


def tools_for(version: ToolVersion, *, width: int, height: int) -> list[dict[str, Any]]:
    """The tools[] entries: the computer tool for a `width` x `height` screenshot, finish, shell."""
    computer: dict[str, Any]
    if version.toolset:
        computer = {"type": version.tool_type}
    else:
        computer = {"type": version.tool_type, "name": COMPUTER_TOOL,
                    "display_width_px": width, "display_height_px": height}  # fmt: skip
        if version is COMPUTER_2025_11:
            computer["enable_zoom"] = True
    return [computer, FINISH_SCHEMA, SHELL_SCHEMA]


FINISH_SCHEMA: dict[str, Any] = {
    "name": FINISH_TOOL,
    "description": FINISH_DESCRIPTION,
    "input_schema": FINISH_PARAMETERS,
}
SHELL_SCHEMA: dict[str, Any] = {
    "name": SHELL_TOOL,
    "description": "Run one shell command, only when the task says a terminal is available.",
    "input_schema": {
        "type": "object",
        "properties": {"command": {"type": "string"}},
        "required": ["command"],
    },
}


@dataclass(frozen=True)
class Observe:
    """A request to look, answered inside the call: the screenshot, or an enlarged region."""

    kind: Literal["screenshot", "zoom", "cursor_position"]
    region: tuple[int, int, int, int] | None = None


Converted = dict[str, Any] | Observe


def native_call(name: str, tool_input: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(action, fields) of a tool_use block, whichever tool shape it came in."""
    if name == COMPUTER_TOOL:
        fields = dict(tool_input)
        action = fields.pop("action", None)
        if not isinstance(action, str):
            raise NativeActionError("the computer tool needs an `action`")
        return action, fields
    return name, dict(tool_input)


def convert(action: str, fields: dict[str, Any], *, size: tuple[int, int]) -> Converted:
    """One native action -> our action dict (or an Observe); NativeActionError when impossible."""
    if fields.get("text") and action in {*_POINTER_KINDS, "scroll", "left_click_drag"}:
        raise NativeActionError(
            f"{action} while holding {fields['text']!r} is not supported here: press the "
            "modifier combination with `key`, or act without it"
        )
    match action:
        case "left_click" | "right_click" | "double_click" | "triple_click" | "mouse_move":
            x, y = _point(fields, action)
            return {"kind": _POINTER_KINDS[action], "x": x, "y": y}
        case "left_click_drag":
            x, y = require_int_pair(fields.get("start_coordinate"), what="start_coordinate")
            to_x, to_y = require_int_pair(fields.get("coordinate"), what="coordinate")
            return {"kind": "drag", "x": x, "y": y, "to_x": to_x, "to_y": to_y}
        case "scroll":
            if "coordinate" in fields and fields["coordinate"] is not None:
                x, y = require_int_pair(fields["coordinate"], what="coordinate")
            else:  # the cursor's position is not known here: scroll the middle of the screen
                x, y = size[0] // 2, size[1] // 2
            direction = fields.get("scroll_direction")
            if direction not in ("up", "down", "left", "right"):
                raise NativeActionError(f"scroll_direction {direction!r} is not up/down/left/right")
            amount = fields.get("scroll_amount", 3)
            if not isinstance(amount, int) or isinstance(amount, bool):
                raise NativeActionError(f"scroll_amount must be a whole number, got {amount!r}")
            return {"kind": "scroll", "x": x, "y": y, "direction": direction, "amount": amount}
        case "type":
            text = fields.get("text")
            if not isinstance(text, str) or not text:
                raise NativeActionError("type needs non-empty `text`")
            return {"kind": "type", "text": text}
        case "key":
            text = fields.get("text")
            if not isinstance(text, str) or not text.strip():
                raise NativeActionError("key needs `text`, e.g. 'ctrl+s' or 'Return'")
            if fields.get("repeat") not in (None, 1):
                raise NativeActionError("key `repeat` is not supported: one key press per action")
            return {"kind": "key", "keys": to_our_keys(split_combo(text))}
        case "wait":
            seconds = fields.get("duration", 1)
            if not isinstance(seconds, int | float) or isinstance(seconds, bool):
                raise NativeActionError(f"wait duration must be seconds, got {seconds!r}")
            return {"kind": "wait", "seconds": float(seconds)}
        case "screenshot":
            return Observe("screenshot")
        case "zoom":
            region = fields.get("region")
            if (not isinstance(region, list | tuple) or len(region) != 4
                    or not all(isinstance(v, int | float) for v in region)):  # fmt: skip
                raise NativeActionError(f"zoom needs region [x0, y0, x1, y1], got {region!r}")
            x0, y0, x1, y1 = (round(v) for v in region)
            if x1 <= x0 or y1 <= y0:
                raise NativeActionError(f"zoom region {region!r} is empty")
            return Observe("zoom", (x0, y0, x1, y1))
        case "cursor_position":
            return Observe("cursor_position")
        case _:
            raise NativeActionError(
                f"action {action!r} is not supported here; use left_click, right_click, "
                "double_click, triple_click, mouse_move, left_click_drag, scroll, type, key, "
                "wait, screenshot, zoom, or the finish / shell tools"
            )


def convert_finish(fields: dict[str, Any]) -> dict[str, Any]:
    """The `finish` tool -> done / fail."""
    return finish_action(fields)


def convert_shell(fields: dict[str, Any]) -> dict[str, Any]:
    command = fields.get("command")
    if not isinstance(command, str) or not command.strip():
        raise NativeActionError("shell needs a non-empty `command`")
    return {"kind": "shell", "command": command}


_POINTER_KINDS = {
    "left_click": "click", "right_click": "right_click", "double_click": "double_click",
    "triple_click": "triple_click", "mouse_move": "move",
}  # fmt: skip


def _point(fields: dict[str, Any], action: str) -> tuple[int, int]:
    if fields.get("coordinate") is None:
        raise NativeActionError(
            f"{action} needs `coordinate`: the cursor's current position is not tracked here"
        )
    return require_int_pair(fields["coordinate"], what="coordinate")
