"""Render a learned program as Python source, and read one back (pure: text in, text out).

The file is ordinary Python a person can read and edit: module constants say where it came from
(source run, function versions, date, goal, parameters and their recorded values) and `run`
calls one `LearnedRun` method per step, each naming its target and the change to expect.
"""

from __future__ import annotations

import keyword
import re
import time
from dataclasses import dataclass

from skills.learned.steps import ProgramStep

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True)
class ProgramInfo:
    name: str
    goal: str
    params: dict[str, str]
    source_run: str
    versions: dict[str, str]
    learned_at: str
    healed: tuple[str, ...] = ()


def check_name(name: str, *, what: str) -> str:
    """A program or parameter name usable as a Python identifier; ValueError says why not."""
    if not _NAME.match(name) or keyword.iskeyword(name):
        raise ValueError(f"{what} {name!r} must be lowercase letters, digits and _ "
                         "(a Python name, starting with a letter)")  # fmt: skip
    return name


def now() -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())


def render(info: ProgramInfo, steps: list[ProgramStep]) -> str:
    """The program's source."""
    healed = "".join(f"\nHealed: {line}" for line in info.healed)
    lines = [
        f'"""Learned program {info.name!r}: {_one_line(info.goal)}',
        "",
        f"Learned from run {info.source_run} on {info.learned_at}.{healed}",
        "Each step re-grounds its target on the screen when it runs and checks the change the",
        "recording saw; a step that does not asks the model for that step only.",
        "Run it: gui-agent run --learned " + info.name
        + "".join(f" --param {p}=..." for p in info.params),
        '"""',
        "",
        "from skills.learned.runtime import LearnedRun",
        "",
        f"GOAL = {info.goal!r}",
        f"SOURCE_RUN = {info.source_run!r}",
        f"LEARNED_AT = {info.learned_at!r}",
        f"VERSIONS = {info.versions!r}",
        f"PARAMS = {info.params!r}",
        *([f"HEALED = {info.healed!r}"] if info.healed else []),
        "",
        "",
        "def run(program: LearnedRun" + "".join(f", {p}: str" for p in info.params) + ") -> None:",
    ]
    if not steps:
        lines.append("    pass")
    for step in steps:
        lines.append(f"    {_call(step)}")
    return "\n".join(lines) + "\n"


def _call(step: ProgramStep) -> str:
    change = "" if step.expect_change else ", expect_change=False"
    match step.kind:
        case "type":
            return f"program.type({_text(step)}{change})"
        case "key":
            return f"program.key({step.keys!r}{change})"
        case "wait":
            return f"program.wait({step.seconds!r})"
        case "drag":
            return (f"program.drag({step.target!r}, at={step.at!r}, to={step.to!r}{change})")
        case "scroll":
            return (f"program.scroll({step.target!r}, at={step.at!r}, "
                    f"direction={step.direction!r}, amount={step.amount!r}{change})")  # fmt: skip
        case _:
            return f"program.{step.kind}({step.target!r}, at={step.at!r}{change})"


def _text(step: ProgramStep) -> str:
    parts = [part[0] if isinstance(part, tuple) else repr(part) for part in step.text]
    return " + ".join(parts) if parts else "''"


def _one_line(text: str) -> str:
    return " ".join(text.split()).replace('"""', "'''")
