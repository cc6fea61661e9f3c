"""`gui-agent review`: parallel scoped reviewers, a join in code, a failing group retried once."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gui_agent.cli import main
from gui_agent.computers.fake import FakeComputer
from gui_agent.errors import ModelUnavailable
from gui_agent.loop import run_task
from gui_agent.models.base import ModelRequest
from gui_agent.models.scripted import FunctionModel
from gui_agent.review import review_run
from gui_agent.trace import TraceWriter, read_records


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 12-step run: 11 clicks then done, so three reviewers of 5, 5 and 2 steps."""
    folder = tmp_path_factory.mktemp("run")
    computer = FakeComputer()

    def respond(request: ModelRequest) -> dict[str, Any]:
        if len(computer.executed) >= 11:
            return {"observation": "finished", "action": {"kind": "done"}}
        x = 10 + 20 * len(computer.executed)
        return {"observation": f"button at {x}", "action": {"kind": "click", "x": x, "y": 50}}

    trace = TraceWriter(folder)
    result = run_task("press eleven buttons", computer, model=FunctionModel(respond), trace=trace)
    trace.close()
    result.write(folder)
    return folder


def _group_of(request: ModelRequest) -> int:
    """Which group a reviewer request is for: the first step number it lists."""
    match = re.search(r"step (\d+): ", request.prompt)
    assert match, request.prompt
    return int(match.group(1))


def reviewer(*, fail_first: set[int] = frozenset(), fail_always: set[int] = frozenset(),  # type: ignore[assignment]
             barrier: threading.Barrier | None = None) -> FunctionModel:  # fmt: skip
    calls: dict[int, int] = {}
    lock = threading.Lock()

    def respond(request: ModelRequest) -> dict[str, Any]:
        first = _group_of(request)
        with lock:
            calls[first] = calls.get(first, 0) + 1
            count = calls[first]
        if barrier is not None and count == 1:
            barrier.wait()  # every group's first call is in flight at the same time
        if first in fail_always or (first in fail_first and count == 1):
            raise ModelUnavailable(f"provider down for group {first}")
        findings = [{"steps": [first], "severity": "minor",
                     "problem": "Clicked without reading the label."}]  # fmt: skip
        if first == 6:
            findings.append({"steps": [7], "severity": "critical",
                             "problem": "Never checked that the buttons were pressed"})  # fmt: skip
        return {"moved_forward": first != 11, "verdict": f"group {first} pressed buttons",
                "findings": findings}  # fmt: skip

    return FunctionModel(respond, name="reviewer")


def test_groups_are_reviewed_in_parallel_and_joined_in_code(run_dir: Path) -> None:
    model = reviewer(barrier=threading.Barrier(3, timeout=60))
    review = review_run(run_dir, model=model)
    assert [g.label for g in review.groups] == ["1-5", "6-10", "11-12"]
    assert review.reviewed == 3
    # the same problem from three groups is one finding; the critical one comes first
    assert [f.severity for f in review.findings] == ["critical", "minor"]
    assert review.findings[1].steps == [1, 6, 11]
    saved = json.loads((run_dir / "review.json").read_text())
    assert saved["unreviewed"] == [] and len(saved["groups"]) == 3
    markdown = (run_dir / "review.md").read_text()
    assert "**critical** (steps 7)" in markdown and "steps 11-12: did not help" in markdown
    page = (run_dir / "report.html").read_text()
    assert 'id="review"' in page and "Never checked that the buttons were pressed" in page


def test_a_reviewer_sees_only_its_own_steps(run_dir: Path) -> None:
    model = reviewer()
    review_run(run_dir, model=model)
    assert len(model.requests) == 3
    for request in model.requests:
        first = _group_of(request)
        listed = [int(n) for n in re.findall(r"(?:^|steps: )step (\d+): ", request.prompt, re.M)]
        assert listed == list(range(first, min(first + 5, 13)))
        assert "group " not in request.prompt  # no other reviewer's verdict
        assert len(request.images) == 2  # before and after its steps


