"""OpenAI's computer-use model over the Responses API: `computer_call` items -> our actions.

The tool declares the display as the screenshot we send, so a `computer_call`'s x, y are that
screenshot's pixels. `pending_safety_checks` travel with the converted action as
`Perceived.safety_checks`: the loop's policy must confirm them (never acknowledged by us on the
model's behalf); a run without a way to confirm ends `blocked`. A `finish` function tool beside
the computer tool lets the model say done / fail. A `screenshot` call is answered inside the same
call with the screenshot (a `computer_call_output`), not a step.

Non-GUI @agentic calls of an `openai-cua:` spec go through chat completions with a JSON schema
(the `json_model` option names the model for them; default the same model).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from gui_agent.errors import ModelRefusal, OutputTruncated, OutputValidationError
from gui_agent.models.base import ImagePart, ModelReply, ModelRequest, TextPart, Usage
from gui_agent.models.native import (
    FINISH_DESCRIPTION,
    FINISH_PARAMETERS,
    GUI_ACTION,
    NativeActionError,
    finish_action,
    perceived_json,
)
from gui_agent.models.native.keys import to_our_keys
from gui_agent.models.native.prompts import GUI_ACTION_SYSTEM
from gui_agent.models.openai_compat import OpenAICompatModel
from gui_agent.models.pricing import cost_of

DEFAULT_BASE_URL = "https://api.openai.com/v1"
WHEEL_CLICK_PIXELS = 100
"""One wheel click of ours scrolls about this many CSS pixels in Chromium on X11."""
MAX_LOOKS = 3
MAX_CORRECTIONS = 2
FINISH_FUNCTION: dict[str, Any] = {"type": "function", "name": "finish",
                                   "description": FINISH_DESCRIPTION,
                                   "parameters": FINISH_PARAMETERS}  # fmt: skip


class ScreenshotRequest(Exception):
    """The model asked to see the screen: answered inside the call."""


def convert_computer_action(action: dict[str, Any]) -> dict[str, Any]:
    """One `computer_call.action` -> our action dict; NativeActionError when it has no match."""
    kind = action.get("type")
    match kind:
        case "click":
            button = action.get("button", "left")
            x, y = _xy(action)
            if button == "left":
                return {"kind": "click", "x": x, "y": y}
            if button == "right":
                return {"kind": "right_click", "x": x, "y": y}
            hint = " (use keypress ALT+LEFT to go back)" if button == "back" else ""
            raise NativeActionError(f"click with button {button!r} is not supported{hint}")
        case "double_click":
            x, y = _xy(action)
            return {"kind": "double_click", "x": x, "y": y}
        case "move":
            x, y = _xy(action)
            return {"kind": "move", "x": x, "y": y}
        case "drag":
            path = action.get("path")
            if not isinstance(path, list) or len(path) < 2:
                raise NativeActionError("drag needs a path of at least two points")
            (x, y), (to_x, to_y) = _xy(path[0]), _xy(path[-1])
            return {"kind": "drag", "x": x, "y": y, "to_x": to_x, "to_y": to_y}
        case "scroll":
            x, y = _xy(action)
            dx, dy = _number(action, "scroll_x", 0), _number(action, "scroll_y", 0)
            if dx == 0 and dy == 0:
                raise NativeActionError("scroll with scroll_x = scroll_y = 0 does nothing")
            if abs(dy) >= abs(dx):
                direction, pixels = ("down" if dy > 0 else "up"), abs(dy)
            else:
                direction, pixels = ("right" if dx > 0 else "left"), abs(dx)
            amount = min(max(round(pixels / WHEEL_CLICK_PIXELS), 1), 30)
            return {"kind": "scroll", "x": x, "y": y, "direction": direction, "amount": amount}
        case "type":
            text = action.get("text")
            if not isinstance(text, str) or not text:
                raise NativeActionError("type needs non-empty text")
            return {"kind": "type", "text": text}
        case "keypress":
            keys = action.get("keys")
            if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
                raise NativeActionError("keypress needs keys, e.g. ['CTRL', 'L']")
            return {"kind": "key", "keys": to_our_keys(keys)}
        case "wait":
            return {"kind": "wait", "seconds": 2.0}
        case "screenshot":
            raise ScreenshotRequest()
        case _:
            raise NativeActionError(f"computer action {kind!r} is not supported")


def convert_finish(arguments: str | dict[str, Any]) -> dict[str, Any]:
    """The `finish` function's arguments (JSON text or an object) -> done / fail."""
    try:
        fields = json.loads(arguments) if isinstance(arguments, str) else arguments
    except ValueError as exc:
        raise NativeActionError(f"finish arguments are not JSON: {arguments!r}") from exc
    return finish_action(fields)


def safety_checks_of(call: dict[str, Any]) -> list[str]:
    checks = call.get("pending_safety_checks") or []
    return [f"{c.get('code', 'safety_check')}: {c.get('message', '')}".strip() for c in checks
            if isinstance(c, dict)]  # fmt: skip


