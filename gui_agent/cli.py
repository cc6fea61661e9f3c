"""The `gui-agent` command line: a thin layer over the library.

Other packages add command groups through the `gui_agent.cli` entry-point group (that is how
`gui-agent osworld ...` arrives without this package importing osworld_eval).
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import sys
import time
from importlib.metadata import entry_points, version
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from gui_agent.cli_errors import DebuggableGroup, enable_debug, print_traceback_if_debug
from gui_agent.computers.factory import ENV_NAMES, check_vm_options
from gui_agent.episode import EXIT_CODES, MAX_STEPS, EpisodeResult, EpisodeStatus, StepRecord
from gui_agent.errors import ConfigError, EnvError, GuiAgentError, ModelAuthError
from gui_agent.grounding.cli import locate as locate_command
from gui_agent.models.base import Model
from gui_agent.models.unconfigured import UnconfiguredModel
from gui_agent.plural import counted
from gui_agent.safety_cli import Safety, safety_options
from gui_agent.start_url import URL_HELP, check_browser_options, check_start_url
from gui_agent.vault import RedactingFilter

console = Console(stderr=True)
CONFIG_ERROR_EXIT = 2


def new_run_dir(out: Path) -> Path:
    run_id = time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)
    run_dir = out / run_id
    try:
        run_dir.mkdir(parents=True, exist_ok=False)
    except (NotADirectoryError, FileExistsError, PermissionError) as exc:
        raise ConfigError(f"cannot make a run folder under --out {out}: {exc.strerror}") from exc
    return run_dir


def _fail(message: str, code: int = CONFIG_ERROR_EXIT) -> None:
    print_traceback_if_debug()
    console.print(f"[red]error:[/red] {message}", soft_wrap=True)  # one line, never wrapped
    sys.exit(code)


def _fail_for(exc: GuiAgentError) -> None:
    """Fail before or around an episode: a computer that failed is env_error (exit 5); the
    rest that escapes an episode (a spec, a missing key, a file) is bad input (exit 2)."""
    if isinstance(exc, EnvError):
        _fail(f"env_error: {exc.message}", EXIT_CODES[EpisodeStatus.ENV_ERROR])
    _fail(exc.message)


def _print_step(run_dir: Path) -> Any:
    def on_step(record: StepRecord) -> None:
        if record.screenshot:
            source = run_dir / "images" / f"{record.screenshot}.png"
            target = run_dir / f"step_{record.index:02d}.png"
            if source.exists() and not target.exists():
                try:
                    os.link(source, target)
                except OSError:
                    shutil.copyfile(source, target)
        change = "  [yellow](no visible change)[/yellow]" if record.screen_changed is False else ""
        console.print(
            f"[bold]step {record.index:2d}[/bold]  {record.description:<40}  "
            f"{record.duration_s:5.1f}s  {record.tokens:>6,} tok{change}"
        )

    return on_step


def _report(result: EpisodeResult, run_dir: Path) -> None:
    colour = "green" if result.status == "done" else "red"
    console.print(
        f"[{colour}]{result.status.value}[/{colour}] after {counted(result.steps_executed, 'action')}"
        f" · {result.usage.total_tokens:,} tokens · ${result.usage.cost_usd:.4f}"
        + (" (estimated)" if result.usage.estimated else "")
    )
    if result.answer:
        console.print(f"answer: {result.answer}")
    if result.reason:
        console.print(f"reason: {result.reason}")
    console.print(f"run folder: {run_dir}")
    if (run_dir / "report.html").is_file():
        console.print(f"report: {run_dir / 'report.html'}")


def run_goal(
    goal: str | None,
    *,
    env: str,
    model: str | Model | None,
    max_steps: int,
    out: Path,
    start_url: str | None = None,
    vm_url: str | None = None,
    cdp_url: str | None = None,
    dry_run: bool = False,
    agent: str = "loop",
    snap: bool = True,
    safety: Safety | None = None,
    agent_options: dict[str, Any] | None = None,
) -> tuple[EpisodeResult, Path]:
    """Open the computer, run one episode, write the run folder; shared by run/replay/demo.

    Everything a user typed is checked before the run folder is made, so bad input leaves no
    folder behind; a computer that then fails to start leaves none either (its folder holds
    nothing yet and is removed).
    """
    from gui_agent.agents import preflight, resolve_agent
    from gui_agent.report import write_report_safely
    from gui_agent.trace import TraceWriter

    run_task = resolve_agent(agent)
    chosen = _chosen_model(model, agent=agent)  # fails fast (no key, bad spec)
    safety = safety or Safety.from_options(assume_yes=True)
    if start_url is not None:
        start_url = check_start_url(start_url)
    check_browser_options(env, start_url=start_url, allowlist=safety.allowlist.active)
    if env == "vm":
        check_vm_options(vm_url=vm_url, cdp_url=cdp_url)
    preflight(run_task, agent_options or {})
    run_dir = new_run_dir(out)
    trace = TraceWriter(run_dir)
    console.print(f"[dim]{env} · {agent} · {chosen.spec} · max {max_steps} steps · "
                  f"{run_dir}[/dim]")  # fmt: skip
    try:
        result = _run_on_computer(run_task, goal, env=env, model=chosen, max_steps=max_steps,
                                  trace=trace, start_url=start_url, vm_url=vm_url,
                                  cdp_url=cdp_url, dry_run=dry_run, snap=snap, safety=safety,
                                  run_dir=run_dir, agent_options=agent_options or {})  # fmt: skip
    except BaseException:
        trace.close()
        _remove_if_empty(run_dir)
        raise
    trace.close()
    result.goal = goal or result.goal
    result.start_url = start_url
    result.write(run_dir)
    write_report_safely(run_dir)
    return result, run_dir


def _chosen_model(model: str | Model | None, *, agent: str) -> Model:
    from gui_agent.models.registry import resolve_model

    if model is not None and not isinstance(model, str):
        return model
    try:
        return resolve_model(model)
    except ModelAuthError as exc:
        if agent != "learned" or model:  # a learned program needs a model only to heal
            raise
        return UnconfiguredModel(exc.message)


def _run_on_computer(run_task: Any, goal: str | None, *, env: str, model: Model, max_steps: int,
                     trace: Any, start_url: str | None, vm_url: str | None,
                     cdp_url: str | None, dry_run: bool, snap: bool, safety: Safety,
                     run_dir: Path, agent_options: dict[str, Any]) -> EpisodeResult:  # fmt: skip
    from gui_agent.computers.factory import open_computer
    from gui_agent.safety_cli import BrowserGuards

    first_url = None if safety.allowlist.active else start_url  # loaded through the guard
    guards = BrowserGuards(safety, env=env)
    try:
        computer = open_computer(env, start_url=first_url, vm_url=vm_url,  # type: ignore[arg-type]
                                 cdp_url=cdp_url, chromium_args=guards.launch_args(),
                                 chromium_prefs=guards.launch_prefs())  # fmt: skip
    except BaseException:
        guards.close()
        raise
    try:
        guards.attach(computer, start_url=start_url)
        result: EpisodeResult = run_task(
            safety.goal_for_model(goal) if goal else None, computer, model=model,
            max_steps=max_steps, trace=trace, dry_run=dry_run, on_step=_print_step(run_dir),
            snap=snap, policy=safety.policy, **agent_options)  # fmt: skip
    finally:
        guards.close()
        computer.close()
    return result


def _remove_if_empty(run_dir: Path) -> None:
    """Remove a run folder whose run never got to record anything (never one that did)."""
    trace_file = run_dir / "trace.jsonl"
    images = run_dir / "images"
    recorded = (trace_file.is_file() and trace_file.stat().st_size > 0) or (
        images.is_dir() and any(images.iterdir()))
    if recorded or any(p.name not in ("trace.jsonl", "images") for p in run_dir.iterdir()):
        return
    shutil.rmtree(run_dir, ignore_errors=True)


@click.group(cls=DebuggableGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version("gui-agent"), prog_name="gui-agent")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("--debug", is_flag=True, help="Show the Python traceback behind an error.")
def main(verbose: int, debug: bool) -> None:
    """A computer-use agent: the program owns the control flow, the model is a typed function."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    enable_debug(debug)
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactingFilter())


