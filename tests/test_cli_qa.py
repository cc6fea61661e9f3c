"""What a new user hits first: exit codes and one-line errors of `run`, `locate` and `--env vm`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from gui_agent.cli import main
from gui_agent.computers.base import HasCDP
from gui_agent.computers.factory import open_computer
from tests.fakes.vm_server import FakeVMServer

DONE_MODEL = "python:tests/models/click_then_done.py:respond"


@pytest.fixture
def vm_server() -> Iterator[FakeVMServer]:
    with FakeVMServer(size=(800, 600)) as fake:
        yield fake


def test_vm_computer_knows_the_vms_chrome_on_port_9222_by_default(
    vm_server: FakeVMServer,
) -> None:
    computer = open_computer("vm", vm_url=vm_server.url)
    try:
        assert isinstance(computer, HasCDP)  # so the chrome skill tries CDP, not the keyboard
        assert computer.cdp_url == "http://127.0.0.1:9222"
    finally:
        computer.close()
    computer = open_computer("vm", vm_url=vm_server.url, cdp_url="http://127.0.0.1:9333")
    try:
        assert isinstance(computer, HasCDP) and computer.cdp_url == "http://127.0.0.1:9333"
    finally:
        computer.close()


def test_run_on_a_vm_with_a_cdp_url(vm_server: FakeVMServer, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", "click twice", "--env", "vm", "--agent", "loop",
                                       "--vm-url", vm_server.url,
                                       "--cdp-url", "http://127.0.0.1:9333",
                                       "--model", DONE_MODEL, "--out", str(tmp_path)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "done after 2 actions" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--env", "vm", "--vm-url", "notaurl"], "--vm-url 'notaurl' is not an http(s)"),
        (
            ["--env", "vm", "--vm-url", "http://127.0.0.1:1", "--cdp-url", "9222"],
            "--cdp-url '9222' is not an http(s)",
        ),  # fmt: skip
        (["--env", "fake", "--cdp-url", "http://127.0.0.1:9222"], "--cdp-url is for --env vm"),
        (["--env", "vm"], "--env vm needs --vm-url"),
    ],
)
def test_a_malformed_vm_or_cdp_url_is_bad_input_at_once(
    args: list[str], message: str, tmp_path: Path
) -> None:
    result = CliRunner().invoke(main, ["run", "x", *args, "--model", DONE_MODEL,
                                       "--out", str(tmp_path)])  # fmt: skip
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not any(tmp_path.iterdir())  # no half-made run folder


def test_a_computer_that_cannot_start_is_env_error_exit_5(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DISPLAY", "unix:4091")  # no X server there (a socket, not TCP)
    result = CliRunner().invoke(main, ["run", "x", "--env", "local", "--model", DONE_MODEL,
                                       "--out", str(tmp_path)])  # fmt: skip
    assert result.exit_code == 5, result.output
    assert "env_error: cannot open X display 'unix:4091'" in " ".join(result.output.split())


def test_out_that_is_a_file_is_bad_input_not_an_internal_error(tmp_path: Path) -> None:
    a_file = tmp_path / "afile"
    a_file.write_text("")
    result = CliRunner().invoke(main, ["run", "x", "--env", "fake", "--model", DONE_MODEL,
                                       "--out", str(a_file)])  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "cannot make a run folder under --out" in " ".join(result.output.split())


def test_locate_with_a_model_that_answers_garbage_is_model_error_exit_4(tmp_path: Path) -> None:
    shot = tmp_path / "blank.png"
    Image.new("RGB", (200, 100), "white").save(shot)
    model = tmp_path / "garbage.py"
    model.write_text("def respond(request):\n    return 'not an object'\n")
    result = CliRunner().invoke(main, ["locate", str(shot), "the Save button",
                                       "--model", f"python:{model}:respond"])  # fmt: skip
    assert result.exit_code == 4, result.output
    assert "model_error: find_region: no valid reply" in result.output


def test_run_learned_needs_no_model_key_when_every_step_runs_from_code(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "result.json").write_text(json.dumps({"goal": "say hello", "status": "done", "actions": [
        {"index": 1, "executed": True, "action": {"kind": "type", "text": "hello"},
         "screen_changed": True}]}))  # fmt: skip
    runner = CliRunner()
    learned = runner.invoke(main, ["learn", str(run), "--name", "greet", "--into", str(tmp_path)])
    assert learned.exit_code == 0, learned.output
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("GUI_AGENT_MODEL", raising=False)
    result = runner.invoke(main, ["run", "--learned", str(tmp_path / "greet.py"), "--env", "fake",
                                  "--out", str(tmp_path / "runs")])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "1 step from code, 0 needed the model" in " ".join(result.output.split())
    # a goal's episode still needs the key, and says so before anything starts
    goal = runner.invoke(main, ["run", "say hello", "--env", "fake"])
    assert goal.exit_code == 2 and "ANTHROPIC_API_KEY" in goal.output


@pytest.mark.parametrize(
    ("command", "content"),
    [
        ("replay", "{bad"),
        ("replay", "[1, 2]"),
        ("replay", '{"status": "done"}'),  # no goal to replay
        ("review", "{bad"),
        ("review", "[1, 2]"),
        ("view", "{bad"),
    ],
)
def test_a_run_folder_with_a_broken_result_json_is_bad_input(
    command: str, content: str, tmp_path: Path
) -> None:
    (tmp_path / "result.json").write_text(content)
    extra = [] if command == "view" else ["--model", DONE_MODEL] if command == "review" else []
    result = CliRunner().invoke(main, [command, str(tmp_path), *extra])
    assert result.exit_code == 2, result.output
    assert "internal error" not in result.output and "Traceback" not in result.output


def test_fill_a_url_without_a_scheme_is_bad_input(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text('{"name": "Ada"}')
    result = CliRunner().invoke(main, ["fill", "example.org/form", "--data", str(data), "--yes",
                                       "--out", str(tmp_path / "runs")])  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "needs its scheme" in result.output
    assert not (tmp_path / "runs").exists()  # nothing started


def test_fill_a_page_that_does_not_load_says_so_in_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text('{"name": "Ada"}')
    url = "http://127.0.0.1:9/"  # a port Chromium refuses to load, without any network
    result = CliRunner().invoke(main, ["fill", url, "--data", str(data), "--yes",
                                       "--out", str(tmp_path / "runs")])  # fmt: skip
    assert result.exit_code == 5, result.output
    [run_dir] = (tmp_path / "runs").iterdir()
    reason = json.loads((run_dir / "result.json").read_text())["reason"]
    assert reason.startswith(f"cannot load {url}: ") and "ERR_UNSAFE_PORT" in reason
    assert "\n" not in reason and "CDP connection" not in reason


@pytest.mark.parametrize("port", ["99999", "-1"])
def test_serve_refuses_a_port_out_of_range_before_starting_anything(port: str) -> None:
    result = CliRunner().invoke(main, ["serve", "--port", port])
    assert result.exit_code == 2, result.output
    assert "0<=x<=65535" in result.output  # 99999 used to serve on 34463 (99999 - 65536)


def test_run_on_the_local_display_without_one_names_the_flag(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    result = CliRunner().invoke(main, ["run", "x", "--env", "local", "--model", DONE_MODEL,
                                       "--out", str(tmp_path)])  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "--env sandbox" in " ".join(result.output.split())


def test_doctor_reports_bubblewrap_which_serve_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    from gui_agent.doctor import run_checks

    checks = {check.name: check for check in run_checks()}
    assert checks["bwrap"].state == "ok"  # scripts/install.sh installs it
    assert "private /home/user" in checks["bwrap"].detail
    monkeypatch.setenv("PATH", "/nonexistent")
    missing = {check.name: check for check in run_checks()}["bwrap"]
    assert missing.state == "optional" and "apt-get install bubblewrap" in missing.fix


def test_doctor_says_what_is_lost_when_bubblewrap_cannot_make_namespaces(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from gui_agent.computers.server import isolation
    from gui_agent.doctor import run_checks

    monkeypatch.setattr(isolation, "bwrap_problem", lambda: "bubblewrap cannot create namespaces")
    check = {check.name: check for check in run_checks()}["bwrap"]
    assert check.state == "optional" and check.detail == "bubblewrap cannot create namespaces"
    assert "take turns on /home/user" in check.fix


def test_mark_refuses_expected_text_that_is_not_json_for_a_structured_call(
    tmp_path: Path,
) -> None:
    runner = CliRunner()
    ran = runner.invoke(main, ["run", "click twice", "--env", "fake", "--agent", "loop",
                               "--model", DONE_MODEL, "--out", str(tmp_path)])  # fmt: skip
    assert ran.exit_code == 0, ran.output
    [run_dir] = tmp_path.iterdir()
    typo = runner.invoke(main, ["mark", str(run_dir), "step#0/perceive#0",
                                "--expected", '{"observation": "x", action: {}}'])  # fmt: skip
    assert typo.exit_code == 2, typo.output
    assert "--expected is not JSON, but perceive returns an object" in typo.output
    assert not (run_dir / "marks.jsonl").exists()
    good = runner.invoke(main, ["mark", str(run_dir), "step#0/perceive#0", "--expected",
                                '{"observation": "x", "action": {"kind": "done"}}'])  # fmt: skip
    assert good.exit_code == 0, good.output
    assert (run_dir / "marks.jsonl").is_file()


def test_run_learned_without_a_model_says_which_step_needed_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "result.json").write_text(json.dumps({"goal": "save", "status": "done", "actions": [
        {"index": 1, "executed": True, "screen_changed": True,
         "action": {"kind": "click", "x": 100, "y": 100, "target": "Save"}}]}))  # fmt: skip
    runner = CliRunner()
    learned = runner.invoke(main, ["learn", str(run), "--name", "saver", "--into", str(tmp_path)])
    assert learned.exit_code == 0, learned.output
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("GUI_AGENT_MODEL", raising=False)
    result = runner.invoke(main, ["run", "--learned", str(tmp_path / "saver.py"), "--env", "fake",
                                  "--out", str(tmp_path / "runs")])  # fmt: skip
    assert result.exit_code == 4, result.output  # model_error: the fake screen has no Save
    assert "needs a model and none is configured" in " ".join(result.output.split())


def test_bench_miniwob_names_an_unknown_task_before_announcing_a_run(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["bench", "miniwob", "--tasks", "click-button,nosuch",
                                       "--model", DONE_MODEL, "--out", str(tmp_path / "mw")])  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "unknown MiniWoB++ task: nosuch (gui-agent bench miniwob --list" in " ".join(
        result.output.split()
    )
    assert "MiniWoB++: " not in result.output and not (tmp_path / "mw").exists()


def test_locate_with_an_a11y_file_that_is_not_xml_is_bad_input(tmp_path: Path) -> None:
    shot = tmp_path / "blank.png"
    Image.new("RGB", (200, 100), "white").save(shot)
    tree = tmp_path / "tree.xml"
    tree.write_text("<desktop-frame><button name='Save'")
    result = CliRunner().invoke(main, ["locate", str(shot), "Save", "--a11y", str(tree)])
    assert result.exit_code == 2, result.output  # was 1, "not found", as if the tree were empty
    assert "is not an accessibility tree (XML)" in result.output


@pytest.mark.parametrize("goal", ["", "   "])
def test_an_empty_goal_is_bad_input_before_anything_runs(goal: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", goal, "--env", "fake", "--model", DONE_MODEL,
                                       "--out", str(tmp_path)])  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "give a GOAL" in result.output and not any(tmp_path.iterdir())
