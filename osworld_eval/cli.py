"""`gui-agent osworld ...`: coverage, run and report (loaded through the gui_agent.cli entry point).

--examples takes either a folder holding `<domain>/<id>.json` plus the index files (like
`../shared/osworld`, whose tasks are in `examples/`) or OSWorld's own `evaluation_examples`
folder; --index is a path, or a file name looked up in that folder (`test_all.json`).
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import NoReturn

import click
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from gui_agent.cli_errors import print_traceback_if_debug
from gui_agent.episode import MAX_STEPS
from gui_agent.errors import GuiAgentError
from gui_agent.plural import counted
from osworld_eval import task_run
from osworld_eval.evaluate import coverage as task_coverage
from osworld_eval.evaluate import needs_google_credentials
from osworld_eval.google_settings import GOOGLE_SETTINGS_ENV
from osworld_eval.report import (
    DOMAIN_LABELS,
    NOT_SCORED,
    Report,
    attempted_cell,
    build_report,
    published_cell,
    rate_cell,
    steps_cell,
    write_report,
)
from osworld_eval.results import run_folder
from osworld_eval.runner import RunProgress, run_benchmark
from osworld_eval.task_run import TaskStatus
from osworld_eval.tasks import Task, TaskFileError, examples_root, load_tasks
from osworld_eval.vm_config import LocalConfig, environment_factory, load_vm_config, max_envs

console = Console(stderr=True)
BAD_INPUT_EXIT = 2
NOTHING_SCORED_EXIT = 3
STOPPED_EXIT = 4
INTERRUPTED_EXIT = 130
WORKERS_ENV = "GUI_AGENT_OSWORLD_WORKERS"
STOP_REASONS = {
    "model_auth": "the model provider refused the credentials or the account's spend limit "
    "was reached",
}
"""Why a run stopped starting tasks, by RunProgress.stopped_by."""
DEFAULT_DOMAINS = "chrome,os,multi_apps"
MAX_PROBLEMS_SHOWN = 10


def _fail(message: str) -> NoReturn:
    print_traceback_if_debug()
    console.print(f"[red]error:[/red] {message}", highlight=False)
    sys.exit(BAD_INPUT_EXIT)


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _resolve_index(index: str | None, examples: Path) -> Path | None:
    """The index file: as given, or by name in the examples folder (or its parent)."""
    if index is None:
        return None
    candidates = list(
        dict.fromkeys([Path(index), examples / index, examples_root(examples).parent / index])
    )
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    _fail(f"index file {index!r} not found (looked at {', '.join(map(str, candidates))})")


def _offline_ids(path: Path) -> set[str]:
    """Task ids in an offline_ids.json ({domain: {category: [ids]}} or {domain: [ids]})."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        _fail(f"{path}: not a readable JSON file ({exc})")
    ids: set[str] = set()
    for value in data.values() if isinstance(data, dict) else [data]:
        groups = value.values() if isinstance(value, dict) else [value]
        for group in groups:
            if not isinstance(group, list) or not all(isinstance(i, str) for i in group):
                _fail(f"{path}: expected {{domain: {{category: [task ids]}}}}")
            ids.update(group)
    return ids


def _load(
    examples: Path, index: str | None, domains: str, offline_ids: Path | None, task_ids: str | None
) -> list[Task]:
    """Every selected task, validated all at once (a bad file stops everything)."""
    chosen = _split(domains)
    if not chosen:
        _fail("--domains is empty")
    try:
        tasks = load_tasks(examples, index=_resolve_index(index, examples), domains=chosen)
    except TaskFileError as exc:
        shown = exc.problems[:MAX_PROBLEMS_SHOWN]
        more = len(exc.problems) - len(shown)
        _fail(
            "\n".join(
                [
                    f"{len(exc.problems)} problem(s) loading tasks; nothing was run:",
                    *shown,
                    *([f"... and {more} more"] if more else []),
                ]
            )
        )
    if offline_ids is not None:
        allowed = _offline_ids(offline_ids)
        tasks = [t for t in tasks if t.id in allowed]
    wanted = _split(task_ids)
    if wanted:
        known = {t.id for t in tasks}
        unknown = [i for i in wanted if i not in known]
        if unknown:
            _fail(f"--task-ids not among the selected tasks: {', '.join(unknown)}")
        tasks = [t for t in tasks if t.id in set(wanted)]
    if not tasks:
        _fail("no tasks selected")
    return tasks