env_option = click.option("--env", type=click.Choice(ENV_NAMES), default="sandbox",
                          show_default=True, help="The computer to act on.")  # fmt: skip
model_option = click.option("--model", default=None, metavar="SPEC",
                            help="anthropic:<id> | openai:<model>@<url> | replay:<dir> | "
                                 "python:<file>:<fn>  [default: $GUI_AGENT_MODEL or "
                                 "anthropic:claude-sonnet-4-6]")  # fmt: skip
steps_option = click.option("--max-steps", type=click.IntRange(1, MAX_STEPS), default=MAX_STEPS,
                            show_default=True, help="Cap on executed actions.")  # fmt: skip
agent_option = click.option("--agent", default="skills", show_default=True, metavar="NAME",
                            help="skills: the router picks a skill, the step loop finishes; "
                                 "loop: the bare step loop.")  # fmt: skip
out_option = click.option("--out", type=click.Path(path_type=Path), default=Path("runs"),
                          show_default=True, help="Where run folders go.")  # fmt: skip


@main.command()
@click.argument("goal", required=False)
@env_option
@click.option("--vm-url", default=None, help="Base URL of an OSWorld in-VM server (--env vm).")
@click.option("--cdp-url", default=None, metavar="URL",
              help="Where the VM's Chrome answers CDP (--env vm) [default: the --vm-url host, "
                   "port 9222].")  # fmt: skip
@click.option("--url", "start_url", default=None, metavar="URL", help=URL_HELP)
@model_option
@steps_option
@click.option("--dry-run", is_flag=True, help="Show the actions without executing them.")
@agent_option
@click.option("--no-snap", is_flag=True,
              help="Click exactly where the model says, even when it misses its target.")  # fmt: skip
