"""The counts a run reports while it goes (the CLI's progress line and its ending)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gui_agent.errors import ErrorKind
from osworld_eval.task_run import TaskOutcome, TaskStatus


@dataclass(frozen=True)
class RunProgress:
    """Counts at one moment of a run; outcomes loaded on resume count as finished."""

    total: int
    finished: int
    skipped: int
    running: int
    scored: int
    score_sum: float
    errors: int
    cost_usd: float
    elapsed_s: float
    last: TaskOutcome | None = None
    stopped_by: ErrorKind | None = None
    """Set once a task ended on an error that stops the run: no new task is started after it."""

    @classmethod
    def of(
        cls,
        outcomes: Iterable[TaskOutcome],
        *,
        total: int,
        skipped: int,
        running: int,
        elapsed_s: float,
        last: TaskOutcome | None = None,
        stopped_by: ErrorKind | None = None,
    ) -> RunProgress:
        """The counts over `outcomes` (every outcome recorded so far)."""
        recorded = list(outcomes)
        scored = [o for o in recorded if o.status is TaskStatus.SCORED]
        return cls(total=total, finished=len(recorded), skipped=skipped, running=running,
                   scored=len(scored), score_sum=sum(o.score or 0.0 for o in scored),
                   errors=len(recorded) - len(scored), cost_usd=sum(o.cost_usd for o in recorded),
                   elapsed_s=elapsed_s, last=last, stopped_by=stopped_by)  # fmt: skip

    @property
    def not_started(self) -> int:
        """Tasks neither finished nor running (waiting, or never started if `stopped_by`)."""
        return self.total - self.finished - self.running

    @property
    def success_rate(self) -> float | None:
        """Mean score of the scored tasks, in percent (errors are not in it)."""
        return 100.0 * self.score_sum / self.scored if self.scored else None
