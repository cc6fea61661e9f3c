"""Perception over Claude's computer-use tool, inside one @agentic call.

One call is a short conversation: the screenshot goes in the user turn; Claude answers with one
tool_use. A computer action or `finish`/`shell` converts into our JSON and the call returns. A
`screenshot` request is answered with the same screenshot and a `zoom` with the enlarged region
(observations: not steps), at most `MAX_LOOKS` times. A native action that does not convert gets
a tool_result with is_error and the reason, at most `MAX_CORRECTIONS` times, then the call fails
as an OutputValidationError. Extra tool_use blocks in one reply (Claude may batch actions) are
answered "not executed": one action per step, the next step sees the screen anew.

When our own validation later rejects a converted reply, the agentic layer calls again with the
error in `request.retries`; the conversation that produced that reply is replayed from `memo`
with the error as the tool_result, so Claude hears it against its own native action.
"""

from __future__ import annotations

import base64
import io
import json
import logging
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from PIL import Image

from gui_agent.errors import ModelRefusal, OutputTruncated, OutputValidationError
from gui_agent.models.base import ImagePart, ModelReply, ModelRequest, TextPart, Usage
from gui_agent.models.native import NativeActionError, perceived_json
from gui_agent.models.native import claude_computer as cc
from gui_agent.models.native.prompts import GUI_ACTION_SYSTEM
from gui_agent.models.pricing import cost_of

if TYPE_CHECKING:
    from gui_agent.models.anthropic import AnthropicModel

log = logging.getLogger(__name__)
MAX_LOOKS = 3
MAX_CORRECTIONS = 2
MEMO_SIZE = 32
NOT_EXECUTED = "Not executed: one action per step. You will see the screen again after it."
ZOOM_MAX_SIDE = 1024


