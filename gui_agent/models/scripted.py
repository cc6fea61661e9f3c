"""In-process models: a user callable (`python:` specs) and a scripted queue for tests and demos.

A callable receives the typed `ModelRequest` (function name, call path, rendered prompt, images
as PNG bytes, output JSON schema, attempt number) and returns the value, JSON text, or a
`ModelReply`. A plain string that is not JSON is taken as a string value.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from gui_agent.errors import ConfigError, GuiAgentError, ModelError
from gui_agent.models.base import ModelReply, ModelRequest, Usage
from gui_agent.models.pricing import estimate_text_tokens, estimate_tokens

Responder = Callable[[ModelRequest], Any]


def reply_text(value: Any) -> str:
    """The JSON text for a value a callable returned (see the module docstring)."""
    if isinstance(value, ModelReply):
        return value.text
    if isinstance(value, str):
        try:
            json.loads(value)
        except json.JSONDecodeError:
            return json.dumps(value)
        return value
    return json.dumps(TypeAdapter(Any).dump_python(value, mode="json"), ensure_ascii=False)


def _estimated_reply(request: ModelRequest, text: str, model: str) -> ModelReply:
    """A reply whose usage is the offline estimate (these models report no usage of their own)."""
    usage = Usage(
        input_tokens=estimate_tokens(request),
        output_tokens=estimate_text_tokens(text),
        estimated=True,
    )
    return ModelReply(text=text, model=model, usage=usage)


class FunctionModel:
    """A model backed by a Python callable: how tests and users plug in their own models."""

    def __init__(self, responder: Responder, *, name: str = "function") -> None:
        self._responder = responder
        self._name = name
        self.requests: list[ModelRequest] = []

    @property
    def spec(self) -> str:
        return f"python:{self._name}"

    def complete(self, request: ModelRequest) -> ModelReply:
        self.requests.append(request)
        try:
            value = self._responder(request)
        except GuiAgentError:
            raise  # a refusal or provider error the callable raised on purpose keeps its kind
        except Exception as exc:
            # The user's model failed: a model failure (status model_error), not our crash.
            # The exception stays chained for --debug.
            raise ModelError(
                f"python model {self._name} raised {type(exc).__name__}: {_one_line(exc)}"
            ) from exc
        if isinstance(value, ModelReply):
            return value
        return _estimated_reply(request, reply_text(value), self.spec)


class ScriptedModel:
    """Answers calls from a queue, in order; each item is a value or a callable of the request.

    `enqueue` adds more; running out raises ModelError naming the call that found the queue empty.
    """

    def __init__(self, responses: Iterable[Any] = (), *, name: str = "scripted") -> None:
        self._queue: deque[Any] = deque(responses)
        self._lock = threading.Lock()
        self._name = name
        self.requests: list[ModelRequest] = []

    @property
    def spec(self) -> str:
        return self._name

    def enqueue(self, *responses: Any) -> ScriptedModel:
        with self._lock:
            self._queue.extend(responses)
        return self

    @property
    def remaining(self) -> int:
        return len(self._queue)

    def complete(self, request: ModelRequest) -> ModelReply:
        with self._lock:
            self.requests.append(request)
            if not self._queue:
                raise ModelError(f"scripted model has no response left for {request.call_path}")
            item = self._queue.popleft()
        value = item(request) if callable(item) else item
        if isinstance(value, ModelReply):
            return value
        return _estimated_reply(request, reply_text(value), self.spec)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] + ("..." if len(text) > 300 else "")


def load_python_callable(target: str) -> Responder:
    """Load `<file.py or module>:<callable>`; errors name what was not found."""
    location, sep, attribute = target.rpartition(":")
    if not sep or not location or not attribute:
        raise ConfigError(f"python model spec needs '<file-or-module>:<callable>', got {target!r}")
    if location.endswith(".py") or "/" in location:
        path = Path(location).expanduser()
        if not path.is_file():
            raise ConfigError(f"python model file not found: {path}")
        spec = importlib.util.spec_from_file_location(f"gui_agent_user_model_{path.stem}", path)
        if spec is None or spec.loader is None:
            raise ConfigError(f"cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            raise ConfigError(
                f"python model file {path} failed to load: {type(exc).__name__}: {_one_line(exc)}"
            ) from exc
    else:
        try:
            module = importlib.import_module(location)
        except Exception as exc:
            raise ConfigError(
                f"cannot import module {location!r}: {type(exc).__name__}: {_one_line(exc)}"
            ) from exc
    responder = getattr(module, attribute, None)
    if not callable(responder):
        raise ConfigError(f"{location} has no callable named {attribute!r}")
    return responder
