"""MiniWoB++ tasks on a SandboxDesktop: serve the pages, open a task, start it, read the reward.

The 130 task pages ship with the `miniwob` pip package (`miniwob/html/miniwob/*.html`, MIT).
They are served over HTTP on 127.0.0.1 (the pages load `../core/core.js`, so the whole `html`
folder is served) and opened in the sandbox's own Chromium. A desktop the env starts itself
shows Chromium as an `--app` window: no tab strip whose close box an agent could click (which
killed the page and, before recovery existed, every later episode), no omnibox to navigate
away with, and the page at screen (0, 0). A desktop given by the caller may be a normal
window with a tab strip. Either way where the page starts is measured, not assumed: an XTest
pointer move over the page makes Chromium report a mouse event whose `screenX - clientX` and
`screenY - clientY` are exactly the page's offset on the screen. Keyboard shortcuts can still
close even an app window: `restart` starts over on a fresh browser after an env error.

Starting an episode clicks `#sync-task-cover` with a real XTest click through the desktop's
`execute`, the same input path every agent action takes, but *before* the agent's episode
begins: the task's instruction (its utterance) only exists once the cover is clicked
(`genProblem` runs then), and the agent's goal is that instruction. So the start is the
environment's reset, as in MiniWoB++'s own gym environment, and not one of the agent's 15 steps.

The page is read and navigated over CDP (Playwright `connect_over_cdp`); only the agent's
actions and the start click go through the OS.
"""

from __future__ import annotations

import functools
import http.server
import logging
import threading
from dataclasses import dataclass
from importlib import util as importlib_util
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from gui_agent.actions import Click, Move
from gui_agent.computers.sandbox import SandboxDesktop
from gui_agent.errors import ConfigError, EnvError

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

log = logging.getLogger(__name__)

DEFAULT_EPISODE_TIME_S = 600.0
"""MiniWoB++ ends an episode after 10-20 s with reward -1; a model step alone can take longer,
so the bench gives an episode this long by default (`episode_time_s=None` keeps the task's)."""
_TIMEOUT_MS = 30_000
_CALIBRATION_ATTEMPTS = 5
_START_ATTEMPTS = 3
_NEXT_FRAME_JS = (
    "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
)

_CALIBRATE_JS = """() => {
  window.__guiAgentOffset = null;
  window.addEventListener('mousemove', e => {
    window.__guiAgentOffset = [e.screenX - e.clientX, e.screenY - e.clientY];
  }, {capture: true});
  return [screenX + outerWidth - innerWidth, screenY + outerHeight - innerHeight,
          devicePixelRatio];
}"""
_COVER_SHOWN_JS = """() => {
  const cover = document.getElementById('sync-task-cover');
  return cover !== null && getComputedStyle(cover).display !== 'none';
}"""
_STARTED_JS = """() => {
  const cover = document.getElementById('sync-task-cover');
  return cover !== null && getComputedStyle(cover).display === 'none'
    && typeof WOB_TASK_READY !== 'undefined' && WOB_TASK_READY !== false;
}"""
_OUTCOME_JS = """() => ({
  done: Boolean(WOB_DONE_GLOBAL),
  reward: Number(WOB_RAW_REWARD_GLOBAL),
  env_reward: Number(WOB_REWARD_GLOBAL),
  reason: WOB_REWARD_REASON === null || WOB_REWARD_REASON === undefined
    ? null : String(WOB_REWARD_REASON),
})"""


def miniwob_html_dir() -> Path:
    """The `html` folder of the installed `miniwob` package (ConfigError if it is missing)."""
    spec = importlib_util.find_spec("miniwob")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("MiniWoB++ is not installed: pip install miniwob (or gui-agent[dev])")
    for location in spec.submodule_search_locations:
        html = Path(location) / "html"
        if (html / "miniwob").is_dir() and (html / "core" / "core.js").is_file():
            return html
    raise ConfigError("the installed miniwob package has no html/miniwob task pages")


def available_tasks(html_dir: Path | None = None) -> list[str]:
    """Names of every MiniWoB++ task page, sorted ('click-button', 'enter-text', ...)."""
    folder = (html_dir or miniwob_html_dir()) / "miniwob"
    return sorted(path.stem for path in folder.glob("*.html"))


@dataclass(frozen=True)
class MiniWobOutcome:
    """The task page's own verdict: `reward` is the raw reward (-1..1), not scaled by time."""

    done: bool
    reward: float
    env_reward: float
    reason: str | None = None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("miniwob http: " + format, *args)


