"""Which agent runs an episode: the bare step loop, or one registered by another package.

gui_agent never imports the skills package: `skills` arrives through the `gui_agent.agents`
entry-point group (pyproject.toml), and the CLI resolves a name here. An agent is called like
`run_task(goal, computer, *, model=..., max_steps=..., trace=..., on_step=..., ...)` and returns
the EpisodeResult. An agent with options of its own (a program name, parameters) may carry a
`preflight(**options)` attribute that raises ConfigError for bad ones: the CLI calls it before
any run folder or computer exists, so bad input leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from gui_agent.episode import EpisodeResult
from gui_agent.errors import ConfigError

AgentFn = Callable[..., EpisodeResult]
ENTRY_POINT_GROUP = "gui_agent.agents"
DEFAULT_AGENT = "skills"


def agent_names() -> list[str]:
    """"loop" and every registered agent, sorted."""
    return sorted({"loop", *(entry.name for entry in entry_points(group=ENTRY_POINT_GROUP))})


def resolve_agent(name: str) -> AgentFn:
    """The agent called `name`; a ConfigError names the ones that exist."""
    if name == "loop":
        from gui_agent.loop import run_task

        return run_task
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name == name:
            try:
                loaded: Any = entry.load()
            except ImportError as exc:
                raise ConfigError(f"agent {name!r} cannot be loaded: {exc}") from exc
            return loaded
    raise ConfigError(f"no agent named {name!r}; choose one of: {', '.join(agent_names())}")


def preflight(agent: AgentFn, options: dict[str, Any]) -> None:
    """Check an agent's own options before anything starts (see the module docstring)."""
    check = getattr(agent, "preflight", None)
    if callable(check):
        check(**options)
