"""`gui-agent bench ...`: benchmark commands, a thin layer over gui_agent.bench.

The group is added to the main command line with `main.add_command(bench)` (or the
`gui_agent.cli` entry point `bench = "gui_agent.bench.cli:bench"`).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from gui_agent.bench.miniwob import REPORT_FILE, MiniWobEpisode, MiniWobReport, run_miniwob
from gui_agent.bench.miniwob_env import DEFAULT_EPISODE_TIME_S, available_tasks
from gui_agent.cli_errors import print_traceback_if_debug
from gui_agent.episode import MAX_STEPS
from gui_agent.errors import ConfigError, GuiAgentError
from gui_agent.plural import counted, plural_noun

console = Console(stderr=True)
CONFIG_ERROR_EXIT = 2


@click.group()
def bench() -> None:
    """Run benchmarks through the agent loop and score them."""


@bench.command()
@click.option("--model", default=None, metavar="SPEC",
              help="anthropic:<id> | openai:<model>@<url> | replay:<dir> | python:<file>:<fn>  "
                   "[default: $GUI_AGENT_MODEL or anthropic:claude-sonnet-4-6]")  # fmt: skip
@click.option("--tasks", default=None, metavar="A,B,C",
              help="Comma-separated MiniWoB++ task names (see --list).")  # fmt: skip
@click.option("--episodes", type=click.IntRange(min=1), default=1, show_default=True,
              help="Episodes per task.")  # fmt: skip
@click.option("--max-steps", type=click.IntRange(1, MAX_STEPS), default=MAX_STEPS,
              show_default=True, help="Cap on executed actions per episode.")  # fmt: skip
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help=f"Folder for {REPORT_FILE} and one run folder per episode "
                   "[default: runs/miniwob-<time>].")  # fmt: skip
@click.option("--seed", type=int, default=None, help="Make the generated problems reproducible.")
@click.option("--episode-time", type=click.FloatRange(min=1), default=DEFAULT_EPISODE_TIME_S,
              show_default=True, help="Seconds the task page allows an episode.")  # fmt: skip
@click.option("--list", "list_tasks", is_flag=True, help="List the task names and exit.")
def miniwob(model: str | None, tasks: str | None, episodes: int, max_steps: int,
            out: Path | None, seed: int | None, episode_time: float,
            list_tasks: bool) -> None:  # fmt: skip
    """Run MiniWoB++ tasks on a sandbox desktop and report each task's reward."""
    try:
        if list_tasks:
            click.echo("\n".join(available_tasks()))
            return
        names = [name.strip() for name in (tasks or "").split(",") if name.strip()]
        if not names:
            raise click.UsageError("give --tasks a,b,c (or --list to see the names)")
        unknown = sorted(set(names) - set(available_tasks()))
        if unknown:  # before anything is announced or started
            raise ConfigError(f"unknown MiniWoB++ {plural_noun(len(unknown), 'task')}: "
                              f"{', '.join(unknown)} "
                              "(gui-agent bench miniwob --list shows the names)")  # fmt: skip
        out = out or Path("runs") / time.strftime("miniwob-%Y%m%d-%H%M%S")
        console.print(f"MiniWoB++: {counted(len(names), 'task')} x "
                      f"{counted(episodes, 'episode')} -> {out}")
        report = run_miniwob(names, model=model, episodes=episodes, max_steps=max_steps,
                             out_dir=out, seed=seed, episode_time_s=episode_time,
                             on_episode=_print_episode)  # fmt: skip
    except GuiAgentError as exc:
        print_traceback_if_debug()
        console.print(f"[red]error:[/red] {exc.message}")
        sys.exit(CONFIG_ERROR_EXIT)
    Console().print(report_table(report))
    console.print(f"report: {out / REPORT_FILE}")


@bench.command()
@click.option("--sections", default="harness,context,memory", show_default=True,
              metavar="A,B", help="Any of: harness, context, skills, memory, throughput, "
                                  "grounding.")  # fmt: skip
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("scripts/measured"), show_default=True,
              help="Folder for perf.json (merged section by section) and the charts.")  # fmt: skip
