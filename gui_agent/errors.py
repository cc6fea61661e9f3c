"""The error tree: whose fault it was decides what the program does next.

    GuiAgentError                    .message; constructors do nothing else
    ├── ModelFault                   the model's output was unusable: becomes a retry or an observation
    │   ├── OutputValidationError    the reply did not validate into the declared type (all attempts kept)
    │   ├── ModelRefusal             stop_reason "refusal"
    │   └── OutputTruncated          stop_reason "max_tokens": never half-parsed
    ├── ActionRejected               an action failed validation: zero input events, reported back
    ├── ModelError                   the provider or transport failed (ours or theirs, not the model's)
    │   ├── ModelAuthError           400/401/403 and spend limits: never retried
    │   ├── ModelUnavailable         429/529/5xx/timeouts after bounded retries
    │   └── ReplayMiss               a replay cassette has no answer for this call
    ├── EnvError                     the computer or VM failed (dead server, blank capture)
    ├── SetupError                   a task's setup step failed (OSWorld): not a score of 0
    ├── BudgetExceeded               a shared budget (actions, model calls, tokens, cost) ran out
    ├── PolicyBlocked                policy refused an action (confirmation denied, shell not allowed)
    └── ConfigError                  bad input from the user: spec, flag, file; names what is wrong
"""

from __future__ import annotations

from typing import Any, Literal

BudgetKind = Literal["actions", "model_calls", "tokens", "cost", "time"]
ErrorKind = Literal[
    "model_auth",
    "model_unavailable",
    "model",
    "model_output",
    "action_rejected",
    "env",
    "setup",
    "budget",
    "policy",
    "config",
]
"""Which branch of the tree above an error is, for records that outlive the exception
(result.json, an eval task's outcome.json): an eval run stops starting tasks on `model_auth`."""


class GuiAgentError(Exception):
    """Base of every error this package raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ModelFault(GuiAgentError):
    """The model answered, but the answer cannot be used."""


class OutputValidationError(ModelFault):
    """Every attempt of an @agentic call failed validation."""

    def __init__(self, message: str, *, function: str, attempts: list[Any]) -> None:
        super().__init__(message)
        self.function = function
        self.attempts = attempts


class ModelRefusal(ModelFault):
    """The model refused to answer."""


class OutputTruncated(ModelFault):
    """The reply hit the output token limit before it was complete."""


class ActionRejected(GuiAgentError):
    """An action failed validation; nothing reached the computer."""


class ModelError(GuiAgentError):
    """The model provider or transport failed."""


class ModelAuthError(ModelError):
    """Credentials or spend limits: retrying will not help."""


class ModelUnavailable(ModelError):
    """Overloaded, rate limited or unreachable after bounded retries."""


class ReplayMiss(ModelError):
    """A replay cassette has no recorded answer for a call."""


class EnvError(GuiAgentError):
    """The computer being driven failed."""


class SetupError(GuiAgentError):
    """A task's setup step failed."""


class BudgetExceeded(GuiAgentError):
    """A budget shared down the call tree ran out."""

    def __init__(self, message: str, *, kind: BudgetKind) -> None:
        super().__init__(message)
        self.kind = kind


class PolicyBlocked(GuiAgentError):
    """Policy refused an action."""


class ConfigError(GuiAgentError):
    """Bad input from the user (a spec, a flag, a file)."""


def error_kind(exc: BaseException) -> ErrorKind | None:
    """The kind of `exc` (most specific branch first); None for anything not raised on purpose."""
    match exc:
        case ModelAuthError():
            return "model_auth"
        case ModelUnavailable():
            return "model_unavailable"
        case ModelError():
            return "model"
        case ModelFault():
            return "model_output"
        case ActionRejected():
            return "action_rejected"
        case EnvError():
            return "env"
        case SetupError():
            return "setup"
        case BudgetExceeded():
            return "budget"
        case PolicyBlocked():
            return "policy"
        case ConfigError():
            return "config"
        case _:
            return None
