"""The trajectory report: built from a real run folder, checked as data and in real Chromium."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image

from gui_agent.agentic import agentic, register_stabilized, unregister_stabilized
from gui_agent.cli import main
from gui_agent.computers.fake import FakeComputer
from gui_agent.context import frame
from gui_agent.loop import run_task
from gui_agent.models.scripted import ScriptedModel
from gui_agent.report import write_report
from gui_agent.report.overlay import draw_step
from gui_agent.report.run_view import StepView, load_run
from gui_agent.trace import TraceWriter


def act(kind: str, **fields: Any) -> dict[str, Any]:
    return {"observation": f"I see a screen before {kind}", "action": {"kind": kind, **fields}}


@agentic
def pick_number(text: str) -> int:
    """Return the number the text names."""


def _recorded_run(run_dir: Path) -> Path:
    """A run with every kind of step the report draws: pointer actions, a drag, a scroll, typed
    text, a rejected action, a retried model call, a stabilized call and a skill's snapped step."""
    replies = [
        act("click", x=100, y=120),
        "not json at all",  # a reply that fails validation: the call retries
        act("drag", x=200, y=200, to_x=400, to_y=260),
        act("scroll", x=640, y=400, direction="down", amount=5),
        act("click", x=99999, y=5),  # rejected: off screen
        act("type", text="hello <world>"),
        act("done", answer="all <done> & dusted"),
    ]
    trace = TraceWriter(run_dir)
    computer = FakeComputer()
    register_stabilized("pick_number", lambda text: 7)
    try:
        result = run_task("Do <b>several</b> things", computer, model=ScriptedModel(replies),
                          trace=trace)  # fmt: skip
        with trace.attach(), frame("chrome.change_setting", arguments={"goal": "x"}) as node:
            assert pick_number("seven") == 7
            png = computer.screenshot()
            import io

            buffer = io.BytesIO()
            png.save(buffer, format="PNG")
            digest = trace.store_image(buffer.getvalue())
            trace.write({"event": "step", "path": node.path, "source": "chrome.change_setting",
                         "index": 99, "action": {"kind": "click", "x": 300, "y": 330},
                         "description": "click(300, 330)", "executed": True,
                         "why": "open the settings menu", "screenshot": digest,
                         "snap": {"from": [280, 310], "to": {"x": 300, "y": 330},
                                  "tier": "accessibility"}})  # fmt: skip
            node.summary = "changed a setting"
    finally:
        unregister_stabilized("pick_number")
        trace.close()
    result.write(run_dir)
    return run_dir


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _recorded_run(tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="module")
def report(run_dir: Path) -> Path:
    return write_report(run_dir)


def test_the_run_view_has_every_step_with_its_facts(run_dir: Path) -> None:
    view = load_run(run_dir)
    assert view.goal == "Do <b>several</b> things" and view.status == "done"
    kinds = [step.action["kind"] for step in view.steps]
    assert kinds == ["click", "drag", "scroll", "click", "type", "done", "click"]
    assert view.steps[3].rejected and "outside" in view.steps[3].rejected
    assert view.steps[1].tokens > 0 and view.steps[1].cost_usd >= 0
    skill_step = view.steps[-1]
    assert skill_step.source == "chrome.change_setting" and skill_step.why
    assert skill_step.snap is not None and skill_step.snap.to_point == (300.0, 330.0)
    assert skill_step.snap.tier == "accessibility"


def test_the_report_is_self_contained_and_escapes_what_it_shows(report: Path) -> None:
    page = report.read_text()
    assert "Content-Security-Policy" in page
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)  # nothing loads from outside
    assert page.count("data:image/png;base64,") == 7
    assert "Do &lt;b&gt;several&lt;/b&gt; things" in page and "<b>several</b>" not in page
    assert "all &lt;done&gt; &amp; dusted" in page
    assert "stabilized" in page and "retries 1" in page
    assert "open the settings menu" in page and "snapped" in page


def test_the_overlay_marks_the_click_point_and_the_snap(tmp_path: Path) -> None:
    blank = Image.new("RGB", (400, 300), "white")
    step = StepView(index=1, action={"kind": "click", "x": 100, "y": 100}, description="click")
    drawn = draw_step(blank, step)
    ring = [drawn.getpixel((100 + dx, 100 + dy)) for dx, dy in ((14, 0), (-14, 0), (0, 14))]
    assert all(pixel != (255, 255, 255) for pixel in ring)
    assert drawn.getpixel((200, 250)) == (255, 255, 255)  # nothing drawn far from it
    from gui_agent.report.run_view import Snap

    snapped = StepView(index=2, action={"kind": "click", "x": 50, "y": 50}, description="c",
                       snap=Snap((50, 50), (150, 50), "dom"))  # fmt: skip
    drawn = draw_step(blank, snapped)
    assert drawn.getpixel((100, 50)) != (255, 255, 255)  # the arrow from the model's point
    assert drawn.getpixel((150 + 14, 50)) != (255, 255, 255)  # the ring where it clicked