@click.option("--learned", default=None, metavar="NAME",
              help="Run a learned program (gui-agent learn) instead of GOAL's episode.")  # fmt: skip
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE",
              help="A parameter of the --learned program (repeatable).")  # fmt: skip
@out_option
@safety_options
def run(goal: str | None, env: str, vm_url: str | None, cdp_url: str | None,
        start_url: str | None,
        model: str | None, max_steps: int, dry_run: bool, agent: str, no_snap: bool,
        learned: str | None, params: tuple[str, ...], out: Path, secrets: tuple[str, ...],
        allow_domains: tuple[str, ...], assume_yes: bool) -> None:  # fmt: skip
    """Work toward GOAL on a computer, at most --max-steps actions (or run --learned NAME)."""
    agent_options: dict[str, Any] = {}
    if learned is not None:
        agent, agent_options = "learned", _learned_run(learned, params)
    elif params:
        _fail("--param is for --learned programs")
    elif not goal or not goal.strip():
        _fail("give a GOAL (or --learned NAME)")
    if cdp_url and env != "vm":
        _fail("--cdp-url is for --env vm (the other computers know their browser)")
    try:
        safety = Safety.from_options(secrets=secrets, allow_domains=allow_domains,
                                     assume_yes=assume_yes)  # fmt: skip
        result, run_dir = run_goal(goal, env=env, model=model, max_steps=max_steps, out=out,
                                   start_url=start_url, vm_url=vm_url, cdp_url=cdp_url,
                                   dry_run=dry_run,
                                   agent=agent, snap=not no_snap, safety=safety,
                                   agent_options=agent_options)  # fmt: skip
    except GuiAgentError as exc:
        _fail_for(exc)
        return
    _report(result, run_dir)
    sys.exit(EXIT_CODES[result.status])


@main.command()
@click.option("--calibrate", is_flag=True, help="Also click markers on a sandbox and measure.")
def doctor(calibrate: bool) -> None:
    """Report what is ready and what is missing, with the fix."""
    from gui_agent.doctor import run_checks

    checks = run_checks()
    table = Table(title="gui-agent doctor")
    for column in ("check", "state", "detail", "fix"):
        table.add_column(column)
    colours = {"ok": "green", "missing": "red", "optional": "yellow"}
    for check in checks:
        colour = colours[check.state]
        table.add_row(check.name, f"[{colour}]{check.state}[/{colour}]", check.detail, check.fix)
    Console().print(table)
    failed = any(c.state == "missing" and c.name != "model" for c in checks)
    if calibrate and not failed:
        from gui_agent.calibration import calibrate as run_calibration
        from gui_agent.computers.sandbox import SandboxDesktop

        with SandboxDesktop() as sandbox:
            report = run_calibration(sandbox)
        verdict = "[green]passed[/green]" if report.passed else "[red]failed[/red]"
        Console().print(f"calibration {verdict}: max error {report.max_error_px:.1f} px")
        failed = failed or not report.passed
    sys.exit(1 if failed else 0)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535),
              help="0 picks a free port.")  # fmt: skip
@click.option("--token", default=None, envvar="GUI_AGENT_SERVER_TOKEN",
              help="Required for any host other than loopback.")  # fmt: skip
@click.option("--width", default=1280, show_default=True, type=click.IntRange(64, 8192))
@click.option("--height", default=800, show_default=True, type=click.IntRange(64, 8192))
@click.option("--isolate/--no-isolate", default=True, show_default=True,
              help="Run every command inside a bubblewrap boundary that sees only the "
                   "sandbox home (needs the bubblewrap package).")  # fmt: skip
def serve(host: str, port: int, token: str | None, width: int, height: int,
          isolate: bool) -> None:  # fmt: skip
    """Serve a sandbox desktop over OSWorld's in-VM HTTP protocol (Ctrl-C stops everything)."""
    from gui_agent.computers.server import run_server

    try:
        run_server(host=host, port=port, token=token, width=width, height=height,
                   isolate=isolate)
    except GuiAgentError as exc:
        _fail(exc.message)


def _learned_run(name: str, pairs: tuple[str, ...]) -> dict[str, Any]:
    """The options of `run --learned NAME` for the `learned` agent (which loads the program)."""
    params: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            _fail(f"--param {pair!r} is not KEY=VALUE")
        params[key] = value
    return {"program": name, "params": params}


def _add_own_commands() -> None:
    from gui_agent.evolve.cli import evolve, mark
    from gui_agent.replay_cli import replay
    from gui_agent.report.cli import view
    from gui_agent.review_cli import review

    for command in (view, replay, review, evolve, mark):
        main.add_command(command)


def _add_plugin_groups() -> None:
    for entry in entry_points(group="gui_agent.cli"):
        try:
            main.add_command(entry.load(), name=entry.name)
        except ImportError as exc:  # a broken optional plugin must not break the whole CLI
            logging.getLogger(__name__).warning("cli plugin %s not loaded: %s", entry.name, exc)


_add_own_commands()
main.add_command(locate_command)
_add_plugin_groups()
