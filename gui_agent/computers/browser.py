"""A Playwright-driven Chromium page as a Computer: the screen is the page's viewport.

    with BrowserComputer(start_url="http://127.0.0.1:8000/") as browser:
        image = browser.screenshot()            # exactly width x height, RGB
        browser.execute(Click(x=100, y=200))     # viewport CSS px == screen px

Chromium is Debian's (found like the sandbox finds it, see chromium.py), launched by Playwright
with a throwaway profile and `--remote-debugging-port=0`: Chromium picks the port and writes it
to `DevToolsActivePort` in the profile, so `cdp_url` has no race over a "free" port. The
viewport is fixed at width x height with a device scale factor of 1, so screenshot pixels,
action coordinates and the page's CSS pixels are one and the same.

Input goes through Playwright's mouse and keyboard (CDP `Input.dispatch*Event`), not the OS:
this computer needs no display when headless. `type` sends the exact text (characters that
have no key on a US keyboard arrive as text input); a `key` combination names physical keys
(`ctrl+shift+t`), so Shift in a combination never turns into a different character.

Playwright's sync API is bound to the thread that started it and allows one running instance
per thread: create, use and close a BrowserComputer on one thread, outside any running asyncio
event loop, and give a second one (or another sync Playwright user) a thread of its own.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, assert_never

from PIL import Image

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
    validate,
)  # fmt: skip
from gui_agent.computers.base import ExecutionRecord
from gui_agent.computers.chromium import find_chromium, seed_preferences
from gui_agent.errors import EnvError
from gui_agent.screen import check_image

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, Playwright

log = logging.getLogger(__name__)

BROWSER_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--no-default-browser-check",
    "--password-store=basic",
    "--remote-debugging-port=0",
)
WHEEL_PX_PER_CLICK = 100
"""Pixels per wheel click: what Chromium scrolls for one notch of a mouse wheel."""
DRAG_STEPS = 10
_PORT_TIMEOUT_S = 30.0

PLAYWRIGHT_KEYS = {
    "ctrl": "Control", "shift": "Shift", "alt": "Alt", "super": "Meta",
    "enter": "Enter", "tab": "Tab", "space": "Space", "backspace": "Backspace",
    "delete": "Delete", "escape": "Escape", "up": "ArrowUp", "down": "ArrowDown",
    "left": "ArrowLeft", "right": "ArrowRight", "home": "Home", "end": "End",
    "pageup": "PageUp", "pagedown": "PageDown", "insert": "Insert", "menu": "ContextMenu",
    "printscreen": "PrintScreen", "capslock": "CapsLock",
    "`": "Backquote", "-": "Minus", "=": "Equal", "[": "BracketLeft", "]": "BracketRight",
    "\\": "Backslash", ";": "Semicolon", "'": "Quote", ",": "Comma", ".": "Period",
    "/": "Slash",
}  # fmt: skip
"""Our key names (actions.normalize_keys) -> Playwright's physical key codes."""


def playwright_key(name: str) -> str:
    """The Playwright key code for one normalized key name ('a' -> 'KeyA', 'f5' -> 'F5')."""
    if name in PLAYWRIGHT_KEYS:
        return PLAYWRIGHT_KEYS[name]
    if len(name) == 1 and name.isalpha():
        return "Key" + name.upper()
    if len(name) == 1 and name.isdigit():
        return "Digit" + name
    if name.startswith("f") and name[1:].isdigit():
        return name.upper()
    raise EnvError(f"no Playwright key for {name!r}")  # unreachable for validated actions


def playwright_combo(combo: str) -> str:
    """'Ctrl+Shift+T' -> 'Control+Shift+KeyT' (raises ActionRejected for unknown keys)."""
    return "+".join(playwright_key(name) for name in normalize_keys(combo))


