"""Grounding tiers on real software: Chromium's DOM through a shadow root, OCR on a real page,
the accessibility tree of a real LibreOffice dialog (gtk3 plugin, AT-SPI)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gui_agent.actions import Click
from gui_agent.computers.processes import stop_process
from gui_agent.grounding import ObservedScreen, locate, locate_with_tiers, observe
from gui_agent.grounding.a11y import elements_from_tree
from tests.gui_fixtures import gui_page, gui_site, sandbox, sandbox_browser, wait_until  # noqa: F401

pytestmark = pytest.mark.gui


def page_box(page, selector: str) -> tuple[int, int, int, int]:
    """Screen box of `selector` (page coordinates plus the browser's top chrome)."""
    box = page.locator(selector).bounding_box()
    ox, oy = page.evaluate("[window.screenX + (window.outerWidth - window.innerWidth),"
                           " window.screenY + (window.outerHeight - window.innerHeight)]")  # fmt: skip
    return (int(ox + box["x"]), int(oy + box["y"]), int(ox + box["x"] + box["width"]),
            int(oy + box["y"] + box["height"]))  # fmt: skip


def test_the_dom_tier_finds_a_button_inside_a_shadow_root_and_a_click_there_hits_it(
    sandbox, gui_page  # noqa: F811
) -> None:
    page = gui_page("grounding.html")
    screen = observe(sandbox, sandbox.screenshot())
    located = locate("the Share document button", screen)
    assert located.method == "dom" and located.name == "Share document"
    sandbox.execute(Click(x=located.x, y=located.y))
    wait_until(lambda: page.evaluate("window.clicked.length") > 0)
    assert page.evaluate("window.clicked") == ["share"]


def test_ocr_finds_a_word_on_a_real_page(sandbox, gui_page) -> None:  # noqa: F811
    page = gui_page("grounding.html")
    x0, y0, x1, y1 = page_box(page, "p.words")
    screen = ObservedScreen(image=sandbox.screenshot())
    located = locate_with_tiers("invoice", screen, tiers=("ocr",))
    assert located is not None and located.method == "ocr"
    assert x0 <= located.x < x1 and y0 <= located.y < y1
    # "invoice" is the middle word: the point is not the line's centre but the word's.
    assert located.box is not None and located.box[0] > x0 + 40 and located.box[2] < x1 - 40


def _libreoffice_missing() -> str | None:
    if not shutil.which("Xvfb") or not shutil.which("soffice") or not shutil.which("xdotool"):
        return "needs Xvfb, soffice and xdotool"
    if not Path("/usr/lib/libreoffice/program/libvclplug_gtk3lo.so").exists():
        return "needs libreoffice-gtk3 (LibreOffice's accessibility bridge on X11)"
    from gui_agent.computers.server.accessibility import pyatspi_available

    return None if pyatspi_available() else "needs python3-pyatspi"


@pytest.fixture(scope="module")
def calc_session(tmp_path_factory) -> Iterator[dict[str, str]]:
    reason = _libreoffice_missing()
    if reason:
        pytest.skip(reason)
    from gui_agent.computers.display import XvfbDisplay
    from gui_agent.computers.server.accessibility import AccessibilityBus

    display = XvfbDisplay(width=1280, height=800).start()
    bus = AccessibilityBus()
    env = dict(display.env)
    env.update(bus.start(env))
    env["SAL_USE_VCLPLUGIN"] = "gtk3"
    profile = tmp_path_factory.mktemp("lo-profile")
    office = subprocess.Popen(["soffice", "--calc", "--norestore", "--nologo",
                               f"-env:UserInstallation=file://{profile}"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)  # fmt: skip
    try:
        yield env
    finally:
        stop_process(office, timeout=30)
        bus.stop()
        display.stop()


def _dialog_tree(env: dict[str, str], title: str, *, present: bool, timeout: float) -> str:
    from gui_agent.computers.server.accessibility import read_tree

    deadline = time.monotonic() + timeout
    while True:
        tree = read_tree(env, timeout=180)
        has = any(e.name == title for e in elements_from_tree(tree) if e.role == "dialog") or (
            f'<dialog name="{title}"' in tree)  # fmt: skip
        if has == present or time.monotonic() > deadline:
            return tree
        time.sleep(1)


@pytest.mark.slow
@pytest.mark.timeout(900)  # Calc's start and two whole-tree reads take minutes on a loaded machine
def test_the_a11y_tier_finds_a_button_by_name_in_a_real_libreoffice_dialog(calc_session) -> None:
    env = calc_session
    tree = ""
    deadline = time.monotonic() + 240
    while '<dialog name="Format Cells"' not in tree and time.monotonic() < deadline:
        time.sleep(3)  # Calc may still be starting: the first key press can be lost
        subprocess.run(["xdotool", "key", "ctrl+1"], env=env, check=False)
        tree = _dialog_tree(env, "Format Cells", present=True, timeout=20)
    assert '<dialog name="Format Cells"' in tree, "the Format Cells dialog never opened"
    from gui_agent.screen import capture_x

    screen = ObservedScreen(image=capture_x(env["DISPLAY"]), a11y_tree=tree)
    located = locate("the Cancel button of the dialog", screen)
    assert located.method == "a11y" and located.name == "Cancel"
    subprocess.run(["xdotool", "mousemove", str(located.x), str(located.y), "click", "1"],
                   env=env, check=True)  # fmt: skip
    after = _dialog_tree(env, "Format Cells", present=False, timeout=60)
    assert '<dialog name="Format Cells"' not in after, "clicking the located Cancel did not close it"


def test_the_loop_snaps_a_click_that_missed_a_shadow_root_button_onto_it(
    sandbox, gui_page, tmp_path  # noqa: F811
) -> None:
    from gui_agent.loop import run_task
    from gui_agent.models.scripted import ScriptedModel
    from gui_agent.trace import TraceWriter, read_records

    page = gui_page("grounding.html")
    x0, y0, x1, y1 = page_box_in_shadow(page)
    missed = (x1 + 40, y1 + 30)  # beside the button: a click there hits nothing
    model = ScriptedModel([
        {"observation": "a page", "action": {"kind": "click", "x": missed[0], "y": missed[1],
                                             "target": "Share document button"}},
        {"observation": "shared", "action": {"kind": "done"}},
    ])  # fmt: skip
    trace = TraceWriter(tmp_path)
    result = run_task("share the document", sandbox, model=model, trace=trace,
                      model_size=sandbox.size)  # fmt: skip
    trace.close()
    wait_until(lambda: page.evaluate("window.clicked.length") > 0)
    assert page.evaluate("window.clicked") == ["share"]
    step = next(r for r in read_records(tmp_path / "trace.jsonl") if r["event"] == "step")
    assert step["snap"]["tier"] == "dom" and step["snap"]["from"] == list(missed)
    assert x0 <= step["snap"]["to"][0] < x1 and y0 <= step["snap"]["to"][1] < y1
    assert result.steps[0].snap == step["snap"]


def page_box_in_shadow(page) -> tuple[int, int, int, int]:
    box = page.evaluate("""() => {
        const r = document.querySelector('share-bar').shadowRoot.querySelector('#share')
            .getBoundingClientRect();
        return [r.left, r.top, r.right, r.bottom,
                window.screenX + (window.outerWidth - window.innerWidth),
                window.screenY + (window.outerHeight - window.innerHeight)];
    }""")
    left, top, right, bottom, ox, oy = box
    return int(ox + left), int(oy + top), int(ox + right), int(oy + bottom)
