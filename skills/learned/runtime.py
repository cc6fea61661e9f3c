"""Run a learned program: each step re-grounded and checked, the model only for a step that fails.

`run_learned` is the `learned` agent (`gui-agent run --learned NAME`): one episode, one budget.
For each step, `LearnedRun` finds the step's target with the stabilized grounding tiers
(accessibility tree, DOM, OCR: no model), acts there (one step, through skills.base.act), and
checks the screen changed when the recording saw it change. A target not found, or no change
where one was expected, makes that one step a healing step: one perception call sees the goal,
the step it must do and why the program could not, and its action is executed and checked the
same way. A run whose every check passed, with healed steps, rewrites the program with them.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from gui_agent import context as ctx
from gui_agent.actions import Done, Fail, describe
from gui_agent.computers.base import Computer
from gui_agent.episode import MAX_STEPS, EpisodeResult, EpisodeStatus
from gui_agent.errors import ConfigError, GuiAgentError
from gui_agent.geometry import action_to_screen
from gui_agent.grounding import STABILIZED_TIERS, locate_with_tiers, observe
from gui_agent.loop import Episode, run_episode
from gui_agent.perception import perceive
from gui_agent.plural import counted, plural_noun
from gui_agent.screen import encode_for_model
from skills.base import act
from skills.learned.source import ProgramInfo, now, render
from skills.learned.steps import ProgramStep, at_point, step_from_action
from skills.learned.store import LoadedProgram, load_program, write_program

log = logging.getLogger(__name__)


class HealFailed(GuiAgentError):
    """The model could not do a step the program could not do either."""


class LearnedRun:
    """What a learned program's `run` calls: one method per step kind."""

    def __init__(self, episode: Episode, *, params: dict[str, str]) -> None:
        self.episode = episode
        self.computer: Computer = episode.computer
        self.params = params
        self.ran: list[ProgramStep] = []
        self.healed: list[int] = []

    # -- the program's vocabulary ------------------------------------------------------------
    def click(self, target: str | None, *, at: tuple[int, int], expect_change: bool = True) -> None:
        self._run(ProgramStep("click", target=target, at=at, expect_change=expect_change))

    def double_click(self, target: str | None, *, at: tuple[int, int],
                     expect_change: bool = True) -> None:  # fmt: skip
        self._run(ProgramStep("double_click", target=target, at=at, expect_change=expect_change))

    def triple_click(self, target: str | None, *, at: tuple[int, int],
                     expect_change: bool = True) -> None:  # fmt: skip
        self._run(ProgramStep("triple_click", target=target, at=at, expect_change=expect_change))

    def right_click(self, target: str | None, *, at: tuple[int, int],
                    expect_change: bool = True) -> None:  # fmt: skip
        self._run(ProgramStep("right_click", target=target, at=at, expect_change=expect_change))

    def move(self, target: str | None, *, at: tuple[int, int], expect_change: bool = True) -> None:
        self._run(ProgramStep("move", target=target, at=at, expect_change=expect_change))

    def drag(self, target: str | None, *, at: tuple[int, int], to: tuple[int, int],
             expect_change: bool = True) -> None:  # fmt: skip
        self._run(ProgramStep("drag", target=target, at=at, to=to, expect_change=expect_change))

    def scroll(self, target: str | None, *, at: tuple[int, int], direction: str = "down",
               amount: int = 3, expect_change: bool = True) -> None:  # fmt: skip
        self._run(ProgramStep("scroll", target=target, at=at, direction=direction, amount=amount,
                              expect_change=expect_change))  # fmt: skip

    def type(self, text: str, *, expect_change: bool = True) -> None:
        from skills.learned.steps import templated

        self._run(ProgramStep("type", text=templated(text, self.params),
                              expect_change=expect_change))  # fmt: skip

    def key(self, keys: str, *, expect_change: bool = True) -> None:
        self._run(ProgramStep("key", keys=keys, expect_change=expect_change))

    def wait(self, seconds: float) -> None:
        self._run(ProgramStep("wait", seconds=seconds, expect_change=False))

    # -- one step ----------------------------------------------------------------------------
    @property
    def from_code(self) -> int:
        return len(self.ran) - len(self.healed)

    def _run(self, step: ProgramStep) -> None:
        number = len(self.ran) + 1
        point = step.at
        if step.target:
            located = self._ground(step.target, hint=step.at)
            if located is None:
                self._heal(number, step, f"its target {step.target!r} was not found on the screen")
                return
            point = located
        ran = at_point(step, point) if point is not None else step
        if not self._act_and_check(ran, why=f"learned step {number}: {step.describe()}"):
            self._heal(number, step, "the screen did not change as it did when recorded")
            return
        self.ran.append(ran)

    def _ground(self, target: str, *, hint: tuple[int, int] | None) -> tuple[int, int] | None:
        screen = observe(self.computer, self.computer.screenshot())
        located = locate_with_tiers(target, screen, hint_point=hint, tiers=STABILIZED_TIERS)
        if located is None:
            return None
        return located.x, located.y

    def _act_and_check(self, step: ProgramStep, *, why: str) -> bool:
        act(self.computer, step.action_at(step.at, self.params), why=why)
        changed = self.episode.result.steps[-1].screen_changed if self.episode.result.steps else None
        return bool(changed) or not step.expect_change

    def _heal(self, number: int, step: ProgramStep, reason: str) -> None:
        """One perception call does this step; its action is executed and checked."""
        with ctx.frame("learned.heal", arguments={"step": number, "reason": reason}) as node:
            encoded = encode_for_model(self.computer.screenshot(), max_size=self.episode.model_size)
            note = (f"You are repairing step {number} of a learned program for this goal. That "
                    f"step was to {step.describe()}, but {reason}. Return the one action that "
                    "does this step on the current screen (name its target).")  # fmt: skip
            action = perceive(self.episode.goal, encoded, note).action
            if isinstance(action, Done | Fail):
                raise HealFailed(f"step {number} ({step.describe()}) could not be repaired: "
                                 f"the model answered {describe(action)}")  # fmt: skip
            on_screen = action_to_screen(action, encoded.scaling)
            healed = step_from_action(on_screen.model_dump(), changed=step.expect_change,
                                      params=self.params)  # fmt: skip
            if healed is None:
                raise HealFailed(f"step {number}: the model's {describe(action)} is not a step "
                                 "a learned program can keep")  # fmt: skip
            if step.kind == "type" and healed.kind == "type":
                healed = replace(healed, text=step.text)  # keep the parameters of the original
            if not self._act_and_check(healed, why=f"healed learned step {number}"):
                raise HealFailed(f"step {number} ({step.describe()}): the model's action changed "
                                 "nothing either")  # fmt: skip
            node.summary = f"step {number} healed: {healed.describe()}"
            self.ran.append(healed)
            self.healed.append(number)


