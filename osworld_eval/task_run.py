"""Run one OSWorld task on one environment: setup, episode, postconfig + evaluation, results.

The result folder of a task (OSWorld's layout; the runner chooses where it is):

    trace.jsonl, images/     our trace of the episode (a replay cassette)
    step_<n>.png, traj.jsonl OSWorld's per-step files (see trajectory.py)
    outcome.json             a TaskOutcome: status, score, steps, tokens, cost, time, message
    report.html              the trajectory report (gui_agent.report), when an episode ran
    result.txt               the score as text, written LAST and atomically

result.txt exists only for status `scored`, so OSWorld's resume rule ("rerun every folder
without result.txt") retries setup, environment, model and evaluator failures and interrupted
tasks; how often a task is retried is the runner's business (outcome.json says why it failed).

Statuses are kept apart, never folded into a score: a failed setup step is `setup_error`, the
environment failing is `env_error`, the model failing or refusing is `model_error`, an
evaluator we lack or that broke passes through from `evaluate`. An episode that ends `done`,
`failed`, `max_steps`, `budget_exceeded` or `blocked` was the agent's own attempt and is scored
(OSWorld's infeasible/FAIL rule applied through `last_action_failed`). Ctrl-C writes
outcome.json with `interrupted`, then re-raises.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import assert_never

from pydantic import BaseModel

from gui_agent.agents import resolve_agent
from gui_agent.computers.base import Computer
from gui_agent.computers.vm import VMComputer
from gui_agent.episode import MAX_STEPS, EpisodeResult, EpisodeStatus
from gui_agent.errors import EnvError, ErrorKind, SetupError
from gui_agent.models.base import Model
from gui_agent.report import write_report_safely
from gui_agent.trace import TraceWriter
from osworld_eval.evaluate import EvalOutcome, evaluate
from osworld_eval.getters import EvalEnv
from osworld_eval.server_api import ServerAPI
from osworld_eval.setup import run_setup
from osworld_eval.tasks import SetupStep, Task
from osworld_eval.trajectory import TrajectoryWriter

log = logging.getLogger(__name__)

OUTCOME_FILE = "outcome.json"
RESULT_FILE = "result.txt"


class TaskStatus(StrEnum):
    SCORED = "scored"
    SETUP_ERROR = "setup_error"
    ENV_ERROR = "env_error"
    MODEL_ERROR = "model_error"
    UNSUPPORTED_EVALUATOR = "unsupported_evaluator"
    EVALUATOR_ERROR = "evaluator_error"
    INTERRUPTED = "interrupted"


class TaskOutcome(BaseModel):
    """How one task ended; written as outcome.json in the task's result folder."""

    task_id: str
    domain: str
    status: TaskStatus
    score: float | None = None
    episode_status: str | None = None
    steps: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    duration_s: float = 0.0
    message: str = ""
    agent: str = ""
    """What attempted the task: "skills" (the router) or "loop" (the bare step loop)."""
    error_kind: ErrorKind | None = None
    """The kind of error the task ended on (gui_agent.errors.ErrorKind), None if none: the
    runner stops starting tasks after one that ended on `model_auth` (credentials, spend limit)."""


@dataclass
class TaskEnvironment:
    """One desktop to run tasks on, as the runner's workers hold it.

    `api` makes the setup calls (built from base_url and token unless given); `port_map` renames
    ports in setup commands (see osworld_eval.setup; a sandbox shares this machine's ports).
    `closers` run in
    reverse order by `close()` after the clients are closed: they stop whatever the factory
    started (server, desktop). `close()` is safe to call twice.
    """

    computer: VMComputer
    eval_env: EvalEnv
    base_url: str
    token: str | None = None
    api: ServerAPI | None = None
    port_map: dict[int, int] = field(default_factory=dict)
    closers: list[Callable[[], None]] = field(default_factory=list)
    home_on_host: Path | None = None
    """Where the desktop user's home is on this machine (a sandbox's); None for a VM."""

    def __post_init__(self) -> None:
        if self.api is None:
            self.api = ServerAPI(self.base_url, token=self.token)

    @property
    def server(self) -> ServerAPI:
        assert self.api is not None
        return self.api

    def close(self) -> None:
        self.computer.close()
        self.server.close()
        closers, self.closers = self.closers, []
        for closer in reversed(closers):
            try:
                closer()
            except Exception:
                log.exception("closing the environment at %s", self.base_url)


Agent = Callable[[Task, Computer], EpisodeResult]
"""How a task is attempted. The default runs the step loop on the task's instruction; swap in a
skills router here (one line) when it exists."""


def step_loop_agent(
    *, model: Model | str, max_steps: int = MAX_STEPS, settle_timeout: float = 3.0
) -> Agent:
    """The bare step loop: `run_task(task.instruction, computer, ...)`."""
    run_task = resolve_agent("loop")

    def attempt(task: Task, computer: Computer) -> EpisodeResult:
        return run_task(
            task.instruction,
            computer,
            model=model,
            max_steps=max_steps,
            settle_timeout=settle_timeout,
        )

    return attempt


_AGENT_ENDINGS = frozenset(
    {
        EpisodeStatus.DONE,
        EpisodeStatus.FAILED,
        EpisodeStatus.MAX_STEPS,
        EpisodeStatus.BUDGET_EXCEEDED,
        EpisodeStatus.BLOCKED,
    }
)


