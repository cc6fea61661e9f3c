"""Run MiniWoB++ tasks through the agent loop and score them with the tasks' own rewards.

    report = run_miniwob(["click-button", "enter-text"], model="anthropic:claude-sonnet-4-6")
    report.mean_reward, report.tasks()        # per-task reward, steps, tokens, cost, time

Each episode: open the task page in the sandbox's Chromium, start it (see miniwob_env.py: the
start click is the environment's reset), then `run_task(instruction, desktop, model=...)` with
the real perception call, at most `max_steps` executed actions. The reward is the page's own
raw reward (`WOB_RAW_REWARD_GLOBAL`, -1..1); an episode the page never ended scores 0.

The program, not the model, notices that the page has ended the episode: from then on the
perception call is answered `done` without asking the model (the reply is recorded under the
model name `miniwob:episode-over` with no usage). Otherwise a model looking at the task's START
cover could start, and be scored on, a new problem.

While `run_miniwob` runs, `current_env()` returns its MiniWobEnv: that is how a scripted
`python:` model (an oracle reading the page, a replay of DOM-based demonstrations) reaches the
page it answers for, since a model call is given only the goal and the screenshot.
"""

from __future__ import annotations

import contextvars
import json
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from gui_agent.actions import Done
from gui_agent.bench.miniwob_env import DEFAULT_EPISODE_TIME_S, MiniWobEnv, available_tasks
from gui_agent.episode import MAX_STEPS, EpisodeResult, EpisodeStatus
from gui_agent.errors import ConfigError, EnvError
from gui_agent.loop import run_task
from gui_agent.models.base import Model, ModelReply, ModelRequest, Usage
from gui_agent.models.registry import resolve_model
from gui_agent.perception import Perceived
from gui_agent.trace import TraceWriter

log = logging.getLogger(__name__)

EPISODE_OVER_MODEL = "miniwob:episode-over"
ENV_ERROR = EpisodeStatus.ENV_ERROR.value
REPORT_FILE = "miniwob.json"
EpisodeCallback = Callable[["MiniWobEpisode"], None]
_current_env: contextvars.ContextVar[MiniWobEnv | None] = contextvars.ContextVar(
    "gui_agent_miniwob_env", default=None
)


def current_env() -> MiniWobEnv:
    """The MiniWobEnv of the `run_miniwob` call running in this context."""
    env = _current_env.get()
    if env is None:
        raise EnvError("no MiniWoB++ bench is running in this context")
    return env


class MiniWobEpisode(BaseModel):
    """One episode of one task: the page's reward and what the agent spent on it."""

    task: str
    episode: int = Field(description="1-based index within the task")
    utterance: str
    reward: float = Field(description="raw reward from the page (-1..1); 0 if it never ended")
    env_reward: float = Field(description="the page's reward scaled by elapsed time")
    page_done: bool = Field(description="whether the task page itself ended the episode")
    status: str = Field(description="the agent episode's status, or env_error")
    steps: int
    tokens: int
    cost_usd: float
    duration_s: float
    reason: str = ""

    @property
    def success(self) -> bool:
        return self.reward > 0

    @property
    def env_error(self) -> bool:
        """The environment failed: not a score of the agent (counted apart)."""
        return self.status == ENV_ERROR


class MiniWobTaskSummary(BaseModel):
    task: str
    episodes: int
    env_errors: int = Field(default=0, description="episodes the environment failed (unscored)")
    mean_reward: float
    success_rate: float
    mean_steps: float
    tokens: int
    cost_usd: float
    duration_s: float


