"""Read a run folder into what the report shows: the run's summary, its steps, its call tree.

Everything is read defensively: a run folder may come from the step loop (result.json), an
OSWorld task (outcome.json beside the episode's result.json), a skill that records its own
steps (step records with a `source`/`kind` and a `why`), or a run that crashed half-way (a
trace and nothing else). A field that is missing is shown as missing, never guessed.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gui_agent.trace import TraceNode, load_trace, read_records

log = logging.getLogger(__name__)

Point = tuple[float, float]


@dataclass(frozen=True)
class Snap:
    """The loop moved a click from the model's point to an element's centre (grounding)."""

    from_point: Point
    to_point: Point
    tier: str = ""
    name: str = ""


@dataclass
class StepView:
    index: int
    action: dict[str, Any]
    description: str
    observation: str = ""
    executed: bool = False
    rejected: str | None = None
    screen_changed: bool | None = None
    duration_s: float = 0.0
    tokens: int = 0
    cost_usd: float = 0.0
    screenshot: str | None = None
    path: str | None = None
    source: str = ""
    why: str = ""
    output: str = ""
    snap: Snap | None = None
    screen_size: tuple[int, int] | None = None
    t: float | None = None

    @property
    def outcome(self) -> str:
        if self.rejected:
            return "rejected"
        if self.executed:
            return "executed" if self.screen_changed is not False else "no visible change"
        return "terminal" if self.action.get("kind") in ("done", "fail") else "not executed"


@dataclass
class Totals:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_tokens: int = 0
    cost_usd: float = 0.0
    estimated: bool = False
    duration_s: float | None = None

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_tokens


@dataclass
class RunView:
    run_dir: Path
    goal: str = ""
    status: str = "unknown"
    answer: str | None = None
    reason: str = ""
    model: str = ""
    agent: str = ""
    steps_executed: int = 0
    score: float | None = None
    task_status: str | None = None
    totals: Totals = field(default_factory=Totals)
    started_at: float | None = None
    steps: list[StepView] = field(default_factory=list)
    roots: list[TraceNode] = field(default_factory=list)
    node_times: dict[str, tuple[float, float | None]] = field(default_factory=dict)
    review: dict[str, Any] | None = None
    fields: list[dict[str, Any]] = field(default_factory=list)
    """A form fill's fields (label, value, source, read back), when the run was one."""
    observations: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """Free observations (a CDP read, a file read back) by the path of the node that made them."""

    def image_path(self, digest: str) -> Path:
        return self.run_dir / "images" / f"{digest}.png"


