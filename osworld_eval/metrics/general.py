"""General metrics: strings and lists against rules, regex line checks, small text files."""

from __future__ import annotations

import difflib
import logging
import re
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

logger = logging.getLogger(__name__)

_CLOCK_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)")


def infeasible(*args: Any, **options: Any) -> float:
    """Placeholder: `evaluate` scores infeasible tasks from the last action alone."""
    return 0.0


def check_include_exclude(result: str | None, rules: dict[str, list[str]]) -> float:
    """1 if every `include` string is in the result and no `exclude` string is."""
    if result is None:
        return 0.0
    include = rules.get("include", [])
    exclude = rules.get("exclude", [])
    ok = all(s in result for s in include) and all(s not in result for s in exclude)
    return 1.0 if ok else 0.0


def exact_match(result: Any, rules: dict[str, Any]) -> float:
    return 1.0 if result == rules["expected"] else 0.0


def match_in_list(result: Any, rules: dict[str, Any]) -> float:
    """1 if the result is one of the expected values."""
    return 1.0 if result in rules["expected"] else 0.0


def is_in_list(result: Any, rules: dict[str, Any]) -> float:
    """1 if the expected value is one of the result's items."""
    if result is None:
        return 0.0
    return 1.0 if rules["expected"] in result else 0.0


def literal_match(result: Any, expected: Any, **options: Any) -> float:
    """Compare as strings (`type` "str") or as lists of strings (`type` "list")."""
    kind = options.get("type", "str")
    ignore_case = options.get("ignore_case", False)

    def norm(value: Any) -> str:
        return str(value).lower() if ignore_case else str(value)

    if kind == "str":
        return float(norm(result) == norm(expected))
    if kind == "list":
        if not isinstance(result, list | tuple) or not isinstance(expected, list | tuple):
            return 0.0
        if len(result) != len(expected):
            return 0.0
        return float([norm(r) for r in result] == [norm(e) for e in expected])
    raise NotImplementedError(f"literal_match type {kind!r}")


def fuzzy_match(result: str, rules: dict[str, Any]) -> float:
    return fuzz.ratio(result, rules["expected"]) / 100.0


def _lines(path: str) -> list[str]:
    return Path(path).read_text().splitlines()


def check_list(result: str | None, rules: dict[str, list[str]]) -> float:
    """Does a command's saved output show what the task asks for, and nothing it forbids?

    The result is a text file (the output of `grep`, `wmctrl -l`, `gsettings get`, ...). Each
    `expect` regex must be found on some line and no `unexpect` regex on any line: 1 if so,
    else 0. A missing or unreadable file is 0; rules with nothing to check are a task error.
    """
    expect = [re.compile(p) for p in rules.get("expect", [])]
    unexpect = [re.compile(p) for p in rules.get("unexpect", [])]
    if not expect and not unexpect:
        raise ValueError("check_list: the rules have neither expect nor unexpect patterns")
    if result is None:
        return 0.0
    try:
        lines = Path(result).read_text(errors="replace").splitlines()
    except OSError as exc:
        logger.info("check_list: cannot read %s: %s", result, exc)
        return 0.0

    def on_some_line(pattern: re.Pattern[str]) -> bool:
        return any(pattern.search(line) for line in lines)

    wanted_all_seen = all(on_some_line(p) for p in expect)
    forbidden_none_seen = not any(on_some_line(p) for p in unexpect)
    return float(wanted_all_seen and forbidden_none_seen)


def file_contains(path: str | None, config: dict[str, Any]) -> float:
    """1 if the text file contains every expected string."""
    if not path:
        return 0.0
    try:
        text = Path(path).read_text()
    except (OSError, UnicodeDecodeError):
        return 0.0
    return 1.0 if all(s in text for s in config["expected"]) else 0.0


def check_line_number(path: str | None, rules: dict[str, Any]) -> float:
    """1 if the number of lines holding an HH:MM:SS time equals `expected`."""
    if path is None or not Path(path).is_file():
        return 0.0
    try:
        with open(path) as handle:
            count = sum(1 for line in handle if _CLOCK_TIME.search(line))
        return 1.0 if count == int(rules["expected"]) else 0.0
    except (OSError, UnicodeDecodeError, ValueError):
        return 0.0


def diff_text_file(result: str | None, expected: str) -> float:
    """Similarity ratio of the two files' line lists."""
    if result is None:
        return 0.0
    try:
        mine = _lines(result)
    except (OSError, UnicodeDecodeError):
        return 0.0
    return difflib.SequenceMatcher(a=mine, b=_lines(expected)).ratio()


def _python_body(text: str) -> str:
    lines = text.splitlines()
    start = 0
    # Only a shebang or coding line among the first three lines is skipped.
    while start < min(len(lines), 3):
        head = lines[start].strip()
        if head.startswith(("#!", "# -*- coding:", "# coding:", "# coding=")):
            start += 1
            continue
        break
    return "\n".join(ln.expandtabs(4).rstrip() for ln in lines[start:] if ln.strip())


def compare_python_pure_text(py_path: str | None, gold_path: str | None) -> float:
    """1 if the two Python files match ignoring blank lines, trailing spaces and tabs."""
    if not py_path or not gold_path:
        return 0.0
    try:
        mine = Path(py_path).read_text(encoding="utf-8")
        gold = Path(gold_path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return 0.0
    return 1.0 if _python_body(mine) == _python_body(gold) else 0.0


def compare_result_files(src_path: str | None, tgt_path: str | None) -> float:
    """1 if the files hold the same text, or the same number (within 1e-4)."""
    if not src_path or not tgt_path:
        return 0.0
    try:
        src = Path(src_path).read_text().strip()
    except (OSError, UnicodeDecodeError):
        return 0.0
    tgt = Path(tgt_path).read_text().strip()
    try:
        target = float(tgt)
        if tgt in src:
            return 1.0
        return 1.0 if abs(float(src) - target) < 1e-4 else 0.0
    except ValueError:
        return 1.0 if src == tgt else 0.0


def is_in_vm_clickboard(config: dict[str, Any], terminal_output: str) -> float:
    """1 if the clipboard text (the expected side) contains the expected string(s)."""
    expected = config["expected"]
    if not isinstance(expected, list):
        return 1.0 if expected in terminal_output else 0.0
    return 1.0 if all(e in terminal_output for e in expected) else 0.0
