"""What an episode produces: its one terminal status, the record of each step, the totals."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from gui_agent.errors import ErrorKind
from gui_agent.models.base import Usage
from gui_agent.plural import counted
from gui_agent.vault import redact

MAX_STEPS = 15
"""The hard cap on executed actions per episode, shared with everything a skill executes."""


class EpisodeStatus(StrEnum):
    DONE = "done"
    FAILED = "failed"
    MAX_STEPS = "max_steps"
    REFUSED = "refused"
    MODEL_ERROR = "model_error"
    ENV_ERROR = "env_error"
    BUDGET_EXCEEDED = "budget_exceeded"
    INTERRUPTED = "interrupted"
    BLOCKED = "blocked"


EXIT_CODES = {
    EpisodeStatus.DONE: 0,
    EpisodeStatus.FAILED: 1,
    EpisodeStatus.MAX_STEPS: 2,
    EpisodeStatus.REFUSED: 3,
    EpisodeStatus.MODEL_ERROR: 4,
    EpisodeStatus.ENV_ERROR: 5,
    EpisodeStatus.BUDGET_EXCEEDED: 6,
    EpisodeStatus.BLOCKED: 7,
    EpisodeStatus.INTERRUPTED: 130,
}
"""Process exit code of `gui-agent run` for each status."""


@dataclass
class StepRecord:
    """One perception and what became of its action (executed, rejected or terminal)."""

    index: int
    action: dict[str, Any]
    description: str
    executed: bool
    rejected: str | None = None
    events: list[str] = field(default_factory=list)
    screen_changed: bool | None = None
    settle_s: float = 0.0
    duration_s: float = 0.0
    screenshot: str | None = None
    observation: str = ""
    tokens: int = 0
    source: str = "loop"
    """Who chose the action: "loop" (a perception call) or the skill frame that ran it."""
    output: str = ""
    """What an executed command or script printed (cut), for skill steps."""
    snap: dict[str, Any] | None = None
    """When the loop moved a click onto its target's element: from, to, tier, name."""


@dataclass
class EpisodeResult:
    goal: str
    status: EpisodeStatus
    model: str
    steps: list[StepRecord] = field(default_factory=list)
    answer: str | None = None
    reason: str = ""
    usage: Usage = field(default_factory=Usage)
    started_at: float = field(default_factory=time.time)
    ended_at: float | None = None
    agent: str = "loop"
    """What ran the episode: "loop" (the bare step loop) or "skills" (the router, `solve`)."""
    model_calls: int = 0
    """Model requests made, validation retries included."""
    guards: dict[str, Any] = field(default_factory=dict)
    """What the policy's guards saw: tried, blocked, and each event (policy.Policy.summary)."""
    error_kind: ErrorKind | None = None
    """The kind of error that ended the episode (None when none did): `model_auth` means the
    provider refused the credentials or the account's spend limit was reached."""
    start_url: str | None = None
    """The page the browser opened first (`--url`); `gui-agent replay` opens it again."""

    @property
    def steps_executed(self) -> int:
        return sum(1 for s in self.steps if s.executed)

    @property
    def last_action_was_fail(self) -> bool:
        return bool(self.steps) and self.steps[-1].action.get("kind") == "fail"

    def summary_line(self) -> str:
        detail = self.answer or self.reason
        return f"{self.status.value} after {counted(self.steps_executed, 'action')}" + (
            f": {detail}" if detail else ""
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "goal": self.goal,
            "status": self.status.value,
            "steps_executed": self.steps_executed,
            "answer": self.answer,
            "reason": self.reason,
            "model": self.model,
            "agent": self.agent,
            "start_url": self.start_url,
            "model_calls": self.model_calls,
            "usage": self.usage.as_dict(),
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "duration_s": round((self.ended_at or time.time()) - self.started_at, 3),
            "actions": [asdict(step) for step in self.steps],
            "guards": self.guards,
            "error_kind": self.error_kind,
        }

    def write(self, run_dir: Path) -> Path:
        """Write result.json atomically (a reader never sees half a file)."""
        path = Path(run_dir) / "result.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(redact(json.dumps(self.as_dict(), indent=2, ensure_ascii=False)))
        os.replace(tmp, path)
        return path
