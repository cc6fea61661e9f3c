"""The skills-vs-loop measurement (tests/measure_skills.py) as JSON for `gui-agent bench perf`.

    .venv/bin/python -m tests.measure_skills_json --out scripts/measured/skills.json
    gui-agent bench perf --sections skills --skills-json scripts/measured/skills.json

Same runs as measure_skills (scripted models are test fixtures, nothing here is in the
product); the JSON keeps every row and the totals the README table shows.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from tests.measure_skills import Row, osworld_rows, scenario_rows, table


def summary(rows: list[Row]) -> dict[str, Any]:
    pairs: dict[str, dict[str, Row]] = {}
    for row in rows:
        pairs.setdefault(row.name, {})[row.agent] = row
    complete = {name: by for name, by in pairs.items() if {"skills", "loop"} <= set(by)}
    totals: dict[str, dict[str, float]] = {}
    for agent in ("skills", "loop"):
        steps = sum(by[agent].steps for by in complete.values())
        calls = sum(by[agent].calls for by in complete.values())
        totals[agent] = {
            "steps": steps,
            "calls": calls,
            "calls_per_action": round(calls / steps, 3) if steps else 0.0,
            "solved": sum(1 for by in complete.values() if by[agent].score == 1),
        }
    feasible = [by for by in complete.values() if by["loop"].steps > 0]
    return {
        "what": "steps executed and model calls per task, --agent skills vs the bare loop, "
                "scripted answers (tests/osworld/*solutions.py, tests/skills_scenarios.py)",
        "tasks": len(complete),
        "rows": [{"task": name, **{f"{agent}_{k}": getattr(by[agent], k)
                                   for agent in ("skills", "loop")
                                   for k in ("score", "steps", "calls")}}
                 for name, by in complete.items()],
        "totals": totals,
        "met": {
            "fewer_steps": all(by["skills"].steps < by["loop"].steps for by in feasible),
            "half_the_calls": totals["skills"]["calls"] <= totals["loop"]["calls"] / 2,
            "calls_per_action": totals["skills"]["calls_per_action"] <= 0.7,
        },
        "table": table(rows),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="measure_skills_"))
    rows = osworld_rows(root / "osworld") + scenario_rows(root / "files")
    args.out.write_text(json.dumps(summary(rows), indent=2) + "\n")
    print(summary(rows)["table"])


if __name__ == "__main__":
    main()
