"""The trajectory report: one self-contained report.html per run folder (and optionally a GIF).

    from gui_agent.report import write_report
    write_report(run_dir)            # -> run_dir / "report.html"

`gui-agent run`, `osworld run` (per task) and the forms commands call `write_report` when a
run ends; `gui-agent view RUN_DIR` writes it again (after a review, say) and can open it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from gui_agent.report.gif import write_gif
from gui_agent.report.html import render_html
from gui_agent.report.run_view import RunView, load_run

__all__ = ["GIF_FILE", "REPORT_FILE", "RunView", "load_run", "write_report", "write_report_safely"]

log = logging.getLogger(__name__)
REPORT_FILE = "report.html"
GIF_FILE = "run.gif"


def write_report(run_dir: Path, *, gif: bool = False) -> Path:
    """Write `run_dir/report.html` (and `run.gif` with `gif=True`); return the report's path.

    Raises FileNotFoundError when the folder holds neither result.json nor trace.jsonl.
    """
    run_dir = Path(run_dir)
    view = load_run(run_dir)
    target = run_dir / REPORT_FILE
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(render_html(view), encoding="utf-8")
    os.replace(tmp, target)
    if gif:
        write_gif(view, run_dir / GIF_FILE)
    return target


def write_report_safely(run_dir: Path) -> Path | None:
    """`write_report`, for the end of a run: a report that cannot be written must not turn a
    finished run into a crash, so the failure is logged and None returned."""
    try:
        return write_report(run_dir)
    except Exception:  # noqa: BLE001 - the run's own result matters more than its report
        log.warning("could not write the report of %s", run_dir, exc_info=True)
        return None
