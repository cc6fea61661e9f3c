"""Review a finished run in parallel: one scoped model call per group of steps, joined in code.

Each group of consecutive steps gets its own frame and one `review_steps` call, all started
together with `fan_out`. The review frame shows no returned children to anything below it, so
a group's call sees the goal, its own steps and two screenshots (before its first step, after
its last), never another group's prompt or verdict. A group whose call fails is retried once
inside its own frame; if that fails too, the group is recorded as unreviewed (the other groups
still count). The parent joins the verdicts in code: duplicate findings merged, the rest
ordered by severity then step. The review's own trace goes to RUN_DIR/review/ so the run's
trace (a replay cassette) is left as it was.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from PIL import Image
from pydantic import BaseModel, Field

from gui_agent import context as ctx
from gui_agent.agentic import agentic, use_model
from gui_agent.errors import ModelAuthError, ModelError, ModelFault
from gui_agent.loop import total_usage
from gui_agent.models.base import Model, Usage
from gui_agent.plural import counted
from gui_agent.report.run_view import RunView, StepView, load_run
from gui_agent.trace import TraceWriter

log = logging.getLogger(__name__)

Severity = Literal["critical", "major", "minor", "info"]
SEVERITY_ORDER: dict[str, int] = {"critical": 0, "major": 1, "minor": 2, "info": 3}
GROUP_SIZE = 5
REVIEW_FILE = "review.json"
REVIEW_MD = "review.md"


class Finding(BaseModel):
    steps: list[int] = Field(description="the step numbers the finding is about")
    severity: Severity
    problem: str = Field(description="one sentence: what went wrong or was risky")
    suggestion: str = Field(default="", description="one sentence: what would have worked")


class GroupReview(BaseModel):
    """The verdict on one group of steps."""

    moved_forward: bool = Field(description="did these steps bring the goal closer?")
    verdict: str = Field(description="one sentence on what these steps achieved")
    findings: list[Finding] = Field(default_factory=list)

    def summary_line(self) -> str:
        forward = "forward" if self.moved_forward else "not forward"
        return f"{forward}: {self.verdict} ({counted(len(self.findings), 'finding')})"


@agentic(summarize=lambda r: r.summary_line(), max_retries=1, max_output_tokens=2048)
def review_steps(goal: str, steps: str, before: Image.Image, after: Image.Image) -> GroupReview:
    """Judge whether these steps of a computer-use agent's run moved its goal forward.

    `steps` lists consecutive steps of the run, one per line: the step number, the action, what
    became of it (executed, rejected and why, no visible change) and what the agent observed.
    `before` is the screen before the first of these steps, `after` the screen after the last.
    Say whether the goal is closer after these steps than before, in one sentence what they
    achieved, and list what went wrong or was risky: wasted or repeated actions, clicks that
    missed, typing into the wrong place, misreading the screen, stopping too early, claiming
    success the screen does not show. Severity: critical (the goal cannot be met this way),
    major (cost several steps or left a wrong state), minor (cost a step), info (worth knowing).
    Cite only step numbers from `steps`. Return no findings when nothing went wrong.
    """


@dataclass
class GroupOutcome:
    steps: list[int]
    review: GroupReview | None = None
    error: str | None = None
    attempts: int = 0

    @property
    def label(self) -> str:
        return f"{self.steps[0]}-{self.steps[-1]}" if len(self.steps) > 1 else str(self.steps[0])

    @property
    def title(self) -> str:
        return f"steps {self.label}" if len(self.steps) > 1 else f"step {self.label}"


@dataclass
class RunReview:
    goal: str
    groups: list[GroupOutcome]
    findings: list[Finding] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)

    @property
    def reviewed(self) -> int:
        return sum(1 for g in self.groups if g.review is not None)

    def as_dict(self) -> dict[str, object]:
        return {
            "goal": self.goal,
            "groups": [{"steps": g.label, "moved_forward": g.review.moved_forward,
                        "verdict": g.review.verdict, "attempts": g.attempts}
                       for g in self.groups if g.review is not None],  # fmt: skip
            "unreviewed": [{"steps": g.label, "error": g.error, "attempts": g.attempts}
                           for g in self.groups if g.review is None],  # fmt: skip
            "findings": [f.model_dump() for f in self.findings],
            "usage": self.usage.as_dict(),
        }


def step_line(step: StepView) -> str:
    outcome = f"rejected ({step.rejected})" if step.rejected else step.outcome
    seen = f"; observed: {step.observation}" if step.observation else ""
    by = f" [by {step.source}: {step.why}]" if step.source and step.source != "loop" else ""
    return f"step {step.index}: {step.description} -> {outcome}{seen}{by}"


def group_steps(steps: list[StepView], size: int) -> list[list[StepView]]:
    return [steps[i : i + size] for i in range(0, len(steps), size)]


def _screen(view: RunView, step: StepView | None) -> Image.Image:
    if step is not None and step.screenshot and view.image_path(step.screenshot).is_file():
        with Image.open(view.image_path(step.screenshot)) as image:
            return image.convert("RGB")
    return Image.new("RGB", (64, 40), "black")  # the run kept no screenshot for this step


def _review_group(goal: str, view: RunView, group: list[StepView],
                  after: StepView | None) -> GroupOutcome:  # fmt: skip
    outcome = GroupOutcome(steps=[s.index for s in group])
    text = "\n".join(step_line(s) for s in group)
    before_image, after_image = _screen(view, group[0]), _screen(view, after or group[-1])
    with ctx.frame("review.group", arguments={"steps": outcome.label}) as node:
        for attempt in (1, 2):
            outcome.attempts = attempt
            try:
                outcome.review = review_steps(goal, text, before_image, after_image)
                break
            except (ModelFault, ModelError) as exc:
                outcome.error = f"{type(exc).__name__}: {exc.message}"
                log.info("review of steps %s failed (attempt %d): %s", outcome.label, attempt,
                         outcome.error)  # fmt: skip
                if isinstance(exc, ModelAuthError):
                    break
        if outcome.review is not None:
            outcome.error = None
        node.summary = (outcome.review.summary_line() if outcome.review is not None
                        else f"unreviewed: {outcome.error}")  # fmt: skip
    return outcome


def _normalized(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", text.lower()).split())


def join_findings(groups: list[GroupOutcome]) -> list[Finding]:
    """Merge findings that say the same thing (steps united, worst severity kept); order them
    by severity, then by first step."""
    merged: dict[str, Finding] = {}
    for group in groups:
        for finding in group.review.findings if group.review is not None else []:
            key = _normalized(finding.problem)
            seen = merged.get(key)
            if seen is None:
                merged[key] = finding.model_copy(deep=True)
                continue
            seen.steps = sorted(set(seen.steps) | set(finding.steps))
            if SEVERITY_ORDER[finding.severity] < SEVERITY_ORDER[seen.severity]:
                seen.severity = finding.severity
            seen.suggestion = seen.suggestion or finding.suggestion
    return sorted(merged.values(),
                  key=lambda f: (SEVERITY_ORDER[f.severity], min(f.steps, default=0)))  # fmt: skip


def review_run(run_dir: Path, *, model: Model | str | None = None,
               group_size: int = GROUP_SIZE) -> RunReview:  # fmt: skip
    """Review the run in `run_dir`; write review.json, review.md and refresh report.html."""
    run_dir = Path(run_dir)
    view = load_run(run_dir)
    groups = group_steps(view.steps, max(1, group_size))
    (run_dir / "review" / "trace.jsonl").unlink(missing_ok=True)  # a new review replaces one
    trace = TraceWriter(run_dir / "review")
    chosen = use_model(model) if model is not None else nullcontext()
    calls = [_call(view, group, groups[i + 1][0] if i + 1 < len(groups) else None)
             for i, group in enumerate(groups)]  # fmt: skip
    try:
        with trace.attach(), chosen, ctx.frame("review", arguments={"goal": view.goal},
                                               visible_children=0) as root:  # fmt: skip
            outcomes = ctx.fan_out(calls) if calls else []
    finally:
        trace.close()
    review = RunReview(goal=view.goal, groups=outcomes, findings=join_findings(outcomes),
                       usage=total_usage(root))  # fmt: skip
    _write(run_dir, review)
    return review


def _call(view: RunView, group: list[StepView],
          after: StepView | None) -> Callable[[], GroupOutcome]:  # fmt: skip
    return lambda: _review_group(view.goal, view, group, after)


def render_markdown(review: RunReview) -> str:
    lines = [f"# Review: {review.goal}", "",
             f"{review.reviewed} of {len(review.groups)} step groups reviewed.", "",
             "## Step groups", ""]  # fmt: skip
    for group in review.groups:
        if group.review is None:
            lines.append(f"- {group.title}: **unreviewed** ({group.error})")
        else:
            forward = "moved the goal forward" if group.review.moved_forward else "did not help"
            lines.append(f"- {group.title}: {forward}: {group.review.verdict}")
    lines += ["", "## Findings", ""]
    for finding in review.findings:
        steps = ", ".join(str(s) for s in finding.steps)
        fix = f" Suggestion: {finding.suggestion}" if finding.suggestion else ""
        lines.append(f"- **{finding.severity}** (steps {steps}): {finding.problem}{fix}")
    if not review.findings:
        lines.append("- none")
    return "\n".join(lines) + "\n"


def _write(run_dir: Path, review: RunReview) -> None:
    for name, text in ((REVIEW_FILE, json.dumps(review.as_dict(), indent=2, ensure_ascii=False)),
                       (REVIEW_MD, render_markdown(review))):  # fmt: skip
        tmp = run_dir / f"{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, run_dir / name)
    from gui_agent.report import write_report_safely

    write_report_safely(run_dir)
