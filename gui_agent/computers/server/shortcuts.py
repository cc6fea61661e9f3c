"""Desktop keyboard shortcuts a GNOME session has and a bare X display lacks: Ctrl+Alt+T.

OSWorld's tasks (and agents used to Ubuntu) open a terminal with Ctrl+Alt+T. On our served
display no window manager binds it, so the server grabs that key combination on the root
window itself (a passive X grab, which XTest input from pyautogui or our own executor also
triggers) and launches the session's `x-terminal-emulator`, which GET /terminal can read.
The grab covers the combination with and without NumLock and CapsLock held.
"""

from __future__ import annotations

import logging
import select
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class TerminalShortcut:
    """Runs `open_terminal` whenever Ctrl+Alt+T is pressed on `display`; `close()` stops it."""

    def __init__(self, display: str, open_terminal: Callable[[], object]) -> None:
        from Xlib import XK, X, error
        from Xlib import display as xdisplay

        self._open_terminal = open_terminal
        self._stop = threading.Event()
        self._conn = xdisplay.Display(display)
        root = self._conn.screen().root
        keycode = self._conn.keysym_to_keycode(XK.string_to_keysym("t"))
        catch = error.CatchError(error.BadAccess)
        for locks in (0, X.Mod2Mask, X.LockMask, X.Mod2Mask | X.LockMask):
            root.grab_key(keycode, X.ControlMask | X.Mod1Mask | locks, True,
                          X.GrabModeAsync, X.GrabModeAsync, onerror=catch)  # fmt: skip
        self._conn.sync()
        if catch.get_error():
            log.warning("Ctrl+Alt+T is grabbed by another program on %s; not binding it", display)
        self._thread = threading.Thread(target=self._listen, name="ctrl-alt-t", daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        from Xlib import X

        while not self._stop.is_set():
            try:
                select.select([self._conn.fileno()], [], [], 0.2)
                while self._conn.pending_events():
                    if self._conn.next_event().type == X.KeyPress:
                        self._launch()
            except Exception as exc:  # the display went away: nothing more to listen to
                if not self._stop.is_set():
                    log.warning("Ctrl+Alt+T listener stopped: %s", exc)
                return

    def _launch(self) -> None:
        try:
            self._open_terminal()
        except OSError as exc:
            log.warning("Ctrl+Alt+T: cannot start a terminal: %s", exc)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        try:
            self._conn.close()
        except Exception as exc:  # already gone with its display
            log.debug("closing the shortcut connection: %s", exc)
