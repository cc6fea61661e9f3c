"""The gate on real desktop programs: a model pressing "Don't Save" / "Close without Saving".

A served desktop (`gui-agent serve`'s server on Xvfb, with its own AT-SPI bus) runs Calc; the
test types into a new sheet and presses ctrl+w, so Calc asks whether to save. `gui-agent run
--env vm` then drives it with a model that presses the alert's "Don't Save" (Enter with the
focus on it, or a click on it) and calls it safe. The only fact that this is irreversible is
the accessibility tree's push button with the focus or under the point. Without --yes and with
nobody to ask: exit 7, the alert and the document are still there. With --yes: the click
happens and the document is closed. The same for a plain GTK 3 alert (tests/gui_apps/
gtk_unsaved.py, buttons as gedit has them), which writes the button it got to a file.
"""

from __future__ import annotations

import json
import shutil
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from gui_agent.actions import Key, Type
from gui_agent.cli import main
from gui_agent.computers.display import XvfbDisplay
from gui_agent.computers.server import DesktopServer, XvfbDesktop
from gui_agent.computers.server.accessibility import SYSTEM_PACKAGES, pyatspi_available
from gui_agent.computers.vm import VMComputer
from gui_agent.grounding.a11y import elements_from_tree, focused_element

pytestmark = [pytest.mark.gui, pytest.mark.slow]
DOCUMENT = 'name="Untitled 1 - LibreOffice Calc"'


def _missing() -> str | None:
    if not shutil.which("Xvfb") or not shutil.which("soffice"):
        return "needs Xvfb and LibreOffice (libreoffice-calc)"
    if not Path("/usr/lib/libreoffice/program/libvclplug_gtk3lo.so").exists():
        return "needs libreoffice-gtk3 (LibreOffice's accessibility bridge on X11)"
    return None if pyatspi_available() else "needs python3-pyatspi"


GTK_ALERT = Path(__file__).parent / "gui_apps" / "gtk_unsaved.py"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, VMComputer]]:
    """`gui-agent serve`'s server on its own Xvfb (with its AT-SPI bus), and a VM computer on it."""
    if reason := _missing():
        pytest.skip(reason)
    with XvfbDisplay(width=1280, height=800) as display, \
            DesktopServer(XvfbDesktop(display), port=0) as server:  # fmt: skip
        vm = VMComputer(server.url, timeout=120.0)
        vm.wait_ready(timeout=60)
        yield server.url, vm
        vm.close()


def _launch(url: str, command: list[str]) -> None:
    httpx.post(url + "/setup/launch", timeout=60, json={"command": command}).raise_for_status()


@pytest.fixture(scope="module")
def office(served: tuple[str, VMComputer], tmp_path_factory: Any) -> tuple[str, VMComputer]:
    url, vm = served
    profile = tmp_path_factory.mktemp("lo-profile").as_uri()
    _launch(url, ["env", "SAL_USE_VCLPLUGIN=gtk3", "soffice", "--calc", "--norestore", "--nologo",
                  f"-env:UserInstallation={profile}"])  # fmt: skip
    _wait_for(vm, lambda tree: DOCUMENT in tree, what="Calc's window", timeout=180)
    return url, vm


def _wait_for(vm: VMComputer, condition: Any, *, what: str, timeout: float,
              fail: bool = True) -> str | None:  # fmt: skip
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tree = vm.accessibility_tree()
        if condition(tree):
            return tree
        time.sleep(1)
    if fail:
        pytest.fail(f"{what} did not appear within {timeout:g}s")
    return None


def _alert_open(tree: str) -> bool:
    return any(e.role == "push button" and e.name == "Don\u2019t Save"
               for e in elements_from_tree(tree))  # fmt: skip


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(url: str, out: Path, *extra: str) -> Any:
    return CliRunner().invoke(main, [
        "run", "close the spreadsheet", "--env", "vm", "--vm-url", url, "--agent", "loop",
        "--cdp-url", f"http://127.0.0.1:{_free_port()}",  # no browser: no DOM facts
        "--model", "python:tests/models/one_action.py:respond", "--out", str(out), *extra,
    ])  # fmt: skip