class ConversationMemo:
    """The native conversation behind each converted reply, for replaying a rejection."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, tuple[list[dict[str, Any]], str]] = OrderedDict()

    def remember(self, reply_text: str, messages: list[dict[str, Any]], tool_use_id: str) -> None:
        self._items[reply_text] = (messages, tool_use_id)
        while len(self._items) > MEMO_SIZE:
            self._items.popitem(last=False)

    def recall(self, reply_text: str) -> tuple[list[dict[str, Any]], str] | None:
        return self._items.get(reply_text)


def complete_gui_action(model: AnthropicModel, request: ModelRequest,
                        version: cc.ToolVersion) -> ModelReply:  # fmt: skip
    """Answer a `gui_action` request through the computer tool; see the module docstring."""
    screenshot = _screenshot_of(request)
    size = (screenshot.width, screenshot.height)
    messages = _initial_messages(request, model.native_memo)
    params: dict[str, Any] = {
        "model": model.model_id,
        "max_tokens": request.max_output_tokens,
        "system": [_system_block(model.cache_prompt)],
        "tools": cc.tools_for(version, width=size[0], height=size[1]),
        "tool_choice": {"type": "any"},
    }
    if request.temperature is not None:
        params["temperature"] = request.temperature
    usage = Usage()
    looks = corrections = 0
    errors: list[dict[str, str]] = []
    while True:
        response = model.send(params | {"messages": messages}, beta=version.beta)
        _check_stop(request, response)
        usage.add(_usage(response))
        content = [block.model_dump(exclude_none=True) for block in response.content]
        content = [_clean_block(block) for block in content]
        messages = [*messages, {"role": "assistant", "content": content}]
        tool_uses = [b for b in content if b.get("type") == "tool_use"]
        observation = " ".join(b["text"] for b in content if b.get("type") == "text")
        try:
            if not tool_uses:
                raise NativeActionError("Call exactly one tool: a computer action, or finish.")
            first = tool_uses[0]
            converted = _convert(first, size=size)
        except NativeActionError as exc:
            corrections += 1
            errors.append({"reply": json.dumps(content)[:2000], "error": exc.message})
            if corrections > MAX_CORRECTIONS:
                raise OutputValidationError(
                    f"{request.function}: no usable computer action after {corrections} "
                    f"replies; last error: {exc.message}", function=request.function,
                    attempts=errors) from exc  # fmt: skip
            messages.append(_results(tool_uses, first_result=_error_result(exc.message)))
            continue
        if isinstance(converted, cc.Observe):
            looks += 1
            answer = _look(converted, screenshot, exhausted=looks > MAX_LOOKS)
            messages.append(_results(tool_uses, first_result=answer))
            continue
        text = perceived_json(converted, observation=observation)
        model.native_memo.remember(text, messages, first["id"])
        usage.cost_usd = cost_of(response.model, usage)
        return ModelReply(text=text, model=response.model, usage=usage)


def _initial_messages(request: ModelRequest, memo: ConversationMemo) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = []
    for part in request.parts:
        if isinstance(part, TextPart) and part.text:
            content.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            content.append(_image_block(part.png))
    messages: list[dict[str, Any]] = [{"role": "user", "content": content}]
    for retry in request.retries:
        remembered = memo.recall(retry.reply_text)
        note = f"The program rejected that action: {retry.error}\nChoose again."
        if remembered is None:
            messages += [{"role": "assistant", "content": [{"type": "text", "text": retry.reply_text}]},
                         {"role": "user", "content": [{"type": "text", "text": note}]}]  # fmt: skip
            continue
        earlier, tool_use_id = remembered
        last = earlier[-1]["content"]
        others = [b for b in last if b.get("type") == "tool_use" and b["id"] != tool_use_id]
        results = [{"type": "tool_result", "tool_use_id": tool_use_id, "is_error": True,
                    "content": note}]  # fmt: skip
        results += [{"type": "tool_result", "tool_use_id": b["id"], "content": NOT_EXECUTED}
                    for b in others]  # fmt: skip
        messages = [*earlier, {"role": "user", "content": results}]
    return messages


def _convert(block: dict[str, Any], *, size: tuple[int, int]) -> cc.Converted:
    name, tool_input = block.get("name", ""), block.get("input") or {}
    if not isinstance(tool_input, dict):
        raise NativeActionError(f"tool input must be an object, got {tool_input!r}")
    if name == cc.FINISH_TOOL:
        return cc.convert_finish(tool_input)
    if name == cc.SHELL_TOOL:
        return cc.convert_shell(tool_input)
    action, fields = cc.native_call(name, tool_input)
    return cc.convert(action, fields, size=size)


def _look(observe: cc.Observe, screenshot: Image.Image, *, exhausted: bool) -> dict[str, Any]:
    if exhausted:
        return _error_result("No more looks in this step: choose an action now.")
    if observe.kind == "screenshot":
        return {"content": [_image_block(_png(screenshot))]}
    if observe.kind == "cursor_position":
        return _error_result("The cursor position is not tracked here; use coordinates.")
    assert observe.region is not None
    x0, y0, x1, y1 = observe.region
    box = (max(x0, 0), max(y0, 0), min(x1, screenshot.width), min(y1, screenshot.height))
    if box[2] <= box[0] or box[3] <= box[1]:
        return _error_result(f"zoom region {observe.region} is outside the screenshot")
    crop = screenshot.crop(box)
    scale = min(ZOOM_MAX_SIDE / crop.width, ZOOM_MAX_SIDE / crop.height, 4.0)
    if scale > 1:
        crop = crop.resize((round(crop.width * scale), round(crop.height * scale)),
                           Image.Resampling.LANCZOS)  # fmt: skip
    return {"content": [_image_block(_png(crop))]}


def _results(tool_uses: list[dict[str, Any]], *, first_result: dict[str, Any]) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = []
    for index, block in enumerate(tool_uses):
        result = first_result if index == 0 else {"content": NOT_EXECUTED}
        blocks.append({"type": "tool_result", "tool_use_id": block["id"], **result})
    if not tool_uses:
        blocks.append({"type": "text", "text": first_result.get("content", "")})
    return {"role": "user", "content": blocks}


def _error_result(message: str) -> dict[str, Any]:
    return {"content": message, "is_error": True}


def _clean_block(block: dict[str, Any]) -> dict[str, Any]:
    """A response block as a request block: keep what the API accepts back."""
    keep = {"text": ("type", "text"), "tool_use": ("type", "id", "name", "input", "toolset_name"),
            "thinking": ("type", "thinking", "signature")}  # fmt: skip
    fields = keep.get(block.get("type", ""))
    return {k: v for k, v in block.items() if k in fields} if fields else block


def _system_block(cache: bool) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "text", "text": GUI_ACTION_SYSTEM}
    if cache:
        block["cache_control"] = {"type": "ephemeral"}
    return block


def _image_block(png: bytes) -> dict[str, Any]:
    data = base64.b64encode(png).decode()
    return {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _screenshot_of(request: ModelRequest) -> Image.Image:
    images = [p for p in request.parts if isinstance(p, ImagePart)]
    if not images:
        raise ValueError(f"{request.function}: a gui_action request carries no screenshot")
    return Image.open(io.BytesIO(images[-1].png)).convert("RGB")


def _check_stop(request: ModelRequest, response: Any) -> None:
    if response.stop_reason in ("max_tokens", "model_context_window_exceeded"):
        raise OutputTruncated(f"{request.function}: the reply hit max_output_tokens="
                              f"{request.max_output_tokens} before it was complete")  # fmt: skip
    if response.stop_reason == "refusal":
        said = " ".join(b.text for b in response.content if b.type == "text").strip()
        raise ModelRefusal(f"{request.function}: the model refused" + (f": {said}" if said else ""))


def _usage(response: Any) -> Usage:
    raw = response.usage
    return Usage(input_tokens=raw.input_tokens, output_tokens=raw.output_tokens,
                 cache_read_tokens=getattr(raw, "cache_read_input_tokens", None) or 0,
                 cache_write_tokens=getattr(raw, "cache_creation_input_tokens", None) or 0)  # fmt: skip
