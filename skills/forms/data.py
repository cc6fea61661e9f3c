"""Load the data a form is filled from: a JSON object, a YAML mapping, or CSV rows.

Every value becomes text (the form receives text): booleans become "yes"/"no", null and an
empty cell become "". A CSV with several rows is a batch: one fill per row.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import yaml

from gui_agent.errors import ConfigError

Row = dict[str, str]


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_as_text(v) for v in value)
    if isinstance(value, dict):
        raise ConfigError("nested objects are not supported as field values")
    return str(value)


def _row(mapping: Any, where: str) -> Row:
    if not isinstance(mapping, dict) or not mapping:
        raise ConfigError(f"{where}: expected a non-empty object of field names to values")
    return {str(key).strip(): _as_text(value) for key, value in mapping.items()}


def load_rows(path: Path) -> list[Row]:
    """The rows in `path` (one for JSON/YAML objects; one per line for CSV and JSON arrays)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"cannot read data file {path}: {exc.strerror or exc}") from exc
    suffix = path.suffix.lower()
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames:
            raise ConfigError(f"{path}: the CSV file has no header row")
        rows = [_row({k: v for k, v in r.items() if k}, f"{path} row {i}")
                for i, r in enumerate(reader, start=2)]  # fmt: skip
    elif suffix in (".yaml", ".yml"):
        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
        rows = _rows_of(loaded, path)
    elif suffix == ".json":
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path} is not valid JSON: {exc.msg} (line {exc.lineno})") from exc
        rows = _rows_of(loaded, path)
    else:
        raise ConfigError(f"{path}: data files must end in .json, .yaml, .yml or .csv")
    if not rows:
        raise ConfigError(f"{path} holds no rows of data")
    return rows


def _rows_of(loaded: Any, path: Path) -> list[Row]:
    if isinstance(loaded, list):
        return [_row(item, f"{path} item {i}") for i, item in enumerate(loaded, start=1)]
    return [_row(loaded, str(path))]
