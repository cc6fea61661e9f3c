"""A stand-in for a model answering `parity`: right only when the prompt explains the rule
(so a softened docstring visibly changes the answers); `GUI_AGENT_MODEL=python:...`."""

import re

from gui_agent.models.base import ModelRequest


def respond(request: ModelRequest) -> str:
    if "remainder" not in request.system:
        return "even"
    n = int(re.search(r"n: (-?\d+)", request.prompt).group(1))  # type: ignore[union-attr]
    return "even" if n % 2 == 0 else "odd"