examples_option = click.option(
    "--examples",
    required=True,
    metavar="DIR",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Task folder: <domain>/<id>.json files (e.g. ../shared/osworld or its examples/), "
    "or OSWorld's evaluation_examples.",
)
index_option = click.option(
    "--index",
    default=None,
    metavar="FILE",
    help="Index file (e.g. test_all.json), a path or a name inside --examples. "
    "Default: every task file of the domains.",
)
domains_option = click.option(
    "--domains", default=DEFAULT_DOMAINS, show_default=True, help="Comma-separated domains."
)
offline_option = click.option(
    "--offline-ids",
    default=None,
    metavar="FILE",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Only tasks listed in this offline_ids.json (tasks that need no internet).",
)
task_ids_option = click.option(
    "--task-ids", default=None, metavar="A,B", help="Only these task ids."
)


@click.group()
def osworld() -> None:
    """OSWorld benchmark: check coverage, run tasks in VMs, report scores honestly."""


@osworld.command()
@examples_option
@index_option
@domains_option
@offline_option
@task_ids_option
@click.option("--unsupported-only", is_flag=True, help="List only tasks we cannot run or score.")
def coverage(
    examples: Path,
    index: str | None,
    domains: str,
    offline_ids: Path | None,
    task_ids: str | None,
    unsupported_only: bool,
) -> None:
    """Which tasks our setup and evaluators fully support, and what the others lack."""
    tasks = _load(examples, index, domains, offline_ids, task_ids)
    missing = {(t.domain, t.id): task_coverage(t) for t in tasks}
    table = Table(title="OSWorld task coverage")
    for column in ("domain", "task", "supported", "missing"):
        table.add_column(column)
    for task in tasks:
        lacks = missing[(task.domain, task.id)]
        if lacks or not unsupported_only:
            if lacks:
                mark = "[red]no[/red]"
            elif needs_google_credentials(task):
                mark = "[yellow]yes, with Google credentials[/yellow]"
            else:
                mark = "[green]yes[/green]"
            table.add_row(task.domain, task.id, mark, ", ".join(lacks))
    out = Console()
    out.print(table)

    summary = Table(title="Coverage per domain")
    for column in ("domain", "tasks", "supported", "unsupported", "most common gaps"):
        summary.add_column(column)
    totals = [0, 0]
    lines = []
    for domain in dict.fromkeys(t.domain for t in tasks):
        keys = [k for k in missing if k[0] == domain]
        supported = sum(1 for k in keys if not missing[k])
        gaps = Counter(g for k in keys for g in missing[k]).most_common(4)
        summary.add_row(
            domain,
            str(len(keys)),
            str(supported),
            str(len(keys) - supported),
            ", ".join(f"{g} ({n})" for g, n in gaps),
        )
        totals[0] += len(keys)
        totals[1] += supported
        lines.append(f"{domain} {supported}/{len(keys)}")
    out.print(summary)
    with_credentials = sum(
        1 for t in tasks if not missing[(t.domain, t.id)] and needs_google_credentials(t)
    )
    if with_credentials:
        out.print(
            f"supported with the user's Google credentials (--google-settings DIR): "
            f"{with_credentials} of them",
            highlight=False,
        )
    out.print(
        "fully supported: " + ", ".join(lines) + f"; total {totals[1]}/{totals[0]}", highlight=False
    )


def _progress_line(p: RunProgress) -> str:
    rate = "-" if p.success_rate is None else f"{p.success_rate:.1f}%"
    line = (
        f"scored {p.scored} ({rate}) · not scored {p.errors} · running {p.running} · "
        f"${p.cost_usd:.2f}"
    )
    if p.stopped_by is not None:
        line = f"[red]stopping: {p.stopped_by}, {p.not_started} not started[/red] · " + line
    return line


def _exit_for(outcomes: list[task_run.TaskOutcome], planned: int, last: RunProgress | None) -> int:
    """Say how the run ended when it did not simply complete; the exit code (see `run`)."""
    interrupted = sum(1 for o in outcomes if o.status is TaskStatus.INTERRUPTED)
    not_run = planned - len(outcomes)
    stopped_by = last.stopped_by if last is not None else None
    if stopped_by is not None:
        cause = next((o for o in outcomes if o.error_kind == stopped_by), None)
        console.print(
            f"[red]stopped early:[/red] {STOP_REASONS.get(stopped_by, stopped_by)}"
            + (f" ({cause.task_id}: {cause.message})" if cause is not None else "")
            + f". {not_run} task(s) not started (nothing recorded for them); fix the key or "
            "the limit, then finish them with the same command and --resume",
            highlight=False,
        )
        return STOPPED_EXIT
    if interrupted or not_run:
        console.print(
            f"[yellow]interrupted:[/yellow] {interrupted} task(s) interrupted, "
            f"{not_run} not run; finish with the same command and --resume"
        )
        return INTERRUPTED_EXIT
    if outcomes and not any(o.status is TaskStatus.SCORED for o in outcomes):
        console.print(
            f"[red]nothing scored:[/red] none of the {len(outcomes)} task(s) could be scored "
            "(see the table above: setup, environment, model or evaluator errors); rerun them "
            "with --resume once the cause is fixed",
            highlight=False,
        )
        return NOTHING_SCORED_EXIT
    return 0