def _assert_denied(url: str, out: Path, vm: VMComputer, *, button: str = "Don\u2019t Save") -> None:
    denied = _run(url, out)
    assert denied.exit_code == 7, denied.output  # blocked: nobody at a terminal to ask
    assert "needs --yes" in denied.output
    (run_dir,) = out.iterdir()
    guards = json.loads((run_dir / "result.json").read_text())["guards"]
    assert [(e["guard"], e["decision"]) for e in guards["events"]] == [("gate", "blocked")]
    assert f"push button '{button}'" in guards["events"][0]["reason"]
    assert _has_button(vm.accessibility_tree(), button)  # nothing was pressed: still there


def _has_button(tree: str, name: str) -> bool:
    return any(e.role == "push button" and e.name == name for e in elements_from_tree(tree))


@pytest.mark.timeout(900)
def test_dont_save_in_a_real_libreoffice_alert_is_gated(office: tuple[str, VMComputer],
                                                        tmp_path: Path, monkeypatch: Any) -> None:  # fmt: skip
    url, vm = office
    for _ in range(3):  # Calc may still be settling: an early key press can be lost
        vm.execute(Type(text="unsaved work"))
        vm.execute(Key(keys="enter"))
        if _wait_for(vm, lambda tree: "unsaved work" in tree, what="", timeout=20, fail=False):
            break
    vm.execute(Key(keys="ctrl+w"))  # the test's own setup, not the model's
    tree = _wait_for(vm, _alert_open, what="the 'Save changes?' alert", timeout=120)
    assert tree is not None
    button = next(e for e in elements_from_tree(tree) if e.name == "Don\u2019t Save")

    # The keyboard way: the focus moved onto "Don't Save" (test setup), the model presses Enter.
    for _ in range(4):
        focus = focused_element(tree)
        if focus is not None and focus.name == "Don\u2019t Save":
            break
        vm.execute(Key(keys="shift+tab"))
        tree = vm.accessibility_tree()
    assert focus is not None and focus.name == "Don\u2019t Save", focus
    monkeypatch.setenv("ACTION", json.dumps({"kind": "key", "keys": "enter"}))
    _assert_denied(url, tmp_path / "enter", vm)
    assert DOCUMENT in vm.accessibility_tree()  # the unsaved document is still open

    monkeypatch.setenv("ACTION", json.dumps({"kind": "click", "x": button.box.centre[0],
                                             "y": button.box.centre[1]}))  # fmt: skip
    _assert_denied(url, tmp_path / "denied", vm)
    assert DOCUMENT in vm.accessibility_tree()

    allowed = _run(url, tmp_path / "allowed", "--yes")
    assert allowed.exit_code == 0, allowed.output
    _wait_for(vm, lambda tree: not _alert_open(tree) and DOCUMENT not in tree,
              what="the document closed without saving", timeout=60)  # fmt: skip


@pytest.mark.timeout(600)
def test_close_without_saving_in_a_gtk_alert_is_gated(served: tuple[str, VMComputer],
                                                      tmp_path: Path, monkeypatch: Any) -> None:  # fmt: skip
    url, vm = served
    answer = tmp_path / "answer.txt"
    _launch(url, ["env", f"PYTHONPATH={SYSTEM_PACKAGES}", sys.executable, str(GTK_ALERT),
                  str(answer)])  # fmt: skip
    tree = _wait_for(vm, lambda t: _has_button(t, "Close without Saving"),
                     what="the GTK alert", timeout=60)  # fmt: skip
    assert tree is not None
    button = next(e for e in elements_from_tree(tree) if e.name == "Close without Saving")
    monkeypatch.setenv("ACTION", json.dumps({"kind": "click", "x": button.box.centre[0],
                                             "y": button.box.centre[1]}))  # fmt: skip
    _assert_denied(url, tmp_path / "denied", vm, button="Close without Saving")
    assert not answer.exists()  # the program got no answer at all

    allowed = _run(url, tmp_path / "allowed", "--yes")
    assert allowed.exit_code == 0, allowed.output
    wait_deadline = time.monotonic() + 30
    while not answer.exists() and time.monotonic() < wait_deadline:
        time.sleep(0.2)
    assert answer.read_text() == "discarded"
