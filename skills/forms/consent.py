"""Consent before a submit: a submit is consequential.

`ask_on_terminal` asks on an interactive terminal and answers no otherwise, so an unattended
run never submits without --yes (`always_yes`). Inside an episode the episode's policy gate
(in `skills.base.act`) decides instead.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

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