def test_a_failing_reviewer_is_retried_once(run_dir: Path) -> None:
    model = reviewer(fail_first={6})
    review = review_run(run_dir, model=model)
    assert review.reviewed == 3
    assert [g.attempts for g in review.groups] == [1, 2, 1]
    # the review's own trace shows the failed call and its retry inside the group's frame
    records = read_records(run_dir / "review" / "trace.jsonl")
    ends = [r for r in records if r["event"] == "end" and "/review_steps" in r["path"]]
    assert sorted(r["status"] for r in ends) == ["error", "ok", "ok", "ok"]


def test_a_reviewer_that_keeps_failing_is_recorded_unreviewed(run_dir: Path) -> None:
    model = reviewer(fail_always={6})
    review = review_run(run_dir, model=model)
    assert review.reviewed == 2
    (unreviewed,) = json.loads((run_dir / "review.json").read_text())["unreviewed"]
    assert unreviewed["steps"] == "6-10" and "provider down" in unreviewed["error"]
    assert unreviewed["attempts"] == 2
    assert "steps 6-10: **unreviewed**" in (run_dir / "review.md").read_text()


def test_the_review_command(run_dir: Path, tmp_path: Path) -> None:
    models = tmp_path / "reviewer_model.py"
    models.write_text(
        "def respond(request):\n"
        "    return {'moved_forward': True, 'verdict': 'fine', 'findings': []}\n"
    )
    runner = CliRunner()
    result = runner.invoke(main, ["review", str(run_dir), "--model", f"python:{models}:respond",
                                  "--group-size", "6"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "steps 1-6: forward: fine" in result.output and "2/2 groups reviewed" in result.output
    broken = tmp_path / "broken_model.py"
    broken.write_text("def respond(request):\n    return 'not a review'\n")
    result = runner.invoke(main, ["review", str(run_dir), "--model", f"python:{broken}:respond"])
    assert result.exit_code == 4 and "unreviewed" in result.output
    empty = runner.invoke(main, ["review", str(tmp_path), "--model", f"python:{models}:respond"])
    assert empty.exit_code == 2 and "not a run folder" in empty.output


def test_parallel_reviewers_can_store_the_same_screenshot(tmp_path: Path) -> None:
    """Neighbouring groups share a screenshot (one's after is the next one's before)."""
    trace = TraceWriter(tmp_path)
    png = b"\x89PNG same bytes from every thread"
    barrier = threading.Barrier(8, timeout=30)

    def store() -> str:
        barrier.wait()
        return trace.store_image(png)

    threads = [threading.Thread(target=lambda: digests.append(store())) for _ in range(8)]
    digests: list[str] = []
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    trace.close()
    assert len(digests) == 8 and len(set(digests)) == 1
    assert [p.name for p in (tmp_path / "images").iterdir()] == [f"{digests[0]}.png"]


def test_golden_prompt_of_the_reviewer() -> None:
    from PIL import Image

    from gui_agent.review import review_steps

    image = Image.new("RGB", (16, 10), "white")
    request = review_steps.render("save", "step 1: click(1, 2) -> executed", image, image)
    assert ("# Function\ndef review_steps(goal: str, steps: str, before: Image, after: Image)"
            " -> GroupReview:\n    \"\"\"\n    Judge whether these steps of a computer-use "
            "agent's run moved its goal forward.\n") in request.system  # fmt: skip
    assert "Cite only step numbers from `steps`." in request.system
    texts = [getattr(part, "text", None) for part in request.parts]
    assert texts == ["# Arguments\ngoal: save\nsteps: step 1: click(1, 2) -> executed\n"
                     "before: <image 16x10, below>", None, "after: <image 16x10, below>", None]  # fmt: skip
    assert set(request.output_schema["properties"]) == {"moved_forward", "verdict", "findings"}
