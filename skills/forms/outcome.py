"""What a form fill produced: one line per field, the status, and result.json."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from gui_agent.episode import EXIT_CODES, EpisodeStatus
from gui_agent.plural import counted

FillStatus = Literal["done", "failed", "blocked", "env_error", "model_error", "max_steps"]
ValueSource = Literal["code", "model", "empty"]


class FieldOutcome(BaseModel):
    """One field of one page: what was decided, typed, read back, and what the page said."""

    page: int
    label: str
    key: str
    kind: str
    required: bool = False
    data_key: str | None = None
    value: str = Field(default="", description="what the field was given ('' when left empty)")
    shown: str = Field(default="", description="the option's text for a select or radio group")
    source: ValueSource = "empty"
    read_back: str | None = None
    read_back_ok: bool | None = None
    errors: list[str] = Field(default_factory=list)
    corrected_by: ValueSource | None = None
    note: str = ""


class FillReport(BaseModel):
    status: FillStatus
    reason: str = ""
    target: str = ""
    pages: int = 0
    steps: int = 0
    correction_steps: int = Field(default=0, description="of `steps`, those spent on rejected values")
    model_calls: int = 0
    submitted: bool = False
    duration_s: float = 0.0
    tokens: int = 0
    cost_usd: float = 0.0
    fields: list[FieldOutcome] = Field(default_factory=list)
    page_errors: list[str] = Field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[EpisodeStatus(self.status)]

    def by_source(self, source: ValueSource) -> list[FieldOutcome]:
        return [f for f in self.fields if f.source == source]

    def summary_line(self) -> str:
        code, model = len(self.by_source("code")), len(self.by_source("model"))
        empty = len(self.by_source("empty"))
        submitted = "submitted" if self.submitted else "not submitted"
        detail = f": {self.reason}" if self.reason else ""
        return (f"{self.status} · {counted(self.pages, 'page')} · "
                f"{counted(code, 'field')} by code, {model} by model, {empty} empty · "
                f"{counted(self.steps, 'step')} · {submitted}{detail}")  # fmt: skip

    def write(self, run_dir: Path) -> Path:
        """result.json, written atomically."""
        path = Path(run_dir) / "result.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False))
        os.replace(tmp, path)
        return path