def _json_file(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        log.warning("%s is unreadable: %s", path, exc)
        return None
    return data if isinstance(data, dict) else None


def _number(value: Any, default: float = 0.0) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default


def parse_point(value: Any) -> Point | None:
    """A point written as [x, y], (x, y) or {"x": .., "y": ..}; None if it is neither."""
    if isinstance(value, list | tuple) and len(value) == 2:
        x, y = value
    elif isinstance(value, dict) and "x" in value and "y" in value:
        x, y = value["x"], value["y"]
    else:
        return None
    if isinstance(x, int | float) and isinstance(y, int | float):
        return float(x), float(y)
    return None


def parse_snap(record: dict[str, Any]) -> Snap | None:
    """A snapping record under `snap`/`snapped`/`snapping`, with from/to points and a tier."""
    for key in ("snap", "snapped", "snapping"):
        data = record.get(key)
        if not isinstance(data, dict):
            continue
        origin = parse_point(data.get("from") or data.get("from_point"))
        target = parse_point(data.get("to") or data.get("to_point"))
        if origin is not None and target is not None:
            return Snap(origin, target, str(data.get("tier") or data.get("by") or ""),
                        str(data.get("name") or ""))
    return None


def _size(value: Any) -> tuple[int, int] | None:
    point = parse_point(value)
    return (int(point[0]), int(point[1])) if point else None


def step_from_record(record: dict[str, Any], *, fallback_index: int) -> StepView:
    action = record.get("action")
    action = action if isinstance(action, dict) else {"kind": str(action or "?")}
    source = str(record.get("source") or record.get("skill") or "")
    by_skill = source not in ("", "loop")
    observation = str(record.get("observation") or "")
    # skills record their reason for a step in `observation` (they perceive nothing)
    why = str(record.get("why") or (observation if by_skill else ""))
    index = record.get("index")
    return StepView(
        index=index if isinstance(index, int) else fallback_index,
        action=action,
        description=str(record.get("description") or action.get("kind", "?")),
        observation="" if by_skill and why == observation else observation,
        executed=bool(record.get("executed", False)),
        rejected=record.get("rejected") or None,
        screen_changed=record.get("screen_changed"),
        duration_s=_number(record.get("duration_s")),
        tokens=int(_number(record.get("tokens"))),
        screenshot=record.get("screenshot") or None,
        path=record.get("path"),
        source=source,
        why=why,
        output=str(record.get("output") or ""),
        snap=parse_snap(record),
        screen_size=_size(record.get("screen_size")),
        t=record.get("t") if isinstance(record.get("t"), int | float) else None,
    )


def node_usage(node: TraceNode) -> tuple[int, float]:
    """Tokens and cost of a node and everything below it (model calls only)."""
    tokens, cost = 0, 0.0
    for each in node.walk():
        if each.kind == "agentic" and isinstance(each.usage, dict):
            usage = each.usage
            tokens += sum(int(_number(usage.get(k))) for k in
                          ("input_tokens", "output_tokens", "cache_read_tokens",
                           "cache_write_tokens"))  # fmt: skip
            cost += _number(usage.get("cost_usd"))
    return tokens, cost


def load_run(run_dir: Path) -> RunView:
    """Everything the report needs from a run folder; raises FileNotFoundError if it is empty."""
    run_dir = Path(run_dir)
    trace_file = run_dir / "trace.jsonl"
    result = _json_file(run_dir / "result.json")
    if result is None and not trace_file.is_file():
        raise FileNotFoundError(f"{run_dir} has neither result.json nor trace.jsonl")
    view = RunView(run_dir=run_dir)
    records = read_records(trace_file) if trace_file.is_file() else []
    view.roots = load_trace(trace_file) if records else []
    for record in records:
        path, t = record.get("path"), record.get("t")
        if not isinstance(path, str) or not isinstance(t, int | float):
            continue
        if record.get("event") == "start":
            view.node_times[path] = (t, None)
        elif record.get("event") == "end" and path in view.node_times:
            view.node_times[path] = (view.node_times[path][0], t)
        if record.get("event") == "observe":
            seen = (str(record.get("what") or ""), str(record.get("detail") or ""))
            view.observations.setdefault(path, []).append(seen)
    if view.node_times:
        view.started_at = min(start for start, _ in view.node_times.values())
    _read_summary(view, result)
    _read_outcome(view, _json_file(run_dir / "outcome.json"))
    view.steps = _merged_steps(result, [r for r in records if r.get("event") == "step"])
    _attach_step_costs(view)
    if not view.steps_executed:
        view.steps_executed = sum(1 for s in view.steps if s.executed)
    view.review = _json_file(run_dir / "review.json")
    return view


def _merged_steps(result: dict[str, Any] | None,
                  step_records: list[dict[str, Any]]) -> list[StepView]:  # fmt: skip
    """The episode's steps (result.json, the complete list) with what only the trace has (the
    node path, the time); steps only the trace has (a run that crashed) are kept too."""
    actions = result.get("actions") if result is not None else None
    listed = [a for a in actions if isinstance(a, dict)] if isinstance(actions, list) else []
    traced = {r["index"]: r for r in step_records if isinstance(r.get("index"), int)}
    merged: list[dict[str, Any]] = []
    for step in listed:
        extra = traced.pop(step["index"], {}) if isinstance(step.get("index"), int) else {}
        merged.append({**extra, **step, **{k: extra[k] for k in ("path", "t") if k in extra}})
    merged.extend(r for r in step_records if r.get("index") in traced or "index" not in r)
    merged.sort(key=lambda r: r["index"] if isinstance(r.get("index"), int) else 10**6)
    steps = [step_from_record(r, fallback_index=i + 1) for i, r in enumerate(merged)]
    if len({s.index for s in steps}) < len(steps):  # steps recorded outside an episode
        for number, entry in enumerate(steps, 1):
            entry.index = number
    return steps


def _trace_totals(view: RunView) -> Totals:
    """Tokens and cost summed over the trace's model calls (input and output not told apart)."""
    tokens_cost = [node_usage(r) for r in view.roots]
    return Totals(input_tokens=sum(t for t, _ in tokens_cost),
                  cost_usd=sum(c for _, c in tokens_cost))  # fmt: skip


def _read_summary(view: RunView, result: dict[str, Any] | None) -> None:
    """The run's summary from result.json: an episode's, or another command's (a form fill
    writes `target`, `steps`, `tokens`, `cost_usd` and its `fields`), else from the trace."""
    root = view.roots[0] if view.roots else None
    root_goal = str(root.args.get("goal") or root.args.get("target") or root.name) if root else ""
    if result is None:
        if root is not None:
            view.goal = root_goal
            view.status = root.status if root.status != "ok" else "finished"
            view.reason = root.error or ""
        view.totals = _trace_totals(view)
        return
    view.goal = str(result.get("goal") or result.get("target") or root_goal)
    view.status = str(result.get("status") or "unknown")
    view.answer = result.get("answer") or None
    view.reason = str(result.get("reason") or "")
    view.model = str(result.get("model") or "")
    view.agent = str(result.get("agent") or "")
    view.steps_executed = int(_number(result.get("steps_executed", result.get("steps"))))
    duration = result.get("duration_s")
    usage = result.get("usage")
    if isinstance(usage, dict):
        view.totals = Totals(
            input_tokens=int(_number(usage.get("input_tokens"))),
            output_tokens=int(_number(usage.get("output_tokens"))),
            cache_tokens=int(_number(usage.get("cache_read_tokens")))
            + int(_number(usage.get("cache_write_tokens"))),
            cost_usd=_number(usage.get("cost_usd")),
            estimated=bool(usage.get("estimated", False)),
        )
    else:
        view.totals = _trace_totals(view)
    view.totals.duration_s = _number(duration) if isinstance(duration, int | float) else None
    fields = result.get("fields")
    if isinstance(fields, list):
        view.fields = [f for f in fields if isinstance(f, dict)]
    started = result.get("started_at")
    if isinstance(started, int | float):
        view.started_at = view.started_at if view.started_at is not None else started


def _read_outcome(view: RunView, outcome: dict[str, Any] | None) -> None:
    if outcome is None:
        return
    view.task_status = str(outcome.get("status") or "") or None
    score = outcome.get("score")
    view.score = float(score) if isinstance(score, int | float) else None
    if not view.goal:
        view.goal = str(outcome.get("task_id") or "")
    if view.status == "unknown":
        view.status = str(outcome.get("episode_status") or outcome.get("status") or "unknown")
    if not view.reason:
        view.reason = str(outcome.get("message") or "")


def _attach_step_costs(view: RunView) -> None:
    """A step's own cost is its node's subtree, when the node holds that step alone.

    Steps a skill records under its own frame share the frame's path: their model calls are
    the skill's, shown on the call tree rather than split between the steps."""
    by_path = {node.path: node for root in view.roots for node in root.walk()}
    shared = Counter(step.path for step in view.steps)
    for step in view.steps:
        node = by_path.get(step.path or "")
        if node is None or shared[step.path] > 1:
            continue
        tokens, cost = node_usage(node)
        step.cost_usd = cost
        step.tokens = step.tokens or tokens
        if step.t is None and step.path in view.node_times:
            step.t = view.node_times[step.path][0]
