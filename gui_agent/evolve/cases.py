"""Marked cases: trace nodes a user said were wrong, with the value they expected.

`gui-agent mark RUN_DIR NODE --expected JSON` appends one line to RUN_DIR/marks.jsonl: the
node's function name and version, its arguments as the trace recorded them (text), what it
returned and what it should have returned. `gui-agent evolve` turns the marks of its function
into test cases: each argument is read back through the parameter's type (JSON for models and
containers, as-is for strings). An argument the trace could not keep (an image, a redacted
secret) makes the case unusable; it is skipped and said so, never guessed.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from gui_agent.errors import ConfigError
from gui_agent.trace import TraceNode, load_trace

MARKS_FILE = "marks.jsonl"


@dataclass(frozen=True)
class MarkedCase:
    label: str
    function: str
    arguments: dict[str, str]
    expected: Any


def find_node(run_dir: Path, node: str) -> TraceNode:
    """The trace node whose path is `node`, or ends with it (`perceive#0`, `step#2/perceive#0`)."""
    trace_file = Path(run_dir) / "trace.jsonl"
    if not trace_file.is_file():
        raise ConfigError(f"{run_dir} has no trace.jsonl: not a run folder")
    nodes = [n for root in load_trace(trace_file) for n in root.walk()]
    exact = [n for n in nodes if n.path == node]
    matches = exact or [n for n in nodes if n.path.endswith("/" + node) or n.path == node]
    if len(matches) != 1:
        found = "no node" if not matches else f"{len(matches)} nodes"
        raise ConfigError(f"{found} in {run_dir} match {node!r}; give the full path "
                          "(gui-agent view shows it on the call tree)")  # fmt: skip
    return matches[0]


def parse_expected(text: str) -> Any:
    """JSON if it parses, else the text itself (a plain string answer)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def mark(run_dir: Path, node: str, *, expected: str) -> dict[str, Any]:
    """Record that `node` of the run returned a wrong value and which one was expected."""
    found = find_node(run_dir, node)
    if found.kind != "agentic":
        raise ConfigError(f"{found.path} is a {found.kind}, not an @agentic call: mark the call")
    value = parse_expected(expected)
    if isinstance(value, str) and isinstance(found.output, dict | list):
        raise ConfigError(f"--expected is not JSON, but {found.name} returns "
                          f"{'an object' if isinstance(found.output, dict) else 'a list'}: "
                          f"give the value as JSON, e.g. {json.dumps(found.output)[:120]}")  # fmt: skip
    record = {"path": found.path, "function": found.name, "version": found.version,
              "arguments": found.args, "actual": found.output,
              "expected": value, "date": time.strftime("%Y-%m-%d %H:%M:%S")}  # fmt: skip
    with (Path(run_dir) / MARKS_FILE).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    return record


def collect_marks(roots: list[Path], *, function: str) -> list[MarkedCase]:
    """Every case marked for `function` in marks.jsonl files at or below the given folders."""
    cases = []
    for root in roots:
        files = [root / MARKS_FILE] if (root / MARKS_FILE).is_file() else []
        files += sorted(p for p in root.glob(f"*/**/{MARKS_FILE}")) if root.is_dir() else []
        for path in files:
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if not line.strip():
                    continue
                record = json.loads(line)
                if record.get("function") == function:
                    cases.append(MarkedCase(f"{path}:{number} ({record.get('path')})", function,
                                            dict(record.get("arguments") or {}),
                                            record.get("expected")))  # fmt: skip
    return cases


def rebuild_arguments(parameters: dict[str, Any], arguments: dict[str, str]) -> dict[str, Any]:
    """The call's arguments from their recorded text; ValueError names one that cannot be."""
    rebuilt: dict[str, Any] = {}
    for name, annotation in parameters.items():
        if name not in arguments:
            continue
        text = arguments[name]
        if text == "[redacted]" or (text.startswith("<image ") and text.endswith(">")):
            raise ValueError(f"argument {name!r} was not kept by the trace ({text})")
        if annotation is str:
            rebuilt[name] = text
            continue
        adapter: TypeAdapter[Any] = TypeAdapter(annotation)
        try:
            rebuilt[name] = adapter.validate_json(text)
        except ValidationError:
            try:
                rebuilt[name] = adapter.validate_python(text)
            except ValidationError as exc:
                raise ValueError(f"argument {name!r} does not read back: {exc}") from exc
    return rebuilt
