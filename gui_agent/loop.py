"""The step loop: capture -> perceive -> validate -> execute -> settle -> record, at most 15 times.

The program owns every decision here: when to stop, what counts as a step (one executed
Action, wherever it came from), what happens to a rejected action (nothing reaches the
computer; the reason goes back to the next perception), and when an episode is stuck (the same
action with no visible change three times is reported; a fourth ends the episode as failed).
Every episode ends with exactly one EpisodeStatus.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from typing import TypedDict, Unpack

from PIL import Image

from gui_agent import context as ctx
from gui_agent.actions import Action, Done, Fail, describe, validate
from gui_agent.agentic import use_model
from gui_agent.computers.base import Computer
from gui_agent.episode import MAX_STEPS, EpisodeResult, EpisodeStatus, StepRecord
from gui_agent.errors import (
    ActionRejected,
    BudgetExceeded,
    ConfigError,
    EnvError,
    GuiAgentError,
    ModelError,
    ModelFault,
    ModelRefusal,
    PolicyBlocked,
    error_kind,
)  # fmt: skip
from gui_agent.geometry import action_to_screen
from gui_agent.grounding.snap import snap_action
from gui_agent.models.base import Model, Usage
from gui_agent.perception import perceive
from gui_agent.policy import GuardEvent, Policy, use_policy
from gui_agent.screen import encode_for_model, frames_differ, settle
from gui_agent.secret_masks import SecretFields
from gui_agent.target_facts import read_target_facts
from gui_agent.trace import TraceWriter, current_trace

log = logging.getLogger(__name__)
debug_log = logging.getLogger("gui_agent.debug")
"""Tracebacks of errors that became a status (the CLI shows them with --debug)."""
MAX_CONSECUTIVE_REJECTIONS = 3
REPEATS_BEFORE_WARNING = 3
STEP_LINES_SHOWN = 24
"""Earlier steps the perception call sees one line of: all executed ones (at most 15) and
the most recent rejected ones."""
StepCallback = Callable[[StepRecord], None]


class RepeatGuard:
    """Counts the same executed action with no visible change, run after run."""

    def __init__(self) -> None:
        self.last: Action | None = None
        self.count = 0

    def observe(self, action: Action, *, changed: bool) -> int:
        same = action == self.last and not changed
        self.count = self.count + 1 if same else (0 if changed else 1)
        self.last = action
        return self.count


@dataclass
class Episode:
    """One running episode: what skills and the loop share while it runs.

    Everything that executes something in the environment (the loop, a skill's `act` or
    `run_command`) appends its StepRecord to `result.steps` and reserves one action of the
    budget on the episode's root frame; see `record_step`.
    """

    goal: str
    computer: Computer
    result: EpisodeResult
    policy: Policy = field(default_factory=Policy)
    dry_run: bool = False
    model_size: tuple[int, int] = (1280, 800)
    on_step: StepCallback | None = None
    settle_timeout: float = 3.0
    snap: bool = True
    """Move a click that misses the element its `target` names onto it (grounding/snap.py)."""


EpisodeBody = Callable[[Episode], EpisodeStatus]
"""What runs inside an episode's root frame: the bare loop, or a router that may call it."""

_current_episode: contextvars.ContextVar[Episode | None] = contextvars.ContextVar(
    "gui_agent_episode", default=None
)


def current_episode() -> Episode | None:
    return _current_episode.get()


class EpisodeOptions(TypedDict, total=False):
    """The keyword options every episode runner takes (`run_task`, `run_episode`, skills' `solve`).

    Defaults are `run_episode`'s: model None (the current one), max_steps 15, policy a fresh
    Policy, model_size (1280, 800), settle_timeout 3.0, snap True, the rest off/None.
    """

    model: Model | str | None
    max_steps: int
    policy: Policy | None
    dry_run: bool
    model_size: tuple[int, int]
    on_step: StepCallback | None
    trace: TraceWriter | None
    max_tokens: int | None
    max_cost_usd: float | None
    max_seconds: float | None
    settle_timeout: float
    snap: bool


def run_task(goal: str, computer: Computer, **options: Unpack[EpisodeOptions]) -> EpisodeResult:
    """Drive `computer` toward `goal`; returns the episode with its one terminal status.

    `max_steps` (at most 15) caps executed actions, including those of skills running below;
    `max_tokens` and `max_cost_usd` cap model usage, `max_seconds` the episode's wall-clock
    time, checked before each model call and action (status budget_exceeded when hit).
    After each action the screen is polled until it is still, for at most `settle_timeout` s.
    With `snap`, a click that carries a `target` and misses the element the target names is
    moved to that element's centre (grounding/snap.py); the step record says from, to and tier.
    """
    return run_episode(goal, computer, continue_loop, name="run_task", agent="loop", **options)


