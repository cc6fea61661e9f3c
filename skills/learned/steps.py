"""One step of a learned program as data: what to do, on what target, what change to expect."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from gui_agent.actions import (
    Action,
    Click,
    DoubleClick,
    Drag,
    Key,
    Move,
    RightClick,
    Scroll,
    TripleClick,
    Type,
    Wait,
)

StepKind = Literal["click", "double_click", "triple_click", "right_click", "move", "drag",
                   "scroll", "type", "key", "wait"]  # fmt: skip
POINTER_KINDS = ("click", "double_click", "triple_click", "right_click", "move", "drag", "scroll")
Text = tuple[str | tuple[str], ...]
"""Typed text as parts: a literal string, or ("name",) for a parameter's value."""


@dataclass(frozen=True)
class ProgramStep:
    kind: StepKind
    target: str | None = None
    at: tuple[int, int] | None = None
    to: tuple[int, int] | None = None
    text: Text = ()
    keys: str = ""
    direction: str = "down"
    amount: int = 3
    seconds: float = 1.0
    expect_change: bool = True

    def fill(self, params: dict[str, str]) -> str:
        """The typed text with parameters filled in."""
        return "".join(params[p[0]] if isinstance(p, tuple) else p for p in self.text)

    def action_at(self, point: tuple[int, int] | None, params: dict[str, str]) -> Action:
        """This step as an executable action, pointer steps at `point` (screen pixels)."""
        x, y = point or self.at or (0, 0)
        match self.kind:
            case "click":
                return Click(x=x, y=y, target=self.target)
            case "double_click":
                return DoubleClick(x=x, y=y, target=self.target)
            case "triple_click":
                return TripleClick(x=x, y=y, target=self.target)
            case "right_click":
                return RightClick(x=x, y=y, target=self.target)
            case "move":
                return Move(x=x, y=y, target=self.target)
            case "drag":
                dx, dy = _offset(self.at, self.to)
                return Drag(x=x, y=y, to_x=x + dx, to_y=y + dy)
            case "scroll":
                return Scroll(x=x, y=y, direction=self.direction, amount=self.amount)  # type: ignore[arg-type]
            case "type":
                return Type(text=self.fill(params))
            case "key":
                return Key(keys=self.keys)
            case "wait":
                return Wait(seconds=self.seconds)

    def describe(self) -> str:
        named = f" {self.target!r}" if self.target else ""
        match self.kind:
            case "type":
                shown = "".join(f"{{{p[0]}}}" if isinstance(p, tuple) else p for p in self.text)
                return f"type {shown!r}"
            case "key":
                return f"key {self.keys}"
            case "wait":
                return f"wait {self.seconds:g}s"
            case _:
                return f"{self.kind}{named} (recorded at {self.at})"


def _offset(start: tuple[int, int] | None, end: tuple[int, int] | None) -> tuple[int, int]:
    if start is None or end is None:
        return 0, 0
    return end[0] - start[0], end[1] - start[1]


def templated(text: str, params: dict[str, str]) -> Text:
    """Split `text` so every occurrence of a parameter's value becomes that parameter."""
    parts: list[str | tuple[str]] = [text]
    for name, value in sorted(params.items(), key=lambda item: -len(item[1])):
        if not value:
            continue
        split: list[str | tuple[str]] = []
        for part in parts:
            if isinstance(part, tuple):
                split.append(part)
                continue
            pieces = part.split(value)
            for index, piece in enumerate(pieces):
                if index:
                    split.append((name,))
                if piece:
                    split.append(piece)
        parts = split
    return tuple(parts)


def step_from_action(action: dict[str, Any], *, changed: bool | None,
                     params: dict[str, str]) -> ProgramStep | None:  # fmt: skip
    """The program step for one executed action of a run (None for what is not replayable)."""
    kind = action.get("kind")
    expect = bool(changed)
    point = (int(action["x"]), int(action["y"])) if "x" in action and "y" in action else None
    target = action.get("target") or None
    match kind:
        case "click" | "double_click" | "triple_click" | "right_click" | "move":
            return ProgramStep(kind=kind, target=target, at=point, expect_change=expect)
        case "drag":
            return ProgramStep(kind="drag", target=target, at=point, expect_change=expect,
                               to=(int(action["to_x"]), int(action["to_y"])))  # fmt: skip
        case "scroll":
            return ProgramStep(kind="scroll", target=target, at=point, expect_change=expect,
                               direction=action.get("direction", "down"),
                               amount=int(action.get("amount", 3)))  # fmt: skip
        case "type":
            return ProgramStep(kind="type", text=templated(str(action.get("text", "")), params),
                               expect_change=expect)  # fmt: skip
        case "key":
            return ProgramStep(kind="key", keys=str(action.get("keys", "")), expect_change=expect)
        case "wait":
            return ProgramStep(kind="wait", seconds=float(action.get("seconds", 1.0)),
                               expect_change=False)  # fmt: skip
        case _:
            return None


def at_point(step: ProgramStep, point: tuple[int, int]) -> ProgramStep:
    """The step as it ran at `point` (drag keeps its recorded vector)."""
    if step.kind == "drag" and step.at is not None and step.to is not None:
        dx, dy = _offset(step.at, step.to)
        return replace(step, at=point, to=(point[0] + dx, point[1] + dy))
    return replace(step, at=point)
