"""Test-gated evolution with a scripted meta model: wrong candidates change nothing; a right
one is written, registered and then used (the trace says stabilized)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gui_agent.agentic import unregister_stabilized, use_model
from gui_agent.cli import main
from gui_agent.evolve import evolve
from gui_agent.evolve.trial import _working_bwrap
from gui_agent.models.base import ModelRequest
from gui_agent.models.scripted import FunctionModel, ScriptedModel
from gui_agent.trace import TraceWriter, read_records
from tests.evolve_fixtures.numbers import parity

TARGET = "tests.evolve_fixtures.numbers:parity"
CHECKS = Path("tests/evolve_fixtures/checks_parity.py")
WRONG = "def parity(n):\n    return 'even'\n"
RIGHT = "def parity(n: int) -> str:\n    return 'even' if n % 2 == 0 else 'odd'\n"
SLOW = "def parity(n):\n    while True:\n        pass\n"


def stabilize(code: str) -> dict[str, Any]:
    return {"kind": "stabilize", "code": code, "rationale": "parity is n modulo 2"}


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("GUI_AGENT_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    yield tmp_path / "home"
    unregister_stabilized("parity")


def no_model(request: ModelRequest) -> Any:
    raise AssertionError(f"a model was called for {request.function}")


def test_a_wrong_candidate_is_rejected_and_nothing_is_written(home: Path, tmp_path: Path) -> None:
    meta = ScriptedModel([stabilize(WRONG)])
    result = evolve(TARGET, tests=[CHECKS], model=meta, attempts=1, trace_dir=tmp_path / "t")
    assert not result.accepted and result.written is None
    trial = result.attempts[0].trial
    assert trial is not None and not trial.passed and "test_odd" in trial.output
    assert not (home / "stabilized").exists()
    records = read_records(tmp_path / "t")
    (attempt,) = [r for r in records if r["event"] == "end"
                  and r["path"].rsplit("/", 1)[-1].startswith("evolve.attempt")]
    assert attempt["output"]["passed"] is False and "failed" in attempt["output"]["test_output"]
    with use_model(FunctionModel(lambda r: "even")):
        assert parity(7) == "even"  # still the model: nothing was registered


def test_a_right_candidate_is_written_registered_and_used(home: Path, tmp_path: Path) -> None:
    meta = FunctionModel(lambda request: stabilize(RIGHT if "attempt 1" in request.prompt
                                                   else WRONG))  # fmt: skip
    result = evolve(TARGET, tests=[CHECKS], model=meta, attempts=3, trace_dir=tmp_path / "t")
    assert result.accepted and len(result.attempts) == 2
    assert "test_odd" in meta.requests[1].prompt  # the second proposal saw why the first failed
    written = result.written
    assert written is not None and written.parent == home / "stabilized"
    header = written.read_text()
    assert f"source version: {parity.version}" in header and str(CHECKS) in header
    assert "date: 20" in header and "return 'even' if n % 2 == 0" in header
    registry = json.loads((home / "stabilized" / "registry.json").read_text())
    assert registry["parity"]["version"] == parity.version
    # used at once in this process, with no model, and the trace says so
    trace = TraceWriter(tmp_path / "after")
    with trace.attach(), use_model(FunctionModel(no_model)):
        assert parity(9) == "odd"
    trace.close()
    (end,) = [r for r in read_records(tmp_path / "after") if r["event"] == "end"]
    assert end["impl"] == "stabilized"
    # and a new process finds it through the registry, with no usable model configured
    probe = ("from tests.evolve_fixtures.numbers import parity; "
             "print(parity(11), parity(10))")  # fmt: skip
    env = {**os.environ, "GUI_AGENT_HOME": str(home), "GUI_AGENT_MODEL": "nosuch:model"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=env, check=False, timeout=120)  # fmt: skip
    assert done.stdout.split() == ["odd", "even"], done.stderr


def test_a_candidate_that_hangs_is_stopped_by_the_timeout(home: Path) -> None:
    result = evolve(TARGET, tests=[CHECKS], model=ScriptedModel([stabilize(SLOW)]), attempts=1,
                    timeout_s=6)  # fmt: skip
    trial = result.attempts[0].trial
    assert trial is not None and trial.timed_out and not result.accepted
    assert not (home / "stabilized").exists()


def test_a_marked_node_becomes_a_case(home: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    trace = TraceWriter(run_dir)
    with trace.attach(), use_model(FunctionModel(lambda r: "even")):
        parity(5)
    trace.close()
    runner = CliRunner()
    marked = runner.invoke(main, ["mark", str(run_dir), "parity#0", "--expected", '"odd"'])
    assert marked.exit_code == 0, marked.output
    assert "expected 'odd', was 'even'" in marked.output
    meta = ScriptedModel([stabilize(WRONG), stabilize(RIGHT)])
    result = evolve(TARGET, tests=[], model=meta, attempts=2, marks_from=[tmp_path])
    assert result.cases == 1 and result.accepted
    first = result.attempts[0].trial
    assert first is not None and "CASE FAILED" in first.output and "expected 'odd'" in first.output


def test_a_softened_docstring_is_tested_with_the_model_and_kept(home: Path, tmp_path) -> None:
    os.environ["GUI_AGENT_MODEL"] = "python:tests/evolve_fixtures/parity_model.py:respond"
    try:
        soften = {"kind": "soften", "rationale": "state the rule",
                  "docstring": "Say 'even' if the remainder of n divided by 2 is 0, else 'odd'."}
        result = evolve(TARGET, tests=[CHECKS], model=ScriptedModel([soften]), attempts=1)
    finally:
        del os.environ["GUI_AGENT_MODEL"]
    assert result.accepted and result.written is not None
    assert "DOCSTRING = " in result.written.read_text()
    trace = TraceWriter(tmp_path / "after")
    responder = FunctionModel(lambda r: "odd" if "remainder" in r.system else "even")
    with trace.attach(), use_model(responder):
        assert parity(3) == "odd"
    trace.close()
    ends = {r["path"]: r["impl"] for r in read_records(tmp_path / "after") if r["event"] == "end"}
    assert ends == {"parity#0": "stabilized", "parity#0/parity~softened#0": "model"}


def test_the_evolve_command(home: Path, tmp_path: Path) -> None:
    meta = tmp_path / "meta.py"
    meta.write_text(f"def respond(request):\n    return {stabilize(RIGHT)!r}\n")
    runner = CliRunner()
    result = runner.invoke(main, ["evolve", TARGET, "--tests", str(CHECKS), "--model",
                                  f"python:{meta}:respond", "--out", str(tmp_path / "runs")])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "attempt 1 (stabilize): passed every test" in result.output
    (run_dir,) = list((tmp_path / "runs").iterdir())
    page = (run_dir / "report.html").read_text()
    assert "evolve.attempt" in page and "3 passed" in page  # the attempt's test output
    bad = runner.invoke(main, ["evolve", "tests.evolve_fixtures.numbers:nothing",
                               "--tests", str(CHECKS), "--model", f"python:{meta}:respond"])  # fmt: skip
    assert bad.exit_code == 2 and "has no 'nothing'" in bad.output


def test_golden_prompt_of_the_meta_call() -> None:
    from gui_agent.evolve.proposal import propose_change

    request = propose_change.render("def f(x: int) -> int: ...", "assert f(1) == 2", "(none)")
    assert ("# Function\ndef propose_change(function: str, cases: str, earlier_attempts: str)"
            " -> Proposal:\n    \"\"\"\n    Propose a replacement for an @agentic function") in (
        request.system)  # fmt: skip
    assert "No network, no files, no model calls." in request.system
    assert request.prompt.endswith("# Arguments\nfunction: def f(x: int) -> int: ...\n"
                                   "cases: assert f(1) == 2\nearlier_attempts: (none)")  # fmt: skip
    assert set(request.output_schema["properties"]) == {"kind", "code", "docstring", "rationale"}


@pytest.mark.skipif(_working_bwrap() is None, reason="bubblewrap is not installed or cannot "
                    "create namespaces here")  # fmt: skip
def test_a_candidate_cannot_write_outside_its_scratch_folder(home: Path, tmp_path: Path) -> None:
    marker = Path.cwd() / "tests" / "evolve_fixtures" / "written_by_a_candidate.txt"
    sneaky = (f"def parity(n):\n    open({str(marker)!r}, 'w').write('x')\n"
              "    return 'even' if n % 2 == 0 else 'odd'\n")  # fmt: skip
    result = evolve(TARGET, tests=[CHECKS], model=ScriptedModel([stabilize(sneaky)]), attempts=1)
    trial = result.attempts[0].trial
    assert trial is not None and not result.accepted
    assert "Read-only file system" in trial.output and not marker.exists()


def test_a_broken_stored_module_falls_back_to_the_model(home: Path) -> None:
    from gui_agent.evolve import store

    directory = home / "stabilized"
    directory.mkdir(parents=True)
    broken = directory / "tests.evolve_fixtures.numbers.parity.py"
    broken.write_text("def parity(n) return 'odd'\n")  # a syntax error
    store.register(directory, name="parity", target=TARGET, file=broken, version=parity.version,
                   kind="stabilize", date=store.now())  # fmt: skip
    with use_model(FunctionModel(lambda r: "even")):
        assert parity(3) == "even"  # answered by the model, with a warning, not a crash


def test_a_project_in_the_working_folder_evolves_from_the_command_line(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a user runs it: their module and tests in the current folder (here under /tmp)."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "shouting.py").write_text(
        "from gui_agent.agentic import agentic\n\n\n@agentic\ndef shout(text: str) -> str:\n"
        '    """Return the text in capitals with an exclamation mark."""\n')  # fmt: skip
    (project / "check_shouting.py").write_text(
        "from shouting import shout\n\n\ndef test_shout(tmp_path):\n"
        "    (tmp_path / 'scratch').write_text('ok')\n    assert shout('hi') == 'HI!'\n")  # fmt: skip
    (project / "meta.py").write_text(
        "def respond(request):\n    return {'kind': 'stabilize', 'rationale': 'capitals',\n"
        "            'code': 'def shout(text):\\n    return text.upper() + \"!\"\\n'}\n")  # fmt: skip
    monkeypatch.chdir(project)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(project))])
    result = CliRunner().invoke(main, ["evolve", "shouting:shout", "--tests", "check_shouting.py",
                                       "--model", "python:meta.py:respond"])  # fmt: skip
    unregister_stabilized("shout")
    assert result.exit_code == 0, result.output
    assert (home / "stabilized" / "shouting.shout.py").is_file()