def test_a_snap_on_a_larger_screen_is_drawn_where_it_clicked_on_the_image() -> None:
    """The loop's snap is in screen pixels (1920x1200 here), the screenshot in model pixels
    (1280x800): the click ring goes where the snapped click landed, scaled to the image."""
    from gui_agent.report.run_view import parse_snap

    blank = Image.new("RGB", (1280, 800), "white")
    record = {"from": [960, 600], "to": [1050, 600], "tier": "dom", "name": "Save"}
    step = StepView(index=1, action={"kind": "click", "x": 640, "y": 400}, description="c",
                    snap=parse_snap({"snap": record}))  # fmt: skip
    drawn = draw_step(blank, step)
    ring_right = (round(1050 * 2 / 3) + 16 * 1.6 - 2, 400)  # ring radius grows with the image
    assert drawn.getpixel((round(ring_right[0]), 400)) != (255, 255, 255)
    assert drawn.getpixel((1050 + 25, 600)) == (255, 255, 255)  # not at the unscaled point


def test_a_type_step_shows_its_text_in_a_banner() -> None:
    blank = Image.new("RGB", (400, 300), "white")
    drawn = draw_step(blank, StepView(index=1, action={"kind": "type", "text": "abc"},
                                      description="type"))  # fmt: skip
    assert drawn.getpixel((2, 298)) != (255, 255, 255) and drawn.getpixel((2, 2)) == (255, 255, 255)


def test_a_trace_without_result_json_still_reports(tmp_path: Path) -> None:
    trace = TraceWriter(tmp_path)
    with trace.attach(), frame("run_task", arguments={"goal": "crashed half-way"}):
        trace.write({"event": "step", "index": 1, "action": {"kind": "key", "keys": "ctrl+l"},
                     "description": "key ctrl+l", "executed": True})  # fmt: skip
    trace.close()
    page = write_report(tmp_path).read_text()
    assert "crashed half-way" in page and "no screenshot recorded" in page


def test_an_osworld_task_folder_shows_its_score(run_dir: Path, tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "task"
    shutil.copytree(run_dir, folder)
    (folder / "outcome.json").write_text(json.dumps(
        {"task_id": "abc", "domain": "chrome", "status": "scored", "score": 1.0}))  # fmt: skip
    page = write_report(folder).read_text()
    assert "score 1" in page and "s-scored" in page


def test_an_empty_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="neither result.json nor trace.jsonl"):
        write_report(tmp_path)


def test_run_writes_the_report_and_view_writes_a_gif(tmp_path: Path, monkeypatch) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["run", "click twice", "--env", "fake", "--model",
                                  "python:tests/models/click_then_done.py:respond",
                                  "--out", str(tmp_path)])  # fmt: skip
    assert result.exit_code == 0, result.output
    (run_dir,) = list(tmp_path.iterdir())
    assert (run_dir / "report.html").is_file() and "report:" in result.output
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", opened.append)
    shown = runner.invoke(main, ["view", str(run_dir), "--gif", "--open"])
    assert shown.exit_code == 0, shown.output
    assert opened == [(run_dir / "report.html").resolve().as_uri()]
    with Image.open(run_dir / "run.gif") as gif:
        assert gif.n_frames == 3


# -- in real Chromium -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium_page() -> Any:
    from tests.gui_fixtures import chromium_missing

    reason = chromium_missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    from gui_agent.computers.browser import BROWSER_ARGS
    from gui_agent.computers.chromium import find_chromium

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium(), headless=True,
                                             args=list(BROWSER_ARGS))  # fmt: skip
        try:
            yield browser.new_page(viewport={"width": 1280, "height": 900})
        finally:
            browser.close()


@pytest.mark.gui
def test_the_report_in_chromium(report: Path, chromium_page: Any) -> None:
    page = chromium_page
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(("file:", "data:")) else
            problems.append(f"request to {r.url}"))  # fmt: skip
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    assert page.locator("article.step").count() == 7
    loaded = page.eval_on_selector_all(
        "article.step img", "imgs => imgs.map(i => i.complete && i.naturalWidth > 0)")
    assert loaded == [True] * 7
    assert "done" in page.locator("#status").inner_text()
    # the call tree: the root is open, a step inside is closed until its summary is clicked
    step_node = page.locator('#calltree details.node[data-path="run_task#0/step#0"]')
    perceive = step_node.locator(':scope > details.node').first
    assert step_node.count() == 1 and not perceive.is_visible()
    step_node.locator(":scope > summary").click()
    assert perceive.is_visible()
    # a step links to its node: following the link opens every ancestor on the way
    page.click("#collapse-all")
    page.click("#step-3 a.tree-link")
    third = page.locator('#calltree details.node[data-path="run_task#0/step#2"]')
    assert third.locator(":scope > summary").is_visible() and third.get_attribute("open") == ""
    page.click("#collapse-all")
    assert not step_node.locator(":scope > summary").is_visible() or not perceive.is_visible()
    page.click("#expand-all")
    assert page.locator("#calltree details.node:not([open])").count() == 0
    assert page.locator("#calltree .impl-stabilized").count() == 1
    assert problems == []


