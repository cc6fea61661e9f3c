"""Skills: the known way to do common work, and the router that picks one (`solve`).

    from skills import solve
    result = solve("Turn on Do Not Track in Chrome", computer, model="anthropic:...")

A skill is ordinary Python (skills/<domain>.py) run as a frame: deterministic steps plus scoped
@agentic questions where judgment is needed, returning a SkillResult with one summary line.
Everything it executes is a step of the episode's one budget (skills/base.py); when it cannot
finish, the step loop continues in the same budget with its summary as context.
"""

from skills.base import (
    SkillResult,
    SkillStatus,
    act,
    observe,
    read_back,
    run_command,
    run_script,
    write_file,
)  # fmt: skip
from skills.router import route_goal, solve

__all__ = [
    "SkillResult",
    "SkillStatus",
    "act",
    "observe",
    "read_back",
    "route_goal",
    "run_command",
    "run_script",
    "solve",
    "write_file",
]
