"""Task environments: the sandbox's home folder rules, the remote one over the fake server, and
a real sandbox that finds its browser's CDP endpoint and leaves no process behind."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gui_agent.errors import EnvError
from osworld_eval.environments import remote_environment, sandbox_environment
from osworld_eval.getters import RemoteFileMissing
from osworld_eval.sandbox_home import HOME_MARKER, HomeLock, empty_home
from osworld_eval.setup import run_setup
from osworld_eval.tasks import SetupStep
from tests.fakes.vm_server import FakeVMServer


def test_empty_home_makes_a_marked_folder_and_empties_only_its_own(tmp_path: Path) -> None:
    home = tmp_path / "user"
    empty_home(home)
    assert [p.name for p in home.iterdir()] == [HOME_MARKER]
    (home / "Desktop").mkdir()
    (home / "Desktop" / "left-over.txt").write_text("x")
    empty_home(home)
    assert [p.name for p in home.iterdir()] == [HOME_MARKER]

    foreign = tmp_path / "someone"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("precious")
    with pytest.raises(EnvError, match="not empty and was not made by a sandbox"):
        empty_home(foreign)
    assert (foreign / "thesis.tex").read_text() == "precious"


def test_one_sandbox_per_home_at_a_time(tmp_path: Path) -> None:
    first = HomeLock(tmp_path / "user", wait_s=0)
    first.acquire()
    with pytest.raises(EnvError, match="one at a time"):
        HomeLock(tmp_path / "user", wait_s=0.3).acquire()
    first.release()
    second = HomeLock(tmp_path / "user", wait_s=0)
    second.acquire()
    second.release()


@pytest.fixture
def server() -> Iterator[FakeVMServer]:
    def answer(payload: dict[str, object]) -> dict[str, object]:
        output = "/home/user\n" if payload.get("command") == "echo $HOME" else ""
        return {"status": "success", "output": output, "error": "", "returncode": 0}

    with FakeVMServer(size=(1024, 768), on_execute=answer) as started:
        yield started


def test_remote_environment_speaks_to_a_running_server(
    server: FakeVMServer, tmp_path: Path
) -> None:
    server.files["/home/user/notes.txt"] = b"hello"
    environment = remote_environment(server.url, cache_dir=tmp_path)
    try:
        env = environment.eval_env
        assert environment.computer.size == (1024, 768)
        assert env.cdp_url == "http://127.0.0.1:9222"
        assert env.platform == "Linux"
        assert env.chrome_profile_dir == "/home/user/.config/google-chrome/Default"
        assert env.read_file("~/notes.txt") == b"hello"
        with pytest.raises(RemoteFileMissing):
            env.read_file("~/missing.txt")
        assert env.run_command(["true"]).returncode == 0
        assert env.terminal_output() == ""  # the fake has no /terminal
    finally:
        environment.close()
    assert server.count("/screenshot") >= 1  # still serving: close() only disconnected


@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is not installed")
@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed")
@pytest.mark.timeout(300)
def test_sandbox_environment_finds_its_browser_and_reaps_everything(tmp_path: Path) -> None:
    home = tmp_path / "home"
    environment = sandbox_environment(
        cache_dir=tmp_path / "cache", home=home, width=800, height=600, private_home=False
    )
    try:
        assert environment.computer.size == (800, 600)
        assert set(environment.port_map) == {1337, 9222}
        assert environment.eval_env.cdp_url is None  # no browser yet
        steps = [
            SetupStep(type="launch", parameters={"command": ["google-chrome", "--remote-debugging-port=1337"]}),
            SetupStep(type="launch", parameters={"command": ["socat", "tcp-listen:9222,fork", "tcp:localhost:1337"]}),
        ]  # fmt: skip
        run_setup(steps, api=environment.server, env=environment.eval_env, task_id="t",
                  cache_dir=tmp_path / "cache", port_map=environment.port_map)  # fmt: skip
        cdp_url = environment.eval_env.cdp_url
        mapped = {environment.port_map[1337], environment.port_map[9222]}
        assert cdp_url is not None and int(cdp_url.rsplit(":", 1)[1]) in mapped
        assert (home / ".config" / "google-chrome" / "Default").is_dir()
    finally:
        environment.close()
    assert [p.name for p in home.iterdir()] == [HOME_MARKER]
    deadline = time.monotonic() + 30
    while _processes_naming(str(home)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_naming(str(home)) == []


def _processes_naming(text: str) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as cmdline:
                if text.encode() in cmdline.read():
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is not installed")
@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed")
@pytest.mark.timeout(300)
def test_chrome_tabs_open_and_close_over_cdp(tmp_path: Path) -> None:
    environment = sandbox_environment(cache_dir=tmp_path / "cache", home=tmp_path / "home")
    urls = ["chrome://version/", "chrome://credits/", "about:blank#third"]

    def run(*steps: tuple[str, dict[str, object]]) -> None:
        parsed = [SetupStep(type=kind, parameters=params) for kind, params in steps]
        run_setup(parsed, api=environment.server, env=environment.eval_env, task_id="t",
                  cache_dir=tmp_path / "cache", port_map=environment.port_map)  # fmt: skip

    def open_pages() -> list[str]:
        url = environment.eval_env.cdp_url
        assert url is not None
        targets = httpx.get(url + "/json/list", timeout=10).json()
        return sorted(t["url"] for t in targets if t["type"] == "page")

    try:
        run(
            ("launch", {"command": ["google-chrome", "--remote-debugging-port=1337"]}),
            ("launch", {"command": ["socat", "tcp-listen:9222,fork", "tcp:localhost:1337"]}),
            ("chrome_open_tabs", {"urls_to_open": urls}),
        )
        assert open_pages() == sorted(urls)  # the tab the browser started with is gone
        run(("chrome_close_tabs", {"urls_to_close": ["chrome://credits"]}))
        assert open_pages() == sorted(["chrome://version/", "about:blank#third"])
    finally:
        environment.close()
