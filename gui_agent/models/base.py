"""The one protocol every model backend implements, and the typed request/reply it exchanges.

An @agentic call renders a `ModelRequest` (a static, cacheable `system` part; the dynamic
`parts` of the user turn, text and PNG images in order; the JSON schema the reply must satisfy)
and hands it to `Model.complete`. On a validation failure the same request comes back with one
more `Retry` in `retries`: backends replay each earlier reply and the error that rejected it
inside the same conversation, so the model sees what it got wrong.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

NativeKind = Literal["gui_action"]


@dataclass(frozen=True)
class TextPart:
    text: str


@dataclass(frozen=True)
class ImagePart:
    png: bytes
    width: int
    height: int


Part = TextPart | ImagePart


@dataclass(frozen=True)
class Retry:
    """An earlier attempt inside the same call: what the model said and why it was rejected."""

    reply_text: str
    error: str


@dataclass(frozen=True)
class ModelRequest:
    function: str
    call_path: str
    system: str
    parts: tuple[Part, ...]
    output_schema: dict[str, Any]
    attempt: int = 1
    retries: tuple[Retry, ...] = ()
    temperature: float | None = None
    max_output_tokens: int = 4096
    native: NativeKind | None = None
    """Set on calls a backend may serve in a model family's own format (models/native/)."""
    version: str = ""
    """The @agentic function's version (hash of its source and docstring)."""
    inputs_hash: str = ""
    """Hash of the function, its version and its non-image arguments: what a replay of a live
    screen matches a call by (screenshots never render the same pixels twice)."""

    @property
    def prompt(self) -> str:
        """The whole text of the request (system, then user text parts) as one string."""
        texts = [p.text for p in self.parts if isinstance(p, TextPart)]
        return "\n\n".join([self.system, *texts])

    @property
    def images(self) -> list[bytes]:
        return [p.png for p in self.parts if isinstance(p, ImagePart)]

    def prompt_hash(self) -> str:
        """Hash of everything the model sees on the first attempt (text, images, schema)."""
        digest = hashlib.sha256()
        digest.update(self.system.encode())
        for part in self.parts:
            if isinstance(part, TextPart):
                digest.update(b"T" + part.text.encode())
            else:
                digest.update(b"I" + hashlib.sha256(part.png).digest())
        digest.update(json.dumps(self.output_schema, sort_keys=True).encode())
        return digest.hexdigest()[:16]


@dataclass
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0
    estimated: bool = False

    def add(self, other: Usage) -> None:
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cache_read_tokens += other.cache_read_tokens
        self.cache_write_tokens += other.cache_write_tokens
        self.cost_usd += other.cost_usd
        self.estimated = self.estimated or other.estimated

    @property
    def total_tokens(self) -> int:
        return (
            self.input_tokens + self.output_tokens + self.cache_read_tokens + self.cache_write_tokens
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "cost_usd": round(self.cost_usd, 6),
            "estimated": self.estimated,
        }


StopReason = Literal["end", "max_tokens", "refusal"]


@dataclass(frozen=True)
class ModelReply:
    """What a backend returns: the reply as JSON text (validated by the caller), usage, model id.

    Backends raise OutputTruncated / ModelRefusal themselves for max_tokens and refusals, so a
    caller never sees a half-parsed value.
    """

    text: str
    model: str
    usage: Usage = field(default_factory=Usage)


@runtime_checkable
class Model(Protocol):
    """A backend: `spec` names it (e.g. 'anthropic:claude-sonnet-4-6'), `complete` answers."""

    @property
    def spec(self) -> str: ...

    def complete(self, request: ModelRequest) -> ModelReply: ...