class MiniWobServer:
    """The MiniWoB++ `html` folder served read-only on 127.0.0.1 (a free port)."""

    def __init__(self, html_dir: Path | None = None) -> None:
        self.html_dir = html_dir or miniwob_html_dir()
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise EnvError("the MiniWoB++ server is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def task_url(self, task: str) -> str:
        return f"{self.url}/miniwob/{task}.html"

    def start(self) -> MiniWobServer:
        if self._server is None:
            handler = functools.partial(_QuietHandler, directory=str(self.html_dir))
            self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
            self._server.daemon_threads = True
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="miniwob-http", daemon=True
            )
            self._thread.start()
        return self

    def close(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=10)


class MiniWobEnv:
    """One sandbox desktop (given or owned) showing MiniWoB++ tasks, one task page at a time.

    Playwright's sync API allows one running instance per thread: use a MiniWobEnv on one
    thread, and read the page through `env.page` rather than a second Playwright.
    """

    def __init__(
        self,
        *,
        desktop: SandboxDesktop | None = None,
        html_dir: Path | None = None,
        episode_time_s: float | None = DEFAULT_EPISODE_TIME_S,
        width: int = 1280,
        height: int = 800,
        allow_shell: bool = False,
    ) -> None:
        """`desktop`: a caller's sandbox to use (never closed here); without one, the env
        starts its own (an app window, shell refused unless `allow_shell`) and closes it."""
        self._given_desktop = desktop
        self._allow_shell = allow_shell
        self._desktop = desktop
        self._size = (width, height)
        self._episode_time_s = episode_time_s
        self.server = MiniWobServer(html_dir)
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._page: Page | None = None
        self._offset: tuple[int, int] | None = None
        self._measured: tuple[tuple[int, int], tuple[int, int]] | None = None
        self.task: str | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> MiniWobEnv:
        """Serve the pages, start the desktop if this env owns it, connect over CDP."""
        if self._page is not None:
            return self
        from playwright.sync_api import Error, sync_playwright

        try:
            self.server.start()
            if self._desktop is None:
                width, height = self._size
                self._desktop = SandboxDesktop(width=width, height=height, app_mode=True,
                                               start_url=f"{self.server.url}/miniwob/",
                                               allow_shell=self._allow_shell)  # fmt: skip
            self._desktop.start()
            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.connect_over_cdp(
                self._desktop.cdp_url, timeout=_TIMEOUT_MS
            )
            contexts = self._browser.contexts
            pages = contexts[0].pages if contexts else []
            self._page = pages[0] if pages else self._browser.new_page()
            self._page.set_default_timeout(_TIMEOUT_MS)
        except Error as exc:
            self.close()
            raise EnvError(f"connecting to the sandbox's Chromium failed: {exc}") from exc
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Disconnect, stop serving, and close the desktop if this env started it."""
        try:
            self._disconnect()
        finally:
            self.server.close()
            self._close_own_desktop()

    def restart(self) -> None:
        """Start over after an env error: a new desktop if this env started its own, else a
        new connection (and page) on the caller's; EnvError if that fails too."""
        try:
            self._disconnect()
        finally:
            self._close_own_desktop()
        self.task, self._offset, self._measured = None, None, None
        self.start()

    def _disconnect(self) -> None:
        browser, playwright = self._browser, self._playwright
        self._browser = self._playwright = self._page = None
        if browser is not None:
            try:
                browser.close()  # over CDP this disconnects; Chromium keeps running
            except Exception:  # the browser may be gone already
                log.debug("disconnecting from Chromium failed", exc_info=True)
        if playwright is not None:
            try:
                playwright.stop()
            except Exception:  # its driver may have died with the browser
                log.debug("stopping Playwright failed", exc_info=True)

    def _close_own_desktop(self) -> None:
        if self._desktop is not None and self._given_desktop is None:
            self._desktop.close()
            self._desktop = None

    def __enter__(self) -> MiniWobEnv:
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
    def desktop(self) -> SandboxDesktop:
        if self._desktop is None:
            raise EnvError("the MiniWoB++ env is not started")
        return self._desktop

    @property
    def page(self) -> Page:
        """The Playwright page showing the task (for reading the DOM; act through the desktop)."""
        if self._page is None:
            raise EnvError("the MiniWoB++ env is not started")
        return self._page

    # -- tasks ---------------------------------------------------------------------------------

    def open(self, task: str) -> None:
        """Load `task`'s page, wait for its start cover, and measure where the page sits."""
        tasks = available_tasks(self.server.html_dir)
        if task not in tasks:
            close = [t for t in tasks if task.split("-")[0] in t][:8]
            hint = f"; similar: {', '.join(close)}" if close else ""
            raise ConfigError(f"no MiniWoB++ task named {task!r}{hint}")
        from playwright.sync_api import Error

        try:
            self.page.goto(self.server.task_url(task), wait_until="load")
            self.page.wait_for_function(_COVER_SHOWN_JS)
            self.page.evaluate(_NEXT_FRAME_JS)  # input before the first frame may be dropped
        except Error as exc:
            raise EnvError(f"MiniWoB++ task {task!r} did not load: {exc}") from exc
        self.task = task
        self._offset = self._measure_offset()

    def _measure_offset(self) -> tuple[int, int]:
        """The page's offset on the screen, from a mouse event (or the window's geometry).

        The window does not move between tasks, so a measurement is reused while the window's
        own geometry is unchanged. Pointer events sent before the page's first frame can be
        dropped, so the pointer is moved a few times before the measurement counts as failed.
        """
        from playwright.sync_api import Error

        est_x, est_y, ratio = self.page.evaluate(_CALIBRATE_JS)
        estimate = (int(est_x), int(est_y))
        if ratio != 1:
            log.warning("devicePixelRatio is %s; page offsets assume 1", ratio)
        if self._measured is not None and self._measured[0] == estimate:
            return self._measured[1]
        width, height = self.desktop.size
        for attempt in range(_CALIBRATION_ATTEMPTS):
            for dx in (20 + 2 * attempt, 21 + 2 * attempt):  # a still pointer sends no event
                x, y = min(estimate[0] + dx, width - 1), min(estimate[1] + dx, height - 1)
                self.desktop.execute(Move(x=x, y=y))
            try:
                self.page.wait_for_function("() => window.__guiAgentOffset !== null",
                                            timeout=1_000)  # fmt: skip
            except Error:
                continue
            offset_x, offset_y = self.page.evaluate("() => window.__guiAgentOffset")
            measured = (int(offset_x), int(offset_y))
            log.debug("page offset on screen: %s (window geometry says %s)", measured, estimate)
            self._measured = (estimate, measured)
            return measured
        log.warning("no mouse event reached the page; using the window geometry %s", estimate)
        return estimate

    def to_screen(self, x: float, y: float) -> tuple[int, int]:
        """Screen pixels of the page point (`x`, `y`) in CSS px of the viewport."""
        if self._offset is None:
            raise EnvError("no task is open")
        return round(x + self._offset[0]), round(y + self._offset[1])

    def begin_episode(self, *, seed: str | None = None) -> str:
        """Start an episode of the open task by clicking its cover; return the instruction."""
        from playwright.sync_api import Error

        if self.task is None:
            raise EnvError("open a task before beginning an episode")
        page = self.page
        try:
            page.wait_for_function(_COVER_SHOWN_JS)
            if self._episode_time_s is not None:
                page.evaluate("ms => { core.EPISODE_MAX_TIME = ms; }", self._episode_time_s * 1000)
            if seed is not None:
                page.evaluate("seed => Math.seedrandom(seed)", seed)
            self._click_cover()
            utterance = page.evaluate("() => core.getUtterance()")
        except Error as exc:
            raise EnvError(f"{self.task}: the episode did not start: {exc}") from exc
        if isinstance(utterance, dict):  # a few tasks return {utterance, fields}
            utterance = utterance.get("utterance", "")
        return str(utterance)

    def _click_cover(self) -> None:
        from playwright.sync_api import Error

        page = self.page
        for attempt in range(1, _START_ATTEMPTS + 1):
            box = page.locator("#sync-task-cover").bounding_box()
            if box is None or not page.evaluate(_COVER_SHOWN_JS):
                break  # a slow earlier click did start it
            x, y = self.to_screen(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            self.desktop.execute(Click(x=x, y=y))
            try:
                page.wait_for_function(_STARTED_JS, timeout=_TIMEOUT_MS / _START_ATTEMPTS)
                return
            except Error:
                log.debug("%s: start click %d did not start the episode", self.task, attempt)
        page.wait_for_function(_STARTED_JS, timeout=1_000)

    def outcome(self) -> MiniWobOutcome:
        """The task page's reward globals right now."""
        from playwright.sync_api import Error

        try:
            data = self.page.evaluate(_OUTCOME_JS)
        except Error as exc:
            raise EnvError(f"reading the MiniWoB++ reward failed: {exc}") from exc
        return MiniWobOutcome(
            done=data["done"],
            reward=data["reward"],
            env_reward=data["env_reward"],
            reason=data["reason"],
        )

    def stop_episode(self) -> None:
        """End a running episode with reward 0 (as MiniWoB++'s `force_stop`); shows the cover."""
        from playwright.sync_api import Error

        try:
            self.page.evaluate("() => core.endEpisode(0, false, 'stopped by the bench')")
        except Error as exc:
            raise EnvError(f"stopping the MiniWoB++ episode failed: {exc}") from exc