class MiniWobReport(BaseModel):
    """Every episode of a bench run, with per-task and overall summaries."""

    model: str
    max_steps: int
    episodes: list[MiniWobEpisode] = Field(default_factory=list)
    started_at: float = Field(default_factory=time.time)
    duration_s: float = 0.0

    @property
    def scored(self) -> list[MiniWobEpisode]:
        """The episodes the environment did not fail: rewards and rates are over these."""
        return [e for e in self.episodes if not e.env_error]

    @property
    def env_errors(self) -> int:
        return sum(1 for e in self.episodes if e.env_error)

    @property
    def mean_reward(self) -> float:
        return _mean([e.reward for e in self.scored])

    @property
    def success_rate(self) -> float:
        return _mean([1.0 if e.success else 0.0 for e in self.scored])

    def tasks(self) -> list[MiniWobTaskSummary]:
        """One summary per task, in the order the tasks ran."""
        order = list(dict.fromkeys(e.task for e in self.episodes))
        summaries = []
        for task in order:
            runs = [e for e in self.episodes if e.task == task]
            scored = [e for e in runs if not e.env_error]
            summaries.append(
                MiniWobTaskSummary(
                    task=task,
                    episodes=len(runs),
                    env_errors=len(runs) - len(scored),
                    mean_reward=_mean([e.reward for e in scored]),
                    success_rate=_mean([1.0 if e.success else 0.0 for e in scored]),
                    mean_steps=_mean([float(e.steps) for e in runs]),
                    tokens=sum(e.tokens for e in runs),
                    cost_usd=sum(e.cost_usd for e in runs),
                    duration_s=sum(e.duration_s for e in runs),
                )
            )
        return summaries

    def write_json(self, path: Path) -> Path:
        """Write the episodes, the per-task summaries and the totals as one JSON file."""
        data = self.model_dump(mode="json")
        data["tasks"] = [summary.model_dump(mode="json") for summary in self.tasks()]
        data["mean_reward"] = self.mean_reward
        data["success_rate"] = self.success_rate
        data["env_errors"] = self.env_errors
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False))
        tmp.replace(path)
        return path


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


class _StopWhenEpisodeOver:
    """A model that answers perception with `done` once the task page has ended the episode."""

    def __init__(self, model: Model, env: MiniWobEnv) -> None:
        self._model = model
        self._env = env

    @property
    def spec(self) -> str:
        return self._model.spec

    def complete(self, request: ModelRequest) -> ModelReply:
        if request.function == "perceive":
            outcome = self._env.outcome()
            if outcome.done:
                reply = Perceived(
                    observation=f"the task page ended the episode (reward {outcome.reward:g})",
                    action=Done(),
                )
                return ModelReply(text=reply.model_dump_json(), model=EPISODE_OVER_MODEL,
                                  usage=Usage())  # fmt: skip
        return self._model.complete(request)


def run_miniwob(
    tasks: Sequence[str],
    *,
    model: Model | str | None = None,
    episodes: int = 1,
    max_steps: int = MAX_STEPS,
    env: MiniWobEnv | None = None,
    out_dir: Path | None = None,
    seed: int | None = None,
    settle_timeout: float = 3.0,
    episode_time_s: float | None = DEFAULT_EPISODE_TIME_S,
    on_episode: EpisodeCallback | None = None,
) -> MiniWobReport:
    """Run `episodes` episodes of each task; return every score (and write it under `out_dir`).

    `model` is a Model or a spec (None: the default spec). `env` lets the caller share one
    started MiniWobEnv (and its desktop) between runs; otherwise one is started and closed
    here, on a sandbox without shell access. After an episode ends `env_error` the next one
    starts on a fresh environment (`MiniWobEnv.restart`); env errors are counted apart from
    the rewards. `seed` makes the problems reproducible.
    `episode_time_s` applies only to an env started here.
    """
    if not tasks:
        raise ConfigError("no MiniWoB++ tasks given")
    if episodes < 1:
        raise ConfigError(f"episodes must be at least 1, got {episodes}")
    if not 1 <= max_steps <= MAX_STEPS:
        raise ConfigError(f"max_steps must be between 1 and {MAX_STEPS}, got {max_steps}")
    chosen = resolve_model(model) if model is None or isinstance(model, str) else model
    report = MiniWobReport(model=chosen.spec, max_steps=max_steps)
    owned = env is None
    if env is None:  # nothing starts before start(): a bad task name costs nothing
        env = MiniWobEnv(episode_time_s=episode_time_s)  # its own app-window desktop, no shell
    known = set(available_tasks(env.server.html_dir))
    unknown = [task for task in tasks if task not in known]
    if unknown:
        raise ConfigError(f"unknown MiniWoB++ task(s): {', '.join(unknown)}")
    started = time.monotonic()
    token = _current_env.set(env)
    try:
        env.start()  # idempotent for a started env
        guarded = _StopWhenEpisodeOver(chosen, env)
        broken = False
        for task, index in [(task, index) for task in tasks for index in range(1, episodes + 1)]:
            episode_seed = None if seed is None else f"{seed}-{task}-{index}"
            run_dir = out_dir / task / f"{index:02d}" if out_dir is not None else None
            # The last episode broke the environment: start a fresh one first.
            failed_restart = _restart(env, task, index) if broken else None
            scored = failed_restart or _run_episode(
                env, task, index, model=guarded, max_steps=max_steps, seed=episode_seed,
                run_dir=run_dir, settle_timeout=settle_timeout)  # fmt: skip
            broken = scored.env_error
            if broken:
                log.warning("%s #%d: env_error (%s); the next episode starts a fresh "
                            "environment", task, index, scored.reason)  # fmt: skip
            report.episodes.append(scored)
            log.info("%s #%d: reward %g in %d steps", task, index, scored.reward, scored.steps)
            if on_episode is not None:
                on_episode(scored)
            if scored.status == EpisodeStatus.INTERRUPTED:
                break  # Ctrl+C ends the run, not just the episode
    finally:
        _current_env.reset(token)
        report.duration_s = round(time.monotonic() - started, 3)
        if owned:
            env.close()
        if out_dir is not None:
            report.write_json(out_dir / REPORT_FILE)
    return report


