"""The closed set of actions an episode can execute, and their total validation.

Coordinates are in *screen* pixels once an action reaches `validate`; perception maps model-image
coordinates to screen coordinates before (see geometry.py). Validation rejects, never clamps:
an action that is off-screen, names an unknown key or carries oversized text raises
ActionRejected and no input event is sent.

A step is one executed item of `Action` (compound actions included): that is what the 15-step
cap counts. `Fill` and `FillPage` are built only by program code (skills), never parsed from a
model reply, and their parts are validated one by one.
"""

from __future__ import annotations

from typing import Annotated, Literal, assert_never

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from gui_agent.errors import ActionRejected

MAX_TEXT_CHARS = 2000
MAX_WAIT_SECONDS = 10.0
MAX_SCROLL_AMOUNT = 30
MAX_SHELL_CHARS = 4000
MAX_FILL_PAUSE_S = 2.0

MODIFIER_KEYS = frozenset({"ctrl", "shift", "alt", "super"})
NAMED_KEYS = frozenset(
    {
        "enter", "return", "tab", "space", "backspace", "delete", "escape", "esc",
        "up", "down", "left", "right", "home", "end", "pageup", "pagedown", "insert",
        "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "f11", "f12",
        "menu", "printscreen", "capslock",
    }
)  # fmt: skip
KEY_ALIASES = {
    "control": "ctrl", "cmd": "super", "meta": "super", "win": "super", "command": "super",
    "option": "alt", "return": "enter", "esc": "escape", "del": "delete", "pgup": "pageup",
    "pgdn": "pagedown", "arrowup": "up", "arrowdown": "down", "arrowleft": "left",
    "arrowright": "right", "page_up": "pageup", "page_down": "pagedown",
}  # fmt: skip
PRINTABLE_KEYS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789`-=[]\\;',./")


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


MAX_TARGET_CHARS = 200
TargetText = Annotated[
    str | None,
    Field(
        default=None,
        description="a few words naming what you point at, e.g. 'the Save button of the dialog'",
    ),
]
"""Optional on every pointing action: the loop snaps a click that misses the named element."""


class Click(_Action):
    kind: Literal["click"] = "click"
    x: int
    y: int
    target: TargetText = None


class DoubleClick(_Action):
    kind: Literal["double_click"] = "double_click"
    x: int
    y: int
    target: TargetText = None


class TripleClick(_Action):
    kind: Literal["triple_click"] = "triple_click"
    x: int
    y: int
    target: TargetText = None


class RightClick(_Action):
    kind: Literal["right_click"] = "right_click"
    x: int
    y: int
    target: TargetText = None


class Move(_Action):
    kind: Literal["move"] = "move"
    x: int
    y: int
    target: TargetText = None


class Drag(_Action):
    kind: Literal["drag"] = "drag"
    x: int
    y: int
    to_x: int
    to_y: int


class Scroll(_Action):
    kind: Literal["scroll"] = "scroll"
    x: int
    y: int
    direction: Literal["up", "down", "left", "right"]
    amount: int = Field(default=3, description="wheel clicks")


class Type(_Action):
    kind: Literal["type"] = "type"
    text: str


class Key(_Action):
    kind: Literal["key"] = "key"
    keys: str = Field(description="a combination such as 'ctrl+shift+t' or 'enter'")


class Wait(_Action):
    kind: Literal["wait"] = "wait"
    seconds: float = 1.0


class Shell(_Action):
    kind: Literal["shell"] = "shell"
    command: str


class Done(_Action):
    kind: Literal["done"] = "done"
    answer: str | None = None


class Fail(_Action):
    kind: Literal["fail"] = "fail"
    reason: str


class Fill(_Action):
    """Click a field, select all, type: built by program code only.

    With `replace=False` nothing is selected or deleted first: the click and the typed text
    only (a checkbox or radio button is `Fill(x, y, text="", replace=False)`, a plain click;
    a drop-down list is a click that opens it and the option's text plus Enter). `pause_s`
    waits after the click and again after the typing, for a list that opens on the click and
    closes on Enter (a click sent while it closes is lost).
    """

    kind: Literal["fill"] = "fill"
    x: int
    y: int
    text: str
    replace: bool = True
    pause_s: float = 0.0


class FillPage(_Action):
    """An ordered list of fills on one page: built by program code only."""

    kind: Literal["fill_page"] = "fill_page"
    fills: tuple[Fill, ...]


PointerAction = Click | DoubleClick | TripleClick | RightClick | Move
ModelAction = Annotated[
    Click | DoubleClick | TripleClick | RightClick | Move | Drag | Scroll | Type | Key | Wait
    | Shell | Done | Fail,
    Field(discriminator="kind"),
]
"""What a model may return: every action but the compound ones."""

Action = Annotated[
    Click | DoubleClick | TripleClick | RightClick | Move | Drag | Scroll | Type | Key | Wait
    | Shell | Done | Fail | Fill | FillPage,
    Field(discriminator="kind"),
]
"""Everything an episode can execute."""

TERMINAL_KINDS = frozenset({"done", "fail"})
_ACTION_ADAPTER: TypeAdapter[Action] = TypeAdapter(Action)


def parse_action(data: object) -> Action:
    """Parse a dict (or JSON text) into an Action, raising ActionRejected on any defect."""
    try:
        if isinstance(data, str | bytes):
            return _ACTION_ADAPTER.validate_json(data)
        return _ACTION_ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise ActionRejected(f"not a valid action: {exc.errors(include_url=False)}") from exc


def normalize_keys(combo: str) -> tuple[str, ...]:
    """Split 'Ctrl+Shift+T' into ('ctrl', 'shift', 't'), rejecting unknown key names."""
    parts = [p.strip().lower() for p in combo.replace(" ", "").split("+")]
    if not combo.strip() or any(not p for p in parts):
        raise ActionRejected(f"empty key in combination {combo!r}")
    keys = tuple(KEY_ALIASES.get(p, p) for p in parts)
    for key in keys:
        if key not in MODIFIER_KEYS and key not in NAMED_KEYS and key not in PRINTABLE_KEYS:
            raise ActionRejected(f"unknown key {key!r} in {combo!r}")
    if all(key in MODIFIER_KEYS for key in keys) and len(keys) > 1:
        raise ActionRejected(f"combination {combo!r} has no non-modifier key")
    return keys


def _check_point(x: int, y: int, width: int, height: int) -> None:
    if not (0 <= x < width and 0 <= y < height):
        raise ActionRejected(f"point ({x}, {y}) is outside the {width}x{height} screen")


def _check_text(text: str) -> None:
    if len(text) > MAX_TEXT_CHARS:
        raise ActionRejected(f"text of {len(text)} characters exceeds {MAX_TEXT_CHARS}")
    if "\x00" in text:
        raise ActionRejected("text contains a NUL character")


def validate(action: Action, *, width: int, height: int, allow_shell: bool = False) -> Action:
    """Check an action against a screen of `width` x `height`; return it or raise ActionRejected."""
    match action:
        case Click() | DoubleClick() | TripleClick() | RightClick() | Move():
            _check_point(action.x, action.y, width, height)
            if action.target is not None and len(action.target) > MAX_TARGET_CHARS:
                raise ActionRejected(f"target of {len(action.target)} characters exceeds "
                                     f"{MAX_TARGET_CHARS}")  # fmt: skip
        case Drag():
            _check_point(action.x, action.y, width, height)
            _check_point(action.to_x, action.to_y, width, height)
        case Scroll():
            _check_point(action.x, action.y, width, height)
            if not 1 <= action.amount <= MAX_SCROLL_AMOUNT:
                raise ActionRejected(f"scroll amount {action.amount} not in 1..{MAX_SCROLL_AMOUNT}")
        case Type():
            if not action.text:
                raise ActionRejected("type action with empty text")
            _check_text(action.text)
        case Key():
            normalize_keys(action.keys)
        case Wait():
            if not 0 <= action.seconds <= MAX_WAIT_SECONDS:
                raise ActionRejected(f"wait of {action.seconds}s not in 0..{MAX_WAIT_SECONDS}")
        case Shell():
            if not allow_shell:
                raise ActionRejected("this computer does not allow shell actions")
            if not action.command.strip() or len(action.command) > MAX_SHELL_CHARS:
                raise ActionRejected("shell command is empty or too long")
        case Done() | Fail():
            pass
        case Fill():
            _check_point(action.x, action.y, width, height)
            _check_text(action.text)
            if not 0 <= action.pause_s <= MAX_FILL_PAUSE_S:
                raise ActionRejected(f"fill pause of {action.pause_s}s not in 0..{MAX_FILL_PAUSE_S}")
        case FillPage():
            if not action.fills:
                raise ActionRejected("fill_page with no fills")
            for fill in action.fills:
                validate(fill, width=width, height=height)
        case _:
            assert_never(action)
    return action


def describe(action: Action) -> str:
    """One short line for progress output and trace summaries."""
    match action:
        case Click() | DoubleClick() | TripleClick() | RightClick() | Move():
            named = f" {action.target!r}" if action.target else ""
            return f"{action.kind}({action.x}, {action.y}){named}"
        case Drag():
            return f"drag({action.x}, {action.y} -> {action.to_x}, {action.to_y})"
        case Scroll():
            return f"scroll {action.direction} x{action.amount} at ({action.x}, {action.y})"
        case Type():
            shown = action.text if len(action.text) <= 40 else action.text[:37] + "..."
            return f"type {shown!r}"
        case Key():
            return f"key {action.keys}"
        case Wait():
            return f"wait {action.seconds:g}s"
        case Shell():
            return f"shell {action.command[:60]!r}"
        case Done():
            return "done" + (f": {action.answer}" if action.answer else "")
        case Fail():
            return f"fail: {action.reason}"
        case Fill():
            if not action.replace and not action.text:
                return f"click ({action.x}, {action.y})"
            return f"fill ({action.x}, {action.y}) with {action.text[:30]!r}"
        case FillPage():
            return f"fill_page ({len(action.fills)} fields)"
        case _:
            assert_never(action)
