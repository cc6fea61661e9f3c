"""Setup steps one by one against a recording fake of the in-VM server (httpx.MockTransport)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest

import osworld_eval.setup as setup_runner
from gui_agent.errors import EnvError, SetupError
from osworld_eval.file_cache import cache_candidates
from osworld_eval.getters import LocalEvalEnv
from osworld_eval.server_api import ServerAPI
from osworld_eval.setup import STEPS, fill_placeholders, remap_ports, run_setup
from osworld_eval.tasks import CREDENTIAL_SETUP_TYPES, SUPPORTED_SETUP_TYPES, SetupStep, load_tasks

TASK = "task-1"
Executed = dict[str, Any]


class FakeServer:
    """Answers the setup endpoints and records what was asked, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.uploads: dict[str, bytes] = {}
        self.on_execute: Callable[[Executed], Executed] = lambda payload: {}
        self.status: dict[str, int] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        status = self.status.get(path, 200)
        if path == "/screen_size":
            return httpx.Response(200, json={"width": 1280, "height": 800})
        if path == "/setup/upload":
            name, data = _multipart(request)
            self.uploads[name] = data
            self.calls.append((path, name))
            return httpx.Response(status, text="File Uploaded")
        body = json.loads(request.content or b"{}")
        self.calls.append((path, body))
        if path == "/setup/execute":
            if body["command"] == "echo $HOME":
                return httpx.Response(200, json={"output": "/home/user\n", "returncode": 0})
            answer = {"status": "success", "output": "", "error": "", "returncode": 0}
            answer |= self.on_execute(body)
            return httpx.Response(status, json=answer)
        return httpx.Response(status, text="ok" if status == 200 else "not found")

    def paths(self) -> list[str]:
        return [path for path, _ in self.calls]

    def executed(self) -> list[Any]:
        return [body["command"] for path, body in self.calls if path == "/setup/execute"]


def _multipart(request: httpx.Request) -> tuple[str, bytes]:
    content = request.read()
    boundary = request.headers["content-type"].split("boundary=")[1].encode()
    fields: dict[str, bytes] = {}
    for part in content.split(b"--" + boundary):
        head, _, value = part.partition(b"\r\n\r\n")
        if b'name="' in head:
            name = head.split(b'name="')[1].split(b'"')[0].decode()
            fields[name] = value.removesuffix(b"\r\n")
    return fields["file_path"].decode(), fields["file_data"]


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


@pytest.fixture
def run(server: FakeServer, tmp_path: Path) -> Callable[..., None]:
    api = ServerAPI("http://vm.test", transport=httpx.MockTransport(server), retries=0)
    env = LocalEvalEnv(cache_dir=tmp_path / "cache")

    def run_steps(*steps: dict[str, Any], **options: Any) -> None:
        options.setdefault("ready_timeout_s", 5.0)
        parsed = [SetupStep.model_validate(step) for step in steps]
        run_setup(parsed, api=api, env=env, task_id=TASK, cache_dir=tmp_path / "cache", **options)

    return run_steps


def step(kind: str, **parameters: Any) -> dict[str, Any]:
    return {"type": kind, "parameters": parameters}


# -- the step table --------------------------------------------------------------------------


def test_every_supported_setup_type_has_a_step() -> None:
    assert set(STEPS) == SUPPORTED_SETUP_TYPES


def test_every_step_in_the_task_files_has_valid_parameters(examples: Path) -> None:
    problems = []
    for task in load_tasks(examples, domains=["chrome", "os", "multi_apps"]):
        for item in [*task.config, *task.evaluator.postconfig]:
            if item.type not in STEPS:
                problems.append(f"{task.id}: unknown {item.type}")
                continue
            params_type, _ = STEPS[item.type]
            try:
                params_type.model_validate(item.parameters)
            except ValueError as exc:
                problems.append(f"{task.id}: {item.type}: {exc}")
    assert problems == []


# -- placeholders and ports --------------------------------------------------------------------


def test_placeholders_are_filled_from_the_screen_size_and_password(
    run: Callable[..., None], server: FakeServer
) -> None:
    command = ["python", "-c", "click({SCREEN_WIDTH_HALF}, {SCREEN_HEIGHT_HALF})"]
    run(
        step("execute", command=command),
        step(
            "execute", command="echo {CLIENT_PASSWORD} {SCREEN_WIDTH}x{SCREEN_HEIGHT}", shell=True
        ),
        client_password="s3cret",
    )
    assert server.executed() == [
        ["python", "-c", "click(640, 400)"],
        "echo s3cret 1280x800",
    ]