def run_episode(
    goal: str,
    computer: Computer,
    body: EpisodeBody,
    *,
    name: str,
    agent: str = "loop",
    model: Model | str | None = None,
    max_steps: int = MAX_STEPS,
    policy: Policy | None = None,
    dry_run: bool = False,
    model_size: tuple[int, int] = (1280, 800),
    on_step: StepCallback | None = None,
    trace: TraceWriter | None = None,
    max_tokens: int | None = None,
    max_cost_usd: float | None = None,
    max_seconds: float | None = None,
    settle_timeout: float = 3.0,
    snap: bool = True,
) -> EpisodeResult:
    """Run `body` in a root frame `name` holding the episode's one budget; map errors to statuses.

    `agent` names what ran (recorded in the result): "loop", or "skills" for the router.
    """
    if not 1 <= max_steps <= MAX_STEPS:
        raise ConfigError(f"max_steps must be between 1 and {MAX_STEPS}, got {max_steps}")
    policy = policy or Policy()
    if trace is not None and policy.on_event is None:
        policy.on_event = lambda event: trace.write({"event": "guard", **asdict(event)})
    model_spec = model if isinstance(model, str) else getattr(model, "spec", None)
    result = EpisodeResult(goal=goal, status=EpisodeStatus.FAILED, model=str(model_spec or ""),
                           agent=agent)  # fmt: skip
    episode = Episode(goal, computer, result, policy=policy, dry_run=dry_run,
                      model_size=model_size, on_step=on_step, settle_timeout=settle_timeout,
                      snap=snap)  # fmt: skip
    attach = trace.attach() if trace is not None else nullcontext()
    chosen = use_model(model) if model is not None else nullcontext()
    budget = ctx.Budget(max_actions=max_steps, max_tokens=max_tokens, max_cost_usd=max_cost_usd,
                        max_seconds=max_seconds)  # fmt: skip
    root: ctx.CallNode | None = None
    token = _current_episode.set(episode)
    try:
        with attach, chosen, use_policy(policy), ctx.frame(name, arguments={"goal": goal},
                budget=budget, visible_children=STEP_LINES_SHOWN) as root:
            result.status = body(episode)
            root.output = result.summary_line()
    except (GuiAgentError, KeyboardInterrupt) as exc:
        result.status, result.reason = status_for(exc)
        result.error_kind = error_kind(exc)
        log.info("episode ended: %s (%s)", result.status, result.reason)
        if not isinstance(exc, KeyboardInterrupt):
            debug_log.debug("%s ended %s by:", name, result.status.value, exc_info=exc)
    finally:
        _current_episode.reset(token)
        result.ended_at = time.time()
        result.guards = policy.summary()
        if root is not None:
            result.usage = total_usage(root)
            result.model_calls = budget.model_calls
            result.model = result.model or next(_models(root), "")
    return result


