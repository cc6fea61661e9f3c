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
    # Multiply before dividing: x * (w / W) can land a hair off a .5 that x * w / W hits exactly.
    px = min(max(round(x * to_size[0] / from_size[0]), 0), to_size[0] - 1)
    py = min(max(round(y * to_size[1] / from_size[1]), 0), to_size[1] - 1)
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


FINISH_DESCRIPTION = (
    "End the task: status 'done' when the screen shows the goal met (put any answer the goal "
    "asks for in `answer`), 'fail' when it is impossible or infeasible here (say why in "
    "`reason`)."
)
FINISH_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["done", "fail"]},
        "answer": {"type": "string"},
        "reason": {"type": "string"},
    },
    "required": ["status"],
}
"""The `finish` tool every native transport offers beside the family's own actions."""


def finish_action(fields: Any) -> dict[str, Any]:
    """The `finish` tool's arguments -> done / fail; NativeActionError when unusable."""
    status = fields.get("status") if isinstance(fields, dict) else None
    if status == "done":
        answer = fields.get("answer")
        return {"kind": "done", "answer": answer if isinstance(answer, str) and answer else None}
    if status == "fail":
        reason = fields.get("reason") or fields.get("answer")
        if not isinstance(reason, str) or not reason.strip():
            raise NativeActionError("finish with status 'fail' needs a `reason`")
        return {"kind": "fail", "reason": reason}
    raise NativeActionError(f"finish status must be 'done' or 'fail', got {status!r}")
