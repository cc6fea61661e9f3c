"""The grounding data set on disk: one PNG + one JSON per scene (scripts/capture_grounding.py).

A scene's JSON names its screenshot, the targets (a short description, the element's name and
role, its true box, whether the name is visible text) and the source the stabilized tiers read:
DOM rows inline (`dom_rows`) or a gzipped accessibility tree beside it (`a11y_tree`).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from gui_agent.errors import ConfigError
from gui_agent.grounding.elements import Box

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "tests" / "data" / "grounding"


@dataclass(frozen=True)
class Case:
    target: str
    name: str
    role: str
    box: Box
    text: bool


@dataclass
class Scene:
    name: str
    app: str
    image: Image.Image
    cases: list[Case]
    a11y_tree: str | None
    dom_rows: list[list[Any]] | None
    read_ms: float


def load_scenes(data_dir: Path, *, limit: int | None = None) -> list[Scene]:
    """Every scene of `data_dir`, sorted by name; ConfigError when there is none or one is bad."""
    files = sorted(data_dir.glob("*.json"))
    if not files:
        raise ConfigError(f"no grounding scenes (*.json) in {data_dir}; capture them with "
                          "scripts/capture_grounding.py")  # fmt: skip
    scenes = [_load(path) for path in files[:limit]]
    return scenes


def _load(path: Path) -> Scene:
    try:
        data = json.loads(path.read_text())
        image = Image.open(path.with_name(data["screenshot"])).convert("RGB")
        tree = None
        if data.get("a11y_tree"):
            tree = gzip.decompress(path.with_name(data["a11y_tree"]).read_bytes()).decode()
        cases = [Case(target=c["target"], name=c["name"], role=c["role"], box=Box(*c["box"]),
                      text=bool(c["text"])) for c in data["targets"]]  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"bad grounding scene {path}: {exc}") from exc
    return Scene(name=data["scene"], app=data["app"], image=image, cases=cases, a11y_tree=tree,
                 dom_rows=data.get("dom_rows"), read_ms=float(data.get("read_ms", 0.0)))  # fmt: skip
