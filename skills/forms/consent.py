"""Consent before a submit: a submit is consequential.

`ask_on_terminal` asks on an interactive terminal and answers no otherwise, so an unattended
run never submits without --yes (`always_yes`). Inside an episode the episode's policy decides
(`episode_consent`): no confirmation callback there means no consent.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from gui_agent.actions import Action
from gui_agent.loop import current_episode

Confirm = Callable[[str], bool]
"""Asked with a one-line description of a consequential action; True allows it."""


def ask_on_terminal(question: str) -> bool:
    """Ask on the terminal when there is one; without a terminal the answer is no."""
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return False
    import click

    return click.confirm(question, default=False, err=True)


def always_yes(question: str) -> bool:
    """Consent given up front (--yes)."""
    return True


def episode_consent(action: Action) -> Confirm:
    """Consent as the running episode's policy gives it for `action` (none without a policy)."""

    def confirm(question: str) -> bool:
        episode = current_episode()
        policy_confirm = episode.policy.confirm if episode is not None else None
        return policy_confirm is not None and policy_confirm(action)

    return confirm
