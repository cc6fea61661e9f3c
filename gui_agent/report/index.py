"""An index of many runs (a `runs/` folder, an OSWorld results tree): one line per run folder,
each linking to its report.html (written here when missing)."""

from __future__ import annotations

import html
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from gui_agent.plural import counted
from gui_agent.report.html import CSP, STYLE
from gui_agent.report.run_view import load_run

log = logging.getLogger(__name__)
INDEX_FILE = "index.html"
MAX_DEPTH = 8
RUN_MARKERS = ("result.json", "trace.jsonl", "outcome.json")


@dataclass(frozen=True)
class RunLine:
    folder: Path
    goal: str
    status: str
    score: float | None
    steps: int
    tokens: int
    cost_usd: float


def is_run_folder(folder: Path) -> bool:
    return any((folder / marker).is_file() for marker in RUN_MARKERS)


def find_run_folders(root: Path) -> list[Path]:
    """Run folders at or below `root`, in path order; a run's own subfolders are not searched."""
    found: list[Path] = []
    root_depth = len(root.parts)
    for current, dirs, _files in os.walk(root):
        folder = Path(current)
        if is_run_folder(folder):
            found.append(folder)
            dirs.clear()
        elif len(folder.parts) - root_depth >= MAX_DEPTH:
            dirs.clear()
        dirs.sort()
    return sorted(found)


def write_index(root: Path) -> Path:
    """Write `root/index.html` over every run folder below `root` (and their missing reports)."""
    from gui_agent.report import REPORT_FILE, write_report_safely

    lines: list[RunLine] = []
    for folder in find_run_folders(root):
        try:
            view = load_run(folder)
        except (FileNotFoundError, OSError) as exc:
            log.warning("skipped %s: %s", folder, exc)
            continue
        if not (folder / REPORT_FILE).is_file():
            write_report_safely(folder)
        lines.append(RunLine(folder, view.goal, view.task_status or view.status, view.score,
                             view.steps_executed, view.totals.tokens, view.totals.cost_usd))  # fmt: skip
    target = root / INDEX_FILE
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(render_index(root, lines), encoding="utf-8")
    os.replace(tmp, target)
    return target


def render_index(root: Path, lines: list[RunLine]) -> str:
    def e(value: object) -> str:
        return html.escape(str(value), quote=True)

    rows = []
    for line in lines:
        link = (line.folder / "report.html").relative_to(root).as_posix()
        score = "" if line.score is None else f"{line.score:g}"
        rows.append(f'<tr><td><a href="{e(link)}">{e(line.folder.relative_to(root).as_posix() or ".")}'
                    f'</a></td><td>{e(line.goal[:120])}</td><td><span class="badge s-{e(line.status)}">'
                    f"{e(line.status)}</span></td><td>{e(score)}</td><td>{line.steps}</td>"
                    f"<td>{line.tokens:,}</td><td>${line.cost_usd:.4f}</td></tr>")  # fmt: skip
    done = sum(1 for line in lines if line.status in ("done", "scored"))
    total_cost = sum(line.cost_usd for line in lines)
    head = "".join(f"<th>{h}</th>" for h in
                   ("run", "goal", "status", "score", "actions", "tokens", "cost"))  # fmt: skip
    return ('<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f"<title>{e(root.name)} - gui-agent runs</title><style>{STYLE}"
            "#runs td{text-align:left}</style></head><body><main>"
            f"<h1>{e(root)}</h1><p>{counted(len(lines), 'run')} · {done} done or scored · "
            f"${total_cost:.4f}</p>"
            f'<table class="totals" id="runs"><tr>{head}</tr>{"".join(rows)}</table>'
            "</main></body></html>")  # fmt: skip
