"""Translate validated actions into pyautogui statements for a remote Python to run.

Every statement is built here from typed fields: numbers are formatted as ints and text goes
through `repr`, so the remote side only ever sees literals we produced, never model-written code.
Each returned string is one request's worth of work; compound actions (fill, fill_page, drag is
not compound) come back as several strings so each part is sent and recorded on its own.
"""

from __future__ import annotations

from typing import assert_never

from gui_agent.actions import (
    Action,
    Click,
    Done,
    DoubleClick,
    Drag,
    Fail,
    Fill,
    FillPage,
    Key,
    Move,
    RightClick,
    Scroll,
    Shell,
    TripleClick,
    Type,
    Wait,
    normalize_keys,
)
from gui_agent.errors import ActionRejected

PYTHON_PREFIX = "import pyautogui; import time; pyautogui.FAILSAFE = False; "
"""What OSWorld's client puts before each command it sends to `python -c`."""

DRAG_SECONDS = 0.5

_TYPABLE = frozenset(chr(code) for code in range(0x20, 0x7F)) | {"\n", "\t"}

# normalize_keys names -> pyautogui's X11 key names, where they differ.
_PYAUTOGUI_KEY_NAMES = {"super": "win", "escape": "esc", "menu": "apps"}


def python_argv(command: str) -> list[str]:
    """The argv OSWorld's client posts to /execute for one pyautogui command."""
    return ["python", "-c", PYTHON_PREFIX + command]


def key_names(combo: str) -> tuple[str, ...]:
    """pyautogui key names for a combination such as 'ctrl+shift+t'."""
    return tuple(_PYAUTOGUI_KEY_NAMES.get(key, key) for key in normalize_keys(combo))


def hotkey(combo: str) -> str:
    return f"pyautogui.hotkey({', '.join(repr(k) for k in key_names(combo))})"


def write(text: str) -> str:
    """Statements that type `text`; ActionRejected for characters pyautogui cannot type.

    pyautogui on X11 can type '>' when asked for '<' (it presses shift with the keycode of
    'less', which on common layouts is the key whose shifted symbol is '>'), so every '<' is
    sent as an explicit shift+comma instead. Characters outside printable ASCII, newline and
    tab have no pyautogui key and would be dropped silently: they are refused up front.
    """
    untypable = sorted({c for c in text if c not in _TYPABLE})
    if untypable:
        raise ActionRejected(
            f"cannot type {''.join(untypable)!r} through pyautogui on this computer "
            "(only ASCII letters, digits, punctuation, space, newline and tab)"
        )
    statements: list[str] = []
    for index, segment in enumerate(text.split("<")):
        if index > 0:
            statements.append("pyautogui.hotkey('shift', ',')")
        if segment:
            statements.append(f"pyautogui.write({segment!r})")
    return "; ".join(statements)


def commands_for(action: Action) -> list[str]:
    """The pyautogui commands for one action, one per request; [] for actions with no input."""
    match action:
        case Click():
            return [f"pyautogui.click(x={action.x:d}, y={action.y:d})"]
        case DoubleClick():
            return [f"pyautogui.doubleClick(x={action.x:d}, y={action.y:d})"]
        case TripleClick():
            return [f"pyautogui.tripleClick(x={action.x:d}, y={action.y:d})"]
        case RightClick():
            return [f"pyautogui.rightClick(x={action.x:d}, y={action.y:d})"]
        case Move():
            return [f"pyautogui.moveTo({action.x:d}, {action.y:d})"]
        case Drag():
            return [
                f"pyautogui.moveTo({action.x:d}, {action.y:d}); pyautogui.mouseDown(); "
                f"pyautogui.moveTo({action.to_x:d}, {action.to_y:d}, duration={DRAG_SECONDS}); "
                "pyautogui.mouseUp()"
            ]
        case Scroll():
            return [_scroll(action)]
        case Type():
            return [write(action.text)]
        case Key():
            return [hotkey(action.keys)]
        case Fill():
            click = f"pyautogui.click(x={action.x:d}, y={action.y:d})"
            if action.pause_s:
                click += f"; time.sleep({action.pause_s:g})"
            after = [f"time.sleep({action.pause_s:g})"] if action.pause_s else []
            if not action.replace:
                return [click, write(action.text), *after] if action.text else [click, *after]
            return [
                click,
                hotkey("ctrl+a"),
                write(action.text) if action.text else "pyautogui.press('delete')",
                *after,
            ]
        case FillPage():
            return [command for fill in action.fills for command in commands_for(fill)]
        case Wait() | Shell() | Done() | Fail():
            return []
        case _:
            assert_never(action)


def _scroll(action: Scroll) -> str:
    point = f"x={action.x:d}, y={action.y:d}"
    match action.direction:
        case "up":
            return f"pyautogui.scroll({action.amount:d}, {point})"
        case "down":
            return f"pyautogui.scroll({-action.amount:d}, {point})"
        case "right":
            return f"pyautogui.hscroll({action.amount:d}, {point})"
        case "left":
            return f"pyautogui.hscroll({-action.amount:d}, {point})"
        case _:
            assert_never(action.direction)
