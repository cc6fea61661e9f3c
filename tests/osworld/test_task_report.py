"""An OSWorld task folder gets its trajectory report, with the score, before result.txt."""

from __future__ import annotations

from pathlib import Path

from gui_agent.models.scripted import ScriptedModel
from osworld_eval.task_run import TaskEnvironment
from tests.osworld.test_task_run import act, environment, make_task, run, server  # noqa: F401


def test_a_scored_task_has_a_report_with_its_score(
    environment: TaskEnvironment,  # noqa: F811
    tmp_path: Path,
) -> None:
    model = ScriptedModel([act("key", keys="ctrl+s"), act("done")])
    outcome = run(make_task(), environment, tmp_path, model)
    report = tmp_path / "result" / "report.html"
    assert outcome.score == 1.0 and report.is_file()
    page = report.read_text()
    assert "say yes" in page and "score 1" in page and "key ctrl+s" in page
    assert report.stat().st_mtime_ns <= (tmp_path / "result" / "result.txt").stat().st_mtime_ns
