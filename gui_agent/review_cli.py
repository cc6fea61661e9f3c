"""`gui-agent review RUN_DIR`: a parallel review of a finished run (see gui_agent.review)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

from gui_agent.errors import GuiAgentError

MODEL_ERROR_EXIT = 4


@click.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--model", default=None, metavar="SPEC", help="The reviewing model (as for run).")
@click.option("--group-size", type=click.IntRange(1, 15), default=5, show_default=True,
              help="Steps per reviewer.")  # fmt: skip
def review(run_dir: Path, model: str | None, group_size: int) -> None:
    """Review a run: one scoped model call per group of steps, in parallel; writes review.md."""
    from gui_agent.models.registry import resolve_model
    from gui_agent.review import REVIEW_MD, review_run

    err = Console(stderr=True)
    if not any((run_dir / name).is_file() for name in ("result.json", "trace.jsonl")):
        err.print(f"[red]error:[/red] not a run folder: {run_dir} has neither result.json nor "
                  "trace.jsonl", soft_wrap=True)  # fmt: skip
        sys.exit(2)
    try:
        chosen = resolve_model(model)
        result = review_run(run_dir, model=chosen, group_size=group_size)
    except GuiAgentError as exc:
        err.print(f"[red]error:[/red] {exc.message}", soft_wrap=True)
        sys.exit(2)
    except FileNotFoundError as exc:  # the run folder's files are there but unreadable
        err.print(f"[red]error:[/red] not a run folder: {exc}", soft_wrap=True)
        sys.exit(2)
    out = Console()
    for group in result.groups:
        verdict = (f"[red]unreviewed[/red]: {group.error}" if group.review is None
                   else ("forward" if group.review.moved_forward else "[yellow]not forward[/yellow]")
                   + f": {group.review.verdict}")  # fmt: skip
        out.print(f"{group.title}: {verdict}", soft_wrap=True)
    for finding in result.findings:
        out.print(f"[bold]{finding.severity}[/bold] steps {finding.steps}: {finding.problem}",
                  soft_wrap=True)  # fmt: skip
    out.print(f"{result.reviewed}/{len(result.groups)} groups reviewed · "
              f"{result.usage.total_tokens:,} tokens · ${result.usage.cost_usd:.4f} · "
              f"{run_dir / REVIEW_MD}")  # fmt: skip
    if result.groups and result.reviewed == 0:
        sys.exit(MODEL_ERROR_EXIT)