@click.option("--repeats", type=click.IntRange(1, 20), default=3, show_default=True,
              help="Runs of each repeated measurement (min/median/max are reported).")  # fmt: skip
@click.option("--examples", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, help="OSWorld task files (for the throughput section).")  # fmt: skip
@click.option("--throughput-tasks", type=click.IntRange(1, 200), default=8, show_default=True,
              help="Offline OSWorld tasks per --num-envs setting.")  # fmt: skip
@click.option("--skills-json", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Results of the skills-vs-loop measurement (for the skills section).")  # fmt: skip
@click.option("--grounding-json", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Results of `gui-agent bench grounding` (for the grounding section).")  # fmt: skip
@click.option("--readme", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Rewrite this README's \"Measured here\" block from perf.json.")  # fmt: skip
def perf(sections: str, out: Path, repeats: int, examples: Path | None, throughput_tasks: int,
         skills_json: Path | None, grounding_json: Path | None,
         readme: Path | None) -> None:  # fmt: skip
    """Measure speed, context, memory and throughput side by side with the alternatives."""
    from gui_agent.bench.perf.readme import update_readme
    from gui_agent.bench.perf.runner import PERF_FILE, SECTIONS, run_perf

    chosen = [name.strip() for name in sections.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown or not chosen:
        raise click.UsageError(f"unknown section(s) {unknown}; choose from {', '.join(SECTIONS)}")
    console.print(f"bench perf: {', '.join(chosen)} -> {out / PERF_FILE}")
    report = run_perf(chosen, out=out, repeats=repeats, examples=examples,  # type: ignore[arg-type]
                      throughput_tasks=throughput_tasks, skills_json=skills_json,
                      grounding_json=grounding_json,
                      on_section=lambda name, s: console.print(f"  {name}: {s:.0f} s"))  # fmt: skip
    failed = [name for name in chosen if "error" in report.get(name, {})]
    for name in failed:
        console.print(f"[red]{name} failed:[/red] {report[name]['error']}")
    if readme is not None:
        update_readme(readme, out / PERF_FILE)
        console.print(f"updated {readme}")
    if failed:
        sys.exit(1)


def _print_episode(episode: MiniWobEpisode) -> None:
    colour = "green" if episode.success else "red"
    note = f"  {episode.reason}" if episode.reason and not episode.success else ""
    console.print(
        f"{episode.task:<28} #{episode.episode:<3} [{colour}]{episode.reward:+.2f}[/{colour}]  "
        f"{episode.steps:2d} {plural_noun(episode.steps, 'step'):<5}  {episode.tokens:>8,} tok  "
        f"{episode.duration_s:6.1f}s  "
        f"{episode.status}{note}"
    )


def report_table(report: MiniWobReport) -> Table:
    """Per-task rows and a total row: env errors, then reward and success over the episodes
    the environment did not fail, steps, tokens, cost, time."""
    table = Table(title=f"MiniWoB++ · {report.model} · max {report.max_steps} steps")
    for column in ("task", "episodes", "env errors", "mean reward", "success", "steps",
                   "tokens", "cost $", "time s"):  # fmt: skip
        if column == "task":
            table.add_column(column, no_wrap=True)
        else:
            table.add_column(column, justify="right")
    for row in report.tasks():
        table.add_row(row.task, str(row.episodes), str(row.env_errors), f"{row.mean_reward:+.2f}",
                      f"{row.success_rate:.0%}", f"{row.mean_steps:.1f}", f"{row.tokens:,}",
                      f"{row.cost_usd:.4f}", f"{row.duration_s:.1f}")  # fmt: skip
    episodes = report.episodes
    table.add_section()
    table.add_row("all", str(len(episodes)), str(report.env_errors), f"{report.mean_reward:+.2f}",
                  f"{report.success_rate:.0%}",
                  f"{sum(e.steps for e in episodes) / max(len(episodes), 1):.1f}",
                  f"{sum(e.tokens for e in episodes):,}",
                  f"{sum(e.cost_usd for e in episodes):.4f}", f"{report.duration_s:.1f}",
                  style="bold")  # fmt: skip
    return table


def _add_grounding() -> None:
    from gui_agent.grounding.bench_cli import grounding

    bench.add_command(grounding)


_add_grounding()
