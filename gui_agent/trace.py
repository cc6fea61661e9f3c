"""The run trace: append-only JSONL, one record per node start and end, flushed per record.

Layout of a run folder:
    runs/<run-id>/trace.jsonl       records (below), in the order they happened
    runs/<run-id>/images/<sha>.png  every image once, named by the hash of its bytes

Record events:
    start  path, name, kind, version, args, t
    end    path, status, summary, output, error, t, duration_s, usage, model, impl
    model  one model exchange inside an @agentic call: path, function, version, attempt,
           prompt_hash, reply (raw text), usage, model, estimated_input_tokens, images
    step   one executed or rejected action of the step loop (see loop.py)

Model records make a trace a replay cassette (models/replay.py). `load_trace` rebuilds the tree.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from gui_agent.context import CallNode, observe_nodes
from gui_agent.errors import EnvError
from gui_agent.vault import redact

log = logging.getLogger(__name__)
_ANY: TypeAdapter[Any] = TypeAdapter(Any)
OUTPUT_CHARS = 4000

_current_trace: contextvars.ContextVar[TraceWriter | None] = contextvars.ContextVar(
    "gui_agent_trace", default=None
)


def current_trace() -> TraceWriter | None:
    return _current_trace.get()


def jsonable(value: Any) -> Any:
    """A JSON-safe copy of `value` (pydantic-aware); long strings are cut."""
    try:
        data = _ANY.dump_python(value, mode="json")
        text = json.dumps(data, ensure_ascii=False)
    except Exception:  # noqa: BLE001 - anything unserialisable is recorded as its repr
        data, text = repr(value), repr(value)
    if len(text) > OUTPUT_CHARS:
        return text[:OUTPUT_CHARS] + "..."
    return data


class TraceWriter:
    """Writes one run's trace. Thread-safe; each record is flushed as soon as it is written."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = Path(run_dir)
        self.images_dir = self.run_dir / "images"
        self.images_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.run_dir / "trace.jsonl"
        self._file = self.path.open("a", encoding="utf-8")
        self._lock = threading.Lock()
        self.failed: str | None = None
        """Why writing stopped (disk full...): every later write raises EnvError."""

    def write(self, record: dict[str, Any]) -> None:
        record.setdefault("t", round(time.time(), 4))
        line = redact(json.dumps(record, ensure_ascii=False, default=str))
        with self._lock:
            if self._file.closed:
                log.warning("trace closed; dropped a %s record", record.get("event"))
                return
            if self.failed is not None:
                raise EnvError(f"the trace cannot be written: {self.failed}")
            try:
                self._file.write(line + "\n")
                self._file.flush()
            except OSError as exc:
                # Disk full or gone: stop at once. Nothing more is written, so every record
                # before this one stays valid (a torn last line is skipped when read back).
                self.failed = f"{self.path}: {exc.strerror or exc}"
                raise EnvError(f"the trace cannot be written: {self.failed}") from exc

    def store_image(self, png: bytes) -> str:
        """Save image bytes once under their content hash; return the hash."""
        digest = hashlib.sha256(png).hexdigest()[:24]
        target = self.images_dir / f"{digest}.png"
        if not target.exists():
            # one temporary name per thread: parallel calls may store the same image at once
            tmp = target.with_suffix(f".{os.getpid()}-{threading.get_ident()}.tmp")
            try:
                tmp.write_bytes(png)
                tmp.replace(target)
            except OSError as exc:
                raise EnvError(f"cannot store an image in {self.images_dir}: {exc}") from exc
        return digest

    def on_node(self, event: str, node: CallNode) -> None:
        if event == "start":
            self.write(
                {
                    "event": "start",
                    "path": node.path,
                    "name": node.name,
                    "kind": node.kind,
                    "version": node.version,
                    "args": node.arguments,
                }
            )
        else:
            self.write(
                {
                    "event": "end",
                    "path": node.path,
                    "status": node.status,
                    "summary": node.summary,
                    "output": jsonable(node.output) if node.status == "ok" else None,
                    "error": node.error,
                    "duration_s": round(node.duration_s or 0.0, 4),
                    "usage": node.usage.as_dict(),
                    "model": node.model,
                    "impl": node.implementation,
                }
            )

    @contextmanager
    def attach(self) -> Iterator[TraceWriter]:
        """Record every node started in this context, and make this the current trace."""
        token = _current_trace.set(self)
        try:
            with observe_nodes(self.on_node):
                yield self
        finally:
            _current_trace.reset(token)

    def close(self) -> None:
        with self._lock:
            try:
                self._file.close()
            except OSError as exc:  # the last flush of a full disk: already reported
                log.warning("closing the trace %s: %s", self.path, exc)


@dataclass
class TraceNode:
    path: str
    name: str
    kind: str
    version: str
    args: dict[str, Any]
    status: str = "running"
    summary: str = ""
    output: Any = None
    error: str | None = None
    duration_s: float | None = None
    usage: dict[str, Any] = field(default_factory=dict)
    model: str | None = None
    impl: str | None = None
    children: list[TraceNode] = field(default_factory=list)
    model_records: list[dict[str, Any]] = field(default_factory=list)

    def walk(self) -> Iterator[TraceNode]:
        yield self
        for child in self.children:
            yield from child.walk()


def read_records(path: Path) -> list[dict[str, Any]]:
    """All records of a trace file; a torn last line (a crash mid-write) is skipped."""
    trace_file = Path(path)
    if trace_file.is_dir():
        trace_file = trace_file / "trace.jsonl"
    records = []
    with trace_file.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                log.warning("%s:%d is not a complete record; skipped", trace_file, number)
    return records


def load_trace(path: Path) -> list[TraceNode]:
    """Rebuild the call tree(s) of a trace; returns the root nodes in start order."""
    nodes: dict[str, TraceNode] = {}
    roots: list[TraceNode] = []
    for record in read_records(path):
        event = record.get("event")
        if event == "start":
            node = TraceNode(
                path=record["path"],
                name=record["name"],
                kind=record.get("kind", "frame"),
                version=record.get("version", ""),
                args=record.get("args", {}),
            )
            nodes[node.path] = node
            parent = nodes.get(node.path.rpartition("/")[0])
            (parent.children if parent else roots).append(node)
        elif event == "end" and record["path"] in nodes:
            node = nodes[record["path"]]
            for key in ("status", "summary", "output", "error", "duration_s", "usage", "model"):
                setattr(node, key, record.get(key))
            node.impl = record.get("impl")
        elif event == "model" and record["path"] in nodes:
            nodes[record["path"]].model_records.append(record)
    return roots
