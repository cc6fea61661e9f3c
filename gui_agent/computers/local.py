"""The user's own X display as a computer: same capture and input path, no processes of ours.

This drives the real desktop the user is looking at, so it allows no shell by default and
starts nothing; `close()` only releases the X connections.
"""

from __future__ import annotations

import os
import threading
from types import TracebackType

from PIL import Image

from gui_agent.actions import Action, Shell, validate
from gui_agent.computers.base import ExecutionRecord
from gui_agent.computers.xinput import XInputExecutor
from gui_agent.errors import ConfigError, EnvError, PolicyBlocked
from gui_agent.screen import capture_with_retry, capture_x, forget_display


class LocalDisplay:
    """A Computer for an existing X display ($DISPLAY unless `display` is given)."""

    def __init__(self, *, display: str | None = None) -> None:
        name = display or os.environ.get("DISPLAY")
        if not name:
            raise ConfigError(
                "DISPLAY is not set: LocalDisplay drives an existing X desktop "
                "(--env sandbox, or SandboxDesktop, starts a private one)"
            )
        self._display = name
        self._executor = XInputExecutor(name)
        self._size = self._executor.screen_size
        self._lock = threading.Lock()
        self._closed = False

    @property
    def display(self) -> str:
        return self._display

    @property
    def size(self) -> tuple[int, int]:
        return self._size

    @property
    def allows_shell(self) -> bool:
        return False

    def screenshot(self) -> Image.Image:
        self._check_open()
        return capture_with_retry(lambda: capture_x(self._display))

    def execute(self, action: Action) -> ExecutionRecord:
        self._check_open()
        width, height = self._size
        validate(action, width=width, height=height, allow_shell=False)
        if isinstance(action, Shell):  # unreachable after validate; kept for type narrowing
            raise PolicyBlocked("the local display allows no shell actions")
        return self._executor.execute(action)

    def _check_open(self) -> None:
        if self._closed:
            raise EnvError("this LocalDisplay is closed")

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._executor.close()
            forget_display(self._display)

    def __enter__(self) -> LocalDisplay:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"LocalDisplay({self._display}, {self._size[0]}x{self._size[1]})"
