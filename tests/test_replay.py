"""`gui-agent replay` of a GUI run: recorded on one sandbox, replayed on a fresh one.

A live desktop never renders the same pixels twice, so replay matches each call by path,
function version and non-image arguments, and measures how far each screenshot drifted from
the recorded one (reported per call in replay.json); a large drift is a reported divergence.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image

from gui_agent.cli import main
from gui_agent.models.replay import screenshot_drift
from tests.gui_fixtures import chromium_missing, xvfb_missing

MODEL = '''
from pathlib import Path

CALLS = Path({calls!r})
SCRIPT = [
    {{"kind": "click", "x": 300, "y": {y}}},
    {{"kind": "type", "text": "hello replay"}},
    {{"kind": "done", "answer": "typed"}},
]


def respond(request):
    CALLS.write_text(CALLS.read_text() + request.function + "\\n")
    step = request.prompt.count("- step:")
    return {{"observation": "a form", "action": SCRIPT[min(step, 2)]}}
'''


def _write_model(folder: Path, *, y: int) -> tuple[str, Path]:
    calls = folder / "calls.txt"
    calls.write_text("")
    model = folder / "model.py"
    model.write_text(MODEL.format(calls=str(calls), y=y))
    return f"python:{model}:respond", calls


def _only(folder: Path) -> Path:
    (run_dir,) = list(folder.iterdir())
    return run_dir


def _actions(run_dir: Path) -> list[dict[str, Any]]:
    data = json.loads((run_dir / "result.json").read_text())
    return [step["action"] for step in data["actions"]]


def test_drift_is_the_share_of_visibly_changed_pixels(tmp_path: Path) -> None:
    def png(colour: tuple[int, int, int], *, box: bool = False) -> bytes:
        image = Image.new("RGB", (100, 50), colour)
        if box:
            image.paste((0, 0, 0), (0, 0, 50, 10))  # 500 of 5000 pixels
        path = tmp_path / "x.png"
        image.save(path)
        return path.read_bytes()

    white = png((255, 255, 255))
    assert screenshot_drift(white, white) == 0.0
    assert screenshot_drift(white, png((250, 250, 250))) == 0.0  # below the tolerance
    assert screenshot_drift(white, png((255, 255, 255), box=True)) == pytest.approx(0.1)
    small = Image.new("RGB", (10, 10))
    small.save(tmp_path / "s.png")
    assert screenshot_drift(white, (tmp_path / "s.png").read_bytes()) == 1.0


def test_a_large_drift_is_a_reported_divergence(tmp_path: Path) -> None:
    runner = CliRunner()
    spec, calls = _write_model(tmp_path, y=40)
    recorded = runner.invoke(main, ["run", "type hello", "--env", "fake", "--agent", "loop",
                                    "--model", spec, "--out", str(tmp_path / "a")])  # fmt: skip
    assert recorded.exit_code == 0, recorded.output
    run_dir = _only(tmp_path / "a")
    for image in (run_dir / "images").glob("*.png"):  # another screen than the one recorded
        with Image.open(image) as shown:
            Image.new("RGB", shown.size, (200, 30, 30)).save(image)
    replayed = runner.invoke(main, ["replay", str(run_dir), "--env", "fake",
                                    "--out", str(tmp_path / "b")])  # fmt: skip
    assert replayed.exit_code == 4, replayed.output
    assert "replay diverged at perceive" in " ".join(replayed.output.split())
    summary = json.loads((_only(tmp_path / "b") / "replay.json").read_text())
    assert summary["diverged"] and summary["largest_drift"] > 0.9
    assert calls.read_text().count("perceive") == 3  # the recording's calls only


needs_gui = pytest.mark.skipif(
    bool(xvfb_missing() or chromium_missing()), reason=str(xvfb_missing() or chromium_missing())
)


@needs_gui
@pytest.mark.gui
def test_a_sandbox_run_replays_on_a_fresh_sandbox_without_a_model(
    tmp_path: Path, gui_site: str
) -> None:
    runner = CliRunner()
    spec, calls = _write_model(tmp_path, y=87 + 32)  # the first input, below the toolbar
    page = f"{gui_site}/input.html"
    recorded = runner.invoke(main, ["run", "type hello into the first field", "--env",
                                    "sandbox", "--url", page, "--agent", "loop", "--model",
                                    spec, "--out", str(tmp_path / "a")])  # fmt: skip
    assert recorded.exit_code == 0, recorded.output
    model_calls = calls.read_text()
    assert model_calls.count("perceive") == 3
    run_dir = _only(tmp_path / "a")

    assert json.loads((run_dir / "result.json").read_text())["start_url"] == page
    # no --url: the recorded run's page opens again (about:blank would diverge at once)
    replayed = runner.invoke(main, ["replay", str(run_dir), "--env", "sandbox",
                                    "--out", str(tmp_path / "b")])  # fmt: skip
    assert replayed.exit_code == 0, replayed.output
    assert calls.read_text() == model_calls  # no model was asked anything
    new_dir = _only(tmp_path / "b")
    first = json.loads((run_dir / "result.json").read_text())
    second = json.loads((new_dir / "result.json").read_text())
    assert (second["status"], _actions(new_dir)) == (first["status"], _actions(run_dir))
    assert second["start_url"] == page
    typed = [step["screen_changed"] for step in second["actions"] if step["action"]["kind"] == "type"]
    assert typed == [True]  # the text went into the recorded page's field, not a blank tab
    assert second["usage"]["input_tokens"] + second["usage"]["output_tokens"] == 0
    summary = json.loads((new_dir / "replay.json").read_text())
    assert not summary["diverged"] and len(summary["calls"]) == 3
    assert summary["largest_drift"] < 0.05, summary
    assert "drift" in replayed.output
