"""Run fills on the sandbox: one run folder (trace.jsonl, result.json) per data row.

A batch (several rows) shares one sandbox desktop and opens the form afresh for each row; each
row is its own fill with its own 15-step budget, trace and result.json.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from gui_agent import context as ctx
from gui_agent.computers.base import Computer
from gui_agent.episode import MAX_STEPS
from gui_agent.errors import GuiAgentError
from gui_agent.models.base import Model
from gui_agent.report import write_report_safely
from gui_agent.trace import TraceWriter
from skills.forms.consent import Confirm
from skills.forms.data import Row
from skills.forms.filling import FormSurface, fill_form
from skills.forms.outcome import FillReport


@dataclass
class RowRun:
    index: int
    report: FillReport
    run_dir: Path


def new_run_dir(out: Path, *, name: str | None = None) -> Path:
    run_dir = out / (name or time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2))
    run_dir.mkdir(parents=True, exist_ok=False)
    return run_dir


def pick_model(spec: str | None) -> Model | None:
    """The model `--model` or the environment configures; None means no-model mode."""
    from gui_agent.models.registry import resolve_model

    if spec:
        return resolve_model(spec)
    if os.environ.get("GUI_AGENT_MODEL") or os.environ.get("ANTHROPIC_API_KEY"):
        return resolve_model(None)
    return None


SurfaceOpener = Callable[[], AbstractContextManager[FormSurface]]
"""Opens the form afresh (for each row) and closes it after the fill."""


def run_rows(
    rows: Sequence[Row],
    *,
    open_surface: SurfaceOpener,
    computer: Computer,
    out: Path,
    model: Model | None,
    confirm: Confirm,
    target: str,
    on_row: Callable[[RowRun], None] | None = None,
) -> list[RowRun]:
    """Fill the form once per row; a run folder per row (under a batch folder when several)."""
    base = new_run_dir(out) if len(rows) > 1 else out
    runs = []
    for index, row in enumerate(rows, start=1):
        run_dir = new_run_dir(base, name=f"row-{index:02d}") if len(rows) > 1 else new_run_dir(out)
        report = fill_one(row, computer=computer, open_surface=open_surface, run_dir=run_dir,
                          model=model, confirm=confirm, target=target)  # fmt: skip
        run = RowRun(index=index, report=report, run_dir=run_dir)
        runs.append(run)
        if on_row is not None:
            on_row(run)
    return runs


def fill_one(row: Row, *, computer: Computer, open_surface: SurfaceOpener, run_dir: Path,
             model: Model | None, confirm: Confirm, target: str) -> FillReport:  # fmt: skip
    """One fill inside its own trace and 15-step budget; result.json written even on errors."""
    trace = TraceWriter(run_dir)
    try:
        with trace.attach(), ctx.frame("forms.run", arguments={"target": target},
                                       budget=ctx.Budget(max_actions=MAX_STEPS)):  # fmt: skip
            try:
                with open_surface() as surface:
                    report = fill_form(row, computer, surface, submit=True,
                                       confirm=confirm, model=model, target=target)  # fmt: skip
            except GuiAgentError as exc:
                report = FillReport(status="env_error", reason=exc.message, target=target)
    finally:
        trace.close()
    report.write(run_dir)
    write_report_safely(run_dir)  # report.html beside result.json (gui_agent.report)
    return report