def run_learned(goal: str | None, computer: Computer, *, program: str,
                params: dict[str, str] | None = None, model: Any = None,
                max_steps: int = MAX_STEPS, rewrite: bool = True,
                **options: Any) -> EpisodeResult:  # fmt: skip
    """Run the learned program `program` (a name or a path) on `computer`; one episode."""
    loaded = _checked_program(program, params)
    values = {**loaded.params, **(params or {})}
    state: dict[str, LearnedRun] = {}

    def body(episode: Episode) -> EpisodeStatus:
        learned = LearnedRun(episode, params=values)
        state["run"] = learned
        with ctx.frame(f"learned.{loaded.path.stem}", arguments={"params": values}) as node:
            try:
                loaded.module.run(learned, **values)
            except HealFailed as exc:
                episode.result.reason = exc.message
                node.summary = f"failed: {exc.message}"
                return EpisodeStatus.FAILED
            node.summary = _tally(learned)
        return EpisodeStatus.DONE

    result = run_episode(goal or _filled(loaded.goal, loaded.params, values), computer, body, name="learned", agent="learned",
                         model=model, max_steps=max_steps, **options)  # fmt: skip
    learned = state.get("run")
    if learned is not None:
        result.reason = (result.reason + "; " if result.reason else "") + _tally(learned)
        if result.status is EpisodeStatus.DONE and learned.healed and rewrite:
            trace = options.get("trace")
            _rewrite(loaded, learned, run=str(getattr(trace, "run_dir", None) or "a run"))
            result.reason += (f"; {loaded.path} rewritten with the healed "
                              f"{plural_noun(len(learned.healed), 'step')}")
    return result


def _checked_program(program: str, params: dict[str, str] | None) -> LoadedProgram:
    """The program, loaded; a ConfigError when it is missing, broken or lacks a given parameter."""
    loaded = load_program(program)
    unknown = sorted(set(params or {}) - set(loaded.params))
    if unknown:
        raise ConfigError(f"{loaded.path.name} has no {plural_noun(len(unknown), 'parameter')} "
                          f"{', '.join(unknown)}; it takes: {', '.join(loaded.params) or 'none'}")  # fmt: skip
    return loaded


def _preflight(*, program: str | None = None, params: dict[str, str] | None = None,
               **_: Any) -> None:  # fmt: skip
    if program is None:
        raise ConfigError("the learned agent runs a learned program: use --learned NAME")
    _checked_program(program, params)


run_learned.preflight = _preflight  # type: ignore[attr-defined]  # gui_agent.agents.preflight


def _filled(goal: str, recorded: dict[str, str], values: dict[str, str]) -> str:
    """The recorded goal with each parameter's recorded value replaced by this run's."""
    for name, old in recorded.items():
        if old and values.get(name) not in (None, old):
            goal = goal.replace(old, values[name])
    return goal


def _tally(learned: LearnedRun) -> str:
    healed = learned.healed
    return (f"{counted(learned.from_code, 'step')} from code, {len(healed)} needed the model"
            + (f" ({plural_noun(len(healed), 'step')} {', '.join(map(str, healed))})"
               if healed else ""))


def _rewrite(loaded: LoadedProgram, learned: LearnedRun, *, run: str) -> None:
    module = loaded.module
    healed = tuple(getattr(module, "HEALED", ())) + (
        f"{now()}: {plural_noun(len(learned.healed), 'step')} "
        f"{', '.join(map(str, learned.healed))} from {run}",)  # fmt: skip
    info = ProgramInfo(name=loaded.path.stem, goal=str(module.GOAL), params=dict(module.PARAMS),
                       source_run=str(module.SOURCE_RUN), versions=dict(module.VERSIONS),
                       learned_at=str(module.LEARNED_AT), healed=healed)  # fmt: skip
    write_program(loaded.path, render(info, learned.ran))
    log.info("rewrote %s with healed steps %s", loaded.path, learned.healed)