def continue_loop(episode: Episode, *, note: str | None = None) -> EpisodeStatus:
    """The step loop, inside the episode's frame and budget; `note` reaches the first perception.

    Steps already in the episode (a skill's) keep their places: numbering continues after them.
    """
    goal, computer, result = episode.goal, episode.computer, episode.result
    policy, dry_run, settle_timeout = episode.policy, episode.dry_run, episode.settle_timeout
    width, height = computer.size
    screen = computer.screenshot()
    rejections, guard = 0, RepeatGuard()
    secrets = SecretFields(policy.vault)  # fields holding a typed secret: masked in screenshots
    while True:
        with ctx.frame("step", arguments={"n": len(result.steps) + 1}) as step:
            started = time.monotonic()
            encoded = encode_for_model(secrets.mask(computer, screen), max_size=episode.model_size)
            trace = current_trace()
            perceived = perceive(goal, encoded, note)
            action = perceived.action
            record = StepRecord(
                index=len(result.steps) + 1, action=action.model_dump(), executed=False,
                description=describe(action), observation=perceived.observation,
                screenshot=trace.store_image(encoded.png) if trace else None,
            )  # fmt: skip
            result.steps.append(record)
            step.output = record.description
            note = None
            try:
                if isinstance(action, Done):
                    result.answer = action.answer
                    return EpisodeStatus.DONE
                if isinstance(action, Fail):
                    result.reason = action.reason
                    return EpisodeStatus.FAILED
                if not all(budget.room("actions") for budget in step.budgets()):
                    result.reason = "the step cap was reached before the goal was done"
                    return EpisodeStatus.MAX_STEPS
                try:
                    action = validate(action_to_screen(action, encoded.scaling), width=width,
                                      height=height, allow_shell=computer.allows_shell)  # fmt: skip
                    if episode.snap:
                        action = _snapped(action, computer, screen, record)
                    policy.check(action, facts=read_target_facts(computer, action, tree=policy.can_refuse))
                    if perceived.safety_checks:
                        policy.acknowledge(action, perceived.safety_checks)
                except ActionRejected as exc:
                    record.rejected = exc.message
                    step.output = f"{record.description} -> rejected: {exc.message}"
                    note = f"Your previous action was rejected and not executed: {exc.message}"
                    rejections += 1
                    if rejections >= MAX_CONSECUTIVE_REJECTIONS:
                        result.reason = f"{rejections} rejected actions in a row: {exc.message}"
                        return EpisodeStatus.FAILED
                    continue
                rejections = 0
                ctx.reserve_action()
                record.executed = True
                new_screen = screen
                if not dry_run:
                    guard_events = len(policy.events)
                    record.events = computer.execute(policy.vault.reveal(action)).events
                    secrets.mark(computer, action)
                    settled = settle(computer.screenshot, before=screen, timeout=settle_timeout)
                    record.settle_s = round(settled.waited_s, 3)
                    new_screen = settled.image or computer.screenshot()
                    note = blocked_note(policy.events[guard_events:])
                record.screen_changed = frames_differ(screen, new_screen)
                screen = new_screen
                if not record.screen_changed:
                    step.output = f"{record.description} -> no visible change"
                repeats = guard.observe(action, changed=record.screen_changed)
                if repeats > REPEATS_BEFORE_WARNING:
                    result.reason = f"stuck: {record.description} changed nothing {repeats} times"
                    return EpisodeStatus.FAILED
                if repeats == REPEATS_BEFORE_WARNING and note is None:
                    note = (f"The same action ({record.description}) ran {repeats} times in a "
                            "row with no visible change. Do something different.")  # fmt: skip
            finally:
                record.duration_s = round(time.monotonic() - started, 3)
                record.tokens = perceived_tokens(step)
                record_step(step, record)


def _snapped(action: Action, computer: Computer, screen: Image.Image,
             record: StepRecord) -> Action:  # fmt: skip
    moved, snap = snap_action(action, computer, screen)
    if snap is None:
        return action
    record.snap = snap.as_dict()
    record.description = f"{describe(moved)} (snapped from {snap.from_point} by {snap.tier})"
    width, height = computer.size
    return validate(moved, width=width, height=height, allow_shell=computer.allows_shell)


def blocked_note(events: list[GuardEvent]) -> str | None:
    """Tell the model what a guard blocked while its last action ran (a page's navigation)."""
    blocked = [f"{event.attempted} ({event.reason})" for event in events if event.blocked]
    if not blocked:
        return None
    return "The program blocked while your last action ran: " + "; ".join(blocked[:3])


def record_step(step: ctx.CallNode, record: StepRecord) -> None:
    """Write a step's record to the trace and tell the episode's `on_step` (if any).

    The record must already be in the episode's `result.steps` (the loop adds it before it
    executes, so a step that raises is still listed).
    """
    trace = current_trace()
    if trace is not None:
        trace.write({"event": "step", "path": step.path, **asdict(record)})
    episode = current_episode()
    if episode is not None and episode.on_step is not None:
        episode.on_step(record)


def perceived_tokens(step: ctx.CallNode) -> int:
    return sum(child.usage.total_tokens for child in step.children)


def status_for(exc: BaseException) -> tuple[EpisodeStatus, str]:
    """The terminal status an exception ends an episode with, and the reason to show."""
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    match exc:
        case BudgetExceeded(kind="actions"):
            return EpisodeStatus.MAX_STEPS, message
        case BudgetExceeded():
            return EpisodeStatus.BUDGET_EXCEEDED, message
        case ModelRefusal():
            return EpisodeStatus.REFUSED, message
        case ModelFault() | ModelError():
            return EpisodeStatus.MODEL_ERROR, message
        case EnvError():
            return EpisodeStatus.ENV_ERROR, message
        case PolicyBlocked():
            return EpisodeStatus.BLOCKED, message
        case KeyboardInterrupt():
            return EpisodeStatus.INTERRUPTED, "interrupted by the user"
        case _:
            raise exc


def total_usage(node: ctx.CallNode) -> Usage:
    usage = Usage()
    stack = [node]
    while stack:
        current = stack.pop()
        if current.kind == "agentic":
            usage.add(current.usage)
        stack.extend(current.children)
    return usage


def _models(node: ctx.CallNode) -> Iterator[str]:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.model:
            yield current.model
        stack.extend(current.children)

