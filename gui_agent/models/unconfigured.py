"""A stand-in for a model nobody configured, for work that may need none (`run --learned`).

It is created instead of failing at start, and fails only if a call actually reaches it, with
the reason the real model could not be made (e.g. which key to set)."""

from __future__ import annotations

from dataclasses import dataclass

from gui_agent.errors import ModelAuthError
from gui_agent.models.base import ModelReply, ModelRequest


@dataclass(frozen=True)
class UnconfiguredModel:
    why: str
    """Why no model could be made, as its resolver said it."""

    @property
    def spec(self) -> str:
        return "none"

    def complete(self, request: ModelRequest) -> ModelReply:
        raise ModelAuthError(f"{request.function} needs a model and none is configured: {self.why}")
