"""JSON metrics: rule-based checks of JSON/YAML files and direct JSON object comparison."""

from __future__ import annotations

import functools
import json
import logging
import operator
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

logger = logging.getLogger(__name__)

_WORKSPACE_FOLDER = re.compile(r'"folder"\s*:\s*"([^"]+)"')

_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "le": operator.le,
    "lt": operator.lt,
    "ge": operator.ge,
    "gt": operator.gt,
}


def match_value_to_rule(value: Any, rule: dict[str, Any]) -> bool:
    """OSWorld's rule language: {"method": ..., "ref": ...}.

    Methods: `re[.FLAG...]` (regex search), eq/ne/le/lt/ge/gt, `approx:T` (|v - ref| <= T),
    `range.XY` (X,Y in e/t: ref[0] <X v <Y ref[1]), `str_list_eq` / `str_set_eq`
    (comma-separated value), `spreadsheet_range` (cell ranges within bounds).
    """
    method: str = rule["method"]
    ref: Any = rule.get("ref")
    if method.startswith("re"):
        flags = functools.reduce(
            operator.or_, (getattr(re, f) for f in method.split(".")[1:]), re.RegexFlag(0)
        )
        return re.search(ref, value, flags) is not None
    if method in _COMPARISONS:
        return _COMPARISONS[method](value, ref)
    if method.startswith("approx"):
        threshold = float(method.split(":")[1])
        try:
            return abs(float(value) - ref) <= threshold
        except (ValueError, TypeError):
            return False
    if method == "spreadsheet_range":
        from openpyxl.worksheet.cell_range import MultiCellRange

        low, high = MultiCellRange(ref[0]), MultiCellRange(ref[1])
        return all(r in value for r in low) and all(r in high for r in value)
    if method.startswith("range."):
        left = operator.le if method[6] == "e" else operator.lt
        right = operator.le if method[7] == "e" else operator.lt
        return left(ref[0], value) and right(value, ref[1])
    if method in ("str_list_eq", "str_set_eq"):
        items = value.strip("\"'").split(",")
        if method == "str_set_eq":
            return set(items) == set(ref)
        return items == list(ref)
    raise NotImplementedError(f"rule method {method!r}")


def _load(path: str, *, is_yaml: bool) -> Any:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) if is_yaml else json.load(handle)


def check_json(result: str | None, rules: dict[str, Any], is_yaml: bool = False) -> float:
    """1 if every `expect` rule holds at its key path and no `unexpect` rule does."""
    if result is None or not Path(result).exists():
        return 0.0
    try:
        data = _load(result, is_yaml=is_yaml)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        logger.info("check_json: unreadable %s: %s", result, exc)
        return 0.0
    if is_yaml and data is None:
        return 0.0
    ok = True
    try:
        for rule in rules.get("expect", {}):
            value = data
            for key in rule["key"]:
                try:
                    value = value[key]
                except (KeyError, TypeError, IndexError):
                    return 0.0
            ok = ok and match_value_to_rule(value, rule)
        for rule in rules.get("unexpect", {}):
            value = data
            for key in rule["key"]:
                try:
                    value = value[key]
                except (KeyError, TypeError, IndexError):
                    value = None
                    break
            ok = ok and not match_value_to_rule(value, rule)
    except Exception as exc:  # OSWorld scores a rule that cannot be applied as 0
        logger.info("check_json: rule failed: %s", exc)
        return 0.0
    return float(ok)


EVALUATION_FAILED = "__EVALUATION_FAILED__"


def _as_object(result: Any) -> dict[str, Any] | None:
    """The result as a JSON object: a dict, or its text (a page script may print single quotes)."""
    if isinstance(result, str):
        try:
            result = json.loads(result.strip().replace("'", '"'))
        except json.JSONDecodeError:
            return None
    return result if isinstance(result, dict) else None


def _loosely_matches(got: Any, wanted: Any) -> bool:
    """`expect_in_result`: a list of wanted values means any of them (equal to the result's
    value, or one of its items); a wanted string need only occur in the result's value."""
    if isinstance(wanted, list):
        return any(w == got or (isinstance(got, list) and w in got) for w in wanted)
    if isinstance(wanted, str):
        return isinstance(got, str | list) and wanted in got
    return bool(got == wanted)


def _same_items(got: Any, wanted: Any) -> bool:
    try:
        return sorted(got) == sorted(wanted)
    except TypeError:  # not lists of comparable items: plain equality decides
        return bool(got == wanted)


def check_direct_json_object(result: Any, rules: dict[str, Any]) -> float:
    """Does the object a getter read (URL parameters, page texts) hold the expected values?

    1 when every key of `rules["expected"]` has the expected value in the result (other keys
    of the result do not matter), else 0. `ignore_list_order` compares list values as
    collections; `expect_in_result` loosens each comparison (see `_loosely_matches`). A result
    that is not an object scores 0, and so does a task whose expected side could not be
    computed (a value of "__EVALUATION_FAILED__"); rules with nothing expected are a task error.
    """
    expected = rules.get("expected")
    if not isinstance(expected, dict) or not expected:
        raise ValueError("check_direct_json_object: the rules expect no values")
    if EVALUATION_FAILED in expected.values():
        return 0.0
    found = _as_object(result)
    if found is None:
        return 0.0
    unordered = bool(rules.get("ignore_list_order") or expected.get("ignore_list_order"))
    for key, wanted in expected.items():
        if key == "ignore_list_order":
            continue
        got = found.get(key)
        if rules.get("expect_in_result"):
            ok = _loosely_matches(got, wanted)
        elif unordered and isinstance(wanted, list):
            ok = _same_items(got, wanted)
        else:
            ok = got == wanted
        if not ok:
            return 0.0
    return 1.0


def compare_config(actual: str | None, rules: dict[str, Any], **options: Any) -> float:
    """Does the file an editor extension wrote hold the expected text?

    VS Code tasks run an evaluation command that writes one value (the open project's name,
    a setting) to a file. 1 when that file's text is the expected text, ignoring whitespace
    around it (a trailing newline is not an answer). When the command wrote nothing, the
    `vscode_config` getter hands over VS Code's workspace records instead; then 1 when one of
    them opened a folder named the expected text. 0 otherwise, or when the file is missing.
    A rule without an expected text is a task error.
    """
    expected = rules.get("expected")
    if not isinstance(expected, str) or not expected.strip():
        raise ValueError("compare_config: the rule gives no expected text")
    if not actual:
        return 0.0
    try:
        written = Path(actual).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        logger.info("compare_config: cannot read %s: %s", actual, exc)
        return 0.0
    if written.strip() == expected.strip():
        return 1.0
    folders = (
        unquote(f).rstrip("/").rpartition("/")[2] for f in _WORKSPACE_FOLDER.findall(written)
    )
    return 1.0 if expected.strip() in folders else 0.0
