"""Run the chosen sections, write perf.json and the charts, keep every section's failure apart."""

from __future__ import annotations

import json
import logging
import os
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from gui_agent.bench.perf import plots
from gui_agent.bench.perf.stats import machine

log = logging.getLogger(__name__)
Section = Literal["harness", "context", "skills", "memory", "throughput", "grounding"]
SECTIONS: tuple[Section, ...] = ("harness", "context", "skills", "memory", "throughput",
                                 "grounding")  # fmt: skip
PERF_FILE = "perf.json"


def run_perf(sections: list[Section], *, out: Path, repeats: int, examples: Path | None,
             throughput_tasks: int, skills_json: Path | None, grounding_json: Path | None,
             on_section: Callable[[str, float], None] | None = None) -> dict[str, Any]:  # fmt: skip
    """Measure `sections` and write `out/perf.json` (merged into an existing one) and charts."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / PERF_FILE
    report: dict[str, Any] = json.loads(path.read_text()) if path.is_file() else {}
    report["machine"] = machine()
    command = "gui-agent bench perf " + shlex.join(sys.argv[3:] if len(sys.argv) > 3 else [])
    for section in sections:
        started = time.monotonic()
        load = round(os.getloadavg()[0], 2)
        try:
            report[section] = _measure(section, repeats=repeats, examples=examples,
                                       throughput_tasks=throughput_tasks,
                                       skills_json=skills_json, grounding_json=grounding_json)  # fmt: skip
        except Exception as exc:  # one section's failure must not lose the others
            log.exception("bench perf: section %s failed", section)
            report[section] = {"error": f"{type(exc).__name__}: {exc}"}
        report[section]["seconds"] = round(time.monotonic() - started, 1)
        report[section]["command"] = command
        report[section]["load_average_1m_at_start"] = load
        report[section]["measured_at"] = time.strftime("%Y-%m-%d %H:%M:%S")
        path.write_text(json.dumps(report, indent=2) + "\n")
        if on_section is not None:
            on_section(section, report[section]["seconds"])
    _charts(report, out)
    return report


def _measure(section: Section, *, repeats: int, examples: Path | None, throughput_tasks: int,
             skills_json: Path | None, grounding_json: Path | None) -> dict[str, Any]:  # fmt: skip
    match section:
        case "harness":
            from gui_agent.bench.perf import harness

            return harness.measure(repeats=repeats)
        case "context":
            from gui_agent.bench.perf import context

            return context.measure()
        case "memory":
            from gui_agent.bench.perf import memory

            return memory.measure()
        case "throughput":
            from gui_agent.bench.perf import throughput

            if examples is None:
                raise ValueError("the throughput section needs --examples (OSWorld task files)")
            return throughput.measure(examples, tasks=throughput_tasks)
        case "skills":
            return _read_json(skills_json, what="skills vs loop")
        case "grounding":
            return _read_json(grounding_json, what="grounding")


def _read_json(path: Path | None, *, what: str) -> dict[str, Any]:
    if path is None or not path.is_file():
        raise FileNotFoundError(f"no {what} results at {path}; run that benchmark first")
    data = json.loads(path.read_text())
    return {"source": str(path), **(data if isinstance(data, dict) else {"data": data})}


def _charts(report: dict[str, Any], out: Path) -> None:
    context = report.get("context", {})
    if "ours_per_step" in context:
        plots.line_chart(out / "context_tokens.png", title="input tokens per perception call",
                         x_label="step", series={"call-tree context (ours)":
                                                 context["ours_per_step"],
                                                 "transcript loop (3 screenshots)":
                                                 context["transcript_per_step"]})  # fmt: skip
    harness = report.get("harness", {})
    if "step_ms" in harness:
        plots.bar_chart(out / "step_time.png", title="one step, model time excluded (ms)",
                        unit="ms", bars={"ours (median)": harness["step_ms"]["median"],
                                         "computer-use demo": harness["demo_step_ms"],
                                         "OSWorld pause": harness["osworld_pause_ms"]})  # fmt: skip
    by_home = report.get("throughput", {}).get("by_home", {})
    if by_home:
        plots.bar_chart(out / "throughput.png", title="OSWorld tasks per hour on sandboxes",
                        unit="--num-envs", bars={f"{n} env(s), {home} home": r["tasks_per_hour"]
                                                 for home, runs in by_home.items()
                                                 for n, r in runs.items()})  # fmt: skip
