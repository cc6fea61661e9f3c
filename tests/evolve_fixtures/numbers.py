"""An @agentic function for the evolution tests (its checks live in checks_parity.py)."""

from typing import Literal

from gui_agent.agentic import agentic


@agentic
def parity(n: int) -> Literal["even", "odd"]:
    """Say whether the number is even or odd."""
