"""Measure `--agent skills` against the step loop: steps executed and model calls, per task.

    .venv/bin/python -m tests.measure_skills [--only osworld|files] [--out table.md]

Runs, on served sandboxes (gui-agent serve + the vm computer), the offline chrome/os OSWorld
tasks that have scripted solutions (tests/osworld/solutions.py for the loop,
tests/osworld/skill_solutions.py for the skills) and the multi-app scenarios
(tests/skills_scenarios.py), each both ways, scores each with our OSWorld metrics and prints
one markdown table. The scripted models are test fixtures; nothing here is in the product.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gui_agent.loop import run_task
from gui_agent.models.scripted import ScriptedModel
from osworld_eval.environments import sandbox_environment
from osworld_eval.task_run import run_one_task
from osworld_eval.tasks import load_task
from skills.router import solve
from tests.osworld import shared_osworld
from tests.osworld.skill_solutions import SKILL_SOLUTIONS
from tests.osworld.solutions import SOLUTIONS
from tests.skills_scenarios import SCENARIOS


@dataclass
class Row:
    name: str
    agent: str
    score: float | None
    steps: int
    calls: int


def osworld_rows(root: Path) -> list[Row]:
    os.environ["OSWORLD_OFFLINE"] = "1"
    examples = shared_osworld()
    rows = []
    for task_id in sorted(SOLUTIONS):
        solution = SOLUTIONS[task_id]
        task = load_task(examples / "examples" / solution.domain / f"{task_id}.json")
        for agent, replies in (("skills", SKILL_SOLUTIONS[task_id]), ("loop", solution.replies)):
            folder = root / agent / task_id
            env = sandbox_environment(cache_dir=root / "cache", width=1280, height=800)
            try:
                outcome = run_one_task(task, env, model=ScriptedModel(replies), max_steps=15,
                                       result_dir=folder, cache_dir=root / "cache",
                                       agent=agent)  # fmt: skip
            finally:
                env.close()
            episode = json.loads((folder / "result.json").read_text())
            rows.append(Row(f"{solution.domain} {task_id[:8]} {solution.note or 'infeasible'}",
                            agent, outcome.score, episode["steps_executed"],
                            episode["model_calls"]))  # fmt: skip
            print(rows[-1], file=sys.stderr)
    return rows


def scenario_rows(root: Path) -> list[Row]:
    rows = []
    env = sandbox_environment(cache_dir=root / "cache", home=root / "home", private_home=False,
                              width=1024,
                              height=768)  # fmt: skip
    try:
        for index, scenario in enumerate(SCENARIOS):
            for agent in ("skills", "loop"):
                home = root / "home" / f"s{index}"
                shutil.rmtree(home, ignore_errors=True)
                for folder in ("Desktop", "Documents", "Downloads"):
                    (home / folder).mkdir(parents=True)
                scenario.make(home)
                scenario.expected(home)
                ready = scenario.at(home)
                if agent == "skills":
                    episode = solve(ready.goal, env.computer,
                                    model=ScriptedModel(ready.skill_answers()))  # fmt: skip
                else:
                    episode = run_task(ready.goal, env.computer,
                                       model=ScriptedModel(ready.loop_replies()))  # fmt: skip
                rows.append(Row(f"files: {scenario.name}", agent, ready.score(home, episode),
                                episode.steps_executed, episode.model_calls))  # fmt: skip
                print(rows[-1], file=sys.stderr)
    finally:
        env.close()
    return rows


def table(rows: list[Row]) -> str:
    pairs: dict[str, dict[str, Row]] = {}
    for row in rows:
        pairs.setdefault(row.name, {})[row.agent] = row
    lines = ["| task | skills score | skills steps | skills calls | loop score | loop steps "
             "| loop calls |", "|---|---|---|---|---|---|---|"]  # fmt: skip
    totals = {"skills": [0, 0], "loop": [0, 0]}
    for name, by_agent in pairs.items():
        cells = [name]
        for agent in ("skills", "loop"):
            row = by_agent[agent]
            cells += [f"{row.score:g}" if row.score is not None else "error", str(row.steps),
                      str(row.calls)]  # fmt: skip
            totals[agent][0] += row.steps
            totals[agent][1] += row.calls
        lines.append("| " + " | ".join(cells) + " |")
    lines.append(f"| **total ({len(pairs)} tasks)** | | {totals['skills'][0]} | "
                 f"{totals['skills'][1]} | | {totals['loop'][0]} | {totals['loop'][1]} |")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["osworld", "files"])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="measure_skills_"))
    rows: list[Row] = []
    if args.only in (None, "osworld"):
        rows += osworld_rows(root / "osworld")
    if args.only in (None, "files"):
        rows += scenario_rows(root / "files")
    text = table(rows)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