class OpenAICUAModel(OpenAICompatModel):
    """`openai-cua:<model>[@<base_url>]`: GUI calls natively, the rest as chat completions."""

    def __init__(self, model: str, *, base_url: str = DEFAULT_BASE_URL,
                 json_model: str | None = None, **kwargs: Any) -> None:  # fmt: skip
        super().__init__(model, base_url=base_url, **kwargs)
        self.json_model = json_model or model

    @property
    def spec(self) -> str:
        return f"openai-cua:{self.model}@{self.base_url}"

    def complete(self, request: ModelRequest) -> ModelReply:
        if request.native != GUI_ACTION:
            chat = self._body(request) | {"model": self.json_model}
            return self._reply(request, self.post("/chat/completions", chat))
        image = next(p for p in request.parts if isinstance(p, ImagePart))
        screenshot_url = "data:image/png;base64," + base64.b64encode(image.png).decode()
        items: list[dict[str, Any]] = [{"role": "user", "content": _input_content(request)}]
        for retry in request.retries:
            items.append({"role": "user", "content": [{"type": "input_text", "text":
                          f"The program rejected your previous action ({retry.reply_text}): "
                          f"{retry.error}. Choose again."}]})  # fmt: skip
        body: dict[str, Any] = {
            "model": self.model,
            "instructions": GUI_ACTION_SYSTEM,
            "tools": [{"type": "computer_use_preview", "display_width": image.width,
                       "display_height": image.height, "environment": "linux"},
                      FINISH_FUNCTION],  # fmt: skip
            "truncation": "auto",
            "max_output_tokens": request.max_output_tokens,
        }
        usage, looks, errors = Usage(), 0, []
        while True:
            data = self.post("/responses", body | {"input": items}, expect="output")
            usage.add(_usage(data))
            output = [item for item in data["output"] if isinstance(item, dict)]
            _check_status(request, data, output)
            items = [*items, *output]
            observation = _observation(output)
            calls = [o for o in output if o.get("type") in ("computer_call", "function_call")]
            try:
                if not calls:
                    raise NativeActionError("Reply with one computer action, or call finish.")
                call = calls[0]
                if call["type"] == "function_call":
                    action = convert_finish(call.get("arguments") or "{}")
                    checks: list[str] = []
                else:
                    action = convert_computer_action(call.get("action") or {})
                    checks = safety_checks_of(call)
            except ScreenshotRequest:
                looks += 1
                if looks > MAX_LOOKS:
                    errors.append({"reply": json.dumps(output)[:2000], "error": "too many looks"})
                    raise OutputValidationError(f"{request.function}: asked for {looks} "
                                                "screenshots without acting",
                                                function=request.function,
                                                attempts=errors) from None  # fmt: skip
                items.append({"type": "computer_call_output", "call_id": calls[0]["call_id"],
                              "output": {"type": "computer_screenshot",
                                         "image_url": screenshot_url}})  # fmt: skip
                continue
            except NativeActionError as exc:
                errors.append({"reply": json.dumps(output)[:2000], "error": exc.message})
                if len(errors) > MAX_CORRECTIONS:
                    raise OutputValidationError(
                        f"{request.function}: no usable computer action; last error: "
                        f"{exc.message}", function=request.function, attempts=errors) from exc
                items += _answer_error(calls, exc.message, screenshot_url)
                continue
            model = str(data.get("model") or self.model)
            usage.cost_usd = cost_of(model, usage)
            text = perceived_json(action, observation=observation, safety_checks=checks)
            return ModelReply(text=text, model=model, usage=usage)


def _answer_error(calls: list[dict[str, Any]], message: str,
                  screenshot_url: str) -> list[dict[str, Any]]:  # fmt: skip
    """Items that answer an unusable call and tell the model why."""
    note = {"role": "user", "content": [{"type": "input_text", "text":
            f"That action was not executed: {message}"}]}  # fmt: skip
    if calls and calls[0].get("type") == "computer_call":
        # Every computer_call must be answered with a screenshot before anything else.
        return [{"type": "computer_call_output", "call_id": calls[0]["call_id"],
                 "output": {"type": "computer_screenshot", "image_url": screenshot_url}},
                note]  # fmt: skip
    if calls:
        return [{"type": "function_call_output", "call_id": calls[0]["call_id"],
                 "output": f"Error: {message}"}]  # fmt: skip
    return [note]


def _input_content(request: ModelRequest) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = []
    for part in request.parts:
        if isinstance(part, TextPart) and part.text:
            content.append({"type": "input_text", "text": part.text})
        elif isinstance(part, ImagePart):
            url = "data:image/png;base64," + base64.b64encode(part.png).decode()
            content.append({"type": "input_image", "image_url": url})
    return content


def _observation(output: list[dict[str, Any]]) -> str:
    texts: list[str] = []
    for item in output:
        if item.get("type") == "reasoning":
            texts += [s.get("text", "") for s in item.get("summary") or [] if isinstance(s, dict)]
        elif item.get("type") == "message":
            texts += [c.get("text", "") for c in item.get("content") or [] if isinstance(c, dict)]
    return " ".join(t for t in texts if t)


def _check_status(request: ModelRequest, data: dict[str, Any], output: list[dict[str, Any]]) -> None:
    details = data.get("incomplete_details") or {}
    if data.get("status") == "incomplete" and details.get("reason") == "max_output_tokens":
        raise OutputTruncated(f"{request.function}: the reply hit max_output_tokens")
    for item in output:
        for part in item.get("content") or []:
            if isinstance(part, dict) and part.get("type") == "refusal":
                raise ModelRefusal(f"{request.function}: the model refused: {part.get('refusal')}")


def _usage(data: dict[str, Any]) -> Usage:
    raw = data.get("usage") or {}
    cached = int((raw.get("input_tokens_details") or {}).get("cached_tokens") or 0)
    return Usage(input_tokens=int(raw.get("input_tokens") or 0) - cached,
                 output_tokens=int(raw.get("output_tokens") or 0),
                 cache_read_tokens=cached)  # fmt: skip


def _xy(point: Any) -> tuple[int, int]:
    if not isinstance(point, dict):
        raise NativeActionError(f"expected a point with x and y, got {point!r}")
    return round(_number(point, "x")), round(_number(point, "y"))


def _number(data: dict[str, Any], key: str, default: float | None = None) -> float:
    value = data.get(key, default)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise NativeActionError(f"{key} must be a number, got {value!r}")
    return float(value)
