"""Run the fault-injection suite and print its table: case, expected, observed, pass.

    .venv/bin/python scripts/faults.py [--group provider] [-- extra pytest args]

Runs `pytest -m faults` (the cases are listed in tests/fault_cases.py: tests that already
existed elsewhere plus tests/faults/), collects one record per case, and prints them grouped,
with the cases that have no automated test yet marked "not run". Exits non-zero when a case
failed. Uses this interpreter (the project's venv), never whatever `python` is on PATH.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fault_cases import FAULT_CASES, MISSING, REPORT_ENV  # noqa: E402

STATE_STYLE = {"pass": "green", "fail": "red", "skipped": "yellow", "not run": "dim"}


def run_suite(extra: list[str]) -> tuple[list[dict[str, str]], int]:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "faults.jsonl"
        env = dict(os.environ, **{REPORT_ENV: str(report)})
        command = [sys.executable, "-m", "pytest", "-m", "faults", "-q", "-p", "no:cacheprovider",
                   *extra]  # fmt: skip
        code = subprocess.call(command, cwd=ROOT, env=env)
        records = [json.loads(line) for line in report.read_text().splitlines()] if report.exists() else []
    return records, code


def merge_parametrized(records: list[dict[str, str]]) -> list[dict[str, str]]:
    """One row per case: a parametrized test passes when every parametrization passed."""
    merged: dict[str, dict[str, str]] = {}
    for record in records:
        row = merged.setdefault(record["nodeid"], {**record, "runs": "0"})
        row["runs"] = str(int(row["runs"]) + 1)
        if record["state"] == "fail" or (record["state"] == "skipped" and row["state"] == "pass"):
            row["state"], row["observed"] = record["state"], record["observed"]
    for row in merged.values():
        if row["runs"] != "1" and row["observed"] == "as expected":
            row["observed"] = f"as expected ({row['runs']} variants)"
    return list(merged.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--group", help="only this group (provider, environment, ...)")
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest after --")
    options = parser.parse_args()
    raw, code = run_suite(options.pytest_args)
    records = merge_parametrized(raw)
    seen = {record["nodeid"] for record in records}
    if not options.pytest_args:  # a full run: a listed test that did not run is reported
        records += [{"group": g, "case": c, "expected": e, "state": "not run", "nodeid": nodeid,
                     "observed": f"listed test did not run: {nodeid}"}
                    for nodeid, (g, c, e) in FAULT_CASES.items() if nodeid not in seen]  # fmt: skip
    records += [{"group": g, "case": c, "expected": e, "observed": "no automated test yet",
                 "state": "not run", "nodeid": ""} for g, c, e in MISSING]  # fmt: skip
    if options.group:
        records = [r for r in records if r["group"] == options.group]
    records.sort(key=lambda r: (r["group"], r["case"]))
    table = Table(title="fault-injection suite", show_lines=False)
    for column in ("group", "case", "expected", "observed", "pass"):
        table.add_column(column, overflow="fold")
    for record in records:
        style = STATE_STYLE.get(record["state"], "")
        table.add_row(record["group"], record["case"], record["expected"], record["observed"],
                      f"[{style}]{record['state']}[/{style}]")  # fmt: skip
    console = Console(width=max(140, Console().width))
    console.print(table)
    totals = Counter(record["state"] for record in records)
    summary = ", ".join(f"{totals[state]} {state}" for state in STATE_STYLE if totals[state])
    console.print(f"{len(records)} cases: {summary}")
    if code not in (0, 1, 5):
        console.print(f"[red]pytest exited with code {code} (a collection or usage error)[/red]")
    return 1 if totals["fail"] or code not in (0, 5) else 0


if __name__ == "__main__":
    sys.exit(main())
