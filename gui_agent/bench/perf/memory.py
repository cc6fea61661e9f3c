"""Peak resident memory of the agent process over a 15-step run, Xvfb and Chromium apart.

The episode runs in a fresh child interpreter (so nothing else inflates the figure) and reports
its own peak RSS (`ru_maxrss`); the parent samples the RSS of the child's descendants (Xvfb,
Chromium's processes) every 100 ms and keeps the peak of their sum by program.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

CHILD = """
import json, resource, sys
from gui_agent.bench.perf.harness import PAGE, scripted
from gui_agent.computers.sandbox import SandboxDesktop
from gui_agent.loop import run_task
from gui_agent.trace import TraceWriter
import pathlib, tempfile
work = pathlib.Path(tempfile.mkdtemp(prefix="bench-memory-"))
(work / "page.html").write_text(PAGE)
with SandboxDesktop(start_url=(work / "page.html").as_uri()) as sandbox:
    trace = TraceWriter(work / "run")
    result = run_task("bench", sandbox, model=scripted(15), trace=trace)
    trace.close()
print(json.dumps({"status": str(result.status), "steps": result.steps_executed,
                  "agent_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure() -> dict[str, Any]:
    process = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
    peaks: dict[str, float] = {}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            totals: dict[str, float] = {}
            for pid in _descendants(process.pid):
                name, rss = _name_and_rss_mb(pid)
                if name:
                    group = "chromium" if "chrom" in name else ("xvfb" if "xvfb" in name else "other")
                    totals[group] = totals.get(group, 0.0) + rss
            for group, total in totals.items():
                peaks[group] = max(peaks.get(group, 0.0), total)
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate(timeout=600)
    stop.set()
    sampler.join()
    if process.returncode != 0:
        raise RuntimeError(f"memory run failed: {err[-2000:]}")
    child = json.loads(out.strip().splitlines()[-1])
    return {
        "what": "peak RSS over one 15-step sandbox episode (MB)",
        "agent_peak_rss_mb": round(child["agent_peak_rss_mb"], 1),
        "children_peak_rss_mb": {k: round(v, 1) for k, v in sorted(peaks.items())},
        "episode": {"status": child["status"], "steps": child["steps"]},
        "targets": {"agent_peak_rss_mb": 250},
        "met": {"agent_peak_rss_mb": child["agent_peak_rss_mb"] <= 250},
    }


def _descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                parents[int(entry.name)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def _name_and_rss_mb(pid: int) -> tuple[str, float]:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "", 0.0
    name, rss = "", 0.0
    for line in status.splitlines():
        if line.startswith("Name:"):
            name = line.split(":", 1)[1].strip().lower()
        elif line.startswith("VmRSS:"):
            rss = int(line.split()[1]) / 1024
    return name, rss
