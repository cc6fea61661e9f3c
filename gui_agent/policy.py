"""What may run: a confirmation gate for consequential actions and a shell command policy.

Policy decisions are the program's, not the model's. A refused confirmation raises PolicyBlocked
(the episode ends `blocked`); a shell command the policy forbids is an ActionRejected (the
model hears why and can choose another action).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from gui_agent.actions import Action, Key, Shell, normalize_keys
from gui_agent.errors import ActionRejected, PolicyBlocked

Confirm = Callable[[Action], bool]

CLOSING_KEYS = frozenset({("alt", "f4"), ("ctrl", "q"), ("ctrl", "shift", "q"), ("ctrl", "w")})
DEFAULT_DENIED_SHELL = (
    r"\brm\s+-[a-z]*r[a-z]*f?\s+/(\s|$)",  # rm -rf /
    r"\bmkfs\b",
    r"\bdd\s+if=.*\bof=/dev/",
    r":\(\)\s*\{",  # fork bomb
    r"\b(shutdown|reboot|poweroff|halt)\b",
)


def is_consequential(action: Action) -> bool:
    """Shell commands and keys that close or quit programs."""
    if isinstance(action, Shell):
        return True
    return isinstance(action, Key) and normalize_keys(action.keys) in CLOSING_KEYS


@dataclass(frozen=True)
class Policy:
    """`confirm` is asked before each consequential action; None means allow without asking."""

    confirm: Confirm | None = None
    denied_shell: tuple[str, ...] = DEFAULT_DENIED_SHELL
    consequential: Callable[[Action], bool] = field(default=is_consequential)

    def check(self, action: Action) -> None:
        if isinstance(action, Shell):
            for pattern in self.denied_shell:
                if re.search(pattern, action.command):
                    raise ActionRejected(f"shell command refused by policy ({pattern})")
        if self.confirm is not None and self.consequential(action) and not self.confirm(action):
            raise PolicyBlocked(f"the user did not confirm: {action.kind}")

    def acknowledge(self, action: Action, checks: list[str]) -> None:
        """Provider safety checks on an action: go on only if `confirm` says yes; never by default."""
        if self.confirm is None or not self.confirm(action):
            raise PolicyBlocked(
                "the model provider flagged this action and nobody confirmed it: "
                + "; ".join(checks)
            )