def test_client_password_defaults_to_the_environment_variable(
    run: Callable[..., None], server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OSWORLD_CLIENT_PASSWORD", "from-env")
    run(step("execute", command="echo {CLIENT_PASSWORD} | sudo -S true", shell=True))
    assert server.executed() == ["echo from-env | sudo -S true"]


def test_fill_placeholders_reaches_nested_strings() -> None:
    filled = fill_placeholders({"a": ["{X}", {"b": "{X}{X}"}], "n": 3}, {"{X}": "1"})
    assert filled == {"a": ["1", {"b": "11"}], "n": 3}


def test_ports_named_in_commands_are_remapped() -> None:
    ports = {1337: 41000, 9222: 41001}
    assert remap_ports(
        {"command": ["socat", "tcp-listen:9222,fork", "tcp:localhost:1337"]}, ports
    ) == {"command": ["socat", "tcp-listen:41001,fork", "tcp:localhost:41000"]}
    assert remap_ports("google-chrome --remote-debugging-port=1337 &", ports) == (
        "google-chrome --remote-debugging-port=41000 &"
    )
    assert remap_ports("echo 1337", ports) == "echo 1337"


# -- download, upload and the file cache -------------------------------------------------------

URL = "https://huggingface.co/datasets/x/resolve/main/os/task-1/report.xlsx"


def test_download_cache_hit_uploads_the_cached_file(
    run: Callable[..., None], server: FakeServer, tmp_path: Path
) -> None:
    cached = tmp_path / "cache" / TASK / "report.xlsx"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"cells")
    run(step("download", files=[{"url": URL, "path": "/home/user/Desktop/report.xlsx"}]))
    assert server.uploads == {"/home/user/Desktop/report.xlsx": b"cells"}


def test_download_finds_osworlds_own_cache_name(
    run: Callable[..., None], server: FakeServer, tmp_path: Path
) -> None:
    cached = tmp_path / "cache" / TASK / f"{uuid.uuid5(uuid.NAMESPACE_URL, URL)}_report.xlsx"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"osworld")
    run(step("download", files=[{"url": URL, "path": "~/Desktop/report.xlsx"}]))
    assert server.uploads == {"/home/user/Desktop/report.xlsx": b"osworld"}


def test_a_relative_destination_goes_under_the_home_folder(
    run: Callable[..., None], server: FakeServer, tmp_path: Path
) -> None:
    cached = tmp_path / "cache" / TASK / "setup.sh"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"#!/bin/sh\n")
    run(step("download", files=[{"url": "https://x.test/setup.sh", "path": "setup.sh"}]))
    assert server.uploads == {"/home/user/setup.sh": b"#!/bin/sh\n"}


def test_download_cache_miss_offline_names_the_url_and_where_to_put_the_file(
    run: Callable[..., None], server: FakeServer, tmp_path: Path
) -> None:
    with pytest.raises(SetupError) as caught:
        run(step("download", files=[{"url": URL, "path": "/home/user/r.xlsx"}]), offline=True)
    assert URL in caught.value.message
    assert str(tmp_path / "cache" / TASK / "r.xlsx") in caught.value.message
    assert caught.value.message.startswith("setup step 1/1 (download)")
    assert server.uploads == {}


