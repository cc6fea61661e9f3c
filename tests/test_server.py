"""Our in-VM server on a real Xvfb, driven by our own VMComputer (the OSWorld protocol end to end).

No timing asserts: waits poll for readiness with generous deadlines (2-core machines).
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from gui_agent.actions import Click, Key, Type
from gui_agent.computers.display import XvfbDisplay
from gui_agent.computers.server import DesktopServer, XvfbDesktop
from gui_agent.computers.server.accessibility import pyatspi_available
from gui_agent.computers.server.app import served_by
from gui_agent.computers.server.security import PathGuard, PathRefused, check_bind, is_loopback
from gui_agent.computers.server.shims import _signal_from, requested_port
from gui_agent.computers.vm import PNG_MAGIC, VMComputer
from gui_agent.errors import ConfigError, EnvError

WIDTH, HEIGHT = 800, 600

needs_xvfb = pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is not installed")
needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None and not os.environ.get("GUI_AGENT_CHROMIUM"),
    reason="Chromium is not installed",
)


# -- pure parts: no display needed ------------------------------------------------------------


def test_only_loopback_may_go_without_a_token() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    check_bind("127.0.0.1", None)
    check_bind("0.0.0.0", "a-token")
    with pytest.raises(ConfigError, match="token"):
        check_bind("0.0.0.0", None)


def test_path_guard_follows_symlinks(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "escape").symlink_to("/etc")
    guard = PathGuard([root])
    assert guard.check(str(root / "new" / "file.txt")) == root / "new" / "file.txt"
    for bad in (str(root / "escape" / "passwd"), str(root / ".." / "x"), "relative", "/etc"):
        with pytest.raises(PathRefused):
            guard.check(bad)


def test_shim_argument_parsing() -> None:
    assert requested_port(["--remote-debugging-port=1337", "https://a"]) == 1337
    assert requested_port(["https://a"]) is None
    assert _signal_from(["-9", "chrome"]) == 9
    assert _signal_from(["-f", "chrome"]) == 15
    assert _signal_from(["--signal", "KILL", "chrome"]) == 9


# -- the real server on a real display ----------------------------------------------------------


@pytest.fixture(scope="module")
def display() -> Iterator[XvfbDisplay]:
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed")
    with XvfbDisplay(width=WIDTH, height=HEIGHT) as started:
        yield started


@pytest.fixture(scope="module")
def server(display: XvfbDisplay) -> Iterator[DesktopServer]:
    with DesktopServer(XvfbDesktop(display), port=0) as running:
        yield running


@pytest.fixture
def vm(server: DesktopServer) -> Iterator[VMComputer]:
    computer = VMComputer(server.url, timeout=60.0, allow_shell=True)
    computer.wait_ready(timeout=60)
    yield computer
    computer.close()


@needs_xvfb
def test_screenshot_is_a_png_of_the_screen_size(server: DesktopServer, vm: VMComputer) -> None:
    raw = httpx.get(server.url + "/screenshot", timeout=60).content
    assert raw.startswith(PNG_MAGIC)
    assert Image.open(io.BytesIO(raw)).size == (WIDTH, HEIGHT)
    assert vm.size == (WIDTH, HEIGHT)
    assert vm.screenshot().size == (WIDTH, HEIGHT)


@needs_xvfb
def test_execute_runs_on_the_display_in_the_session_home(
    display: XvfbDisplay, server: DesktopServer, vm: VMComputer
) -> None:
    result = vm.run_shell('echo "$DISPLAY|$HOME"; cd ~ && pwd', timeout=30)
    assert result.returncode == 0
    shown_display, home = result.output.splitlines()[0].split("|")
    assert shown_display == display.display
    assert home == str(server.session.home) != os.environ.get("HOME")
    answer = httpx.post(
        server.url + "/execute",
        json={"command": ["ls", "~/"], "shell": False},
        timeout=60,
    ).json()
    assert answer["status"] == "success" and "Desktop" in answer["output"]
    desktop = httpx.post(server.url + "/desktop_path", timeout=60).json()["desktop_path"]
    assert desktop == str(server.session.home / "Desktop")


@needs_xvfb
def test_a_failing_command_reports_its_exit_code(vm: VMComputer) -> None:
    result = vm.run_shell("echo out; echo err >&2; exit 7", timeout=30)
    assert (result.returncode, result.output, result.error) == (7, "out\n", "err\n")


@needs_xvfb
def test_a_command_past_its_timeout_is_killed(vm: VMComputer) -> None:
    result = vm.run_shell("sleep 60", timeout=1)
    assert result.returncode == -1 and "timed out" in result.error


@needs_xvfb
def test_served_commands_run_the_servers_own_python(server: DesktopServer, vm: VMComputer) -> None:
    """`python`/`python3` in a served command is this venv's interpreter, whatever PATH holds
    (a symlink to it would start the machine's base interpreter, without pyautogui)."""
    probe = "import sys, pyautogui; print(sys.prefix)"
    for name in ("python", "python3"):
        shell = vm.run_shell(f'{name} -c "{probe}"', timeout=60)
        assert (shell.returncode, shell.output.strip()) == (0, sys.prefix), shell.error
        argv = httpx.post(
            server.url + "/execute",
            json={"command": [name, "-c", probe], "shell": False},
            timeout=60,
        ).json()
        assert (argv["returncode"], argv["output"].strip()) == (0, sys.prefix), argv["error"]
    ran = httpx.post(server.url + "/run_python", json={"code": probe}, timeout=60).json()
    assert ran["output"].strip() == sys.prefix


@needs_xvfb
def test_click_moves_the_real_cursor(server: DesktopServer, vm: VMComputer) -> None:
    vm.execute(Click(x=321, y=123))
    position = httpx.get(server.url + "/cursor_position", timeout=60).json()
    assert position == [321, 123]
    vm.execute(Key(keys="escape"))  # keys go through pyautogui too (no window: no effect)


@needs_xvfb
def test_upload_then_read_back_is_identical(server: DesktopServer, vm: VMComputer) -> None:
    data = bytes(range(256)) * 1000 + os.urandom(4096)
    vm.write_file("~/Desktop/nested/blob.bin", data)
    assert (server.session.home / "Desktop" / "nested" / "blob.bin").read_bytes() == data
    assert vm.read_file("~/Desktop/nested/blob.bin") == data
    assert vm.read_file(str(server.session.home / "Desktop/nested/blob.bin")) == data
    with pytest.raises(FileNotFoundError):
        vm.read_file("~/Desktop/missing.txt")
    tree = httpx.post(server.url + "/list_directory", json={"path": "~/Desktop"}, timeout=60)
    names = [child["name"] for child in tree.json()["directory_tree"]["children"]]
    assert "nested" in names


@needs_xvfb
def test_paths_outside_the_allowed_roots_are_refused(server: DesktopServer, vm: VMComputer) -> None:
    outside = Path("/etc/hostname")
    assert httpx.post(server.url + "/file", data={"file_path": str(outside)}).status_code == 403
    (server.session.home / "sneaky").symlink_to("/etc")
    sneaky = httpx.post(server.url + "/file", data={"file_path": "~/sneaky/hostname"})
    assert sneaky.status_code == 403
    upload = httpx.post(
        server.url + "/setup/upload",
        data={"file_path": "/etc/gui-agent-should-not-exist"},
        files={"file_data": ("x", b"x")},
    )
    assert upload.status_code == 403
    assert not Path("/etc/gui-agent-should-not-exist").exists()
    listing = httpx.post(server.url + "/list_directory", json={"path": "/"})
    assert listing.status_code == 403
    with pytest.raises(EnvError, match="403"):
        vm.write_file("/etc/gui-agent-should-not-exist", b"x")


@needs_xvfb
def test_protocol_errors_are_clear(server: DesktopServer) -> None:
    assert httpx.get(server.url + "/platform").text == "Linux"
    assert httpx.post(server.url + "/screen_size").json() == {"width": WIDTH, "height": HEIGHT}
    bad = httpx.post(server.url + "/execute", json={"command": [], "shell": False})
    assert bad.status_code == 400 and "command" in bad.json()["message"]
    assert httpx.post(server.url + "/wallpaper").status_code == 501
    assert httpx.get(server.url + "/terminal").status_code == 404  # no terminal opened yet
    assert httpx.post(server.url + "/start_recording").status_code == 501
    missing = httpx.post(server.url + "/setup/activate_window", json={"window_name": "nope-xyz"})
    assert missing.status_code == 404
    python = httpx.post(server.url + "/run_python", json={"code": "print(6 * 7)"}, timeout=60)
    assert python.json()["output"] == "42\n" and python.json()["return_code"] == 0


@needs_xvfb
def test_non_loopback_host_without_token_is_refused(display: XvfbDisplay) -> None:
    with pytest.raises(ConfigError, match="token"):
        DesktopServer(XvfbDesktop(display), host="0.0.0.0", port=0)


@needs_xvfb
def test_token_protected_server(display: XvfbDisplay) -> None:
    with DesktopServer(XvfbDesktop(display), port=0, token="s3cret-token") as guarded:
        assert httpx.get(guarded.url + "/platform").status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert httpx.get(guarded.url + "/screenshot", headers=wrong).status_code == 401
        with VMComputer(guarded.url, token="s3cret-token", timeout=60) as vm:
            assert vm.screenshot().size == (WIDTH, HEIGHT)
        with VMComputer(guarded.url, timeout=60) as vm, pytest.raises(EnvError, match="401"):
            vm.screenshot()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_cdp(port: int, *, timeout: float = 90.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            version: dict[str, object] = httpx.get(
                f"http://127.0.0.1:{port}/json/version", timeout=5
            ).json()
            return version
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@needs_xvfb
@needs_chromium
@pytest.mark.gui
@pytest.mark.slow
def test_google_chrome_launch_starts_chromium_with_cdp(display: XvfbDisplay) -> None:
    # A fresh server: its session profile and processes end with the test.
    with DesktopServer(XvfbDesktop(display), port=0) as served:
        cdp, alias = _free_port(), _free_port()
        launched = httpx.post(
            served.url + "/setup/launch",
            json={"command": ["google-chrome", f"--remote-debugging-port={cdp}"]},
            timeout=60,
        )
        assert launched.status_code == 200 and f"127.0.0.1:{cdp}" in launched.text
        assert "Chrome" in str(_wait_for_cdp(cdp).get("User-Agent"))
        # OSWorld then exposes CDP on another port with socat (our stand-in if socat is absent).
        httpx.post(
            served.url + "/setup/launch",
            json={"command": ["socat", f"tcp-listen:{alias},fork", f"tcp:localhost:{cdp}"]},
            timeout=60,
        ).raise_for_status()
        assert _wait_for_cdp(alias)["webSocketDebuggerUrl"]
        # Launching again hands the URL to the running browser instead of a second one, and
        # the new --remote-debugging-port is forwarded to the running browser's CDP port.
        html = "data:text/html,<title>second-tab</title>"
        again = _free_port()
        httpx.post(
            served.url + "/setup/launch",
            json={"command": ["google-chrome", f"--remote-debugging-port={again}", html]},
            timeout=60,
        ).raise_for_status()
        assert _wait_for_cdp(again)["webSocketDebuggerUrl"]
        deadline = time.monotonic() + 60
        while not any(
            tab.get("title") == "second-tab"
            for tab in httpx.get(f"http://127.0.0.1:{cdp}/json/list", timeout=5).json()
        ):
            assert time.monotonic() < deadline, "the second launch did not open a tab"
            time.sleep(0.5)
        # `pkill chrome` ends this session's browser (and nothing else).
        killed = httpx.post(
            served.url + "/execute", json={"command": ["pkill", "chrome"]}, timeout=60
        ).json()
        assert killed["returncode"] == 0
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{cdp}/json/version", timeout=2)
            except httpx.HTTPError:
                break
            assert time.monotonic() < deadline, "pkill chrome left the browser running"
            time.sleep(0.5)
        with socket.socket() as probe:  # the forwarding stand-in went with the browser
            assert probe.connect_ex(("127.0.0.1", again)) != 0


@needs_xvfb
@needs_chromium
@pytest.mark.gui
@pytest.mark.slow
def test_typing_less_than_and_quotes_reaches_a_page(display: XvfbDisplay) -> None:
    with DesktopServer(XvfbDesktop(display), port=0) as served:
        cdp = _free_port()
        page = (
            "data:text/html,<title>typing</title><textarea id=t autofocus></textarea>"
            "<button>Press me</button>"
        )
        httpx.post(
            served.url + "/setup/launch",
            json={"command": ["google-chrome", f"--remote-debugging-port={cdp}", page]},
            timeout=60,
        ).raise_for_status()
        _wait_for_cdp(cdp)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{cdp}")
            target = next(p for c in browser.contexts for p in c.pages if p.url.startswith("data:"))
            target.wait_for_selector("#t")
            box = target.locator("#t").bounding_box()
            assert box is not None
            with VMComputer(served.url, timeout=60) as vm:
                # The textarea's screen position: page coordinates plus the browser's top chrome.
                offset = target.evaluate("window.outerHeight - window.innerHeight")
                x = int(box["x"] + box["width"] / 2)
                y = int(box["y"] + box["height"] / 2 + offset)
                vm.execute(Click(x=x, y=y))
                text = "a<b> \"q\" 'x' <<"
                vm.execute(Type(text=text))
                deadline = time.monotonic() + 30
                while target.evaluate("document.getElementById('t').value") != text:
                    assert time.monotonic() < deadline, target.evaluate(
                        "document.getElementById('t').value"
                    )
                    time.sleep(0.3)
                if pyatspi_available():  # the session's own AT-SPI bus sees the page
                    deadline = time.monotonic() + 60
                    while '<push-button name="Press me"' not in vm.accessibility_tree():
                        assert time.monotonic() < deadline, "no button in the accessibility tree"
                        time.sleep(1)
            browser.close()


@needs_xvfb
@pytest.mark.gui
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_open_file_activate_and_close_a_spreadsheet(display: XvfbDisplay) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    with DesktopServer(XvfbDesktop(display), port=0) as served:
        book = openpyxl.Workbook()
        book.active["A1"] = "hello"
        book.save(served.session.desktop_dir / "Budget.xlsx")
        opened = httpx.post(
            served.url + "/setup/open_file",
            json={"path": "~/Desktop/Budget.xlsx", "timeout_seconds": 180},
            timeout=240,
        )
        assert opened.status_code == 200, opened.text
        title = {"window_name": "Budget.xlsx - LibreOffice Calc", "strict": True}
        activated = httpx.post(served.url + "/setup/activate_window", json=title, timeout=60)
        assert activated.status_code == 200, activated.text
        size = httpx.post(
            served.url + "/window_size", data={"app_class_name": "libreoffice-calc"}, timeout=60
        )
        assert size.status_code == 200 and size.json()["width"] > 0
        closed = httpx.post(
            served.url + "/setup/close_window", json={"window_name": "Budget.xlsx"}, timeout=60
        )
        assert closed.status_code == 200
        deadline = time.monotonic() + 60
        while served_by(served.app).windows.find("Budget.xlsx"):
            assert time.monotonic() < deadline, "the Calc window did not close"
            time.sleep(0.5)
        outside = httpx.post(served.url + "/setup/open_file", json={"path": "/etc/hostname"})
        assert outside.status_code == 403
