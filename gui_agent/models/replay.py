"""Answer model calls from a recorded trace: no network, no cost.

Each `model` record of a trace is keyed by (call path, attempt). How strictly a live call must
match its record:

- `match="prompt"` (the default, `replay:<run-dir>`): the whole prompt's hash, screenshots'
  pixels included, so a replay returns identical values only for identical inputs.
- `match="inputs"` (`gui-agent replay`): the function's version and its non-image arguments
  (`ModelRequest.inputs_hash`). A live desktop never renders the same pixels twice, so each
  screenshot is compared with the recorded one instead: its drift (the share of pixels that
  differ visibly) is measured per call, written to the trace and kept in `drifts`; a drift
  above `max_drift` is a reported divergence (ReplayDiverged), not a silent wrong answer.
- `match="path"`: position in the call tree alone.

A miss raises ReplayMiss naming the call and what differed.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from PIL import Image, ImageChops

from gui_agent.errors import ConfigError, ReplayMiss
from gui_agent.models.base import ModelReply, ModelRequest, Usage
from gui_agent.trace import current_trace, read_records

log = logging.getLogger(__name__)

ReplayMatch = Literal["prompt", "inputs", "path"]
DEFAULT_MAX_DRIFT = 0.25
"""Share of pixels that may differ from the recorded screenshot before a replay diverges: the
cursor, a caret or a clock move a few percent; another page or dialog moves far more."""
PIXEL_TOLERANCE = 24
"""A pixel differs when one of its channels moves by more than this (of 255)."""


class ReplayDiverged(ReplayMiss):
    """The live screen drifted from the recorded one past the threshold."""


@dataclass(frozen=True)
class CallDrift:
    """How far one replayed call's screenshot was from the recorded one (0 = identical)."""

    path: str
    function: str
    drift: float


def screenshot_drift(recorded: bytes, live: bytes) -> float:
    """Share of pixels (0..1) whose colour differs visibly; 1.0 when the sizes differ."""
    with Image.open(io.BytesIO(recorded)) as old, Image.open(io.BytesIO(live)) as new:
        if old.size != new.size:
            return 1.0
        difference = ImageChops.difference(old.convert("RGB"), new.convert("RGB"))
    red, green, blue = difference.split()
    largest = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    changed = sum(largest.histogram()[PIXEL_TOLERANCE + 1 :])
    return changed / (largest.width * largest.height)


class ReplayModel:
    def __init__(
        self,
        run_dir: Path | str,
        *,
        match: ReplayMatch = "prompt",
        max_drift: float = DEFAULT_MAX_DRIFT,
    ) -> None:
        self.run_dir = Path(run_dir)
        trace_file = self.run_dir / "trace.jsonl" if self.run_dir.is_dir() else self.run_dir
        if not trace_file.is_file():
            raise ConfigError(f"replay: no trace at {trace_file}")
        if not 0 <= max_drift <= 1:
            raise ConfigError(f"replay: max_drift must be between 0 and 1, got {max_drift}")
        self.match = match
        self.max_drift = max_drift
        self.drifts: list[CallDrift] = []
        self._images_dir = trace_file.parent / "images"
        self._records: dict[tuple[str, int], dict[str, Any]] = {}
        for record in read_records(trace_file):
            if record.get("event") == "model":
                self._records[(record["path"], int(record["attempt"]))] = record
        if not self._records:
            raise ConfigError(f"replay: {trace_file} has no recorded model calls")

    @property
    def spec(self) -> str:
        return f"replay:{self.run_dir}"

    def complete(self, request: ModelRequest) -> ModelReply:
        record = self._records.get((request.call_path, request.attempt))
        where = f"{request.function} at {request.call_path}"
        if record is None:
            raise ReplayMiss(
                f"replay: no recorded answer for {where} (attempt {request.attempt}) in "
                f"{self.run_dir}"
            )
        match self.match:
            case "prompt":
                if record.get("prompt_hash") != request.prompt_hash():
                    raise ReplayMiss(
                        f"replay: {where} was recorded with a different prompt (hash "
                        f"{record.get('prompt_hash')} != {request.prompt_hash()}); the inputs changed"
                    )
            case "inputs":
                self._check_inputs(record, request, where)
                if request.attempt == 1:
                    self._measure_drift(record, request, where)
            case "path":
                pass
        return ModelReply(text=record["reply"], model=f"replay:{record.get('model')}", usage=Usage())

    def _check_inputs(self, record: dict[str, Any], request: ModelRequest, where: str) -> None:
        if record.get("version") and request.version and record["version"] != request.version:
            raise ReplayMiss(
                f"replay: {where} was recorded with another version of {request.function} "
                f"({record['version']} != {request.version}): its code or docstring changed"
            )
        recorded = record.get("inputs_hash")
        if recorded and request.inputs_hash and recorded != request.inputs_hash:
            raise ReplayMiss(
                f"replay: {where} was recorded with different arguments (other than images); "
                "the run went another way here"
            )

    def _measure_drift(self, record: dict[str, Any], request: ModelRequest, where: str) -> None:
        refs: list[str] = list(record.get("images") or [])
        live = request.images
        if not refs and not live:
            return
        if len(refs) != len(live):
            drift = 1.0
        else:
            drift = max(self._drift(ref, png) for ref, png in zip(refs, live, strict=True))
        self.drifts.append(CallDrift(path=request.call_path, function=request.function,
                                     drift=round(drift, 4)))  # fmt: skip
        trace = current_trace()
        if trace is not None:
            trace.write({"event": "replay_drift", "path": request.call_path,
                         "function": request.function, "drift": round(drift, 4),
                         "max_drift": self.max_drift})  # fmt: skip
        if drift > self.max_drift:
            raise ReplayDiverged(
                f"replay diverged at {where}: the screen differs from the recorded one in "
                f"{drift:.0%} of pixels (threshold {self.max_drift:.0%})"
            )

    def _drift(self, ref: str, live: bytes) -> float:
        path = self._images_dir / f"{ref}.png"
        try:
            recorded = path.read_bytes()
        except OSError:
            log.warning("replay: recorded screenshot %s is missing; counted as full drift", path)
            return 1.0
        return screenshot_drift(recorded, live)
