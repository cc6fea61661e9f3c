"""The call tree: every @agentic call and every frame (a skill, the loop, a step) is a node.

The tree lives on a ContextVar, so threads started by `fan_out` and asyncio tasks each see
their own branch. A model call's context is rendered from the tree by one rule: the ancestor
chain in full (name and arguments), and for each ancestor only the one-line summaries of the
children that had returned when the call started; never the prompts or intermediate work of
returned calls. Input therefore grows with call depth, not with the number of steps taken.

Visibility is decided by sequence numbers, not wall time: a node gets `start_seq` when it
starts and `end_seq` when it returns, and a sibling is visible iff its `end_seq` is below the
viewer's `start_seq`. `fan_out` gives every parallel sibling the same `start_seq`, so what each
sees does not depend on thread scheduling.

Budgets (executed actions, model calls, tokens, cost) are attached to nodes and shared by
everything below them: a charge is applied to every budget on the ancestor chain, and the first
one that would go over raises BudgetExceeded with its kind.
"""

from __future__ import annotations

import contextvars
import hashlib
import inspect
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from gui_agent.errors import BudgetExceeded, BudgetKind
from gui_agent.models.base import Usage

NodeKind = Literal["agentic", "frame"]
NodeStatus = Literal["running", "ok", "error"]
Implementation = Literal["model", "stabilized", "code"]

SECRET_WORDS = ("password", "passwd", "secret", "token", "api_key", "apikey", "credential")
SUMMARY_CHARS = 160
VISIBLE_SIBLINGS = 12
"""How many returned children an ancestor shows by default; older ones collapse into a count."""

_seq = itertools.count(1)
_seq_lock = threading.Lock()


def next_seq() -> int:
    with _seq_lock:
        return next(_seq)


@dataclass
class Budget:
    """Limits shared by a subtree; None means unlimited. Counters are totals so far."""

    max_actions: int | None = None
    max_model_calls: int | None = None
    max_tokens: int | None = None
    max_cost_usd: float | None = None
    max_seconds: float | None = None
    """Wall-clock limit, checked before each model call and each action."""
    actions: int = 0
    model_calls: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    started: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def room(self, kind: BudgetKind) -> bool:
        match kind:
            case "actions":
                return self.max_actions is None or self.actions < self.max_actions
            case "model_calls":
                return self.max_model_calls is None or self.model_calls < self.max_model_calls
            case "tokens":
                return self.max_tokens is None or self.tokens < self.max_tokens
            case "cost":
                return self.max_cost_usd is None or self.cost_usd < self.max_cost_usd
            case "time":
                return self.max_seconds is None or time.monotonic() - self.started < self.max_seconds

    def limit_text(self, kind: BudgetKind) -> str:
        limits = {
            "actions": self.max_actions,
            "model_calls": self.max_model_calls,
            "tokens": self.max_tokens,
            "cost": self.max_cost_usd,
            "time": self.max_seconds,
        }
        unit = " s" if kind == "time" else ""
        return f"{kind} budget of {limits[kind]}{unit} is used up"


@dataclass(eq=False)
class CallNode:
    name: str
    kind: NodeKind
    path: str
    version: str
    arguments: dict[str, str]
    parent: CallNode | None
    budget: Budget | None = None
    start_seq: int = 0
    fan_out_index: int = 0
    visible_children: int = VISIBLE_SIBLINGS
    end_seq: int | None = None
    status: NodeStatus = "running"
    output: Any = None
    summary: str = ""
    error: str | None = None
    started_at: float = field(default_factory=time.time)
    ended_at: float | None = None
    usage: Usage = field(default_factory=Usage)
    model: str | None = None
    implementation: Implementation = "code"
    children: list[CallNode] = field(default_factory=list)
    _child_counts: dict[str, int] = field(default_factory=dict)

    def ancestors(self) -> list[CallNode]:
        """Outermost first, excluding self."""
        chain: list[CallNode] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain[::-1]

    def returned_children(self, *, before_seq: int) -> list[CallNode]:
        """Children that returned before `before_seq`, in start order (fan-out order for ties)."""
        returned = [c for c in self.children if c.end_seq is not None and c.end_seq < before_seq]
        return sorted(returned, key=lambda c: (c.start_seq, c.fan_out_index))

    def budgets(self) -> Iterator[Budget]:
        node: CallNode | None = self
        while node is not None:
            if node.budget is not None:
                yield node.budget
            node = node.parent

    @property
    def duration_s(self) -> float | None:
        return None if self.ended_at is None else self.ended_at - self.started_at


_current: contextvars.ContextVar[CallNode | None] = contextvars.ContextVar(
    "gui_agent_call_node", default=None
)
_observer_var: contextvars.ContextVar[tuple[Callable[[str, CallNode], None], ...]] = (
    contextvars.ContextVar("gui_agent_node_observers", default=())
)


