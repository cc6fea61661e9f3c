"""The file skill on real files, through `solve`, against `gui-agent serve` via the vm computer.

Every scenario (tests/skills_scenarios.py) runs twice on a sandbox behind our in-VM server:
through `solve` with a scripted model answering only the skills' questions, and through the
bare step loop with its scripted solution. Both must score 1 by our OSWorld metrics; the skill
must take no more steps and fewer model calls.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from gui_agent.episode import EpisodeStatus
from gui_agent.loop import run_task
from gui_agent.models.scripted import ScriptedModel
from osworld_eval.environments import sandbox_environment
from osworld_eval.task_run import TaskEnvironment
from skills.router import solve
from skills.script_check import check_script
from tests.gui_fixtures import xvfb_missing
from tests.skills_scenarios import SCENARIOS, Scenario

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TaskEnvironment]:
    if xvfb_missing():
        pytest.skip(xvfb_missing())
    root = tmp_path_factory.mktemp("skills_env")
    env = sandbox_environment(cache_dir=root / "cache", home=root / "home", private_home=False,
                              width=1024,
                              height=768)  # fmt: skip
    env.root = root  # type: ignore[attr-defined]
    try:
        yield env
    finally:
        env.close()


def _prepared(scenario: Scenario, home: Path) -> Scenario:
    shutil.rmtree(home, ignore_errors=True)
    for folder in ("Desktop", "Documents", "Downloads"):
        (home / folder).mkdir(parents=True)
    scenario.make(home)
    scenario.expected(home)
    return scenario.at(home)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario_scores_1_with_fewer_calls_than_the_loop(scenario: Scenario,
                                                          environment) -> None:  # fmt: skip
    if "LibreOffice" in scenario.name and shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed")
    home = environment.root / "home" / scenario.name.split(":")[0].replace(" ", "_")
    ready = _prepared(scenario, home)
    skills_model = ScriptedModel(ready.skill_answers())
    by_skill = solve(ready.goal, environment.computer, model=skills_model)
    assert by_skill.status == EpisodeStatus.DONE, by_skill.reason
    assert ready.score(home, by_skill) == 1.0
    assert skills_model.remaining == 0 and by_skill.agent == "skills"

    ready = _prepared(scenario, home)
    loop_model = ScriptedModel(ready.loop_replies())
    by_loop = run_task(ready.goal, environment.computer, model=loop_model)
    assert by_loop.status == EpisodeStatus.DONE, by_loop.reason
    assert ready.score(home, by_loop) == 1.0

    assert by_skill.steps_executed <= by_loop.steps_executed
    assert by_skill.model_calls < by_loop.model_calls
    assert all(s.source.startswith(("multi_app", "router")) for s in by_skill.steps
               if s.executed)  # fmt: skip


def test_a_forbidden_script_is_not_run_and_the_next_plan_hears_why(environment) -> None:
    home = environment.root / "home" / "forbidden"
    scenario = _prepared(SCENARIOS[0], home)
    bad = dict(scenario.file_plan(), script="import os\nos.system('touch /tmp/x')")
    model = ScriptedModel([scenario.route(), bad, scenario.file_plan()])
    result = solve(scenario.goal, environment.computer, model=model)
    assert result.status == EpisodeStatus.DONE and scenario.score(home, result) == 1.0
    assert result.steps_executed == 1  # the refused script never ran
    replan = model.requests[2]
    assert "calls os.system" in replan.prompt


@pytest.mark.parametrize(("source", "refusal"), [
    ("import subprocess\nsubprocess.run('rm -rf ~', shell=True)", "shell"),
    ("import subprocess\nsubprocess.run(['curl', 'http://x'])", "only LibreOffice"),
    ("import socket", "imports socket"),
    ("eval('1')", "calls eval"),
    ("import os as o\no.system('ls')", "calls os.system"),
    ("import shutil\nshutil.rmtree('/home/user')", "calls shutil.rmtree"),
    ("def f(:\n  pass", "does not compile"),
])  # fmt: skip
def test_the_script_gate_names_what_it_refuses(source: str, refusal: str) -> None:
    reason = check_script(source)
    assert reason is not None and refusal in reason


def test_the_script_gate_lets_file_work_through() -> None:
    assert check_script(
        "import openpyxl, subprocess\nb = openpyxl.load_workbook('/a.xlsx')\n"
        "subprocess.run(['soffice', '--headless', '--convert-to', 'pdf', '/a.docx'], check=True)"
    ) is None


def test_a_missing_library_leads_to_discovery_and_a_new_plan(environment) -> None:
    home = environment.root / "home" / "missing_library"
    scenario = _prepared(SCENARIOS[0], home)
    broken = dict(scenario.file_plan(), script="import openpyxl_not_here\n")
    model = ScriptedModel([dict(scenario.route(), plan=broken), scenario.file_plan()])
    result = solve(scenario.goal, environment.computer, model=model)
    assert result.status == EpisodeStatus.DONE and scenario.score(home, result) == 1.0
    assert [s.action["kind"] for s in result.steps if s.executed] == ["script"] * 3
    replan = model.requests[1]
    assert replan.function == "plan_file_work"
    assert "ModuleNotFoundError" in replan.prompt and '"openpyxl"' in replan.prompt
