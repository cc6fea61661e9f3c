"""XvfbDisplay and SandboxDesktop: real processes, started and reaped; the capabilities."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from gui_agent.actions import Move, Shell
from gui_agent.computers.base import Computer, HasCDP, HasFiles, HasShell
from gui_agent.computers.chromium import find_chromium
from gui_agent.computers.display import XvfbDisplay
from gui_agent.computers.processes import group_members
from gui_agent.computers.sandbox import SandboxDesktop
from gui_agent.computers.shell_boundary import boundary_available
from gui_agent.errors import ActionRejected, ConfigError, EnvError, PolicyBlocked
from tests.gui_fixtures import chromium_missing, wait_until, xvfb_missing

needs_xvfb = pytest.mark.skipif(xvfb_missing() is not None, reason=str(xvfb_missing()))
needs_gui = pytest.mark.skipif(
    (xvfb_missing() or chromium_missing()) is not None,
    reason=str(xvfb_missing() or chromium_missing()),
)


def _alive(pid: int) -> bool:
    """True if `pid` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat.rsplit(b")", 1)[1].split()[0] != b"Z"


def _processes_with_token(token: str) -> list[int]:
    needle = f"GUI_AGENT_TEST_MARK={token}\0".encode()
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if needle in Path(f"/proc/{entry.name}/environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return [pid for pid in found if _alive(pid)]


def _xvfb_children() -> list[int]:
    children = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                fields = Path(f"/proc/{entry.name}/stat").read_bytes().rsplit(b")", 1)[1].split()
                comm = Path(f"/proc/{entry.name}/comm").read_text().strip()
            except OSError:
                continue
            if int(fields[1]) == os.getpid() and comm == "Xvfb":
                children.append(int(entry.name))
    return children


# -- XvfbDisplay --------------------------------------------------------------------------------


@needs_xvfb
def test_xvfb_display_starts_and_stops() -> None:
    display = XvfbDisplay(width=640, height=480)
    with pytest.raises(EnvError, match="not started"):
        _ = display.display
    with display:
        assert display.display.startswith(":")
        assert display.env["DISPLAY"] == display.display
        assert display.env["XDG_SESSION_TYPE"] == "x11"
        pid = display.pid
        assert pid is not None and _alive(pid) and display.running
        info = subprocess.run(["xdpyinfo"], env=display.env, capture_output=True, text=True)
        if info.returncode == 0:  # xdpyinfo is optional (x11-utils)
            assert "640x480 pixels" in info.stdout
    assert not display.running and not _alive(pid)
    display.stop()  # idempotent


@needs_xvfb
def test_two_displays_get_different_numbers() -> None:
    with XvfbDisplay() as first, XvfbDisplay() as second:
        assert first.display != second.display


# -- finding Chromium ---------------------------------------------------------------------------


def test_find_chromium_honours_explicit_then_env_then_path(monkeypatch, tmp_path) -> None:
    fake = tmp_path / "my-chrome"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert find_chromium(str(fake)) == str(fake)
    monkeypatch.setenv("GUI_AGENT_CHROMIUM", str(fake))
    assert find_chromium() == str(fake)
    monkeypatch.setenv("GUI_AGENT_CHROMIUM", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="GUI_AGENT_CHROMIUM"):
        find_chromium()
    monkeypatch.delenv("GUI_AGENT_CHROMIUM")
    monkeypatch.delenv("CHROMIUM_PATH", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ConfigError, match="apt-get install chromium"):
        find_chromium()


@needs_xvfb
def test_a_failed_start_leaves_no_xvfb() -> None:
    before = set(_xvfb_children())
    desktop = SandboxDesktop(chromium_path="/nonexistent/chromium")
    with pytest.raises(ConfigError, match="chromium_path"):
        desktop.start()
    assert set(_xvfb_children()) <= before
    with pytest.raises(EnvError, match="closed"):
        desktop.start()


@needs_xvfb
def test_a_browser_that_dies_at_start_is_an_env_error_and_is_cleaned_up() -> None:
    before = set(_xvfb_children())
    desktop = SandboxDesktop(chromium_path=shutil.which("false") or "/bin/false")
    with pytest.raises(EnvError, match="exited during start"):
        desktop.start()
    assert set(_xvfb_children()) <= before


# -- the session sandbox ------------------------------------------------------------------------


def test_sandbox_is_a_computer_with_capabilities(sandbox) -> None:
    assert isinstance(sandbox, Computer)
    assert isinstance(sandbox, HasShell) and isinstance(sandbox, HasCDP)
    assert isinstance(sandbox, HasFiles)
    assert sandbox.size == (1280, 800) and sandbox.allows_shell
    assert sandbox.cdp_url.startswith("http://127.0.0.1:")
    assert sandbox.env["DISPLAY"] == sandbox.display


def test_chromium_window_fills_the_screen_with_tabs(sandbox, gui_page) -> None:
    page = gui_page("static.html")
    geometry = page.evaluate(
        "[screenX, screenY, outerWidth, outerHeight, innerWidth, outerHeight - innerHeight]"
    )
    screen_x, screen_y, outer_w, outer_h, inner_w, top_chrome = geometry
    assert (screen_x, screen_y, outer_w, outer_h, inner_w) == (0, 0, 1280, 800, 1280)
    assert 40 < top_chrome < 200  # a tab strip and a toolbar: a normal window, not --app


def test_open_url_opens_a_new_tab(sandbox, gui_site) -> None:
    url = f"{gui_site}/static.html?tab"
    target = sandbox.open_url(url)
    try:
        listed = json.load(urllib.request.urlopen(sandbox.cdp_url + "/json/list", timeout=30))
        assert any(item["id"] == target["id"] for item in listed)
    finally:
        urllib.request.urlopen(f"{sandbox.cdp_url}/json/close/{target['id']}", timeout=30).read()


def test_run_shell_uses_the_sandbox_display(sandbox) -> None:
    result = sandbox.run_shell("echo $DISPLAY; echo oops >&2; exit 3")
    assert result.returncode == 3
    assert result.output.strip() == sandbox.display
    assert result.error.strip() == "oops"


def test_python3_in_a_shell_command_is_the_projects_interpreter(sandbox) -> None:
    result = sandbox.run_shell('python3 -c "import sys, pyautogui; print(sys.prefix)"')
    assert (result.returncode, result.output.strip()) == (0, sys.prefix), result.error


def test_run_shell_timeout_kills_the_whole_group(sandbox) -> None:
    marker = f"{300 + uuid.uuid4().int % 1000}.5"  # a sleep no other process runs
    result = sandbox.run_shell(f"sleep {marker} & echo $!; wait", timeout=1.0)
    assert result.returncode == 124 and "timed out" in result.error
    wait_until(lambda: not _sleeping(marker), timeout=30)


def _sleeping(seconds: str) -> list[int]:
    wanted = f"sleep\0{seconds}\0".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _alive(int(entry.name)):
            try:
                if (entry / "cmdline").read_bytes() == wanted:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.skipif(not boundary_available(), reason="bubblewrap cannot isolate here")
def test_commands_and_file_calls_see_only_the_sandbox_files(sandbox, tmp_path) -> None:
    host_file = tmp_path / "host-only.txt"  # made by the host user, outside the sandbox
    host_file.write_text("host data\n")
    project = Path.cwd() / "pyproject.toml"
    seen = sandbox.run_shell(f"cat {host_file}; test -e {project} && echo project-seen; echo $HOME")
    assert "host data" not in seen.output and "project-seen" not in seen.output
    assert seen.output.strip() == "/home/user" == sandbox.home
    assert sandbox.run_shell("echo made > ~/Desktop/made.txt").returncode == 0
    assert sandbox.read_file("/home/user/Desktop/made.txt") == b"made\n"
    sandbox.write_file("/tmp/handed/in.txt", b"from a skill")
    assert sandbox.run_shell("cat /tmp/handed/in.txt").output == "from a skill"
    sandbox.write_file(str(host_file), b"overwritten?")  # the sandbox's own /tmp, not the host's
    assert host_file.read_text() == "host data\n"
    for outside in ("/etc/hostname", str(project)):
        with pytest.raises(EnvError, match="outside the sandbox"):
            sandbox.read_file(outside)
    with pytest.raises(EnvError, match="outside the sandbox"):
        sandbox.write_file("/root/planted.txt", b"x")
    assert sandbox.run_shell("ln -sf /etc/hostname ~/link").returncode == 0
    with pytest.raises(EnvError, match="outside the sandbox"):
        sandbox.read_file("/home/user/link")  # a link out of the home leads nowhere


def test_shell_action_runs_through_run_shell(sandbox) -> None:
    record = sandbox.execute(Shell(command="printf 'hi there'"))
    assert record.output == "hi there"
    assert record.events[-1] == "exit 0"


def test_shell_is_refused_when_not_allowed() -> None:
    desktop = SandboxDesktop(allow_shell=False)
    assert not desktop.allows_shell
    with pytest.raises(ActionRejected):
        desktop.execute(Shell(command="true"))
    with pytest.raises(PolicyBlocked):
        desktop.run_shell("true")
    desktop.close()


def test_files_round_trip(sandbox, tmp_path) -> None:
    path = tmp_path / "nested" / "out.bin"
    sandbox.write_file(str(path), b"\x00bytes\xff")
    assert sandbox.read_file(str(path)) == b"\x00bytes\xff"
    with pytest.raises(EnvError, match="cannot read"):
        sandbox.read_file(str(tmp_path / "missing"))


def test_execute_validates_against_the_screen(sandbox) -> None:
    with pytest.raises(ActionRejected, match="outside"):
        sandbox.execute(Move(x=1280, y=0))
    assert sandbox.execute(Move(x=1279, y=799)).events == ["move 1279,799"]


# -- lifecycle: every child reaped ------------------------------------------------------------


@needs_gui
def test_close_reaps_every_child(monkeypatch) -> None:
    token = uuid.uuid4().hex
    monkeypatch.setenv("GUI_AGENT_TEST_MARK", token)  # inherited by everything it starts
    desktop = SandboxDesktop(start_url="about:blank").start()
    sleeper = desktop.launch(["sleep", "300"])
    pids = desktop.pids
    profile = desktop.chromium_profile
    assert Path(profile).is_dir()
    chromium_group = pids[1]
    assert sleeper.pid in pids and all(_alive(pid) for pid in pids)
    assert len(group_members(chromium_group)) > 1  # Chromium's helpers share its group
    desktop.close()
    assert not any(_alive(pid) for pid in pids)
    assert group_members(chromium_group) == []
    assert _processes_with_token(token) == []
    assert not Path(profile).exists()
    desktop.close()  # idempotent
    with pytest.raises(EnvError):
        desktop.screenshot()


@needs_xvfb
@pytest.mark.skipif(shutil.which("xterm") is None, reason="xterm is not installed")
def test_terminal_sandbox_without_chromium() -> None:
    with SandboxDesktop(chromium=False, terminal=True) as desktop:
        assert desktop.screenshot().size == (1280, 800)
        with pytest.raises(EnvError, match="no Chromium"):
            _ = desktop.cdp_url
        pids = desktop.pids
    assert not any(_alive(pid) for pid in pids)


_CHILD = """
import os, sys, time
os.environ["GUI_AGENT_TEST_MARK"] = sys.argv[1]  # inherited by every process it starts
from gui_agent.computers.sandbox import SandboxDesktop
from gui_agent.computers.shell_boundary import boundary_available
with SandboxDesktop() as desktop:
    desktop.launch(["sleep", "300"])
    print(desktop.display, *desktop.pids, flush=True)
    time.sleep(300)
"""


@needs_gui
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_run_leaves_nothing_behind(signum) -> None:
    token = uuid.uuid4().hex
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, token],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline().split()
        assert line, f"child did not start: {child.stderr.read() if child.stderr else ''}"
        pids = [int(pid) for pid in line[1:]]
        assert len(_processes_with_token(token)) > 3  # Xvfb, Chromium and helpers, sleep
        child.send_signal(signum)
        child.wait(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    stderr = child.stderr.read() if child.stderr else ""
    if signum == signal.SIGINT:
        assert "KeyboardInterrupt" in stderr
    else:
        assert child.returncode == 128 + signal.SIGTERM, stderr
    assert not any(_alive(pid) for pid in pids)
    # close() waited for Chromium's group; anything left would carry the token.
    assert _processes_with_token(token) == []


def test_close_holds_interrupts_until_everything_is_stopped() -> None:
    from gui_agent.computers.sandbox import _signals_held

    reached_end_of_block = False
    with pytest.raises(KeyboardInterrupt), _signals_held():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.2)  # a handler would run here if the signal were not held
        reached_end_of_block = True
    assert reached_end_of_block
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
