"""`solve`: one classification call picks the kind of work, a `match` in code runs its skill.

The program owns everything after the classification: which skill runs, what its result
means for the episode, and the hand-off. A skill that returns HANDOFF (or a skill module that
is not installed, or a skill action the policy rejected) leaves the rest of the goal to the
step loop, inside the same episode frame and the same 15-action budget, with the skill's
one-line summary as the loop's first note. `infeasible` ends the episode with FAIL and the
reason (OSWorld's rule for goals that cannot be done).
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Callable
from typing import Any, Unpack, assert_never

from gui_agent import context as ctx
from gui_agent.agentic import agentic
from gui_agent.computers.base import (
    Computer,
    HasAccessibilityTree,
    HasCDP,
    HasFiles,
    HasShell,
)  # fmt: skip
from gui_agent.episode import EpisodeResult, EpisodeStatus, StepRecord
from gui_agent.errors import ActionRejected, GuiAgentError
from gui_agent.loop import Episode, EpisodeOptions, continue_loop, run_episode
from skills.base import SkillResult, SkillStatus
from skills.routes import (
    ChromeParams,
    FormsParams,
    GenericParams,
    InfeasibleParams,
    MultiAppParams,
    OsParams,
    Route,
)  # fmt: skip

log = logging.getLogger(__name__)
SkillEntry = Callable[..., SkillResult]


@agentic(summarize=lambda route: f"route: {route.kind}")
def route_goal(goal: str, computer_can: str, known_settings: list[str], files: str) -> Route:
    """Classify the goal into the one kind of work that fits best, and extract its parameters.

    Kinds:
    - chrome: the goal is about the Chrome/Chromium browser itself (settings, profile,
      bookmarks, history, extensions, tabs, downloads, cookies, search engine, fonts) or work
      on a web site in the browser (searching, reading, navigating).
    - forms: filling in fields of a web form (and submitting it) with values the goal gives.
    - os: a change or question a shell command answers: files and folders, permissions,
      users, system settings with a command-line tool, installed packages, processes.
    - multi_app: work on document files: spreadsheets, word-processor documents,
      presentations, PDFs, CSV, archives; moving data between files or applications.
    - generic: anything else, done on the screen step by step (a desktop application's GUI).
    - infeasible: the goal asks for something that does not exist or cannot be done here (a
      feature the application does not have, an impossible request); say why in `reason`.

    `computer_can` lists what the program can do on this computer besides the screen. Extract
    only parameters the goal states; leave the others at their defaults. Where the goal is
    plain enough, fill the chosen kind's ready-made part so the program need not ask again:
    - os: `proposal`, the command and the effect the program will check afterwards;
    - chrome: `operations`; a preference is set only with a key from `known_settings`
      ("key (settings page): meaning and values");
    - multi_app: `plan`, when `files` (JSON: the files the goal names, read from this
      computer, with their structure) shows everything the plan needs; the script runs with
      python3 as the desktop user, using openpyxl, docx (python-docx), pptx (python-pptx),
      pypdf, odf (odfpy) or the standard library, and must not start programs other than
      LibreOffice (headless), open connections or delete folders.
    """


def solve(goal: str, computer: Computer, **options: Unpack[EpisodeOptions]) -> EpisodeResult:
    """Route `goal` to a skill, then (if it hands off) the step loop: one episode, one budget.

    Takes the same keyword options as `gui_agent.loop.run_task` (loop.EpisodeOptions).
    """
    return run_episode(goal, computer, route_and_run, name="solve", agent="skills", **options)


def capabilities(computer: Computer) -> str:
    """What the program can do on `computer` besides the screen, for the router's prompt."""
    can = [
        ("run shell commands", lambda: isinstance(computer, HasShell) and computer.allows_shell),
        ("read and write files", lambda: isinstance(computer, HasFiles)),
        ("read the browser over CDP", lambda: isinstance(computer, HasCDP)),
        ("read the accessibility tree", lambda: isinstance(computer, HasAccessibilityTree)),
    ]
    return ", ".join(text for text, present in can if _safely(present)) or "only the screen"


def _safely(check: Callable[[], bool]) -> bool:
    """A capability check; a computer whose property raises (no browser running) lacks it."""
    try:
        return check()
    except GuiAgentError:
        return False


def route_and_run(episode: Episode) -> EpisodeStatus:
    """The body of a `solve` episode."""
    route = route_goal(episode.goal, capabilities(episode.computer), _known_settings(),
                       _named_files(episode.goal, episode.computer))  # fmt: skip
    match route:
        case InfeasibleParams():
            return _finish(episode, SkillResult(SkillStatus.FAILED, route.reason), "router")
        case GenericParams():
            return continue_loop(episode)
        case ChromeParams():
            entry = _optional_entry("skills.chrome", "run_chrome")
            if route.operations and entry is not None:
                from skills.chrome_ops import ChromeParams as ChromePlan

                plan = ChromePlan(operations=route.operations)
                return _run_skill(episode, entry, plan, kind=route.kind, shown=route)
        case FormsParams():
            entry = _optional_entry("skills.forms", "run_forms")
        case OsParams():
            entry = _optional_entry("skills.os", "run_os")
        case MultiAppParams():
            entry = _optional_entry("skills.multi_app", "run_multi_app")
        case _:
            assert_never(route)
    if entry is None:
        return continue_loop(episode)
    return _run_skill(episode, entry, route, kind=route.kind, shown=route)


def _run_skill(episode: Episode, entry: SkillEntry, params: Any, *, kind: str,
               shown: Route) -> EpisodeStatus:  # fmt: skip
    """Run a skill in a frame named after its kind; its one line is what later calls see."""
    with ctx.frame(kind, arguments={"params": shown}) as node:
        try:
            result = entry(episode.goal, episode.computer, params=params)
        except ActionRejected as exc:
            result = SkillResult(SkillStatus.HANDOFF, f"an action was refused: {exc.message}")
        node.output = result
        node.summary = result.summary_line()
    return _finish(episode, result, kind)


def _known_settings() -> list[str]:
    """The browser preferences the chrome skill can set, one line each (none without it)."""
    try:
        from skills.chrome_pages import KNOWN_PREFS
    except ImportError:
        return []
    return [pref.line() for pref in KNOWN_PREFS]


def _named_files(goal: str, computer: Computer) -> str:
    """The files the goal names, read back from the computer (free) and summarized, as JSON."""
    from skills.multi_app import INVENTORY_CHARS, files_named_in, read_named

    names = files_named_in(goal)
    entries = read_named(computer, names) if names else None
    return json.dumps(entries, ensure_ascii=False)[:INVENTORY_CHARS] if entries else "[]"


def _finish(episode: Episode, result: SkillResult, source: str) -> EpisodeStatus:
    """Turn a skill's result into the episode's status (or hand the rest to the loop)."""
    steps = episode.result.steps
    match result.status:
        case SkillStatus.DONE:
            episode.result.answer = result.answer
            steps.append(_terminal(len(steps) + 1, {"kind": "done", "answer": result.answer},
                                   "done", result.summary, source))  # fmt: skip
            return EpisodeStatus.DONE
        case SkillStatus.FAILED:
            episode.result.reason = result.summary
            steps.append(_terminal(len(steps) + 1, {"kind": "fail", "reason": result.summary},
                                   f"fail: {result.summary}", result.summary, source))  # fmt: skip
            return EpisodeStatus.FAILED
        case SkillStatus.BLOCKED:
            episode.result.reason = result.summary
            return EpisodeStatus.BLOCKED
        case SkillStatus.HANDOFF:
            note = (f"The program's {source} skill worked on this goal first: {result.summary}. "
                    "Continue from the current screen; do not redo what is already done.")  # fmt: skip
            return continue_loop(episode, note=note)
        case _:
            assert_never(result.status)


def _terminal(index: int, action: dict[str, Any], description: str, why: str,
              source: str) -> StepRecord:  # fmt: skip
    return StepRecord(index=index, action=action, description=description, executed=False,
                      observation=why, source=source)  # fmt: skip


def _optional_entry(module_name: str, function: str) -> SkillEntry | None:
    """A skill's entry point, or None when that skill is not installed (the loop runs instead)."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        log.info("skill module %s is not installed; the step loop runs instead", module_name)
        return None
    entry = getattr(module, function, None)
    return entry if callable(entry) else None
