"""GET /terminal: the text of the terminal a task or the agent opened (a real xterm on Xvfb)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator

import httpx
import pytest

from gui_agent.actions import Click, Key, Type
from gui_agent.computers.display import XvfbDisplay
from gui_agent.computers.server import DesktopServer, XvfbDesktop
from gui_agent.computers.server.shims import _gnome_terminal_to_xterm
from gui_agent.computers.server.terminal_text import render
from gui_agent.computers.vm import VMComputer


def test_render_replays_what_the_terminal_was_sent() -> None:
    raw = b"\x1b[?2004hbash$ echo hi\r\n\x1b[?2004lhi\r\nbash$ "
    assert render(raw, columns=40, rows=5) == "bash$ echo hi\nhi\nbash$"
    cleared = b"old text\r\n\x1b[H\x1b[2Jnew\r\n"
    assert render(cleared, columns=20, rows=4) == "new"
    wrapped = b"x" * 25
    assert render(wrapped, columns=10, rows=4) == "xxxxxxxxxx\nxxxxxxxxxx\nxxxxx"
    scrolled = b"".join(f"line {n}\r\n".encode() for n in range(8))
    assert render(scrolled, columns=10, rows=3).splitlines()[:2] == ["line 0", "line 1"]


def test_gnome_terminal_options_become_xterm_options() -> None:
    assert _gnome_terminal_to_xterm(["--working-directory=/tmp", "--", "top", "-b"]) == (
        ["-e", "top", "-b"],
        "/tmp",
    )
    assert _gnome_terminal_to_xterm(["--title", "T", "-e", "ls -l"]) == (
        ["-T", "T", "-e", "sh", "-c", "ls -l"],
        None,
    )
    assert _gnome_terminal_to_xterm(["--maximize"]) == ([], None)


@pytest.fixture(scope="module")
def served() -> Iterator[DesktopServer]:
    if shutil.which("Xvfb") is None or shutil.which("xterm") is None:
        pytest.skip("Xvfb or xterm is not installed")
    with (
        XvfbDisplay(width=800, height=600) as display,
        DesktopServer(XvfbDesktop(display), port=0) as server,
    ):
        yield server


def _terminal(url: str, *, until: str) -> str:
    deadline = time.monotonic() + 30
    text = ""
    while time.monotonic() < deadline:
        reply = httpx.get(url + "/terminal", timeout=30)
        text = reply.json().get("output") or ""
        if reply.status_code == 200 and until in text:
            return text
        time.sleep(0.3)
    raise AssertionError(f"the terminal never showed {until!r}; it shows {text!r}")


def test_terminal_route_reads_a_launched_gnome_terminal(served: DesktopServer) -> None:
    assert httpx.get(served.url + "/terminal", timeout=30).status_code == 404
    launched = httpx.post(
        served.url + "/setup/launch",
        json={"command": ["gnome-terminal", "--", "bash", "--norc", "--noprofile"]},
        timeout=60,
    )
    assert launched.status_code == 200, launched.text
    with VMComputer(served.url, timeout=60) as vm:
        _terminal(served.url, until="bash")  # the prompt: the terminal is up
        vm.execute(
            Click(x=100, y=100)
        )  # no window manager: keys go to the window under the pointer
        vm.execute(Type(text="echo hello $((6*9)); stty size"))
        vm.execute(Key(keys="enter"))
        text = _terminal(served.url, until="hello 54")
    assert "24 80" in text  # gnome-terminal's default size, as the shell sees it
    assert "echo hello $((6*9)); stty size" in text  # what was typed is on screen too


def test_ctrl_alt_t_opens_a_terminal_that_the_route_reads(served: DesktopServer) -> None:
    with VMComputer(served.url, timeout=60) as vm:
        before = httpx.get(served.url + "/terminal", timeout=30).json().get("output")
        vm.execute(Key(keys="ctrl+alt+t"))  # as OSWorld's postconfig and Ubuntu users do
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            reply = httpx.get(served.url + "/terminal", timeout=30).json()
            if reply.get("output") not in (None, before):
                break
            time.sleep(0.3)
        assert reply.get("output") not in (None, before), "no new terminal after Ctrl+Alt+T"
