"""The sandbox as a boundary: served commands run in bubblewrap and see only the sandbox home.

A file the host user made outside the sandbox (here in the test's own temp folder, and one in
the server's working folder) is readable by a command on an unisolated server and absent on an
isolated one; the sandbox home, the display and the project's python (pyautogui) still work
inside. Two boundaries can each mount their own folder at /home/user at the same time.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gui_agent.actions import Click
from gui_agent.computers.display import XvfbDisplay
from gui_agent.computers.server import DesktopServer, XvfbDesktop
from gui_agent.computers.server.isolation import Isolation, bwrap_problem
from gui_agent.computers.server.processes import SessionProcesses
from gui_agent.computers.vm import VMComputer

pytestmark = [pytest.mark.skipif(bwrap_problem() is not None, reason=str(bwrap_problem()))]
needs_xvfb = pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is not installed")


@pytest.fixture(scope="module")
def display() -> Iterator[XvfbDisplay]:
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed")
    with XvfbDisplay(width=800, height=600) as started:
        yield started


def _execute(server: DesktopServer, command: str) -> dict[str, object]:
    return httpx.post(server.url + "/execute", json={"command": command, "shell": True},
                      timeout=60).json()  # fmt: skip


@pytest.fixture
def host_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    secret = tmp_path_factory.mktemp("host-user") / "host-only.txt"
    secret.write_text("host data the agent must not read\n")
    return secret


@needs_xvfb
@pytest.mark.parametrize("isolate", [False, True], ids=["plain", "isolated"])
def test_a_served_command_reads_host_files_only_without_the_boundary(
    display: XvfbDisplay, host_file: Path, isolate: bool
) -> None:
    with DesktopServer(XvfbDesktop(display), port=0, isolate=isolate) as server:
        project = Path.cwd() / "pyproject.toml"  # the host user's project, beside the venv
        read = _execute(server, f"cat {host_file}; test -e {project} && echo project-seen")
        assert ("host data" in str(read["output"])) is not isolate
        assert ("project-seen" in str(read["output"])) is not isolate
        made = _execute(server, "echo from-inside > ~/Desktop/made.txt && cat ~/Desktop/made.txt")
        assert made["output"] == "from-inside\n"
        assert (server.session.home / "Desktop" / "made.txt").read_text() == "from-inside\n"


@needs_xvfb
def test_inside_the_boundary_the_display_and_pyautogui_still_work(display: XvfbDisplay) -> None:
    with DesktopServer(XvfbDesktop(display), port=0, isolate=True) as server:
        vm = VMComputer(server.url, timeout=60.0, allow_shell=True)
        vm.wait_ready(timeout=60)
        vm.execute(Click(x=123, y=45))  # a pyautogui command run by /execute, inside bwrap
        assert httpx.get(server.url + "/cursor_position", timeout=60).json() == [123, 45]
        vm.close()


def test_two_boundaries_each_have_their_own_home_user(tmp_path: Path) -> None:
    outputs: dict[str, str] = {}

    def run(name: str) -> None:
        home, state = tmp_path / name / "home", tmp_path / name / "state"
        home.mkdir(parents=True)
        state.mkdir()
        (home / "whoami.txt").write_text(name)
        isolation = Isolation(home=home, state=state, home_inside=Path("/home/user"))
        processes = SessionProcesses(env={"PATH": "/usr/bin:/bin"}, cwd=home, log_dir=state,
                                     isolation=isolation)  # fmt: skip
        result = processes.run("sleep 0.5; cat /home/user/whoami.txt; echo $HOME; ls /home",
                               shell=True, timeout=30)  # fmt: skip
        outputs[name] = result.output + result.error

    threads = [threading.Thread(target=run, args=(name,)) for name in ("env-a", "env-b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outputs == {"env-a": "env-a/home/user\nuser\n", "env-b": "env-b/home/user\nuser\n"}


@needs_xvfb
def test_where_the_namespace_cannot_be_entered_each_command_gets_its_own(
    display: XvfbDisplay, monkeypatch: pytest.MonkeyPatch, host_file: Path
) -> None:
    """Unprivileged bubblewrap may nest a user namespace nsenter cannot join (EPERM): then
    commands still see only the session's home and /tmp (kept between commands), and a
    launched program keeps running until the session closes."""
    from gui_agent.computers.server import namespace

    monkeypatch.setattr(namespace, "_can_enter", lambda entry: False)
    with DesktopServer(XvfbDesktop(display), port=0, isolate=True) as server:
        assert _execute(server, f"cat {host_file}")["output"] == ""
        assert _execute(server, "echo kept > /tmp/note; echo $HOME")["output"].endswith("\n")
        assert _execute(server, "cat /tmp/note")["output"] == "kept\n"  # a later command
        assert server.session.children.namespace is not None
        assert not server.session.children.namespace.shared
        launched = httpx.post(server.url + "/setup/launch", timeout=60,
                              json={"command": "sleep 300", "shell": True})  # fmt: skip
        assert launched.status_code == 200
        (program,) = server.session.children.running
        threading.Event().wait(1.0)
        assert program.poll() is None
    assert program.poll() is not None
