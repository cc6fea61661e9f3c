"""Local GUI models served through chat completions: UI-TARS and Qwen2.5-VL, in their formats.

`uitars:<model>@<base_url>` and `qwen-vl:<model>@<base_url>` answer the perception call in the
text format each was trained on (no JSON schema); every other @agentic call goes the usual
forced-JSON chat-completions way. A reply that does not parse goes back to the model in the same
conversation with the reason, at most `MAX_CORRECTIONS` times.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from gui_agent.errors import OutputTruncated, OutputValidationError
from gui_agent.models.base import ImagePart, ModelReply, ModelRequest, TextPart, Usage
from gui_agent.models.native import GUI_ACTION, NativeActionError, perceived_json, qwen_vl, uitars
from gui_agent.models.native.prompts import GUI_ACTION_SYSTEM
from gui_agent.models.openai_compat import OpenAICompatModel, _usage
from gui_agent.models.pricing import cost_of

MAX_CORRECTIONS = 2


class _ChatGUIModel(OpenAICompatModel):
    family = ""

    @property
    def spec(self) -> str:
        return f"{self.family}:{self.model}@{self.base_url}"

    def system_for(self, size: tuple[int, int]) -> str:
        raise NotImplementedError

    def parse(self, text: str, size: tuple[int, int]) -> tuple[dict[str, Any], str]:
        raise NotImplementedError

    def complete(self, request: ModelRequest) -> ModelReply:
        if request.native != GUI_ACTION:
            return super().complete(request)
        image = next(p for p in request.parts if isinstance(p, ImagePart))
        size = (image.width, image.height)
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": self.system_for(size)},
            {"role": "user", "content": _content(request)},
        ]
        for retry in request.retries:
            messages += [{"role": "assistant", "content": retry.reply_text},
                         {"role": "user", "content": f"The program rejected that action: "
                          f"{retry.error}. Choose again."}]  # fmt: skip
        usage, errors = Usage(), []
        while True:
            body = {"model": self.model, "messages": messages,
                    self._max_tokens_field: request.max_output_tokens}  # fmt: skip
            if request.temperature is not None:
                body["temperature"] = request.temperature
            data = self.post("/chat/completions", body)
            usage.add(_usage(data.get("usage") or {}))
            choice = data["choices"][0]
            if choice.get("finish_reason") == "length":
                raise OutputTruncated(f"{request.function}: the reply hit max_output_tokens")
            text = _text((choice.get("message") or {}).get("content"))
            try:
                action, thought = self.parse(text, size)
            except NativeActionError as exc:
                errors.append({"reply": text[:2000], "error": exc.message})
                if len(errors) > MAX_CORRECTIONS:
                    raise OutputValidationError(
                        f"{request.function}: no usable {self.family} action; last error: "
                        f"{exc.message}", function=request.function, attempts=errors) from exc
                messages += [{"role": "assistant", "content": text},
                             {"role": "user", "content": f"{exc.message}. Answer again."}]
                continue
            model = str(data.get("model") or self.model)
            usage.cost_usd = cost_of(model, usage)
            return ModelReply(text=perceived_json(action, observation=thought), model=model,
                              usage=usage)  # fmt: skip


class UITarsModel(_ChatGUIModel):
    """`uitars:<model>@<base_url>[?coords=relative|absolute]` (default by version)."""

    family = "uitars"

    def __init__(self, model: str, *, base_url: str, coords: str | None = None,
                 **kwargs: Any) -> None:  # fmt: skip
        super().__init__(model, base_url=base_url, **kwargs)
        self.space: uitars.CoordinateSpace = _space(coords) or uitars.default_space(model)

    def system_for(self, size: tuple[int, int]) -> str:
        return uitars.SYSTEM_PROMPT

    def parse(self, text: str, size: tuple[int, int]) -> tuple[dict[str, Any], str]:
        return uitars.parse(text, size=size, space=self.space)


class QwenVLModel(_ChatGUIModel):
    """`qwen-vl:<model>@<base_url>[?coords=..&factor=..&min_pixels=..&max_pixels=..]`."""

    family = "qwen-vl"

    def __init__(self, model: str, *, base_url: str, coords: str | None = None,
                 factor: int = qwen_vl.QWEN25_FACTOR, min_pixels: int = qwen_vl.QWEN25_MIN_PIXELS,
                 max_pixels: int = qwen_vl.QWEN25_MAX_PIXELS, **kwargs: Any) -> None:  # fmt: skip
        super().__init__(model, base_url=base_url, **kwargs)
        self.space: qwen_vl.CoordinateSpace = _space(coords) or "absolute"
        self.factor, self.min_pixels, self.max_pixels = factor, min_pixels, max_pixels

    def answer_space(self, size: tuple[int, int]) -> tuple[int, int]:
        return qwen_vl.model_size(size, space=self.space, factor=self.factor,
                                  min_pixels=self.min_pixels, max_pixels=self.max_pixels)  # fmt: skip

    def system_for(self, size: tuple[int, int]) -> str:
        width, height = self.answer_space(size)
        return qwen_vl.system_prompt(width=width, height=height, preamble=GUI_ACTION_SYSTEM)

    def parse(self, text: str, size: tuple[int, int]) -> tuple[dict[str, Any], str]:
        return qwen_vl.parse(text, size=size, answer_space=self.answer_space(size))


def _space(coords: str | None) -> Any:
    if coords in (None, ""):
        return None
    if coords not in ("relative", "absolute"):
        raise ValueError(f"coords must be 'relative' or 'absolute', got {coords!r}")
    return coords


def _content(request: ModelRequest) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = []
    for part in request.parts:
        if isinstance(part, TextPart) and part.text:
            content.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            url = "data:image/png;base64," + base64.b64encode(part.png).decode()
            content.append({"type": "image_url", "image_url": {"url": url}})
    return content


def _text(content: Any) -> str:
    if isinstance(content, list):
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else json.dumps(content)
