"""A user's `python:` model that raises: a model_error with a one-line reason, never a traceback
(unless --debug), and the run folder still gets its result.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gui_agent.cli import main
from gui_agent.cli_errors import enable_debug

RAISING_MODEL = '''
def respond(request):
    if request.function == "route_goal":
        return {"kind": "generic"}
    raise ValueError("the weights are missing")
'''


@pytest.fixture
def raising_model(tmp_path: Path) -> str:
    path = tmp_path / "my_model.py"
    path.write_text(RAISING_MODEL)
    return f"python:{path}:respond"


@pytest.fixture(autouse=True)
def _debug_off_afterwards():
    yield
    enable_debug(False)


def _squeezed(text: str) -> str:
    return "".join(text.split())


def _run(model: str, out: Path, *extra: str):
    return CliRunner().invoke(
        main, [*extra, "run", "g", "--env", "fake", "--model", model, "--out", str(out)]
    )


def test_a_raising_python_model_is_a_model_error_with_a_one_line_reason(
    raising_model: str, tmp_path: Path
) -> None:
    result = _run(raising_model, tmp_path / "runs")
    assert result.exit_code == 4, result.output
    assert "Traceback" not in result.output
    callable_name = raising_model.removeprefix("python:")
    reason = f"python model {callable_name} raised ValueError: the weights are missing"
    assert _squeezed(reason) in _squeezed(result.output)  # rich wraps long lines
    (run_dir,) = (tmp_path / "runs").iterdir()
    data = json.loads((run_dir / "result.json").read_text())
    assert data["status"] == "model_error" and data["reason"] == reason


def test_debug_shows_the_traceback_of_the_users_exception(raising_model: str, tmp_path) -> None:
    result = _run(raising_model, tmp_path / "runs", "--debug")
    assert result.exit_code == 4, result.output
    assert "Traceback" in result.output and 'raise ValueError("the weights are missing")' in (
        result.output
    )


def test_a_model_file_that_fails_to_import_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    path.write_text("import no_such_module_here\n")
    result = _run(f"python:{path}:respond", tmp_path / "runs")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert _squeezed("failed to load: ModuleNotFoundError") in _squeezed(result.output)
