"""`gui-agent run --agent`: skills by default (the router asks first), loop on request."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from gui_agent.cli import main

MODEL = "python:tests/models/click_then_done.py:respond"


def _result(out: Path) -> dict:
    (run_dir,) = [p for p in out.iterdir() if p.is_dir()]
    return json.loads((run_dir / "result.json").read_text())


def test_run_uses_the_skills_router_by_default_and_the_loop_on_request(tmp_path: Path) -> None:
    runner = CliRunner()
    default = runner.invoke(main, ["run", "click twice", "--env", "fake", "--model", MODEL,
                                   "--out", str(tmp_path / "a")])  # fmt: skip
    assert default.exit_code == 0, default.output
    skills = _result(tmp_path / "a")
    assert skills["agent"] == "skills" and skills["model_calls"] == 4  # route + 3 perceptions
    loop = runner.invoke(main, ["run", "click twice", "--env", "fake", "--model", MODEL,
                                "--agent", "loop", "--out", str(tmp_path / "b")])  # fmt: skip
    assert loop.exit_code == 0, loop.output
    bare = _result(tmp_path / "b")
    assert bare["agent"] == "loop" and bare["model_calls"] == 3
    assert bare["steps_executed"] == skills["steps_executed"] == 2


def test_an_unknown_agent_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", "g", "--env", "fake", "--model", MODEL,
                                       "--agent", "wizard", "--out", str(tmp_path)])  # fmt: skip
    assert result.exit_code == 2
    assert "no agent named 'wizard'" in result.output and "loop, skills" in result.output
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


def test_run_on_a_sandbox_goes_through_the_os_skill(tmp_path: Path, monkeypatch) -> None:
    from tests.gui_fixtures import xvfb_missing

    if xvfb_missing():
        import pytest

        pytest.skip(xvfb_missing())
    # the sandbox's /home/user is private to the run (removed with it): the skill's own
    # read-back, recorded in the run, shows the folder was made there
    from gui_agent.computers.shell_boundary import boundary_available

    target = "/home/user/made/by/skill" if boundary_available() else str(tmp_path / "made")
    monkeypatch.setenv("SKILLS_TEST_DIR", target)
    result = CliRunner().invoke(main, ["run", f"make the folder {target}", "--env", "sandbox",
                                       "--model", "python:tests/models/os_route.py:respond",
                                       "--out", str(tmp_path / "runs")])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = _result(tmp_path / "runs")
    assert data["agent"] == "skills" and data["model_calls"] == 1
    executed = [a for a in data["actions"] if a["executed"]]
    assert [a["source"] for a in executed] == ["os.command"]
    assert executed[0]["output"].split()[-1] == "present"  # the read-back probe
