"""Score one finished OSWorld task: run its getters and metrics, combine them as OSWorld does.

Rules (OSWorld's `DesktopEnv.evaluate`):
- func "infeasible" scores 1 only if the agent's last action was FAIL; any other task scores
  0 when the last action was FAIL.
- A list of funcs is combined with `conj`: "and" stops at the first 0 and otherwise averages,
  "or" stops at the first 1 and otherwise takes the maximum.
- A result getter raising FileNotFoundError (a file the agent never made) scores that metric 0
  ("and": the task 0); `vm_file` itself hands the metric None for a missing file.

Honest statuses: a func, getter, option or postconfig step we do not implement gives
`unsupported_evaluator` naming it, never a silent 0; an expected fixture missing from the cache
or a failing getter/metric gives `evaluator_error` with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from osworld_eval.getters import GETTERS, EvalEnv, EvaluatorInputMissing, GetterContext
from osworld_eval.metrics import METRICS, unsupported_options
from osworld_eval.tasks import (
    CREDENTIAL_GETTER_TYPES,
    CREDENTIAL_SETUP_TYPES,
    SUPPORTED_SETUP_TYPES,
    GetterSpec,
    MetricCall,
    SetupStep,
    Task,
)

logger = logging.getLogger(__name__)

EvalStatus = Literal["scored", "unsupported_evaluator", "evaluator_error"]
PostconfigRunner = Callable[[list[SetupStep]], None]


class EvalOutcome(BaseModel):
    """How scoring a task ended: a score, an evaluator we lack, or an evaluator failure."""

    model_config = ConfigDict(frozen=True)

    status: EvalStatus
    score: float | None = None
    unsupported: tuple[str, ...] = ()
    message: str = ""

    @classmethod
    def scored(cls, score: float) -> EvalOutcome:
        return cls(status="scored", score=float(score))

    @classmethod
    def unsupported_evaluator(cls, names: str | Sequence[str]) -> EvalOutcome:
        names = (names,) if isinstance(names, str) else tuple(names)
        return cls(
            status="unsupported_evaluator",
            unsupported=names,
            message="unsupported: " + ", ".join(names),
        )

    @classmethod
    def evaluator_error(cls, message: str) -> EvalOutcome:
        return cls(status="evaluator_error", message=message)


def evaluator_coverage(task: Task) -> list[str]:
    """What scoring `task` needs that we lack: "func:", "option:", "getter:", "setup:" entries."""
    missing: list[str] = []
    evaluator = task.evaluator
    if evaluator.func == "infeasible":
        return missing
    for call in evaluator.calls():
        if call.func not in METRICS:
            missing.append(f"func:{call.func}")
        else:
            missing.extend(f"option:{o}" for o in unsupported_options(call.func, call.options))
    for spec in evaluator.getter_specs():
        if spec.type not in GETTERS:
            missing.append(f"getter:{spec.type}")
    missing.extend(
        f"setup:{step.type}"
        for step in evaluator.postconfig
        if step.type not in SUPPORTED_SETUP_TYPES
    )
    return list(dict.fromkeys(missing))


def needs_google_credentials(task: Task) -> bool:
    """Whether running or scoring `task` needs the user's Google credentials (Drive, login)."""
    steps = [*task.config, *task.evaluator.postconfig]
    return any(s.type in CREDENTIAL_SETUP_TYPES for s in steps) or any(
        spec.type in CREDENTIAL_GETTER_TYPES for spec in task.evaluator.getter_specs()
    )


def coverage(task: Task) -> list[str]:
    """Everything running and scoring `task` needs that we lack (setup steps included)."""
    missing = [f"setup:{s.type}" for s in task.config if s.type not in SUPPORTED_SETUP_TYPES]
    return list(dict.fromkeys(missing + evaluator_coverage(task)))


class _Stop(Exception):
    """Ends evaluation early with an outcome."""

    def __init__(self, outcome: EvalOutcome) -> None:
        super().__init__(outcome.message)
        self.outcome = outcome


def _fetch(ctx: GetterContext, spec: GetterSpec, side: str) -> Any:
    getter = GETTERS[spec.type]
    try:
        return getter(ctx, spec.config())
    except EvaluatorInputMissing as exc:
        raise _Stop(EvalOutcome.evaluator_error(exc.message)) from exc
    except FileNotFoundError:
        if side == "result":
            raise
        raise _Stop(
            EvalOutcome.evaluator_error(f"{side} getter {spec.type}: file missing")
        ) from None
    except Exception as exc:
        logger.exception("getter %s failed", spec.type)
        raise _Stop(
            EvalOutcome.evaluator_error(f"{side} getter {spec.type} failed: {exc!r}")
        ) from exc


def _score_one(ctx: GetterContext, call: MetricCall) -> float | None:
    """The metric's score, or None when the result getter found no file (OSWorld's case)."""
    try:
        result = _fetch(ctx, call.result, "result") if call.result is not None else None
    except FileNotFoundError as exc:
        logger.info("%s: result file missing (%s)", call.func, exc)
        return None
    metric = METRICS[call.func]
    try:
        if call.expected is not None:
            expected = _fetch(ctx, call.expected, "expected")
            value = metric(result, expected, **call.options)
        else:
            value = metric(result, **call.options)
    except _Stop:
        raise
    except Exception as exc:
        logger.exception("metric %s failed", call.func)
        raise _Stop(EvalOutcome.evaluator_error(f"metric {call.func} failed: {exc!r}")) from exc
    logger.info("%s -> %s", call.func, value)
    return float(value)


def _combine(ctx: GetterContext, task: Task) -> EvalOutcome:
    evaluator = task.evaluator
    calls = evaluator.calls()
    if not isinstance(evaluator.func, list):
        value = _score_one(ctx, calls[0])
        return EvalOutcome.scored(0.0 if value is None else value)
    scores: list[float] = []
    for call in calls:
        value = _score_one(ctx, call)
        if evaluator.conj == "and" and not value:
            return EvalOutcome.scored(0.0)
        if evaluator.conj == "or" and value == 1.0:
            return EvalOutcome.scored(1.0)
        scores.append(0.0 if value is None else value)
    if evaluator.conj == "and":
        return EvalOutcome.scored(sum(scores) / len(scores))
    return EvalOutcome.scored(max(scores))


def evaluate(
    task: Task,
    env: EvalEnv,
    *,
    last_action_failed: bool,
    run_postconfig: PostconfigRunner | None = None,
) -> EvalOutcome:
    """Score `task` on `env` after the agent stopped.

    `run_postconfig` runs the evaluator's postconfig steps (save the file, export a CSV, ...)
    before any getter; pass None only if the caller already ran them.
    """
    missing = evaluator_coverage(task)
    if missing:
        logger.info("task %s: unsupported %s", task.id, missing)
        return EvalOutcome.unsupported_evaluator(missing)
    postconfig = task.evaluator.postconfig
    if postconfig and run_postconfig is not None:
        try:
            run_postconfig(postconfig)
        except Exception as exc:
            logger.exception("postconfig of task %s failed", task.id)
            return EvalOutcome.evaluator_error(f"postconfig failed: {exc!r}")
    elif postconfig:
        logger.warning("task %s has postconfig steps and no runner was given", task.id)
    if task.evaluator.func == "infeasible":
        return EvalOutcome.scored(1.0 if last_action_failed else 0.0)
    if last_action_failed:
        return EvalOutcome.scored(0.0)
    try:
        return _combine(GetterContext(env=env, task_id=task.id), task)
    except _Stop as stop:
        return stop.outcome
