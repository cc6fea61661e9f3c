"""`gui-agent view RUN_DIR [--open] [--gif]`: the run's table in the terminal, and its report."""

from __future__ import annotations

import json
import sys
import webbrowser
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from gui_agent.plural import counted
from gui_agent.report import GIF_FILE, write_report
from gui_agent.report.index import find_run_folders, is_run_folder, write_index
from gui_agent.report.run_view import load_run


@click.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--open", "open_", is_flag=True, help="Open report.html in the web browser.")
@click.option("--gif", is_flag=True, help=f"Also write {GIF_FILE}, the steps animated.")
def view(run_dir: Path, open_: bool, gif: bool) -> None:
    """Show a run's steps, status and usage, and write its report.html.

    Given a folder of runs (runs/, an OSWorld results tree) instead, write index.html there:
    one line per run, each linking to its report.
    """
    console = Console()
    if not is_run_folder(run_dir) and find_run_folders(run_dir):
        index = write_index(run_dir)
        console.print(f"{counted(len(find_run_folders(run_dir)), 'run')} · index: {index}")
        if open_:
            webbrowser.open(index.resolve().as_uri())
        return
    try:
        run = load_run(run_dir)
        report = write_report(run_dir, gif=gif)
    except (FileNotFoundError, json.JSONDecodeError) as exc:
        Console(stderr=True).print(f"[red]error:[/red] not a run folder: {exc}", soft_wrap=True)
        sys.exit(2)
    table = Table(title=f"{run.goal}  ->  {run.status}")
    for column in ("#", "action", "result", "s", "tokens", "cost"):
        table.add_column(column)
    for step in run.steps:
        outcome = f"rejected: {step.rejected}" if step.rejected else step.outcome
        table.add_row(str(step.index), step.description, outcome, f"{step.duration_s:.1f}",
                      f"{step.tokens:,}", f"${step.cost_usd:.4f}")  # fmt: skip
    console.print(table)
    totals = run.totals
    duration = "" if totals.duration_s is None else f" · {totals.duration_s:.1f}s"
    console.print(f"model {run.model or '-'} · {counted(run.steps_executed, 'action')} · "
                  f"{totals.tokens:,} tokens · ${totals.cost_usd:.4f}{duration}")  # fmt: skip
    console.print(f"report: {report}")
    if gif:
        gif_path = run_dir / GIF_FILE
        console.print(f"gif: {gif_path}" if gif_path.exists() else "gif: no screenshots to show")
    if open_:
        webbrowser.open(report.resolve().as_uri())