@osworld.command()
@examples_option
@index_option
@domains_option
@offline_option
@task_ids_option
@click.option(
    "--env",
    type=click.Choice(["sandbox", "vm"]),
    default="sandbox",
    show_default=True,
    help="sandbox: our local desktop; vm: what --vm-config describes.",
)
@click.option(
    "--vm-config",
    default=None,
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A vm_configs/*.yaml file (with --env vm).",
)
@click.option(
    "--num-envs",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Environments running tasks in parallel.",
)
@click.option(
    "--model",
    default=None,
    metavar="SPEC",
    help="anthropic:<id> | openai:<model>@<url> | replay:<dir> | python:<file>:<fn>",
)
@click.option(
    "--workers",
    type=click.Choice(["process", "thread"]),
    default="process",
    show_default=True,
    envvar=WORKERS_ENV,
    help="process: each environment's tasks run in a worker process of its own (a worker that "
    "dies costs one retry of its task, and what it started is killed); thread: in this "
    f"process (for in-process test fakes). Default from ${WORKERS_ENV}.",
)
@click.option(
    "--max-steps",
    type=click.IntRange(1, MAX_STEPS),
    default=MAX_STEPS,
    show_default=True,
    help="Cap on executed actions per task (the paper's is 15).",
)
@click.option(
    "--agent",
    default="skills",
    show_default=True,
    metavar="NAME",
    help="skills: the router and skills, then the step loop; loop: the bare step loop.",
)
@click.option("--resume", is_flag=True, help="Finish an earlier run: rerun only unfinished tasks.")
@click.option(
    "--results",
    default=Path("results"),
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Results root folder.",
)
@click.option(
    "--cache-dir",
    default=Path("cache"),
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="OSWorld's file cache (<cache>/<task_id>/...) for task fixtures.",
)
@click.option(
    "--google-settings",
    default=None,
    metavar="DIR",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A copy of OSWorld's evaluation_examples/settings folder with your Google credentials "
    "(for the Google Drive tasks); default $OSWORLD_GOOGLE_SETTINGS.",
)
def run(
    examples: Path,
    index: str | None,
    domains: str,
    offline_ids: Path | None,
    task_ids: str | None,
    env: str,
    vm_config: Path | None,
    num_envs: int,
    model: str | None,
    workers: str,
    max_steps: int,
    agent: str,
    resume: bool,
    results: Path,
    cache_dir: Path,
    google_settings: Path | None,
) -> None:
    """Run OSWorld tasks and report the scores in the paper's format.

    \b
    Exit codes:
      0    the run completed: every task has an outcome, at least one scored (whatever score)
      2    bad input (nothing was run)
      3    the run completed but no task could be scored (all setup/env/model/evaluator errors)
      4    stopped early: the model provider refused the credentials or the spend limit was
           reached; running tasks finished, the others were not started (--resume runs them)
      130  interrupted (Ctrl-C / SIGTERM); --resume finishes the run
    """
    if env == "vm" and vm_config is None:
        _fail("--env vm needs --vm-config (one of vm_configs/*.yaml)")
    if env == "sandbox" and vm_config is not None:
        _fail("--vm-config is for --env vm (vm_configs/local.yaml is what --env sandbox uses)")
    tasks = _load(examples, index, domains, offline_ids, task_ids)
    if google_settings is not None:  # read where setup and getters need it (google_settings.py)
        os.environ[GOOGLE_SETTINGS_ENV] = str(google_settings.resolve())
    try:
        config = LocalConfig(provider="local") if vm_config is None else load_vm_config(vm_config)
        limit = max_envs(config)
        if limit is not None and num_envs > limit:
            _fail(f"{vm_config} gives at most {counted(limit, 'environment')}; "
                  f"use --num-envs {limit}")
        from gui_agent.agents import resolve_agent
        from gui_agent.models.registry import resolve_model

        resolve_agent(agent)  # an unknown name fails here, before any environment starts
        chosen = resolve_model(model)
        factory = environment_factory(config, cache_dir=cache_dir)
    except GuiAgentError as exc:
        _fail(exc.message)
    if isinstance(config, LocalConfig) and num_envs > 1 and not config.private_home():
        console.print(
            "[yellow]note:[/yellow] sandbox environments share /home/user here (no working "
            "bubblewrap, or home: shared), so their tasks run one at a time whatever "
            "--num-envs says"
        )
    run_dir = run_folder(results, chosen.spec)
    console.print(
        f"[dim]{counted(len(tasks), 'task')} · {agent} · {chosen.spec} · "
        f"max {max_steps} steps · "
        f"{counted(num_envs, 'env')} · {run_dir}[/dim]",
        highlight=False,
    )
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[line]}"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        row = bar.add_task("OSWorld", total=len(tasks), line="")

        last: list[RunProgress] = []

        def on_progress(p: RunProgress) -> None:
            last[:] = [p]
            bar.update(row, completed=p.finished, total=p.total, line=_progress_line(p))

        try:
            outcomes = run_benchmark(
                tasks,
                environment_factory=factory,
                model=chosen.spec if workers == "process" else chosen,  # resolved in each worker
                max_steps=max_steps,
                results_root=results,
                num_envs=num_envs,
                resume=resume,
                cache_dir=cache_dir,
                run_one=functools.partial(task_run.run_one_task, agent=agent),
                on_progress=on_progress,
                workers="process" if workers == "process" else "thread",
            )
        except GuiAgentError as exc:
            bar.stop()
            _fail(exc.message)
    report = build_report(run_dir)
    markdown, _ = write_report(report, run_dir)
    print_report(report)
    console.print(f"report: {markdown}", highlight=False)
    code = _exit_for(outcomes, len(tasks), last[0] if last else None)
    if code:
        sys.exit(code)


@osworld.command()
@click.argument("results_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
def report(results_dir: Path) -> None:
    """Report every run under RESULTS_DIR; also writes report.md and report.json there."""
    built = build_report(results_dir)
    if not built.runs:
        _fail(f"no OSWorld results under {results_dir}")
    markdown, data = write_report(built, results_dir)
    print_report(built)
    console.print(f"written: {markdown}, {data}", highlight=False)


def print_report(report: Report) -> None:
    """The report's tables on the terminal (report.md has the same and more)."""
    out = Console()
    table = Table(
        title="OSWorld success rate, % (mean score of the scored tasks)",
        caption=report.note,
        box=box.SIMPLE_HEAD,
    )
    labels = [DOMAIN_LABELS.get(d, d) for d in report.domains]
    table.add_column("Run", min_width=12, overflow="fold")
    for column in ("Steps", *labels, "Overall", "Errors as 0"):
        table.add_column(column, justify="right")

    def two_lines(cell: str) -> str:
        return cell.replace(" (", "\n(")

    for run_row in report.runs:
        table.add_row(
            f"[bold]{run_row.label}[/bold] (ours)",
            str(run_row.max_steps or "?"),
            *(two_lines(rate_cell(run_row.domains.get(d))) for d in report.domains),
            two_lines(rate_cell(run_row.overall)),
            two_lines(attempted_cell(run_row.overall)),
        )
    table.add_section()
    for pub in report.published:
        table.add_row(
            f"{pub.label} [dim](published)[/dim]",
            str(pub.max_steps or "-"),
            *(published_cell(pub.domains.get(d), pub.approximate) for d in report.domains),
            published_cell(pub.overall, pub.approximate),
            "-",
        )
    out.print(table)

    for run_row in report.runs:
        statuses = Table(
            title=f"Not scored, so not in the rate: {run_row.label}", box=box.SIMPLE_HEAD
        )
        columns = [*run_row.domains.items(), ("overall", run_row.overall)]
        statuses.add_column("tasks")
        for domain, _ in columns:
            statuses.add_column(DOMAIN_LABELS.get(domain, domain), justify="right")
        statuses.add_row("planned", *(str(stats.planned) for _, stats in columns))
        statuses.add_row("scored", *(str(stats.scored) for _, stats in columns))
        for name in NOT_SCORED:
            statuses.add_row(
                name.replace("_", " "), *(str(stats.not_scored[name]) for _, stats in columns)
            )
        out.print(statuses)

    usage = Table(title="Steps used and cost per task (ours)", box=box.SIMPLE_HEAD)
    for column in (
        "Run",
        "Steps used",
        "Input tok/task",
        "Output tok/task",
        "Cost/task",
        "Total cost",
    ):
        usage.add_column(column)
    for run_row in report.runs:
        u = run_row.usage
        usage.add_row(
            run_row.label,
            steps_cell(run_row.steps),
            f"{u.input_tokens:,.0f}",
            f"{u.output_tokens:,.0f}",
            f"${u.cost_usd:.4f}",
            f"${u.total_cost_usd:.2f}",
        )
    out.print(usage)
