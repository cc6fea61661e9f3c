"""Sandboxes side by side, each with a private /home/user and /tmp inside its boundary.

Two real sandbox environments run at once: what one writes in /home/user or /tmp the other
never sees, the server's file routes read each one's own home, each runs its own Chromium
(found over its own mapped CDP port) and a `pkill chrome` in one leaves the other's browser
alone. The machine's real /home/user is not touched, and closing leaves neither the private
folders nor a process behind.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from osworld_eval.environments import OSWORLD_HOME, private_home_available, sandbox_environment
from osworld_eval.setup import run_setup
from osworld_eval.task_run import TaskEnvironment
from osworld_eval.tasks import SetupStep

pytestmark = [
    pytest.mark.skipif(not private_home_available(), reason="bubblewrap cannot isolate here"),
    pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is not installed"),
    pytest.mark.timeout(300),
]


def _listing(folder: Path) -> list[str] | None:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else None


@pytest.fixture
def two(tmp_path: Path) -> Iterator[list[TaskEnvironment]]:
    envs: list[TaskEnvironment] = []
    try:
        for name in ("a", "b"):
            envs.append(sandbox_environment(cache_dir=tmp_path / "cache" / name, width=800,
                                            height=600))  # fmt: skip
        yield envs
    finally:
        for env in envs:
            env.close()


def _run(env: TaskEnvironment, command: str) -> str:
    done = env.server.execute(command, shell=True, timeout=60)
    assert done.returncode == 0, done.error
    return done.output


def test_two_sandboxes_have_their_own_home_and_tmp_at_once(two: list[TaskEnvironment]) -> None:
    real_home_before = _listing(OSWORLD_HOME)
    a, b = two
    homes = [env.home_on_host for env in two]
    assert None not in homes and homes[0] != homes[1]
    for env, name in ((a, "a"), (b, "b")):
        _run(env, f"mkdir -p ~/Desktop && echo {name} > /home/user/Desktop/mine.txt")
        _run(env, f"mkdir -p /tmp/work && echo {name}-tmp > /tmp/work/note.txt")
    for env, name in ((a, "a"), (b, "b")):
        # a later command of the same sandbox still sees what an earlier one left in /tmp
        assert _run(env, "cat /home/user/Desktop/*.txt /tmp/work/*.txt; echo $HOME") == (
            f"{name}\n{name}-tmp\n/home/user\n"
        )
        fetched = env.server.post("/file", data={"file_path": "/home/user/Desktop/mine.txt"})
        assert fetched.status == 200 and fetched.text == f"{name}\n"
        assert env.server.upload("/tmp/work/up.txt", f"up-{name}".encode()).ok
        assert _run(env, "cat /tmp/work/up.txt") == f"up-{name}"
    assert (homes[0] / "Desktop" / "mine.txt").read_text() == "a\n"  # type: ignore[operator]
    assert _listing(OSWORLD_HOME) == real_home_before


def _start_browser(env: TaskEnvironment, cache: Path) -> str:
    steps = [
        SetupStep(type="launch", parameters={"command": ["google-chrome", "--remote-debugging-port=1337"]}),
        SetupStep(type="launch", parameters={"command": ["socat", "tcp-listen:9222,fork", "tcp:localhost:1337"]}),
    ]  # fmt: skip
    run_setup(steps, api=env.server, env=env.eval_env, task_id="t", cache_dir=cache,
              port_map=env.port_map)  # fmt: skip
    url = env.eval_env.cdp_url
    assert url is not None
    return url


def _answers(url: str) -> bool:
    try:
        return httpx.get(url + "/json/version", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def _comes_up(url: str) -> bool:
    deadline = time.monotonic() + 30
    while not _answers(url):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.3)
    return True


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed")
def test_each_sandbox_runs_its_own_browser_and_pkill_stays_inside(
    two: list[TaskEnvironment], tmp_path: Path
) -> None:
    a, b = two
    urls = [_start_browser(env, tmp_path / "cache") for env in two]
    assert urls[0] != urls[1] and all(_comes_up(url) for url in urls)
    for env in two:
        assert env.home_on_host is not None
        assert (env.home_on_host / ".config" / "google-chrome" / "Default").is_dir()
    _run(a, "pkill chrome; true")
    deadline = time.monotonic() + 20
    while _answers(urls[0]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _answers(urls[0])
    assert _answers(urls[1])  # the other sandbox's browser is untouched


def test_closing_removes_the_private_home_and_every_process(tmp_path: Path) -> None:
    env = sandbox_environment(cache_dir=tmp_path / "cache", width=800, height=600)
    home = env.home_on_host
    assert home is not None and home.is_dir()
    before = set(_pids_of("sleep", "600"))
    try:
        env.server.launch("sleep 600", shell=True)
        _run(env, "sleep 600 > /dev/null 2>&1 &")
        deadline = time.monotonic() + 20  # a launched program starts a moment later
        inside = []
        while len(inside) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
            inside = [pid for pid in _pids_of("sleep", "600") if pid not in before]
        assert len(inside) >= 2
    finally:
        env.close()
    assert not home.exists()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in inside) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [pid for pid in inside if _alive(pid)] == []


def _pids_of(*argv: str) -> list[int]:
    wanted = "\0".join(argv).encode() + b"\0"
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/cmdline", "rb") as cmdline:
                    if cmdline.read() == wanted:
                        found.append(int(entry.name))
            except OSError:
                continue
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False
