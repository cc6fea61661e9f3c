"""Perform validated actions on an X display with in-process XTest (python-xlib).

XTest events are synthesized by the X server itself, so every client sees ordinary hardware
input: no window focus tricks, no shelling out (xdotool waits ~100 ms per click, pyautogui
sleeps 0.1 s per call and shells out to scrot; an XTest click takes ~0.2 ms). Each action ends
with a round trip (`sync`), so when `execute` returns the server has delivered every event.

Shell actions are not input: the computer runs them (if it allows a shell) and this executor
refuses them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from typing import assert_never

from Xlib import X, error
from Xlib.ext import xtest

from gui_agent.actions import (
    MAX_WAIT_SECONDS,
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
from gui_agent.computers.base import ExecutionRecord
from gui_agent.computers.display import connect_x
from gui_agent.computers.xkeys import Keymap, KeyStroke, char_to_keysym, key_name_to_keysym
from gui_agent.errors import EnvError

log = logging.getLogger(__name__)

LEFT, MIDDLE, RIGHT = 1, 2, 3
SCROLL_BUTTONS = {"up": 4, "down": 5, "left": 6, "right": 7}
MULTI_CLICK_GAP_S = 0.02


class XInputExecutor:
    """Send the input events of actions to one X display."""

    def __init__(
        self,
        display: str,
        *,
        drag_steps: int = 10,
        drag_step_delay_s: float = 0.02,
        remap_settle_s: float = 0.1,
    ) -> None:
        self._display = connect_x(display)
        if not self._display.has_extension("XTEST"):
            self._display.close()
            raise EnvError(f"X display {display!r} has no XTEST extension")
        self.display_name = display
        self._drag_steps = max(1, drag_steps)
        self._drag_step_delay_s = drag_step_delay_s
        self._remap_settle_s = remap_settle_s
        self._lock = threading.Lock()
        self._closed = False

    @property
    def screen_size(self) -> tuple[int, int]:
        screen = self._display.screen()
        return int(screen.width_in_pixels), int(screen.height_in_pixels)

    def pointer_position(self) -> tuple[int, int]:
        reply = self._display.screen().root.query_pointer()
        return int(reply.root_x), int(reply.root_y)

    def execute(self, action: Action) -> ExecutionRecord:
        """Send the events of one validated action and wait until the server has them."""
        record = ExecutionRecord()
        with self._lock:
            if self._closed:
                raise EnvError("the input executor is closed")
            try:
                self._perform(action, record.events)
                self._display.sync()
            except (error.ConnectionClosedError, error.XError, OSError) as exc:
                raise EnvError(f"X input on {self.display_name} failed: {exc}") from exc
        return record

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            with suppress(error.ConnectionClosedError, OSError):
                self._display.close()

    # -- actions -------------------------------------------------------------------------------

    def _perform(self, action: Action, events: list[str]) -> None:
        match action:
            case Move():
                self._move(action.x, action.y, events)
            case Click():
                self._click(action.x, action.y, LEFT, 1, events)
            case DoubleClick():
                self._click(action.x, action.y, LEFT, 2, events)
            case TripleClick():
                self._click(action.x, action.y, LEFT, 3, events)
            case RightClick():
                self._click(action.x, action.y, RIGHT, 1, events)
            case Drag():
                self._drag(action, events)
            case Scroll():
                self._move(action.x, action.y, events)
                button = SCROLL_BUTTONS[action.direction]
                for _ in range(action.amount):
                    self._button(button, X.ButtonPress, events)
                    self._button(button, X.ButtonRelease, events)
            case Key():
                self._key_combo(action.keys, events)
            case Type():
                self._type(action.text, events)
            case Wait():
                seconds = min(max(action.seconds, 0.0), MAX_WAIT_SECONDS)
                events.append(f"sleep {seconds:g}s")
                time.sleep(seconds)
            case Fill():
                self._fill(action, events)
            case FillPage():
                for fill in action.fills:
                    self._fill(fill, events)
            case Done() | Fail():
                pass
            case Shell():
                raise ValueError("shell actions are run by the computer, not the input executor")
            case _:
                assert_never(action)

    def _fill(self, fill: Fill, events: list[str]) -> None:
        self._click(fill.x, fill.y, LEFT, 1, events)
        if fill.pause_s:
            self._display.sync()
            events.append(f"sleep {fill.pause_s:g}s")
            time.sleep(fill.pause_s)
        if fill.replace:
            self._key_combo("ctrl+a", events)
        if fill.text:
            self._type(fill.text, events)
        elif fill.replace:
            self._key_combo("backspace", events)
        if fill.pause_s:
            self._display.sync()
            events.append(f"sleep {fill.pause_s:g}s")
            time.sleep(fill.pause_s)

    # -- pointer -------------------------------------------------------------------------------

    def _move(self, x: int, y: int, events: list[str]) -> None:
        xtest.fake_input(self._display, X.MotionNotify, x=x, y=y)
        events.append(f"move {x},{y}")

    def _button(self, button: int, kind: int, events: list[str]) -> None:
        xtest.fake_input(self._display, kind, button)
        events.append(f"button{button} {'down' if kind == X.ButtonPress else 'up'}")

    def _click(self, x: int, y: int, button: int, count: int, events: list[str]) -> None:
        self._move(x, y, events)
        for index in range(count):
            if index:
                # Chromium counts a repeated click only if its server timestamp (ms) differs.
                self._display.sync()
                time.sleep(MULTI_CLICK_GAP_S)
            self._button(button, X.ButtonPress, events)
            self._button(button, X.ButtonRelease, events)

    def _drag(self, drag: Drag, events: list[str]) -> None:
        self._move(drag.x, drag.y, events)
        self._pause()
        self._button(LEFT, X.ButtonPress, events)
        try:
            self._pause()
            steps = self._drag_steps
            for step in range(1, steps + 1):
                x = drag.x + round((drag.to_x - drag.x) * step / steps)
                y = drag.y + round((drag.to_y - drag.y) * step / steps)
                self._move(x, y, events)
                self._pause()
            self._pause()  # let the target see the last position before the drop
        finally:
            self._button(LEFT, X.ButtonRelease, events)

    def _pause(self) -> None:
        # Drag steps reach the client as separate motion events only if it polls in between.
        self._display.sync()
        time.sleep(self._drag_step_delay_s)

    # -- keyboard ------------------------------------------------------------------------------

    @contextmanager
    def _held(self, keycode: int, label: str, events: list[str]) -> Iterator[None]:
        xtest.fake_input(self._display, X.KeyPress, keycode)
        events.append(f"key {label} down")
        try:
            yield
        finally:
            xtest.fake_input(self._display, X.KeyRelease, keycode)
            events.append(f"key {label} up")

    def _tap(self, keymap: Keymap, stroke: KeyStroke, label: str, events: list[str]) -> None:
        if stroke.shift:
            shift = keymap.keycode_of(key_name_to_keysym("shift"))
            if shift is None:
                raise EnvError("the keyboard map has no Shift key")
            with self._held(shift, "shift", events), self._held(stroke.keycode, label, events):
                pass
        else:
            with self._held(stroke.keycode, label, events):
                pass

    def _key_combo(self, combo: str, events: list[str]) -> None:
        keymap = self._keymap()
        try:
            with ExitStack() as held:
                for name in normalize_keys(combo):
                    # A combo names physical keys: press the key's own keycode, never add Shift.
                    stroke = keymap.stroke(key_name_to_keysym(name))
                    held.enter_context(self._held(stroke.keycode, name, events))
        finally:
            keymap.restore()

    def _type(self, text: str, events: list[str]) -> None:
        keymap = self._keymap()
        try:
            for index, char in enumerate(text):
                if char == "\r" and text[index + 1 : index + 2] == "\n":
                    continue  # "\r\n" is one Enter
                if not char.isprintable() and char not in "\n\r\t":
                    events.append(f"skip unprintable {char!r}")
                    continue
                stroke = keymap.stroke(char_to_keysym(char))
                label = repr(char) + (" (remapped)" if stroke.remapped else "")
                self._tap(keymap, stroke, label, events)
                if stroke.remapped:
                    self._display.sync()
        finally:
            keymap.restore()

    def _keymap(self) -> Keymap:
        # Read fresh each action: another client (or a previous failure) may have changed it.
        return Keymap(self._display, remap_settle_s=self._remap_settle_s)