def _restart(env: MiniWobEnv, task: str, index: int) -> MiniWobEpisode | None:
    """Restart `env`; None when it worked, else this episode as an env_error naming why."""
    started = time.monotonic()
    try:
        env.restart()
    except EnvError as exc:
        return _env_error(task, index, f"restarting the environment failed: {exc.message}",
                          started)  # fmt: skip
    return None


def _env_error(task: str, index: int, reason: str, started: float) -> MiniWobEpisode:
    return MiniWobEpisode(task=task, episode=index, utterance="", reward=0.0, env_reward=0.0,
                          page_done=False, status=ENV_ERROR, steps=0, tokens=0, cost_usd=0.0,
                          duration_s=round(time.monotonic() - started, 3),
                          reason=reason)  # fmt: skip


def _run_episode(env: MiniWobEnv, task: str, index: int, *, model: Model, max_steps: int,
                 seed: str | None, run_dir: Path | None,
                 settle_timeout: float) -> MiniWobEpisode:  # fmt: skip
    started = time.monotonic()
    try:
        env.open(task)  # a fresh page per episode: no state leaks from the last one
        utterance = env.begin_episode(seed=seed)
    except EnvError as exc:
        return _env_error(task, index, exc.message, started)
    trace = TraceWriter(run_dir) if run_dir is not None else None
    try:
        result = run_task(utterance, env.desktop, model=model, max_steps=max_steps, trace=trace,
                          settle_timeout=settle_timeout)  # fmt: skip
    finally:
        if trace is not None:
            trace.close()
    if run_dir is not None:
        result.write(run_dir)
    return _score(env, task, index, utterance, result, started)


def _score(env: MiniWobEnv, task: str, index: int, utterance: str, result: EpisodeResult,
           started: float) -> MiniWobEpisode:  # fmt: skip
    reason, status = result.reason, result.status.value
    try:
        outcome = env.outcome()
        if not outcome.done:
            env.stop_episode()  # stop the page's clock; it scores the episode 0 itself
            reason = reason or "the agent stopped before the task page ended the episode"
        reward, env_reward, done = (outcome.reward, outcome.env_reward, outcome.done)
        if outcome.done and outcome.reason:
            reason = reason or outcome.reason
    except EnvError as exc:  # the page is gone: the environment failed, not the agent
        reward, env_reward, done, status = 0.0, 0.0, False, ENV_ERROR
        reason = f"{reason}; reading the reward failed: {exc.message}".lstrip("; ")
    return MiniWobEpisode(
        task=task,
        episode=index,
        utterance=utterance,
        reward=reward if done else 0.0,
        env_reward=env_reward if done else 0.0,
        page_done=done,
        status=status,
        steps=result.steps_executed,
        tokens=result.usage.total_tokens,
        cost_usd=result.usage.cost_usd,
        duration_s=round(time.monotonic() - started, 3),
        reason=reason,
    )
