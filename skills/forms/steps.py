"""Executing one step for the forms skill, and the consent asked before a submit.

`act` follows the skills contract (skills/base.py): validate, reserve one action of the shared
budget, execute, record the step in the trace. A submit is consequential: `ask_on_terminal`
asks on an interactive terminal and answers no otherwise, so an unattended run never submits
without --yes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from gui_agent import context as ctx
from gui_agent.actions import Action, describe, validate
from gui_agent.computers.base import Computer, ExecutionRecord
from gui_agent.trace import current_trace

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


def act(computer: Computer, action: Action, *, why: str = "") -> ExecutionRecord:
    """One step: validate, take one action of the shared budget, execute, record."""
    width, height = computer.size
    validate(action, width=width, height=height, allow_shell=computer.allows_shell)
    with ctx.frame("step", arguments={"action": describe(action), "why": why}) as node:
        ctx.reserve_action()
        record = computer.execute(action)
        node.output = describe(action)
    trace = current_trace()
    if trace is not None:
        trace.write({"event": "step", "path": node.path, "action": action.model_dump(),
                     "description": describe(action), "why": why, "executed": True,
                     "events": len(record.events)})  # fmt: skip
    return record
