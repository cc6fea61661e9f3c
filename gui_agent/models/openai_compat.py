"""A backend for any chat-completions endpoint: vLLM, Ollama, LM Studio, llama.cpp, OpenAI.

Structured output goes through `response_format` json_schema (strict off, so servers that only
approximate JSON mode still answer). Local models sometimes wrap the JSON in ```json fences;
those are stripped. A reply that still is not JSON comes back as-is so the caller's validation
rejects it and retries inside the same call.

This module also holds what every HTTP backend shares (the anthropic backend imports it):
wrapping non-object output schemas, and the bounded retry loop with its no-retry rules.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from gui_agent.errors import (
    ConfigError,
    ModelError,
    ModelRefusal,
    OutputTruncated,
)
from gui_agent.models.base import ImagePart, ModelReply, ModelRequest, TextPart, Usage
from gui_agent.models.pricing import cost_of
from gui_agent.models.retrying import HTTPFailure, Sleep, call_with_retries
from gui_agent.models.schemas import object_schema, rewrap_reply, to_json, unwrap_value

logger = logging.getLogger(__name__)

# --- The chat-completions backend ---------------------------------------------------------

_FENCE = re.compile(r"^```[a-zA-Z0-9_-]*\s*\n?(.*?)\n?```$", re.DOTALL)


class OpenAICompatModel:
    """A chat-completions endpoint, e.g. base_url="http://localhost:8000/v1" (vLLM).

    The key comes from `api_key` or OPENAI_API_KEY and may be absent: local servers need none.
    `sleep` is what waits between retries (tests pass a recorder).
    """

    def __init__(
        self,
        model: str,
        *,
        base_url: str,
        api_key: str | None = None,
        timeout: float = 120.0,
        max_retries: int = 4,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.model = model
        self.base_url = base_url.rstrip("/")
        if urlsplit(self.base_url).scheme not in ("http", "https"):
            raise ConfigError(
                f"base_url {base_url!r} is not an http(s) URL (e.g. http://localhost:8000/v1)"
            )
        self.max_retries = max_retries
        self._sleep = sleep
        key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._client = httpx.Client(timeout=timeout, headers=headers)
        # OpenAI's own API wants max_completion_tokens (reasoning models reject max_tokens);
        # local servers know max_tokens.
        host = urlsplit(self.base_url).hostname or ""
        self._max_tokens_field = (
            "max_completion_tokens" if host.endswith("api.openai.com") else "max_tokens"
        )

    @property
    def spec(self) -> str:
        return f"openai:{self.model}@{self.base_url}"

    def close(self) -> None:
        self._client.close()

    def complete(self, request: ModelRequest) -> ModelReply:
        return self._reply(request, self.post("/chat/completions", self._body(request)))

    def post(self, path: str, body: dict[str, Any], *, expect: str = "choices") -> dict[str, Any]:
        """POST JSON to `base_url + path` with our retry rules; the reply must carry `expect`."""
        return call_with_retries(
            lambda: self._post(path, body, expect=expect),
            classify=_classify,
            provider=f"endpoint {self.base_url}",
            key_env="OPENAI_API_KEY",
            max_retries=self.max_retries,
            sleep=self._sleep,
        )

    def _body(self, request: ModelRequest) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        for part in request.parts:
            if isinstance(part, TextPart):
                content.append({"type": "text", "text": part.text})
            elif isinstance(part, ImagePart):
                url = "data:image/png;base64," + base64.b64encode(part.png).decode()
                content.append({"type": "image_url", "image_url": {"url": url}})
        messages: list[dict[str, Any]] = []
        if request.system:
            messages.append({"role": "system", "content": request.system})
        if all(block["type"] == "text" for block in content):
            # Text-only servers (older llama.cpp, TGI) accept only a string here.
            messages.append({"role": "user", "content": "\n\n".join(b["text"] for b in content)})
        else:
            messages.append({"role": "user", "content": content})
        for retry in request.retries:
            replayed = to_json(rewrap_reply(retry.reply_text, request.output_schema))
            messages.append({"role": "assistant", "content": replayed})
            messages.append(
                {
                    "role": "user",
                    "content": f"{retry.error}\nAnswer again with corrected JSON that "
                    "matches the schema.",
                }
            )
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "response_format": {
                "type": "json_schema",
                "json_schema": {
                    "name": "respond",
                    "schema": object_schema(request.output_schema),
                    "strict": False,
                },
            },
            self._max_tokens_field: request.max_output_tokens,
        }
        if request.temperature is not None:
            body["temperature"] = request.temperature
        return body

    def _post(self, path: str, body: dict[str, Any], *, expect: str) -> dict[str, Any]:
        try:
            response = self._client.post(f"{self.base_url}{path}", json=body)
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise _Failed(HTTPFailure(None, f"{type(exc).__name__}: {exc}")) from exc
        except httpx.HTTPError as exc:
            raise ModelError(f"cannot call {self.base_url}: {exc}") from exc
        if response.status_code >= 400:
            raise _Failed(
                HTTPFailure(response.status_code, _error_message(response), dict(response.headers))
            )
        try:
            data = response.json()
        except ValueError as exc:
            raise ModelError(
                f"{self.base_url} answered HTTP {response.status_code} with non-JSON: "
                f"{response.text[:200]!r}"
            ) from exc
        if not isinstance(data, dict) or not data.get(expect):
            raise ModelError(f"{self.base_url} answered without {expect}: {str(data)[:200]}")
        return data

    def _reply(self, request: ModelRequest, data: dict[str, Any]) -> ModelReply:
        choice = data["choices"][0]
        message = choice.get("message") or {}
        finish = choice.get("finish_reason")
        if finish == "length":
            raise OutputTruncated(
                f"{request.function}: the reply hit max_output_tokens="
                f"{request.max_output_tokens} before it was complete"
            )
        if message.get("refusal"):
            raise ModelRefusal(f"{request.function}: the model refused: {message['refusal']}")
        if finish == "content_filter":
            raise ModelRefusal(f"{request.function}: the reply was stopped by a content filter")
        model = str(data.get("model") or self.model)
        usage = _usage(data.get("usage") or {})
        usage.cost_usd = cost_of(model, usage)
        return ModelReply(
            text=_reply_text(message.get("content"), request), model=model, usage=usage
        )


class _Failed(Exception):
    def __init__(self, failure: HTTPFailure) -> None:
        super().__init__(failure.describe())
        self.failure = failure


def _classify(exc: Exception) -> HTTPFailure | None:
    return exc.failure if isinstance(exc, _Failed) else None


def _error_message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:500] or response.reason_phrase
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        code = error.get("code") or error.get("type")
        message = str(error.get("message") or error)
        return f"{code}: {message}" if code else message
    if isinstance(error, str):
        return error
    return str(data)[:500]


def _usage(raw: dict[str, Any]) -> Usage:
    prompt = int(raw.get("prompt_tokens") or 0)
    cached = int((raw.get("prompt_tokens_details") or {}).get("cached_tokens") or 0)
    return Usage(
        input_tokens=prompt - cached,
        output_tokens=int(raw.get("completion_tokens") or 0),
        cache_read_tokens=cached,
    )


def _reply_text(content: Any, request: ModelRequest) -> str:
    """The reply as JSON text for the caller; the raw text when it is not JSON."""
    if isinstance(content, list):  # some servers return content parts
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    text = (content or "").strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    try:
        data = json.loads(text)
    except ValueError:
        logger.info("%s: the reply is not JSON; returning it for validation", request.function)
        return text
    return to_json(unwrap_value(data, request.output_schema))