def current_node() -> CallNode | None:
    return _current.get()


@contextmanager
def observe_nodes(callback: Callable[[str, CallNode], None]) -> Iterator[None]:
    """Call `callback("start"|"end", node)` for every node started in this context."""
    token = _observer_var.set((*_observer_var.get(), callback))
    try:
        yield
    finally:
        _observer_var.reset(token)


def _notify(event: str, node: CallNode) -> None:
    for callback in _observer_var.get():
        callback(event, node)


def version_of(fn: Callable[..., Any]) -> str:
    """Hash of a function's source (which includes its docstring); stable across runs."""
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):
        source = f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', repr(fn))}"
    return hashlib.sha256(source.encode()).hexdigest()[:12]


def is_secret_name(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS)


def render_value(value: Any, *, limit: int | None = None) -> str:
    """A compact text rendering: pydantic models and containers as JSON, images as placeholders."""
    if hasattr(value, "png") and hasattr(value, "width"):
        text = f"<image {value.width}x{value.height}>"
    elif hasattr(value, "size") and hasattr(value, "mode") and hasattr(value, "tobytes"):
        text = f"<image {value.size[0]}x{value.size[1]}>"
    elif isinstance(value, str):
        text = value
    elif hasattr(value, "model_dump_json"):
        text = value.model_dump_json()
    else:
        try:
            text = json.dumps(value, default=str, ensure_ascii=False)
        except (TypeError, ValueError):
            text = repr(value)
    if limit is not None and len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def redact_arguments(arguments: dict[str, Any], *, limit: int = 2000) -> dict[str, str]:
    return {
        name: "[redacted]" if is_secret_name(name) else render_value(value, limit=limit)
        for name, value in arguments.items()
    }


def summarize(value: Any, summarizer: Callable[[Any], str] | None = None) -> str:
    """One line for the parent: the function's summarizer, the value's own, or compact JSON."""
    if summarizer is not None:
        text = summarizer(value)
    elif hasattr(value, "summary_line") and callable(value.summary_line):
        text = value.summary_line()
    else:
        text = render_value(value)
    return " ".join(str(text).split())[:SUMMARY_CHARS]


def start_node(
    name: str,
    *,
    kind: NodeKind,
    version: str,
    arguments: dict[str, Any],
    budget: Budget | None = None,
    start_seq: int | None = None,
    parent: CallNode | None = None,
) -> CallNode:
    """Create a node under `parent` (default: the current node); does not make it current."""
    parent = parent if parent is not None else current_node()
    slot = _take_fan_out_slot(parent)
    if slot is not None:
        start_seq, fan_index, label = slot
        path = f"{parent.path}/{name}#{label}" if parent is not None else f"{name}#{label}"
    else:
        fan_index = 0
        with _seq_lock:
            path = peek_path(name, parent=parent)
            if parent is not None:
                parent._child_counts[name] = parent._child_counts.get(name, 0) + 1
    node = CallNode(
        name=name,
        kind=kind,
        path=path,
        version=version,
        arguments=redact_arguments(arguments),
        parent=parent,
        budget=budget,
        start_seq=start_seq if start_seq is not None else next_seq(),
        fan_out_index=fan_index,
    )
    if parent is not None:
        with _seq_lock:
            parent.children.append(node)
    _notify("start", node)
    return node


def finish_node(
    node: CallNode,
    *,
    output: Any = None,
    error: BaseException | None = None,
    summarizer: Callable[[Any], str] | None = None,
    summary: str | None = None,
) -> None:
    """Mark `node` returned (or failed); `summary`, if given, is the line the parent sees."""
    node.ended_at = time.time()
    if error is None:
        node.status = "ok"
        node.output = output
        node.summary = summary or summarize(output, summarizer)
    else:
        node.status = "error"
        message = getattr(error, "message", None) or str(error) or type(error).__name__
        node.error = f"{type(error).__name__}: {message}"
        node.summary = f"error: {node.error}"[:SUMMARY_CHARS]
    node.end_seq = next_seq()
    _notify("end", node)


@contextmanager
def enter(node: CallNode) -> Iterator[CallNode]:
    token = _current.set(node)
    try:
        yield node
    finally:
        _current.reset(token)


@contextmanager
def frame(
    name: str,
    *,
    arguments: dict[str, Any] | None = None,
    budget: Budget | None = None,
    version: str = "",
    visible_children: int = VISIBLE_SIBLINGS,
) -> Iterator[CallNode]:
    """Run a block as a frame node: its children see it as an ancestor; it returns a summary.

    Set `node.output` (or `node.summary`) inside the block to choose what the parent sees.
    `visible_children` bounds how many returned children a later call sees one line of.
    """
    node = start_node(name, kind="frame", version=version, arguments=arguments or {}, budget=budget)
    node.visible_children = visible_children
    with enter(node):
        try:
            yield node
        except BaseException as exc:
            finish_node(node, error=exc)
            raise
    finish_node(node, output=node.output, summary=node.summary or None)


