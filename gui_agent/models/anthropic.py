"""The Anthropic backend: the official SDK, structured output through one forced tool.

The reply schema becomes the input_schema of a tool named "respond" and tool_choice forces it,
so the answer arrives as already-parsed JSON. The system prompt is the static, cacheable prefix
(marked ephemeral); screenshots and the call-tree context go in the user turn. Earlier attempts
inside the same call are replayed as tool_use / tool_result(is_error) turns, which is how the
model is used to hearing that a tool call was wrong.

The SDK's own retries are off (max_retries=0): `call_with_retries` decides, so auth errors and
spend limits are never retried and every wait is visible and testable.
"""

from __future__ import annotations

import base64
import logging
import os
import time
from typing import Any

import anthropic

from gui_agent.errors import ConfigError, ModelAuthError, ModelRefusal, OutputTruncated
from gui_agent.models.base import ImagePart, ModelReply, ModelRequest, TextPart, Usage
from gui_agent.models.native import GUI_ACTION
from gui_agent.models.native.anthropic_native import ConversationMemo, complete_gui_action
from gui_agent.models.native.claude_computer import tool_version_for
from gui_agent.models.pricing import cost_of
from gui_agent.models.retrying import HTTPFailure, Sleep, call_with_retries
from gui_agent.models.schemas import object_schema, rewrap_reply, to_json, unwrap_value

logger = logging.getLogger(__name__)

DEFAULT_ANTHROPIC_MODEL = "claude-sonnet-4-6"
TOOL_NAME = "respond"
RETRY_INSTRUCTION = "Call the tool again with corrected input."


class AnthropicModel:
    """Claude through the Messages API.

    The key comes from `api_key` or ANTHROPIC_API_KEY, the endpoint from `base_url` or
    ANTHROPIC_BASE_URL. `sleep` is what waits between retries (tests pass a recorder).
    """

    def __init__(
        self,
        model_id: str = DEFAULT_ANTHROPIC_MODEL,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 120.0,
        max_retries: int = 4,
        cache_prompt: bool = True,
        native: bool = True,
        computer_tool: str | None = None,
        sleep: Sleep = time.sleep,
    ) -> None:
        key = api_key or os.environ.get("ANTHROPIC_API_KEY")
        if not key:
            raise ModelAuthError(
                "No Anthropic API key: set ANTHROPIC_API_KEY or use another --model."
            )
        self.model_id = model_id
        self.cache_prompt = cache_prompt
        self.native = native
        try:
            self.computer_tool = tool_version_for(model_id, override=computer_tool)
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc
        self.native_memo = ConversationMemo()
        self.max_retries = max_retries
        self._sleep = sleep
        self._client = anthropic.Anthropic(
            api_key=key, base_url=base_url, timeout=timeout, max_retries=0
        )

    @property
    def spec(self) -> str:
        return f"anthropic:{self.model_id}" + ("" if self.native else "?native=0")

    def close(self) -> None:
        self._client.close()

    def complete(self, request: ModelRequest) -> ModelReply:
        if self.native and request.native == GUI_ACTION:
            return complete_gui_action(self, request, self.computer_tool)
        return _reply(request, self.send(self._params(request)))

    def send(self, params: dict[str, Any], *, beta: str | None = None) -> Any:
        """One Messages API call with our retry rules; `beta` names a beta header to send."""

        def create() -> Any:
            if beta is not None:
                return self._client.beta.messages.create(**params, betas=[beta])
            return self._client.messages.create(**params)

        return call_with_retries(create, classify=_classify, provider="Anthropic API",
                                 key_env="ANTHROPIC_API_KEY", max_retries=self.max_retries,
                                 sleep=self._sleep)  # fmt: skip

    def _params(self, request: ModelRequest) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": self.model_id,
            "max_tokens": request.max_output_tokens,
            "messages": _messages(request),
            "tools": [
                {
                    "name": TOOL_NAME,
                    "description": f"Give the result of {request.function}.",
                    "input_schema": object_schema(request.output_schema),
                }
            ],
            "tool_choice": {"type": "tool", "name": TOOL_NAME},
        }
        if request.system:  # the API rejects empty text blocks
            block: dict[str, Any] = {"type": "text", "text": request.system}
            if self.cache_prompt:
                block["cache_control"] = {"type": "ephemeral"}
            params["system"] = [block]
        if request.temperature is not None:
            params["temperature"] = request.temperature
        return params


def _messages(request: ModelRequest) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = []
    for part in request.parts:
        if isinstance(part, TextPart):
            if part.text:
                content.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            data = base64.b64encode(part.png).decode()
            content.append(
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": data},
                }
            )
    messages: list[dict[str, Any]] = [{"role": "user", "content": content}]
    for number, retry in enumerate(request.retries, start=1):
        tool_use_id = f"attempt_{number}"
        messages.append(
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": tool_use_id,
                        "name": TOOL_NAME,
                        "input": rewrap_reply(retry.reply_text, request.output_schema),
                    }
                ],
            }
        )
        messages.append(
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": tool_use_id,
                        "is_error": True,
                        "content": f"{retry.error}\n{RETRY_INSTRUCTION}",
                    }
                ],
            }
        )
    return messages


def _reply(request: ModelRequest, response: anthropic.types.Message) -> ModelReply:
    if response.stop_reason in ("max_tokens", "model_context_window_exceeded"):
        raise OutputTruncated(
            f"{request.function}: the reply hit max_output_tokens={request.max_output_tokens} "
            f"(stop_reason {response.stop_reason}) before it was complete"
        )
    texts = [block.text for block in response.content if block.type == "text"]
    if response.stop_reason == "refusal":
        said = " ".join(texts).strip()
        raise ModelRefusal(f"{request.function}: the model refused" + (f": {said}" if said else ""))
    raw = response.usage
    usage = Usage(
        input_tokens=raw.input_tokens,
        output_tokens=raw.output_tokens,
        cache_read_tokens=raw.cache_read_input_tokens or 0,
        cache_write_tokens=raw.cache_creation_input_tokens or 0,
    )
    usage.cost_usd = cost_of(response.model, usage)
    tool_inputs = [block.input for block in response.content if block.type == "tool_use"]
    if tool_inputs:
        text = to_json(unwrap_value(tool_inputs[0], request.output_schema))
    else:
        # The forced tool was not called: hand back the prose so validation rejects it.
        logger.warning("%s: no tool_use block in the reply", request.function)
        text = "\n".join(texts)
    return ModelReply(text=text, model=response.model, usage=usage)


def _classify(exc: Exception) -> HTTPFailure | None:
    if isinstance(exc, anthropic.APIStatusError):
        kind = f"{exc.type} " if exc.type else ""
        return HTTPFailure(
            exc.status_code, f"{kind}{exc.api_message or exc.message}", dict(exc.response.headers)
        )
    if isinstance(exc, anthropic.APIConnectionError):  # includes timeouts
        return HTTPFailure(None, f"{type(exc).__name__}: {exc.message}")
    return None