class BrowserComputer:
    """A Computer (with CDP) whose screen is one Chromium page driven by Playwright."""

    def __init__(
        self,
        *,
        width: int = 1280,
        height: int = 800,
        start_url: str = "about:blank",
        headless: bool = True,
        chromium_path: str | None = None,
        chromium_args: Sequence[str] = (),
        chromium_prefs: Mapping[str, Any] | None = None,
    ) -> None:
        self._size = (width, height)
        self._chromium_args = tuple(chromium_args)
        self._chromium_prefs = dict(chromium_prefs or {})
        self._start_url = start_url
        self._headless = headless
        self._chromium_path = chromium_path
        self._playwright: Playwright | None = None
        self._context: BrowserContext | None = None
        self._page: Page | None = None
        self._profile: str | None = None
        self._port: int | None = None
        self._closed = False

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> BrowserComputer:
        """Launch Chromium and open `start_url`; return self. Idempotent."""
        if self._closed:
            raise EnvError("this BrowserComputer is closed; make a new one")
        if self._page is not None:
            return self
        from playwright.sync_api import Error, sync_playwright

        executable = find_chromium(self._chromium_path)
        width, height = self._size
        try:
            self._profile = tempfile.mkdtemp(prefix="gui-agent-browser-")
            seed_preferences(self._profile, self._chromium_prefs)
            self._playwright = sync_playwright().start()
            self._context = self._playwright.chromium.launch_persistent_context(
                self._profile,
                executable_path=executable,
                headless=self._headless,
                args=[*BROWSER_ARGS, f"--window-size={width},{height}", *self._chromium_args],
                viewport={"width": width, "height": height},
                device_scale_factor=1,
            )
            self._port = self._read_port()
            pages = self._context.pages
            self._page = pages[0] if pages else self._context.new_page()
            if self._start_url != "about:blank":
                self._page.goto(self._start_url)
        except Error as exc:
            self.close()
            raise EnvError(f"starting Chromium through Playwright failed: {exc}") from exc
        except BaseException:
            self.close()
            raise
        log.info("browser computer %dx%d, CDP %s", width, height, self.cdp_url)
        return self

    def _read_port(self) -> int:
        assert self._profile is not None
        port_file = Path(self._profile) / "DevToolsActivePort"
        deadline = time.monotonic() + _PORT_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                return int(port_file.read_text().splitlines()[0])
            except (FileNotFoundError, IndexError, ValueError):
                time.sleep(0.05)
        raise EnvError(f"Chromium wrote no DevToolsActivePort within {_PORT_TIMEOUT_S:g}s")

    def close(self) -> None:
        """Close the browser and stop Playwright; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        context, playwright = self._context, self._playwright
        self._context = self._playwright = self._page = None
        self._port = None
        try:
            if context is not None:
                try:
                    context.close()
                except Exception:  # the browser may already be gone; stopping still matters
                    log.debug("closing the browser context failed", exc_info=True)
            if playwright is not None:
                playwright.stop()
        finally:
            if self._profile is not None:
                shutil.rmtree(self._profile, ignore_errors=True)
                self._profile = None

    def __enter__(self) -> BrowserComputer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- properties ----------------------------------------------------------------------------

    @property
    def page(self) -> Page:
        """The Playwright page this computer shows (for skills that read or script it)."""
        if self._page is None:
            raise EnvError("the browser computer is not running (call start() or use `with`)")
        return self._page

    @property
    def size(self) -> tuple[int, int]:
        return self._size

    @property
    def allows_shell(self) -> bool:
        return False

    @property
    def cdp_url(self) -> str:
        if self._port is None:
            raise EnvError("the browser computer is not running")
        return f"http://127.0.0.1:{self._port}"

    # -- Computer ------------------------------------------------------------------------------

    def screenshot(self) -> Image.Image:
        """The viewport as an RGB image of exactly `size` (a blank page is a valid screen)."""
        from playwright.sync_api import Error

        try:
            png = self.page.screenshot(type="png")
        except Error as exc:
            raise EnvError(f"page screenshot failed: {exc}") from exc
        image = check_image(png, allow_uniform=True)
        if image.size != self._size:
            raise EnvError(f"page screenshot is {image.size}, expected {self._size}")
        return image

    def execute(self, action: Action) -> ExecutionRecord:
        """Validate and perform one action through Playwright's mouse and keyboard."""
        from playwright.sync_api import Error

        width, height = self._size
        validate(action, width=width, height=height, allow_shell=False)
        record = ExecutionRecord()
        try:
            self._perform(action, record.events)
        except Error as exc:
            raise EnvError(f"browser input failed: {exc}") from exc
        return record

    def _perform(self, action: Action, events: list[str]) -> None:
        mouse = self.page.mouse
        match action:
            case Move():
                mouse.move(action.x, action.y)
                events.append(f"mouse.move {action.x},{action.y}")
            case Click():
                mouse.click(action.x, action.y)
                events.append(f"mouse.click {action.x},{action.y}")
            case DoubleClick():
                mouse.dblclick(action.x, action.y)
                events.append(f"mouse.dblclick {action.x},{action.y}")
            case TripleClick():
                mouse.click(action.x, action.y, click_count=3)
                events.append(f"mouse.click x3 {action.x},{action.y}")
            case RightClick():
                mouse.click(action.x, action.y, button="right")
                events.append(f"mouse.click right {action.x},{action.y}")
            case Drag():
                mouse.move(action.x, action.y)
                mouse.down()
                try:
                    mouse.move(action.to_x, action.to_y, steps=DRAG_STEPS)
                finally:
                    mouse.up()
                events.append(f"mouse.drag {action.x},{action.y} -> {action.to_x},{action.to_y}")
            case Scroll():
                self._scroll(action, events)
            case Type():
                self._type(action.text, events)
            case Key():
                combo = playwright_combo(action.keys)
                self.page.keyboard.press(combo)
                events.append(f"keyboard.press {combo}")
            case Wait():
                seconds = min(max(action.seconds, 0.0), MAX_WAIT_SECONDS)
                time.sleep(seconds)
                events.append(f"sleep {seconds:g}s")
            case Fill():
                self._fill(action, events)
            case FillPage():
                for fill in action.fills:
                    self._fill(fill, events)
            case Done() | Fail():
                pass
            case Shell():  # validate() already refused it; kept for exhaustiveness
                raise EnvError("a browser computer has no shell")
            case _:
                assert_never(action)

    def _scroll(self, action: Scroll, events: list[str]) -> None:
        pixels = action.amount * WHEEL_PX_PER_CLICK
        dx, dy = {"up": (0, -pixels), "down": (0, pixels), "left": (-pixels, 0),
                  "right": (pixels, 0)}[action.direction]  # fmt: skip
        self.page.mouse.move(action.x, action.y)
        self.page.mouse.wheel(dx, dy)
        events.append(f"mouse.wheel {dx},{dy} at {action.x},{action.y}")

    def _type(self, text: str, events: list[str]) -> None:
        # "\r\n" is one Enter; other control characters but newline and tab have no key.
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        kept = "".join(c for c in text if c.isprintable() or c in "\n\t")
        if kept != text:
            events.append(f"skipped {len(text) - len(kept)} unprintable characters")
        if kept:
            self.page.keyboard.type(kept)
            events.append(f"keyboard.type {len(kept)} characters")

    def _fill(self, fill: Fill, events: list[str]) -> None:
        self.page.mouse.click(fill.x, fill.y)
        events.append(f"mouse.click {fill.x},{fill.y}")
        if fill.pause_s:
            time.sleep(fill.pause_s)
            events.append(f"sleep {fill.pause_s:g}s")
        if fill.replace:
            self.page.keyboard.press("Control+KeyA")
            events.append("keyboard.press Control+KeyA")
        if fill.text:
            self._type(fill.text, events)
        elif fill.replace:
            self.page.keyboard.press("Backspace")
            events.append("keyboard.press Backspace")
        if fill.pause_s:
            time.sleep(fill.pause_s)
            events.append(f"sleep {fill.pause_s:g}s")

    def __repr__(self) -> str:
        state = "closed" if self._closed else "running" if self._page else "not started"
        return f"BrowserComputer({state}, {self._size[0]}x{self._size[1]})"