def test_steps_a_skill_took_show_the_skill_its_reason_and_output(tmp_path: Path) -> None:
    from gui_agent.actions import Click
    from gui_agent.loop import continue_loop, run_episode
    from skills.base import act as skill_act
    from skills.base import observe, run_command

    def body(episode: Any) -> Any:
        with frame("os.tidy", arguments={"goal": episode.goal}) as node:
            observe("desktop files", "a.txt b.txt")
            run_command(episode.computer, "echo tidied", why="tidy the desktop")
            skill_act(episode.computer, Click(x=40, y=60), why="focus the window")
            node.summary = "tidied"
        return continue_loop(episode)

    trace = TraceWriter(tmp_path)
    result = run_episode("tidy up", FakeComputer(allow_shell=True), body, name="solve",
                         model=ScriptedModel([act("done", answer="tidy")]), trace=trace)  # fmt: skip
    trace.close()
    result.write(tmp_path)
    view = load_run(tmp_path)
    assert [(s.source, s.action["kind"]) for s in view.steps] == [
        ("os.tidy", "shell"), ("os.tidy", "click"), ("loop", "done")]
    assert view.steps[0].why == "tidy the desktop" and view.steps[0].observation == ""
    page = write_report(tmp_path).read_text()
    assert "focus the window" in page and "os.tidy" in page and "tidied" in page
    assert "observed (free): desktop files" in page and "a.txt b.txt" in page
    # the skill's click shows the screen it acted on (the shell command has none to show)
    assert view.steps[1].screenshot and not view.steps[0].screenshot
    assert page.count("data:image/png;base64,") == 2
    assert page.count('class="step"') == 3


def test_a_form_fill_shows_its_target_and_fields(tmp_path: Path) -> None:
    """A command other than `run` (a form fill) writes its own result.json and records its
    steps through skills.base outside an episode: the report still shows all of it."""
    from gui_agent.actions import Click
    from gui_agent.context import Budget
    from skills.base import act as skill_act

    computer = FakeComputer()
    trace = TraceWriter(tmp_path)
    with trace.attach(), frame("forms.run", arguments={"target": "http://127.0.0.1/form"},
                               budget=Budget(max_actions=15)):  # fmt: skip
        skill_act(computer, Click(x=10, y=20), why="open the form")
        skill_act(computer, Click(x=30, y=40), why="submit")
    trace.close()
    (tmp_path / "result.json").write_text(json.dumps({
        "status": "done", "target": "http://127.0.0.1/form", "steps": 2, "tokens": 0,
        "cost_usd": 0.0, "duration_s": 1.5,
        "fields": [{"page": 1, "label": "Full name", "value": "Ada <L>", "source": "code",
                    "read_back": "Ada <L>", "read_back_ok": True}]}))  # fmt: skip
    view = load_run(tmp_path)
    assert view.goal == "http://127.0.0.1/form" and view.steps_executed == 2
    assert [s.index for s in view.steps] == [1, 2] and view.steps[1].why == "submit"
    page = write_report(tmp_path).read_text()
    assert 'id="fields"' in page and "Full name" in page and "Ada &lt;L&gt;" in page
    assert 'id="step-2"' in page and "1.50 s" in page


def test_view_of_a_folder_of_runs_writes_an_index(run_dir: Path, tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "results"
    shutil.copytree(run_dir, root / "chrome" / "task-a")
    shutil.copytree(run_dir, root / "os" / "task-b")
    (root / "os" / "task-b" / "report.html").unlink(missing_ok=True)
    (root / "os" / "task-b" / "outcome.json").write_text(json.dumps(
        {"task_id": "task-b", "status": "scored", "score": 0.0}))  # fmt: skip
    shown = CliRunner().invoke(main, ["view", str(root)])
    assert shown.exit_code == 0, shown.output
    assert "2 runs" in shown.output
    page = (root / "index.html").read_text()
    assert 'href="chrome/task-a/report.html"' in page and 'href="os/task-b/report.html"' in page
    assert "s-scored" in page and (root / "os" / "task-b" / "report.html").is_file()
