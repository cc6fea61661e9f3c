"""Qwen2.5-VL's `computer_use` function calls (`<tool_call>{...}</tool_call>`) -> our actions.

Qwen2.5-VL answers in absolute pixels of the image its processor resized (resize.py), so a
point is mapped from that size back to the screenshot; Qwen3-VL answers on a 1000 grid
(`coords=relative`). `terminate` is done / fail by its status; `answer` is done with the text.
A drag needs a start point: the cursor's position is not tracked here.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from gui_agent.models.native import NativeActionError, require_int_pair, scale_point
from gui_agent.models.native.keys import to_our_keys
from gui_agent.models.native.resize import (
    QWEN25_FACTOR,
    QWEN25_MAX_PIXELS,
    QWEN25_MIN_PIXELS,
    smart_resize,
)

CoordinateSpace = Literal["relative", "absolute"]
WHEEL_CLICK_PIXELS = 100
_TOOL_CALL = re.compile(r"<tool_call>\s*(\{.*?\})\s*</tool_call>", re.DOTALL)

_DESCRIPTION = ("Use a mouse and keyboard to interact with a computer. The screen's resolution "
                "is {width}x{height}.")
_FUNCTION: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "computer_use",
        "description": "",
        "parameters": {
            "type": "object",
            "required": ["action"],
            "properties": {
                "action": {"type": "string", "enum": [
                    "key", "type", "mouse_move", "left_click", "left_click_drag", "right_click",
                    "double_click", "triple_click", "scroll", "wait", "terminate", "answer"]},
                "keys": {"type": "array", "description": "keys to press together (key)"},
                "text": {"type": "string", "description": "text to type (type, answer)"},
                "coordinate": {"type": "array", "description": "(x, y) in pixels"},
                "start_coordinate": {"type": "array",
                                     "description": "(x, y) where a left_click_drag starts"},
                "pixels": {"type": "number",
                           "description": "scroll amount; positive up, negative down"},
                "time": {"type": "number", "description": "seconds to wait"},
                "status": {"type": "string", "enum": ["success", "failure"]},
            },
        },
    },
}  # fmt: skip


def system_prompt(*, width: int, height: int, preamble: str) -> str:
    """The system turn: our instructions and the function in Qwen's tool-calling layout."""
    function = json.loads(json.dumps(_FUNCTION))
    function["function"]["description"] = _DESCRIPTION.format(width=width, height=height)
    return (
        f"{preamble}\n\n# Tools\n\nYou may call one function to act.\n\nYou are provided with "
        f"function signatures within <tools></tools> XML tags:\n<tools>\n{json.dumps(function)}"
        "\n</tools>\n\nReturn the call as a JSON object with the function name and arguments "
        'within <tool_call></tool_call> XML tags:\n<tool_call>\n{"name": "computer_use", '
        '"arguments": {...}}\n</tool_call>'
    )


def model_size(size: tuple[int, int], *, space: CoordinateSpace, factor: int = QWEN25_FACTOR,
               min_pixels: int = QWEN25_MIN_PIXELS,
               max_pixels: int = QWEN25_MAX_PIXELS) -> tuple[int, int]:  # fmt: skip
    """The coordinate space the model answers in for a `size` screenshot."""
    if space == "relative":
        return 1000, 1000
    return smart_resize(size[0], size[1], factor=factor, min_pixels=min_pixels,
                        max_pixels=max_pixels)  # fmt: skip


def parse(text: str, *, size: tuple[int, int], answer_space: tuple[int, int]) -> tuple[dict[str, Any], str]:
    """(our action dict, the text before the call) from one reply for a `size` screenshot."""
    found = _TOOL_CALL.search(text)
    if found is None:
        raise NativeActionError("no <tool_call>{...}</tool_call> in the reply")
    try:
        call = json.loads(found.group(1))
    except ValueError as exc:
        raise NativeActionError(f"the tool call is not JSON: {found.group(1)[:200]!r}") from exc
    arguments = call.get("arguments") if isinstance(call, dict) else None
    if not isinstance(arguments, dict):
        raise NativeActionError("the tool call needs an `arguments` object")
    thought = text[: found.start()].strip()
    return _convert(arguments, size=size, answer_space=answer_space), thought


def _convert(args: dict[str, Any], *, size: tuple[int, int],
             answer_space: tuple[int, int]) -> dict[str, Any]:  # fmt: skip
    def point(key: str = "coordinate") -> tuple[int, int]:
        x, y = require_int_pair(args.get(key), what=key)
        return scale_point(x, y, from_size=answer_space, to_size=size)

    action = args.get("action")
    match action:
        case "left_click" | "right_click" | "double_click" | "triple_click" | "mouse_move":
            kind = {"left_click": "click", "mouse_move": "move"}.get(action, action)
            x, y = point()
            return {"kind": kind, "x": x, "y": y}
        case "left_click_drag":
            if args.get("start_coordinate") is None:
                raise NativeActionError("left_click_drag needs start_coordinate: the cursor's "
                                        "position is not tracked here")  # fmt: skip
            x, y = point("start_coordinate")
            to_x, to_y = point()
            return {"kind": "drag", "x": x, "y": y, "to_x": to_x, "to_y": to_y}
        case "key":
            keys = args.get("keys")
            if isinstance(keys, str):
                keys = [keys]
            if not isinstance(keys, list) or not keys:
                raise NativeActionError("key needs keys, e.g. ['ctrl', 'c']")
            return {"kind": "key", "keys": to_our_keys([str(k) for k in keys])}
        case "type":
            text = args.get("text")
            if not isinstance(text, str) or not text:
                raise NativeActionError("type needs non-empty text")
            return {"kind": "type", "text": text}
        case "scroll":
            pixels = args.get("pixels")
            if not isinstance(pixels, int | float) or isinstance(pixels, bool) or pixels == 0:
                raise NativeActionError("scroll needs non-zero pixels (positive up)")
            x, y = point() if args.get("coordinate") else (size[0] // 2, size[1] // 2)
            amount = min(max(round(abs(pixels) / WHEEL_CLICK_PIXELS), 1), 30)
            return {"kind": "scroll", "x": x, "y": y, "amount": amount,
                    "direction": "up" if pixels > 0 else "down"}  # fmt: skip
        case "wait":
            seconds = args.get("time", 2)
            if not isinstance(seconds, int | float) or isinstance(seconds, bool):
                raise NativeActionError(f"wait time must be seconds, got {seconds!r}")
            return {"kind": "wait", "seconds": float(seconds)}
        case "terminate":
            if args.get("status") == "failure":
                return {"kind": "fail", "reason": str(args.get("text") or "the model gave up")}
            return {"kind": "done", "answer": args.get("text") or None}
        case "answer":
            return {"kind": "done", "answer": str(args.get("text") or "") or None}
        case _:
            raise NativeActionError(f"unknown computer_use action {action!r}")
