"""Debian's Chromium as a desktop browser window on an X display, reachable over CDP.

The window is a normal one (tab strip, omnibox), not `--app`, because OSWorld tasks use tabs.
`app_mode=True` opens the start URL as an `--app` window instead: no tab strip, no omnibox,
the page at screen (0, 0) with CSS px = screen px, and nothing an agent can click to close a
tab or type a URL into (the MiniWoB++ bench uses it; keyboard shortcuts such as ctrl+w still
close the window, so its callers still recover from a lost page).
Measured on a 1280x800 Xvfb with no window manager: Chromium makes a window of exactly the
screen size 1 px smaller each way (1279x799), so after start the window is configured to the
full screen through Xlib (it keeps that size); the page viewport then starts at screen y = 87
(tab strip + toolbar) and spans the full width, CSS px = screen px. Without `--test-type` an
infobar would take another 56 px.

The remote-debugging port is chosen by Chromium (`--remote-debugging-port=0`) and read from
`DevToolsActivePort` in the profile directory: no race over a "free" port. Chromium runs in
its own session (process group) so `close` can signal every helper it forked.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from Xlib import X
from Xlib import error as xerror
from Xlib.display import Display

from gui_agent.computers.display import connect_x
from gui_agent.computers.processes import kill_strays, terminate_group
from gui_agent.errors import ConfigError, EnvError

log = logging.getLogger(__name__)

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--test-type",
    "--force-renderer-accessibility",
    "--no-default-browser-check",
    "--password-store=basic",
    "--disable-features=Translate,MediaRouter",
    "--disable-session-crashed-bubble",
)
TOOLBAR_HEIGHT_PX = 87
"""Measured: where the page viewport starts in a normal window at 1280x800."""

_START_TIMEOUT_S = 60.0
_EMPTY_PAGE = "data:text/html,<title>sandbox</title><p>gui-agent sandbox</p>"


def find_chromium(explicit: str | None = None) -> str:
    """The Chromium executable: `explicit`, $GUI_AGENT_CHROMIUM, $CHROMIUM_PATH, then PATH."""
    for source, candidate in (
        ("chromium_path", explicit),
        ("GUI_AGENT_CHROMIUM", os.environ.get("GUI_AGENT_CHROMIUM")),
        ("CHROMIUM_PATH", os.environ.get("CHROMIUM_PATH")),
    ):
        if candidate:
            found = shutil.which(candidate)
            if found is None:
                raise ConfigError(f"{source}={candidate!r} is not an executable")
            return found
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found is not None:
            return found
    raise ConfigError(
        "Chromium not found: install Debian's 'chromium' package (apt-get install chromium) "
        "or set GUI_AGENT_CHROMIUM to a Chromium/Chrome executable"
    )


def seed_preferences(profile_dir: str, preferences: Mapping[str, Any]) -> None:
    """Write the Default profile's Preferences of a profile not started yet (nothing if empty).

    For settings that have no command-line switch, such as `webrtc.ip_handling_policy`.
    """
    if not preferences:
        return
    default = os.path.join(profile_dir, "Default")
    os.makedirs(default, exist_ok=True)
    with open(os.path.join(default, "Preferences"), "w", encoding="utf-8") as file:
        json.dump(preferences, file)


class ChromiumProcess:
    """One Chromium browser on display `env['DISPLAY']`, with a throwaway profile."""

    def __init__(
        self,
        *,
        env: dict[str, str],
        size: tuple[int, int],
        start_url: str | None = "about:blank",
        executable: str | None = None,
        app_mode: bool = False,
        extra_args: Sequence[str] = (),
        preferences: Mapping[str, Any] | None = None,
    ) -> None:
        self._env = env
        self._extra_args = tuple(extra_args)
        self._preferences = dict(preferences or {})
        self._size = size
        self._start_url = start_url
        self._app_mode = app_mode
        self._executable = find_chromium(executable)
        self._root: str | None = None
        self._profile: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._port: int | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def profile_dir(self) -> str:
        """The --user-data-dir (Preferences, Bookmarks, History live under Default/)."""
        if self._profile is None:
            raise EnvError("Chromium is not running")
        return self._profile

    @property
    def cdp_url(self) -> str:
        if self._port is None:
            raise EnvError("Chromium is not running")
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> ChromiumProcess:
        """Start Chromium and wait until CDP answers and its window fills the screen."""
        width, height = self._size
        self._root = tempfile.mkdtemp(prefix="gui-agent-chromium-")
        self._profile = os.path.join(self._root, "profile")
        seed_preferences(self._profile, self._preferences)
        # Crashpad keeps its database under XDG_CONFIG_HOME: keep it in our temp dir too.
        env = dict(self._env)
        env["XDG_CONFIG_HOME"] = os.path.join(self._root, "config")
        env["XDG_CACHE_HOME"] = os.path.join(self._root, "cache")
        argv = [
            self._executable,
            *CHROMIUM_ARGS,
            "--window-position=0,0",
            f"--window-size={width},{height}",
            f"--user-data-dir={self._profile}",
            "--remote-debugging-port=0",
            *self._extra_args,
        ]
        if self._app_mode:
            # Measured: `--app=about:blank` opens a normal window; a data: page does not (it
            # carries a label so that the sandbox's check for a painted screen sees one).
            url = self._start_url if self._start_url not in (None, "about:blank") else _EMPTY_PAGE
            argv.append(f"--app={url}")
        elif self._start_url is not None:
            argv.append(self._start_url)
        self._proc = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + _START_TIMEOUT_S
            self._port = self._wait_for_port(deadline)
            self._wait_for_cdp(deadline)
            self._fill_screen(deadline)
        except BaseException:
            self.stop()
            raise
        log.debug("Chromium pid %d, CDP %s", self._proc.pid, self.cdp_url)
        return self

    def _check_alive(self) -> None:
        assert self._proc is not None
        if self._proc.poll() is not None:
            raise EnvError(f"Chromium exited during start with code {self._proc.returncode}")

    def _wait_for_port(self, deadline: float) -> int:
        assert self._profile is not None
        port_file = Path(self._profile) / "DevToolsActivePort"
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                first_line = port_file.read_text().splitlines()[0]
                return int(first_line)
            except (FileNotFoundError, IndexError, ValueError):
                time.sleep(0.05)
        raise EnvError(f"Chromium wrote no DevToolsActivePort within {_START_TIMEOUT_S:g}s")

    def _wait_for_cdp(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                self.request("GET", "/json/version", timeout=2.0)
                return
            except EnvError:
                time.sleep(0.1)
        raise EnvError(f"Chromium's CDP did not answer within {_START_TIMEOUT_S:g}s")

    def _fill_screen(self, deadline: float) -> None:
        """Resize Chromium's top-level window to exactly the screen (it stops 1 px short)."""
        width, height = self._size
        xdisplay = connect_x(self._env["DISPLAY"])
        try:
            while time.monotonic() < deadline:
                self._check_alive()
                windows = _chromium_windows(xdisplay)
                if windows:
                    for window in windows:
                        window.configure(x=0, y=0, width=width, height=height)
                    xdisplay.sync()
                    return
                time.sleep(0.1)
            raise EnvError("Chromium mapped no window")
        finally:
            xdisplay.close()

    def request(self, method: str, path: str, *, timeout: float = 10.0) -> Any:
        """Call Chromium's DevTools HTTP endpoint (`/json/...`) and return the decoded JSON."""
        req = urllib.request.Request(self.cdp_url + path, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                body = response.read()
        except (urllib.error.URLError, OSError) as exc:
            raise EnvError(f"CDP {method} {path} failed: {exc}") from exc
        return json.loads(body) if body.strip() else None

    def open_url(self, url: str) -> dict[str, Any]:
        """Open `url` in a new tab; return its target description (id, url, ...)."""
        target: dict[str, Any] = self.request(
            "PUT", "/json/new?" + urllib.parse.quote(url, safe="")
        )
        return target

    def stop(self) -> None:
        """Terminate Chromium, its process group and any helper that left the group (crashpad
        daemonizes), reap what is ours, and delete the temp profile."""
        proc, self._proc = self._proc, None
        self._port = None
        if proc is not None:
            terminate_group(proc, name="Chromium")
        if self._root is not None:
            # Every process of this browser names our temp dir on its command line.
            kill_strays(self._root, name="Chromium helper")
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None
            self._profile = None


def _chromium_windows(xdisplay: Display) -> list[Any]:
    """Mapped top-level windows whose WM_CLASS names Chromium/Chrome and that are not tiny."""
    found = []
    root = xdisplay.screen().root
    try:
        for window in root.query_tree().children:
            attributes = window.get_attributes()
            if attributes.map_state != X.IsViewable:
                continue
            wm_class = window.get_wm_class() or ()
            if not any("chrom" in part.lower() for part in wm_class):
                continue
            geometry = window.get_geometry()
            if geometry.width > 100 and geometry.height > 100:
                found.append(window)
    except xerror.BadWindow:  # a window vanished while we looked: look again next time
        return []
    return found
