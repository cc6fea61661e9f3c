"""`gui-agent bench perf`: sections measured into perf.json, charts, the README block from it."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from gui_agent.bench.perf.readme import END, START, update_readme
from gui_agent.cli import main

PERF = {
    "machine": {"cpus": 2, "python": "3.11", "system": "Linux", "date": "2026-11-30",
                "load_average_1m_at_start": 0.5},
    "command": "gui-agent bench perf --sections harness",
    "harness": {
        "step_ms": {"n": 42, "median": 88.0, "p90": 120.0, "min": 60.0, "max": 200.0},
        "step_median_ms_over_repeats": {"repeats": 3, "min": 80.0, "median": 88.0, "max": 95.0},
        "settle_ms": {"n": 42, "median": 60.0, "p90": 70.0, "min": 50.0, "max": 90.0},
        "capture_encode_ms": {"n": 30, "median": 25.0, "p90": 29.0, "min": 20.0, "max": 40.0},
        "demo_capture_pipeline_ms": {"n": 10, "median": 200.0, "p90": 230.0, "min": 180.0,
                                     "max": 240.0},
        "demo_step_ms": 2200.0, "osworld_pause_ms": 2000.0, "ratio_to_demo": 0.04,
        "met": {"step_median_ms": True, "ratio_to_demo": True},
    },
}  # fmt: skip


def test_the_readme_block_is_generated_from_perf_json_and_replaced_in_place(tmp_path: Path) -> None:
    perf = tmp_path / "perf.json"
    perf.write_text(json.dumps(PERF))
    readme = tmp_path / "README.md"
    readme.write_text(f"# tool\n\n## Measured here\n\n{START}\nold numbers\n{END}\n\n## Layout\nkept\n")
    update_readme(readme, perf)
    first = readme.read_text()
    assert "old numbers" not in first and "## Layout\nkept" in first
    assert "| one step, model excluded (median of each run) | 88 ms (min 80, max 95, 3 runs)" in first
    assert "demo 2200 ms" in first and "| yes |" in first
    update_readme(readme, perf)
    assert readme.read_text() == first


def _run(tasks_per_hour: float) -> dict[str, object]:
    return {"tasks": 8, "tasks_per_hour": tasks_per_hour,
            "setup_to_first_action_s": {"n": 8, "median": 1.5, "p90": 2.0, "min": 1.0, "max": 2.0}}  # fmt: skip


def test_throughput_rows_put_private_homes_beside_the_shared_home_they_replace(
    tmp_path: Path,
) -> None:
    perf = tmp_path / "perf.json"
    by_home = {"shared": {"1": _run(500), "2": _run(510)}, "private": {"1": _run(505), "2": _run(880)}}
    perf.write_text(json.dumps({**PERF, "throughput": {"by_home": by_home}}))
    readme = tmp_path / "README.md"
    readme.write_text(f"{START}\n{END}\n")
    update_readme(readme, perf)
    rows = [line for line in readme.read_text().splitlines() if "tasks/hour" in line]
    assert len(rows) == 2
    assert "--num-envs 2" in rows[1] and "| 880 (private homes) | shared /home/user (before): 510 |" in rows[1]


def test_an_unknown_section_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["bench", "perf", "--sections", "speed"])
    assert result.exit_code == 2 and "unknown section" in result.output


def test_a_section_without_its_input_fails_alone_and_keeps_the_others(tmp_path: Path) -> None:
    (tmp_path / "perf.json").write_text(json.dumps(PERF))
    result = CliRunner().invoke(main, ["bench", "perf", "--sections", "skills", "--out", str(tmp_path)])
    assert result.exit_code == 1 and "skills failed" in result.output
    saved = json.loads((tmp_path / "perf.json").read_text())
    assert "no skills vs loop results" in saved["skills"]["error"]
    assert saved["harness"]["step_ms"]["median"] == 88.0  # the earlier section is still there


def test_the_context_section_measures_a_real_trajectory(tmp_path: Path, sandbox: object) -> None:
    # `sandbox` only makes the test skip where Xvfb/Chromium are truly absent.
    result = CliRunner().invoke(main, ["bench", "perf", "--sections", "context", "--out",
                                       str(tmp_path)])  # fmt: skip
    assert result.exit_code == 0, result.output
    context = json.loads((tmp_path / "perf.json").read_text())["context"]
    assert len(context["ours_per_step"]) == 15
    # the call-tree context keeps every call about as large as the first; a transcript grows
    assert context["ours_per_step"][-1] <= 1.1 * context["ours_per_step"][0]
    assert context["transcript_total"] > context["ours_total"]
    assert (tmp_path / "context_tokens.png").stat().st_size > 1000