def peek_path(name: str, *, parent: CallNode | None) -> str:
    """The path a node named `name` started under `parent` now would get."""
    if parent is None:
        return f"{name}#0"
    return f"{parent.path}/{name}#{parent._child_counts.get(name, 0)}"


def render_context_under(parent: CallNode | None, *, start_seq: int) -> str:
    """The context of a call started under `parent` with sequence number `start_seq`."""
    if parent is None:
        return ""
    lines = ["# Where this call sits (outermost caller first)"]
    for ancestor in [*parent.ancestors(), parent]:
        args = ", ".join(f"{k}={v}" for k, v in ancestor.arguments.items())
        lines.append(f"\n## {ancestor.name}({args})")
        returned = ancestor.returned_children(before_seq=start_seq)
        if returned and ancestor.visible_children > 0:  # 0: siblings stay out of sight entirely
            shown = returned[-ancestor.visible_children :]
            if len(returned) > len(shown):
                lines.append(f"({len(returned) - len(shown)} earlier calls returned; not shown)")
            lines.append("Already returned:")
            for child in shown:
                lines.append(f"- {child.name}: {child.summary}")
    return "\n".join(lines)


def charge(*, node: CallNode | None = None, actions: int = 0, model_calls: int = 0,
           tokens: int = 0, cost_usd: float = 0.0) -> None:  # fmt: skip
    """Add usage to every budget above `node` (default: current)."""
    node = node if node is not None else current_node()
    if node is None:
        return
    for budget in node.budgets():
        with budget._lock:
            budget.actions += actions
            budget.model_calls += model_calls
            budget.tokens += tokens
            budget.cost_usd += cost_usd


def require(kind: BudgetKind, *, node: CallNode | None = None) -> None:
    """Raise BudgetExceeded if any budget above `node` has no room left for `kind`."""
    node = node if node is not None else current_node()
    if node is None:
        return
    for budget in node.budgets():
        if not budget.room(kind):
            raise BudgetExceeded(budget.limit_text(kind), kind=kind)


def reserve_action(*, node: CallNode | None = None) -> None:
    """Count one executed action against every budget above, or raise if one is used up.

    The check and the increment happen under each budget's lock, so parallel skills cannot
    both take the last action.
    """
    node = node if node is not None else current_node()
    if node is None:
        return
    budgets = list(node.budgets())
    for budget in budgets:
        budget._lock.acquire()
    try:
        for budget in budgets:
            for kind in ("actions", "time"):
                if not budget.room(kind):
                    raise BudgetExceeded(budget.limit_text(kind), kind=kind)
        for budget in budgets:
            budget.actions += 1
    finally:
        for budget in reversed(budgets):
            budget._lock.release()


T = TypeVar("T")


@dataclass(frozen=True)
class _FanOutSlot:
    parent: CallNode | None
    start_seq: int
    index: int
    label: str


_fan_out_slot: contextvars.ContextVar[_FanOutSlot | None] = contextvars.ContextVar(
    "gui_agent_fan_out_slot", default=None
)


def _take_fan_out_slot(parent: CallNode | None) -> tuple[int, int, str] | None:
    """The first node a fan-out branch starts under the fan-out's parent takes the branch slot."""
    slot = _fan_out_slot.get()
    if slot is None or slot.parent is not parent:
        return None
    _fan_out_slot.set(None)
    return slot.start_seq, slot.index, slot.label


def fan_out(calls: Sequence[Callable[[], T]], *, max_workers: int | None = None) -> list[T]:
    """Run sibling calls concurrently in threads, each in its own copy of the context.

    Every sibling shares one start sequence number, so none sees another's result; the
    parent sees them all once they have returned. Paths are fixed before any thread starts
    (`name#<k>.<i>` for branch i of the parent's k-th fan-out), so traces and replays do not
    depend on scheduling. Results come back in the order given; the first exception is
    re-raised after every call has finished.
    """
    parent = current_node()
    shared_seq = next_seq()
    with _seq_lock:
        group = 0 if parent is None else parent._child_counts.get("<fan_out>", 0)
        if parent is not None:
            parent._child_counts["<fan_out>"] = group + 1
    contexts = []
    for index in range(len(calls)):
        context = contextvars.copy_context()
        slot = _FanOutSlot(parent, shared_seq, index, f"f{group}.{index}")
        context.run(_fan_out_slot.set, slot)
        contexts.append(context)
    with ThreadPoolExecutor(max_workers=max_workers or max(1, len(calls))) as pool:
        futures = [pool.submit(c.run, call) for c, call in zip(contexts, calls, strict=True)]
        errors = [f.exception() for f in futures]
    for error in errors:
        if error is not None:
            raise error
    return [f.result() for f in futures]
