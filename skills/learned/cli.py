"""`gui-agent learn RUN_DIR --name NAME`: stabilize a finished run into a learned program."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

from gui_agent.errors import GuiAgentError

console = Console(stderr=True)
CONFIG_ERROR_EXIT = 2


def parse_params(pairs: tuple[str, ...]) -> dict[str, str]:
    """KEY=VALUE pairs -> dict; a pair without '=' is a usage error naming it."""
    params: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.UsageError(f"--param {pair!r} is not KEY=VALUE")
        params[key.strip()] = value
    return params


@click.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--name", required=True, help="The program's name (lowercase, digits, _).")
@click.option("--param", "params", multiple=True, metavar="KEY=TEXT",
              help="A typed value that becomes parameter KEY (repeatable).")  # fmt: skip
@click.option("--into", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the program [default: $GUI_AGENT_HOME/learned].")  # fmt: skip
def learn(run_dir: Path, name: str, params: tuple[str, ...], into: Path | None) -> None:
    """Turn a run that ended done into a program that replays without the model."""
    from skills.learned.learn import learn as learn_program
    from skills.learned.store import load_program

    try:
        path = learn_program(run_dir, name=name, params=parse_params(params), into=into)
        loaded = load_program(str(path))
    except (GuiAgentError, ValueError) as exc:
        console.print(f"[red]error:[/red] {getattr(exc, 'message', exc)}")
        sys.exit(CONFIG_ERROR_EXIT)
    run_line = f"gui-agent run --learned {path if into else name}"
    run_line += "".join(f" --param {k}=..." for k in loaded.params)
    console.print(f"learned {path}\nrun it: {run_line}")
