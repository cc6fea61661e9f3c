"""Native GUI languages: each model family's own action format, mapped into our `Action` union.

The perception call (`perceive`, marked `native="gui_action"`) can travel in the format a model
was trained on instead of our JSON schema: Claude's computer-use tool, OpenAI's `computer_call`
items, UI-TARS' `click(start_box=...)` text, Qwen2.5-VL's `computer_use` function calls. The
backend sends that format, converts the native action into our JSON (`{"observation", "action"}`)
and hands it back; validation, the 15-step cap, snapping and policy stay the program's. A native
action that does not convert raises `NativeActionError`, whose message goes back to the model
inside the same call. Other @agentic functions keep the forced-JSON path.

Modules: `keys` (key names), `claude_computer`, `openai_cua`, `uitars`, `qwen_vl` (pure
converters and prompts), `anthropic_native` and `chat_native` (the transports).
"""

from __future__ import annotations

import json
from typing import Any

from gui_agent.models.base import NativeKind

GUI_ACTION: NativeKind = "gui_action"
MAX_OBSERVATION_CHARS = 400


class NativeActionError(Exception):
    """A native action that has no exact counterpart in our actions; `message` is for the model."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def perceived_json(
    action: dict[str, Any], *, observation: str = "", safety_checks: list[str] | None = None
) -> str:
    """The JSON text of a `Perceived` reply built from a converted native action."""
    text = " ".join(observation.split())[:MAX_OBSERVATION_CHARS]
    reply: dict[str, Any] = {"observation": text or f"native action {action['kind']}",
                             "action": action}  # fmt: skip
    if safety_checks:
        reply["safety_checks"] = safety_checks
    return json.dumps(reply, ensure_ascii=False)


def scale_point(x: float, y: float, *, from_size: tuple[float, float],
                to_size: tuple[int, int]) -> tuple[int, int]:  # fmt: skip
    """Map a point between two spaces over the same image, rounded, clamped inside `to_size`."""
    sx = to_size[0] / from_size[0]
    sy = to_size[1] / from_size[1]
    px = min(max(round(x * sx), 0), to_size[0] - 1)
    py = min(max(round(y * sy), 0), to_size[1] - 1)
    return px, py


def require_int_pair(value: Any, *, what: str) -> tuple[int, int]:
    """A coordinate given as [x, y] (ints or integral floats), or NativeActionError."""
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        raise NativeActionError(f"{what} must be [x, y] in pixels, got {value!r}")
    return round(value[0]), round(value[1])
