"""`gui-agent replay RUN_DIR`: run a recorded episode again, every model answer from its trace.

A GUI run replays on a live desktop (a fresh sandbox draws the same page a little differently
every time), so calls match by path, function version and non-image arguments, and each
screenshot's drift from the recorded one is measured (models/replay.py). The drift of every
call is printed and written to `replay.json` in the new run folder; past `--max-drift` the
replay stops as a divergence (status model_error, the reason names the call and the drift).
The browser opens the page the recorded run started on (its `--url`, kept in result.json)
unless `--url` names another.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from gui_agent.computers.factory import ENV_NAMES
from gui_agent.episode import EXIT_CODES, MAX_STEPS, EpisodeStatus
from gui_agent.errors import GuiAgentError
from gui_agent.start_url import OPENS_A_BROWSER

REPLAY_FILE = "replay.json"


@click.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--env", type=click.Choice(ENV_NAMES), default="sandbox", show_default=True,
              help="The computer to act on.")  # fmt: skip
@click.option("--url", "start_url", default=None, metavar="URL",
              help="Page the browser opens first  [default: the recorded run's --url].")
@click.option("--dry-run", is_flag=True, help="Show the recorded actions without executing.")
@click.option("--max-drift", type=click.FloatRange(0, 1), default=None,
              help="Share of a screenshot's pixels that may differ from the recording before "
                   "the replay counts as diverged  [default: 0.25].")  # fmt: skip
@click.option("--out", type=click.Path(path_type=Path), default=Path("runs"), show_default=True,
              help="Where run folders go.")  # fmt: skip
def replay(run_dir: Path, env: str, start_url: str | None, dry_run: bool,
           max_drift: float | None, out: Path) -> None:  # fmt: skip
    """Run a recorded episode again, answering every model call from its trace (no model)."""
    from gui_agent.cli import _fail, _fail_for, _report, console, run_goal
    from gui_agent.models.replay import DEFAULT_MAX_DRIFT, ReplayModel

    result_file = run_dir / "result.json"
    if not result_file.is_file():
        _fail(f"{run_dir} has no result.json: not a run folder")
    try:
        recorded = json.loads(result_file.read_text())
        goal, agent = recorded["goal"], recorded.get("agent", "loop")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        _fail(f"{result_file} is not a run's result ({type(exc).__name__}: {exc})")
        return
    recorded_url = recorded.get("start_url")
    if start_url is None and env in OPENS_A_BROWSER and isinstance(recorded_url, str):
        start_url = recorded_url or None  # the page the recording started on
    # A run that hit its step cap replays under the same cap (the next answer was never asked).
    steps = recorded.get("steps_executed", MAX_STEPS)
    max_steps = steps if recorded.get("status") == EpisodeStatus.MAX_STEPS and steps else MAX_STEPS
    try:
        model = ReplayModel(run_dir, match="inputs",
                            max_drift=DEFAULT_MAX_DRIFT if max_drift is None else max_drift)  # fmt: skip
        result, new_dir = run_goal(goal, env=env, model=model, max_steps=max_steps, out=out,
                                   start_url=start_url, dry_run=dry_run, agent=agent)  # fmt: skip
    except GuiAgentError as exc:
        _fail_for(exc)
        return
    for call in model.drifts:
        flag = "  [red](diverged)[/red]" if call.drift > model.max_drift else ""
        console.print(f"drift {call.drift:6.1%}  {call.path}{flag}")
    (new_dir / REPLAY_FILE).write_text(json.dumps(_summary(run_dir, model, recorded, result),
                                                  indent=2))  # fmt: skip
    _report(result, new_dir)
    sys.exit(EXIT_CODES[result.status])


def _summary(source: Path, model: Any, recorded: dict[str, Any], result: Any) -> dict[str, Any]:
    drifts = [call.drift for call in model.drifts]
    return {
        "source": str(source),
        "max_drift": model.max_drift,
        "largest_drift": max(drifts, default=0.0),
        "diverged": any(drift > model.max_drift for drift in drifts),
        "recorded_status": recorded.get("status"),
        "status": result.status.value,
        "calls": [vars(call) for call in model.drifts],
    }
