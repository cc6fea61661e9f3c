"""`gui-agent evolve` and `gui-agent mark`: the command-line side of gui_agent.evolve."""

from __future__ import annotations

import secrets
import sys
import time
from pathlib import Path

import click
from rich.console import Console

from gui_agent.errors import GuiAgentError


def _fail(message: str) -> None:
    Console(stderr=True).print(f"[red]error:[/red] {message}", soft_wrap=True)
    sys.exit(2)


@click.command()
@click.argument("target", metavar="MODULE:FUNCTION")
@click.option("--tests", "tests", multiple=True, type=click.Path(path_type=Path),
              help="A test file or folder the new implementation must pass (repeatable).")  # fmt: skip
@click.option("--model", default=None, metavar="SPEC", help="The model that proposes candidates.")
@click.option("--attempts", type=click.IntRange(1, 20), default=3, show_default=True)
@click.option("--marks", "marks", multiple=True, type=click.Path(path_type=Path),
              default=[Path("runs")], show_default=True,
              help="Where to look for marked nodes (marks.jsonl under these folders).")  # fmt: skip
@click.option("--timeout", type=float, default=120.0, show_default=True,
              help="Seconds a candidate's tests may run.")  # fmt: skip
@click.option("--out", type=click.Path(path_type=Path), default=Path("runs"), show_default=True,
              help="Where the evolution's trace and report go.")  # fmt: skip
@click.option("--no-isolate", is_flag=True,
              help="Run candidates without bubblewrap (read-only files, no network).")  # fmt: skip
def evolve(target: str, tests: tuple[Path, ...], model: str | None, attempts: int,
           marks: tuple[Path, ...], timeout: float, out: Path, no_isolate: bool) -> None:  # fmt: skip
    """Replace an @agentic function by code (or a better prompt) that passes every test.

    Each attempt asks the model for a candidate and runs the tests (and the cases marked with
    `gui-agent mark`) in a separate process. Only a candidate that passes all of them is
    written, as a stabilized module under $GUI_AGENT_HOME/stabilized, and registered: later
    calls of the function run it. Exit 0 when one was accepted, 1 when none passed.
    """
    from gui_agent.evolve.run import evolve as run_evolve
    from gui_agent.models.registry import resolve_model
    from gui_agent.report import write_report_safely

    run_dir = out / (time.strftime("%Y%m%d-%H%M%S") + "-evolve-" + secrets.token_hex(2))
    try:
        chosen = resolve_model(model)
        run_dir.mkdir(parents=True, exist_ok=False)
        result = run_evolve(target, tests=list(tests), model=chosen, attempts=attempts,
                            marks_from=list(marks), timeout_s=timeout, trace_dir=run_dir,
                            isolate=not no_isolate)  # fmt: skip
    except GuiAgentError as exc:
        _fail(exc.message)
        return
    write_report_safely(run_dir)
    console = Console()
    for attempt in result.attempts:
        verdict = attempt.error or (attempt.trial.summary_line() if attempt.trial else "")
        kind = attempt.proposal.kind if attempt.proposal else "-"
        console.print(f"attempt {attempt.number} ({kind}): {verdict}", soft_wrap=True)
    colour = "green" if result.accepted else "red"
    console.print(f"[{colour}]{result.summary_line()}[/{colour}]", soft_wrap=True)
    console.print(f"trace: {run_dir}", soft_wrap=True)
    sys.exit(0 if result.accepted else 1)


@click.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("node")
@click.option("--expected", required=True, help="The value the call should have returned (JSON).")
def mark(run_dir: Path, node: str, expected: str) -> None:
    """Mark an @agentic call of a run as wrong, with the value it should have returned.

    NODE is the call's path on the report's call tree (or its unique tail, e.g. step#2/perceive#0).
    `gui-agent evolve` tests candidates against every marked call of its function.
    """
    from gui_agent.evolve.cases import MARKS_FILE
    from gui_agent.evolve.cases import mark as mark_node

    try:
        record = mark_node(run_dir, node, expected=expected)
    except GuiAgentError as exc:
        _fail(exc.message)
        return
    Console().print(f"marked {record['path']} ({record['function']}): expected "
                    f"{record['expected']!r}, was {record['actual']!r} -> {run_dir / MARKS_FILE}",
                    soft_wrap=True)  # fmt: skip
