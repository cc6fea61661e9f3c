"""`gui-agent fill` (a web form or a desktop program's form) and `gui-agent demo`.

Registered through the `gui_agent.cli` entry-point group, so gui_agent never imports skills.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import click
from rich.console import Console
from rich.table import Table

from gui_agent.computers.base import Computer
from gui_agent.errors import GuiAgentError
from gui_agent.models.base import Model
from gui_agent.plural import counted
from skills.forms.consent import always_yes, ask_on_terminal
from skills.forms.outcome import FillReport
from skills.forms.runs import RowRun, SurfaceOpener, pick_model, run_rows

console = Console(stderr=True)
stdout = Console()
CONFIG_ERROR_EXIT = 2

model_option = click.option("--model", default=None, metavar="SPEC",
                            help="Model for fields code cannot decide (same specs as `run`). "
                                 "Without one (and no GUI_AGENT_MODEL / ANTHROPIC_API_KEY) "
                                 "no model is called.")  # fmt: skip
out_option = click.option("--out", type=click.Path(path_type=Path), default=Path("runs"),
                          show_default=True, help="Where run folders go.")  # fmt: skip
debug_option = click.option("--debug", is_flag=True, help="Show tracebacks.")


def _fail(message: str, code: int = CONFIG_ERROR_EXIT) -> None:
    console.print(f"[red]error:[/red] {message}")
    sys.exit(code)


@click.command("fill")
@click.argument("url", required=False)
@click.option("--app", "app_command", default=None, metavar="COMMAND",
              help="Start this desktop program on the sandbox and fill its form through the "
                   "accessibility tree (instead of a URL).")  # fmt: skip
@click.option("--data", "data_path", required=True, metavar="FILE",
              type=click.Path(path_type=Path, dir_okay=False),
              help="JSON object, YAML mapping, or CSV (several rows: one fill per row).")  # fmt: skip
@click.option("--yes", is_flag=True, help="Consent to submitting. Without it a terminal is "
              "asked; with no terminal the submit is refused (status blocked).")  # fmt: skip
@model_option
@out_option
@debug_option
def fill(url: str | None, app_command: str | None, data_path: Path, yes: bool, model: str | None,
         out: Path, debug: bool) -> None:  # fmt: skip
    """Fill the form at URL (or of --app COMMAND) from --data FILE, then submit it."""
    from skills.forms.data import load_rows

    if bool(url) == bool(app_command):
        _fail("give either a URL or --app COMMAND (exactly one)")
    if url and urlsplit(url).scheme not in ("http", "https", "file"):
        _fail(f"URL {url!r} needs its scheme: http://..., https://... or file:///...")
    try:
        rows = load_rows(data_path)
        chosen = pick_model(model)
        confirm = always_yes if yes else ask_on_terminal
        with _surface_opener(url, app_command) as (computer, opener, target):
            runs = run_rows(rows, open_surface=opener, computer=computer, out=out, model=chosen,
                            confirm=confirm, target=target, on_row=_print_row)  # fmt: skip
    except GuiAgentError as exc:
        if debug:
            raise
        _fail(exc.message)
        return
    if len(runs) > 1:
        _print_batch(runs)
    codes = sorted({run.report.exit_code for run in runs} - {0})
    sys.exit(codes[0] if codes else 0)


@contextmanager
def _surface_opener(url: str | None,
                    app_command: str | None) -> Iterator[tuple[Computer, SurfaceOpener, str]]:  # fmt: skip
    from gui_agent.computers.sandbox import SandboxDesktop

    if url is not None:
        from skills.forms.web import open_web_form

        with SandboxDesktop() as sandbox:
            yield sandbox, lambda: open_web_form(sandbox.cdp_url, url=url), url
        return
    assert app_command is not None
    from skills.forms.desktop import DesktopSandbox

    with DesktopSandbox() as desktop:
        yield desktop.computer, lambda: desktop.open_app(app_command), app_command


@click.command("demo")
@model_option
@out_option
@debug_option
def demo(model: str | None, out: Path, debug: bool) -> None:
    """Fill and submit a bundled three-page form on the sandbox (offline; no key needed)."""
    from gui_agent.computers.sandbox import SandboxDesktop
    from skills.forms.data import load_rows
    from skills.forms.demo.server import DemoFormServer, data_file
    from skills.forms.web import open_web_form

    started = time.monotonic()
    try:
        rows = load_rows(data_file())
        chosen = pick_model(model)
        stdout.print(f"[dim]demo form on the sandbox · model: "
                      f"{chosen.spec if chosen else 'none (code only)'}[/dim]")  # fmt: skip
        with DemoFormServer() as server, SandboxDesktop() as sandbox:
            [run] = run_rows(rows, open_surface=lambda: open_web_form(sandbox.cdp_url, url=server.url),
                             computer=sandbox, out=out, model=chosen, confirm=always_yes,
                             target=server.url)  # fmt: skip
            received = list(server.submissions)
    except GuiAgentError as exc:
        if debug:
            raise
        _fail(exc.message)
        return
    _print_demo(run, chosen, received, time.monotonic() - started)
    sys.exit(run.report.exit_code)


# -- printing --------------------------------------------------------------------------------


def field_table(report: FillReport) -> Table:
    table = Table(show_edge=False, pad_edge=False)
    for column in ("pg", "field", "value", "by", "check"):
        table.add_column(column, overflow="ellipsis", no_wrap=True,
                         min_width=22 if column == "value" else None)  # fmt: skip
    for field in report.fields:
        value = field.shown or field.value
        value = value if len(value) <= 48 else value[:45] + "..."
        by = field.source + (f"+fix:{field.corrected_by}" if field.corrected_by else "")
        check = {True: "[green]ok[/green]", False: "[red]differs[/red]", None: "-"}[
            field.read_back_ok if field.source != "empty" else None]  # fmt: skip
        empty = "[dim](empty)[/dim]"
        table.add_row(str(field.page), field.label[:28], value or empty,
                      by, check)  # fmt: skip
    return table


def _print_row(run: RowRun) -> None:
    report = run.report
    stdout.print(field_table(report))
    colour = "green" if report.status == "done" else "red"
    stdout.print(f"[{colour}]{report.summary_line()}[/{colour}] · {report.duration_s:.1f}s")
    stdout.print(f"run folder: {run.run_dir}")
    if (run.run_dir / "report.html").is_file():
        stdout.print(f"report: {run.run_dir / 'report.html'}")


def _print_batch(runs: list[RowRun]) -> None:
    table = Table(title="batch")
    for column in ("row", "status", "steps", "submitted", "s", "run folder"):
        table.add_column(column)
    for run in runs:
        r = run.report
        table.add_row(str(run.index), r.status, str(r.steps), "yes" if r.submitted else "no",
                      f"{r.duration_s:.1f}", str(run.run_dir))  # fmt: skip
    stdout.print(table)
    summary = [{"row": run.index, "status": run.report.status, "steps": run.report.steps,
                "submitted": run.report.submitted, "reason": run.report.reason,
                "run_dir": str(run.run_dir)} for run in runs]  # fmt: skip
    batch_file = runs[0].run_dir.parent / "batch.json"
    batch_file.write_text(json.dumps(summary, indent=2))
    done = sum(1 for run in runs if run.report.status == "done")
    stdout.print(f"{done} of {len(runs)} rows done · summary: {batch_file}")


def _print_demo(run: RowRun, model: Model | None, received: list[dict[str, str]],
                elapsed: float) -> None:  # fmt: skip
    report = run.report
    stdout.print(field_table(report))
    code = [f.label for f in report.by_source("code")]
    by_model = [f.label for f in report.by_source("model")]
    empty = [f for f in report.by_source("empty")]
    stdout.print(f"filled by code:  {counted(len(code), 'field')} ({', '.join(code)})")
    stdout.print(f"filled by model: {counted(len(by_model), 'field')}"
                 + (f" ({', '.join(by_model)})" if by_model else ""))
    for field in empty:
        note = "no model configured (set ANTHROPIC_API_KEY or --model)" if model is None else field.note
        stdout.print(f"left empty:      {field.label} - {note}")
    corrected = [f for f in report.fields if f.corrected_by]
    for field in corrected:
        stdout.print(f"page error fixed by {field.corrected_by}: {field.label}: {field.errors[0]} "
                  f"-> {field.value!r}")  # fmt: skip
    pages = max(report.pages, 1)
    plain = report.steps - report.correction_steps
    stdout.print(f"steps: {report.steps} for {counted(report.pages, 'page')} "
                 f"({plain / pages:.1f} per page, "
                 f"{report.correction_steps} more to correct rejected values) · "
                 f"model calls: {report.model_calls} · fill {report.duration_s:.1f}s · "
                 f"total {elapsed:.1f}s")  # fmt: skip
    if received:
        stdout.print(f"the form's server received application #{received[-1].get('number')}")
    colour = "green" if report.status == "done" else "red"
    stdout.print(f"[{colour}]{report.status}[/{colour}]"
              + (f": {report.reason}" if report.reason else ""))  # fmt: skip
    stdout.print(f"run folder: {run.run_dir}")
    if (run.run_dir / "report.html").is_file():
        stdout.print(f"report: {run.run_dir / 'report.html'}")