def test_offline_comes_from_the_environment_by_default(
    run: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OSWORLD_OFFLINE", "1")
    with pytest.raises(SetupError, match="offline"):
        run(step("download", files=[{"url": URL, "path": "/home/user/r.xlsx"}]))


def test_cache_candidates_prefer_the_destination_name(tmp_path: Path) -> None:
    names = [
        p.name
        for p in cache_candidates(tmp_path, TASK, url=URL + "?download=true", dest="a/b.xlsx")
    ]
    assert names[0] == "b.xlsx"
    assert names[-1] == "report.xlsx"


def test_upload_file_sends_a_local_file_and_refuses_a_missing_one(
    run: Callable[..., None], server: FakeServer, tmp_path: Path
) -> None:
    local = tmp_path / "notes.txt"
    local.write_text("hello")
    run(step("upload_file", files=[{"local_path": str(local), "path": "/tmp/notes.txt"}]))
    assert server.uploads == {"/tmp/notes.txt": b"hello"}
    with pytest.raises(SetupError, match="no local file"):
        run(step("upload_file", files=[{"local_path": str(tmp_path / "nope"), "path": "/tmp/x"}]))


def test_a_refused_upload_is_a_setup_error(run: Callable[..., None], server: FakeServer) -> None:
    server.status["/setup/upload"] = 403
    with pytest.raises(SetupError, match="cannot upload to /tmp/x"):
        run(step("upload_file", files=[{"local_path": __file__, "path": "/tmp/x"}]))


# -- steps that cannot run here ------------------------------------------------------------------


def test_an_unknown_step_type_is_a_setup_error_naming_it(run: Callable[..., None]) -> None:
    with pytest.raises(SetupError, match="unknown setup step type 'tidy_desktop'"):
        run(step("sleep", seconds=0), step("tidy_desktop"))


CREDENTIAL_STEPS = {
    "googledrive": {
        "settings_file": "evaluation_examples/settings/googledrive/settings.yml",
        "operation": ["delete"],
        "args": [{"query": "title = 'x'", "trash": False}],
    },
    "login": {
        "settings_file": "evaluation_examples/settings/google/settings.json",
        "platform": "googledrive",
    },
}


@pytest.mark.parametrize("kind", sorted(CREDENTIAL_SETUP_TYPES))
def test_credential_steps_without_credentials_say_what_to_provide(
    run: Callable[..., None], server: FakeServer, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OSWORLD_GOOGLE_SETTINGS", raising=False)
    with pytest.raises(SetupError) as caught:
        run(step(kind, **CREDENTIAL_STEPS[kind]))
    assert f"({kind})" in caught.value.message
    assert "--google-settings" in caught.value.message and "settings.yml" in caught.value.message
    assert server.calls == []


def test_bad_parameters_name_the_field(run: Callable[..., None]) -> None:
    with pytest.raises(SetupError, match="bad parameters: seconds"):
        run(step("sleep", seconds="soon"))
    with pytest.raises(SetupError, match="bad parameters: unexpected"):
        run(step("open", path="/tmp/x", unexpected=1))


# -- execute ----------------------------------------------------------------------------------


def test_a_command_that_exits_non_zero_is_only_a_warning(
    run: Callable[..., None], server: FakeServer
) -> None:
    server.on_execute = lambda payload: {"returncode": 127, "error": "sudo: not found"}
    run(
        step("execute", command="echo pw | sudo -S apt install jq", shell=True),
        step("sleep", seconds=0),
    )
    assert server.executed() == ["echo pw | sudo -S apt install jq"]


def test_a_command_the_server_cannot_run_is_a_setup_error(
    run: Callable[..., None], server: FakeServer
) -> None:
    server.status["/setup/execute"] = 500
    server.on_execute = lambda payload: {"status": "error", "message": "No such file: nope"}
    with pytest.raises(SetupError, match="could not run.*No such file"):
        run(step("command", command=["nope"]))


def test_execute_saves_stdout_into_the_task_cache(
    run: Callable[..., None], server: FakeServer, tmp_path: Path
) -> None:
    server.on_execute = lambda payload: {"output": "42\n", "error": "warn\n"}
    run(step("execute", command=["answer"], stdout="out.txt", stderr="err.txt"))
    assert (tmp_path / "cache" / TASK / "out.txt").read_text() == "42\n"
    assert (tmp_path / "cache" / TASK / "err.txt").read_text() == "warn\n"


def test_until_repeats_the_command_until_it_is_met(
    run: Callable[..., None], server: FakeServer
) -> None:
    answers = iter(["starting", "starting", "ready"])
    server.on_execute = lambda payload: {"output": next(answers)}
    run(step("execute", command=["status"], until={"stdout": "ready"}))
    assert server.executed() == [["status"]] * 3


def test_until_never_met_is_a_setup_error(run: Callable[..., None], server: FakeServer) -> None:
    server.on_execute = lambda payload: {"returncode": 1}
    with pytest.raises(SetupError, match="never met"):
        run(step("execute", command=["probe"], until={"returncode": 0}), ready_timeout_s=0.5)


def test_execute_with_verification_falls_back_to_checks_from_here(
    run: Callable[..., None], server: FakeServer
) -> None:
    server.status["/setup/execute_with_verification"] = 404
    run(
        step(
            "execute_with_verification",
            command=["make"],
            verification={"command_success": "test -f built"},
        )
    )
    assert server.executed() == [["make"], "test -f built"]


# -- launch and readiness ------------------------------------------------------------------------


def test_launching_chrome_adds_remote_origins_and_polls_cdp_inside_the_machine(
    run: Callable[..., None], server: FakeServer
) -> None:
    probes = iter([1, 1, 0])
    server.on_execute = lambda payload: {"returncode": next(probes)}
    run(step("launch", command=["google-chrome", "--remote-debugging-port=1337"]))
    launched = [body for path, body in server.calls if path == "/setup/launch"]
    assert launched == [
        {
            "command": [
                "google-chrome",
                "--remote-debugging-port=1337",
                "--remote-allow-origins=*",
            ],
            "shell": False,
        }
    ]
    probes_sent = server.executed()
    assert len(probes_sent) == 3
    assert "127.0.0.1:1337/json/version" in probes_sent[0][2]


def test_a_browser_that_never_answers_cdp_is_a_setup_error(
    run: Callable[..., None], server: FakeServer
) -> None:
    server.on_execute = lambda payload: {"returncode": 1}
    with pytest.raises(SetupError, match="did not answer CDP on port 1337"):
        run(step("launch", command=["google-chrome", "--remote-debugging-port=1337"]),
            ready_timeout_s=0.5)  # fmt: skip


def test_launch_uses_the_port_map(run: Callable[..., None], server: FakeServer) -> None:
    run(step("launch", command=["socat", "tcp-listen:9222,fork", "tcp:localhost:1337"]),
        port_map={1337: 41000, 9222: 41001})  # fmt: skip
    launched = [body["command"] for path, body in server.calls if path == "/setup/launch"]
    assert launched == [["socat", "tcp-listen:41001,fork", "tcp:localhost:41000"]]
    assert "41001" in server.executed()[0][2]  # waited for the forward to listen


def test_a_launched_pkill_runs_to_completion_before_the_next_step(
    run: Callable[..., None], server: FakeServer
) -> None:
    run(step("launch", command=["pkill", "chrome"]), step("sleep", seconds=0))
    assert "/setup/launch" not in server.paths()
    assert server.executed()[0] == ["pkill", "chrome"]
    assert "SingletonLock" in server.executed()[1]  # then waited for the browser to go


def test_a_failed_launch_is_a_setup_error(run: Callable[..., None], server: FakeServer) -> None:
    server.status["/setup/launch"] = 500
    with pytest.raises(SetupError, match="cannot launch"):
        run(step("launch", command="vlc --fullscreen"))


def test_open_failure_is_a_setup_error(run: Callable[..., None], server: FakeServer) -> None:
    server.status["/setup/open_file"] = 404
    with pytest.raises(SetupError, match="cannot open /home/user/x.docx"):
        run(step("open", path="/home/user/x.docx"))


def test_a_window_not_found_is_only_a_warning(run: Callable[..., None], server: FakeServer) -> None:
    server.status["/setup/activate_window"] = 404
    run(step("activate_window", window_name="Terminal"), step("close_window", window_name="x"))
    assert server.paths() == ["/setup/activate_window", "/setup/close_window"]


def test_sleep_is_capped(run: Callable[..., None], monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(setup_runner.time, "sleep", slept.append)
    run(step("sleep", seconds=600), step("sleep", seconds=0.5), max_sleep_s=20)
    assert slept == [20, 0.5]


def test_the_server_failing_is_an_env_error_not_a_setup_error(tmp_path: Path) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    api = ServerAPI("http://vm.test", transport=httpx.MockTransport(refuse), retries=0)
    with pytest.raises(EnvError, match="cannot connect"):
        run_setup([SetupStep(type="execute", parameters={"command": ["true"]})], api=api,
                  env=LocalEvalEnv(cache_dir=tmp_path), task_id=TASK, cache_dir=tmp_path)  # fmt: skip


# -- browse history ------------------------------------------------------------------------------


def test_update_browse_history_writes_the_visits_into_the_profile(
    run: Callable[..., None], server: FakeServer, tmp_path: Path
) -> None:
    empty = tmp_path / "cache" / TASK / "history_empty.sqlite"
    empty.parent.mkdir(parents=True)
    with closing(sqlite3.connect(empty)) as conn:
        conn.execute(
            "CREATE TABLE urls (id INTEGER PRIMARY KEY, url TEXT, title TEXT, visit_count INT, "
            "typed_count INT, last_visit_time INT, hidden INT)"
        )
        conn.execute(
            "CREATE TABLE visits (id INTEGER PRIMARY KEY, url INT, visit_time INT, from_visit INT, "
            "transition INT, segment_id INT, visit_duration INT)"
        )
    history = [
        {
            "url": "https://www.youtube.com/watch?v=1",
            "title": "a",
            "visit_time_from_now_in_seconds": 60,
        },
        {"url": "https://www.nytimes.com/", "title": "b", "visit_time_from_now_in_seconds": 30},
    ]
    run(step("update_browse_history", history=history))
    target = "/home/user/.config/google-chrome/Default/History"
    written = tmp_path / "written.sqlite"
    written.write_bytes(server.uploads[target])
    with closing(sqlite3.connect(written)) as conn:
        rows = conn.execute("SELECT url, title FROM urls ORDER BY id").fetchall()
        visits = conn.execute("SELECT count(*) FROM visits").fetchone()[0]
    assert rows == [("https://www.youtube.com/watch?v=1", "a"), ("https://www.nytimes.com/", "b")]
    assert visits == 2
