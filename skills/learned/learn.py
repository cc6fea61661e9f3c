"""Turn a finished run into a learned program: its executed steps, targets named, values named.

A pointer step keeps the `target` its action carried. One without (a model that gave only a
point) gets the text OCR reads under the point on the screenshot that step saw, so it can
still be re-grounded; failing that, it keeps the recorded point alone. Typed values named with
`--param KEY=TEXT` become parameters of the program.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from PIL import Image

from gui_agent.errors import ConfigError
from skills.learned.source import ProgramInfo, check_name, now, render
from skills.learned.steps import POINTER_KINDS, ProgramStep, step_from_action
from skills.learned.store import program_path, write_program

log = logging.getLogger(__name__)
OCR_WINDOW = (240, 48)
"""The region (width, height) around a recorded point that OCR reads for a missing target."""


def learn(run_dir: Path, *, name: str, params: dict[str, str] | None = None,
          into: Path | None = None) -> Path:  # fmt: skip
    """Write the program learned from `run_dir`; its path. ConfigError on anything unusable."""
    check_name(name, what="program name")
    params = dict(params or {})
    for key in params:
        check_name(key, what="parameter")
    result = _read_result(run_dir)
    if result.get("status") != "done":
        raise ConfigError(f"{run_dir} ended {result.get('status')!r}: only a run that ended "
                          "'done' can be learned")  # fmt: skip
    steps: list[ProgramStep] = []
    for record in result.get("actions", []):
        if not record.get("executed"):
            continue
        action = dict(record.get("action") or {})
        snapped = record.get("snap")
        if snapped and snapped.get("to"):
            action["x"], action["y"] = snapped["to"]
        step = step_from_action(action, changed=record.get("screen_changed"), params=params)
        if step is None:
            raise ConfigError(f"step {record.get('index')} of {run_dir} "
                              f"({record.get('description')}) cannot be replayed")  # fmt: skip
        if step.kind in POINTER_KINDS and not step.target and step.at is not None:
            step = _named_by_ocr(step, run_dir, record.get("screenshot"))
        steps.append(step)
    if not steps:
        raise ConfigError(f"{run_dir} executed no action: nothing to learn")
    typed = " ".join(step.fill(params) for step in steps if step.kind == "type")
    missing = [k for k, v in params.items() if not any(
        isinstance(part, tuple) and part[0] == k for s in steps for part in s.text)]  # fmt: skip
    if missing:
        raise ConfigError(f"--param {', '.join(missing)}: the value is not typed in any step "
                          f"(typed: {typed[:200]!r})")  # fmt: skip
    info = ProgramInfo(name=name, goal=str(result.get("goal", "")), params=params,
                       source_run=str(run_dir), versions=_versions(run_dir),
                       learned_at=now())  # fmt: skip
    return write_program(program_path(name, into=into), render(info, steps))


def _read_result(run_dir: Path) -> dict[str, Any]:
    path = run_dir / "result.json"
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(f"{run_dir} has no readable result.json ({exc.strerror})") from exc
    except ValueError as exc:
        raise ConfigError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path} is not a run result")
    return data


def _versions(run_dir: Path) -> dict[str, str]:
    """Each @agentic function's version hash as the run's trace recorded it."""
    versions: dict[str, str] = {}
    trace = run_dir / "trace.jsonl"
    if not trace.is_file():
        return versions
    for line in trace.read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("event") == "model" and record.get("function") and record.get("version"):
            versions[record["function"]] = record["version"]
    return versions


def _named_by_ocr(step: ProgramStep, run_dir: Path, image_ref: str | None) -> ProgramStep:
    from dataclasses import replace

    if not image_ref:
        return step
    path = run_dir / "images" / f"{image_ref}.png"
    if not path.is_file() or step.at is None:
        return step
    try:
        from gui_agent.grounding.ocr import read_lines

        x, y = step.at
        width, height = OCR_WINDOW
        box = (max(0, x - width // 2), max(0, y - height // 2), x + width // 2, y + height // 2)
        lines = read_lines(Image.open(path).convert("RGB").crop(box))
    except Exception as exc:  # OCR is a convenience here; the point still works without it
        log.info("no OCR target for step at %s: %s", step.at, exc)
        return step
    local = (x - box[0], y - box[1])
    words = [w for line in lines for w in line.words]
    hit = [w for w in words if w.box.x0 <= local[0] < w.box.x1 and w.box.y0 <= local[1] < w.box.y1]
    if hit:
        return replace(step, target=hit[0].text)
    for line in lines:
        if any(w.box.y0 <= local[1] < w.box.y1 for w in line.words):
            return replace(step, target=line.text)
    return step