def run_one_task(
    task: Task,
    environment: TaskEnvironment,
    *,
    model: Model | str,
    max_steps: int = MAX_STEPS,
    result_dir: Path,
    cache_dir: Path,
    agent: Agent | str | None = None,
) -> TaskOutcome:
    """Set `task` up on `environment`, attempt it, score it; write the result folder.

    `agent` is a registered agent's name ("skills", "loop"; None means "loop") or a callable.

    `cache_dir` is OSWorld's file cache (`<cache_dir>/<task_id>/...`) for downloads during
    setup; scoring reads fixtures through `environment.eval_env.cache_dir`.
    """
    result_dir = Path(result_dir)
    result_dir.mkdir(parents=True, exist_ok=True)
    (result_dir / RESULT_FILE).unlink(missing_ok=True)
    started = time.monotonic()
    outcome = TaskOutcome(task_id=task.id, domain=task.domain or "", status=TaskStatus.INTERRUPTED)
    try:
        _run(task, environment, outcome, model=model, max_steps=max_steps,
             result_dir=result_dir, cache_dir=Path(cache_dir), agent=agent)  # fmt: skip
    except KeyboardInterrupt:
        outcome.status, outcome.score = TaskStatus.INTERRUPTED, None
        outcome.message = outcome.message or "interrupted by the user"
        _finish(outcome, result_dir, started)
        raise
    _finish(outcome, result_dir, started)
    return outcome


def _run(
    task: Task,
    environment: TaskEnvironment,
    outcome: TaskOutcome,
    *,
    model: Model | str,
    max_steps: int,
    result_dir: Path,
    cache_dir: Path,
    agent: Agent | str | None,
) -> None:
    def setup(steps: list[SetupStep]) -> None:
        run_setup(steps, api=environment.server, env=environment.eval_env, task_id=task.id,
                  cache_dir=cache_dir, port_map=environment.port_map)  # fmt: skip

    try:
        setup(task.config)
    except SetupError as exc:
        outcome.status, outcome.message = TaskStatus.SETUP_ERROR, exc.message
        outcome.error_kind = "setup"
        return
    except EnvError as exc:
        outcome.status, outcome.message = TaskStatus.ENV_ERROR, f"during setup: {exc.message}"
        outcome.error_kind = "env"
        return

    episode = _attempt(task, environment, result_dir, model=model, max_steps=max_steps,
                       agent=agent)  # fmt: skip
    outcome.episode_status = episode.status.value
    outcome.agent = episode.agent
    outcome.steps = episode.steps_executed
    outcome.input_tokens = episode.usage.input_tokens + episode.usage.cache_read_tokens
    outcome.input_tokens += episode.usage.cache_write_tokens
    outcome.output_tokens = episode.usage.output_tokens
    outcome.cost_usd = round(episode.usage.cost_usd, 6)
    outcome.message = episode.reason or (episode.answer or "")
    outcome.error_kind = episode.error_kind
    match episode.status:
        case EpisodeStatus.INTERRUPTED:
            raise KeyboardInterrupt
        case EpisodeStatus.MODEL_ERROR | EpisodeStatus.REFUSED:
            outcome.status = TaskStatus.MODEL_ERROR
            return
        case EpisodeStatus.ENV_ERROR:
            outcome.status = TaskStatus.ENV_ERROR
            return
        case (
            EpisodeStatus.DONE
            | EpisodeStatus.FAILED
            | EpisodeStatus.MAX_STEPS
            | EpisodeStatus.BUDGET_EXCEEDED
            | EpisodeStatus.BLOCKED
        ):
            pass
        case _:
            assert_never(episode.status)

    try:
        scored = evaluate(task, environment.eval_env,
                          last_action_failed=episode.last_action_was_fail, run_postconfig=setup)  # fmt: skip
    except EnvError as exc:
        outcome.status, outcome.message = TaskStatus.ENV_ERROR, f"during scoring: {exc.message}"
        outcome.error_kind = "env"
        return
    _apply(outcome, scored)


def _attempt(
    task: Task,
    environment: TaskEnvironment,
    result_dir: Path,
    *,
    model: Model | str,
    max_steps: int,
    agent: Agent | str | None,
) -> EpisodeResult:
    trace = TraceWriter(result_dir)
    trajectory = TrajectoryWriter(result_dir, images_dir=trace.images_dir)
    try:
        if agent is None or isinstance(agent, str):
            run_agent = resolve_agent(agent or "loop")
            episode = run_agent(task.instruction, environment.computer, model=model,
                                max_steps=max_steps, trace=trace, on_step=trajectory.on_step)  # fmt: skip
        else:
            with trace.attach():
                episode = agent(task, environment.computer)
        trajectory.finish(episode)
        episode.write(result_dir)
    finally:
        trace.close()
    return episode


def _apply(outcome: TaskOutcome, scored: EvalOutcome) -> None:
    match scored.status:
        case "scored":
            outcome.status, outcome.score = TaskStatus.SCORED, scored.score
        case "unsupported_evaluator":
            outcome.status = TaskStatus.UNSUPPORTED_EVALUATOR
            outcome.message = scored.message
        case "evaluator_error":
            outcome.status = TaskStatus.EVALUATOR_ERROR
            outcome.message = scored.message
        case _:
            assert_never(scored.status)


def _finish(outcome: TaskOutcome, result_dir: Path, started: float) -> None:
    outcome.duration_s = round(time.monotonic() - started, 3)
    _write_atomically(result_dir / OUTCOME_FILE, outcome.model_dump_json(indent=2))
    if (result_dir / "trace.jsonl").is_file() or (result_dir / "result.json").is_file():
        write_report_safely(result_dir)  # before result.txt, which must come last
    if outcome.status is TaskStatus.SCORED and outcome.score is not None:
        _write_atomically(result_dir / RESULT_FILE, f"{outcome.score}\n")
    log.info("task %s: %s %s", outcome.task_id, outcome.status.value,
             "" if outcome.score is None else outcome.score)  # fmt: skip


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
