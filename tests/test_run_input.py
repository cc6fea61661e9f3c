"""What a new user sees for bad input to `run`, counts in outputs, and a run's recorded --url.

Bad input is refused before the run folder is made: one `error:` line, exit 2, no folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gui_agent.cli import main
from gui_agent.errors import ConfigError
from gui_agent.plural import counted
from gui_agent.start_url import check_start_url

DONE_MODEL = "python:tests/models/click_then_done.py:respond"


def _error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


def _learn_greeter(tmp_path: Path) -> Path:
    """A learned program that types its `name` parameter (no model needed to run it)."""
    run = tmp_path / "recorded"
    run.mkdir()
    (run / "result.json").write_text(json.dumps({"goal": "type Ada", "status": "done", "actions": [
        {"index": 1, "executed": True, "action": {"kind": "type", "text": "Ada"},
         "screen_changed": True}]}))  # fmt: skip
    learned = CliRunner().invoke(main, ["learn", str(run), "--name", "greet", "--param",
                                        "name=Ada", "--into", str(tmp_path)])  # fmt: skip
    assert learned.exit_code == 0, learned.output
    return tmp_path / "greet.py"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--learned", "nope"], "error: no learned program at "),
        (["x", "--agent", "learned"],
         "error: the learned agent runs a learned program: use --learned NAME"),
        (["x", "--allow-domain", "example.org"],
         "error: --allow-domain needs a browser reachable over CDP; --env fake has none"),
        (["x", "--url", "notaurl"], "error: --url 'notaurl' is not a URL a browser opens"),
        (["x", "--url", "http://127.0.0.1:8000/"],
         "error: --url needs a browser the agent opens (--env fake has none"),
    ],
)  # fmt: skip
def test_bad_input_to_run_leaves_no_run_folder(
    args: list[str], message: str, tmp_path: Path
) -> None:
    out = tmp_path / "runs"
    result = CliRunner().invoke(main, ["run", *args, "--env", "fake", "--model", DONE_MODEL,
                                       "--out", str(out)])  # fmt: skip
    assert result.exit_code == 2, result.output
    (line,) = _error_lines(result.output)  # one line, never wrapped
    assert line.startswith(message), line
    assert "Traceback" not in result.output
    assert not out.exists()  # refused before the run folder was made


def test_an_unknown_param_of_a_learned_program_leaves_no_run_folder(tmp_path: Path) -> None:
    program = _learn_greeter(tmp_path)
    out = tmp_path / "runs"
    result = CliRunner().invoke(main, ["run", "--learned", str(program), "--param", "colour=red",
                                       "--env", "fake", "--out", str(out)])  # fmt: skip
    assert result.exit_code == 2, result.output
    (line,) = _error_lines(result.output)
    assert "greet.py has no parameter colour; it takes: name" in line
    assert not out.exists()


def test_a_computer_that_cannot_start_leaves_no_empty_run_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DISPLAY", "unix:4091")  # no X server there
    out = tmp_path / "runs"
    result = CliRunner().invoke(main, ["run", "x", "--env", "local", "--model", DONE_MODEL,
                                       "--out", str(out)])  # fmt: skip
    assert result.exit_code == 5, result.output
    assert not any(out.iterdir())  # the folder it had made holds nothing, so it is gone


def test_a_bare_host_is_refused_with_the_url_to_type() -> None:
    with pytest.raises(ConfigError, match=r"did you mean https://example\.org/form\?"):
        check_start_url("example.org/form")
    with pytest.raises(ConfigError, match=r"did you mean https://localhost:8000\?"):
        check_start_url("localhost:8000")
    for bad in ("http://", "https:///path", "ftp://example.org", "javascript:alert(1)",
                "http://example.org/a b"):  # fmt: skip
        with pytest.raises(ConfigError, match="is not a URL a browser opens"):
            check_start_url(bad)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000/form", "https://example.org", "file:///tmp/page.html",
     "about:blank", "chrome://settings/"],
)  # fmt: skip
def test_the_urls_a_browser_opens_are_accepted_unchanged(url: str) -> None:
    assert check_start_url(url) == url


def test_run_help_says_which_urls_it_takes() -> None:
    shown = " ".join(CliRunner().invoke(main, ["run", "--help"]).output.split())
    assert "http(s)://HOST/..., file:///PATH, about:... or chrome://..." in shown
    assert "a bare host is refused" in shown


def test_counts_read_one_run_and_two_runs(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "runs"
    first = runner.invoke(main, ["run", "click twice", "--env", "fake", "--agent", "loop",
                                 "--max-steps", "1", "--model", DONE_MODEL, "--out", str(out)])  # fmt: skip
    assert "max_steps after 1 action ·" in first.output, first.output
    shown = runner.invoke(main, ["view", str(out)])
    assert shown.exit_code == 0 and shown.output.startswith("1 run · index:"), shown.output
    (run_dir,) = [folder for folder in out.iterdir() if folder.is_dir()]  # and index.html
    one = runner.invoke(main, ["view", str(run_dir)])
    assert " · 1 action · " in one.output, one.output
    assert "1 run ·" in (out / "index.html").read_text()
    runner.invoke(main, ["run", "click twice", "--env", "fake", "--model", DONE_MODEL,
                         "--out", str(out)])  # fmt: skip
    assert runner.invoke(main, ["view", str(out)]).output.startswith("2 runs · index:")
    assert (counted(0, "run"), counted(1, "entry", "entries")) == ("0 runs", "1 entry")


def test_a_recorded_start_url_is_kept_and_not_forced_on_a_computer_without_a_browser(
    tmp_path: Path,
) -> None:
    runner = CliRunner()
    recorded = runner.invoke(main, ["run", "click twice", "--env", "fake", "--agent", "loop",
                                    "--model", DONE_MODEL, "--out", str(tmp_path / "a")])  # fmt: skip
    assert recorded.exit_code == 0, recorded.output
    (run_dir,) = (tmp_path / "a").iterdir()
    result_file = run_dir / "result.json"
    data = json.loads(result_file.read_text())
    assert data["start_url"] is None  # recorded (no --url was given)
    data["start_url"] = "http://127.0.0.1:9/form"  # as a sandbox run would have it
    result_file.write_text(json.dumps(data))
    replayed = runner.invoke(main, ["replay", str(run_dir), "--env", "fake",
                                    "--out", str(tmp_path / "b")])  # fmt: skip
    assert replayed.exit_code == 0, replayed.output  # fake has no browser: the URL is not forced


def test_a_miniwob_episode_line_says_1_step(monkeypatch: pytest.MonkeyPatch) -> None:
    from io import StringIO

    from rich.console import Console

    from gui_agent.bench import cli as bench_cli
    from gui_agent.bench.miniwob import MiniWobEpisode

    shown = StringIO()
    monkeypatch.setattr(bench_cli, "console", Console(file=shown, width=200))
    for steps in (1, 12):
        bench_cli._print_episode(MiniWobEpisode(
            task="click-button", episode=1, utterance="Click OK", reward=1.0, env_reward=0.9,
            page_done=True, status="done", steps=steps, tokens=1200, cost_usd=0.0,
            duration_s=2.0))  # fmt: skip
    one, twelve = shown.getvalue().splitlines()
    assert " 1 step      1,200 tok" in one and "12 steps     1,200 tok" in twelve
