"""`gui-agent bench perf`: what this design promises (speed, flat context, few model calls,
small memory, evaluation throughput), each measured side by side with the common alternative.

Sections (each a module with one `measure(...) -> dict`):
    harness      one step on the sandbox vs the computer-use demo's pipeline and OSWorld's pause
    context      input tokens per step: call-tree context vs a transcript loop
    skills       steps and model calls per task: skills vs the bare loop (from the skills run)
    memory       peak RSS of the agent process, browser and Xvfb apart
    throughput   OSWorld tasks per hour and setup-to-first-action on the sandbox
    grounding    per-tier latency, from the grounding benchmark's JSON

`run_perf` writes `perf.json` (every figure with min/median/max over repeats, the machine, the
command) and PNG charts beside it; `readme.py` renders the README's "Measured here" table from
that JSON, so the numbers and the code never drift apart.
"""

from __future__ import annotations
