"""Setup steps about the browser: readiness, tabs over CDP, and the History database.

Readiness is checked from inside the machine (a one-line python3 probe through /setup/execute),
so it works whether or not the port is reachable from here (OSWorld's port 1337 is not; its
socat forward on 9222 is). Tabs are opened and closed with Playwright's `connect_over_cdp` on the
scored machine's CDP URL (`EvalEnv.cdp_url`), as OSWorld does.

update_browse_history writes Chrome's History sqlite with the given visits and uploads it into
the profile (the browser must not be running: these steps come before it is launched). The
empty History it starts from is OSWorld's cached `history_empty.sqlite` when the task's cache
folder has it, else one made here by starting this machine's Chromium headless on a throwaway
profile (cached under `<cache_dir>/.generated/`).
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import subprocess
import tempfile
import time
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict

from gui_agent.computers.chromium import find_chromium
from gui_agent.computers.processes import terminate_group
from gui_agent.errors import ConfigError, SetupError
from osworld_eval.getters.chrome_prefs import profile_path

if TYPE_CHECKING:
    from osworld_eval.setup import SetupContext

log = logging.getLogger(__name__)

# True once no live process holds the profile's SingletonLock (host-pid): a killed browser may
# leave the link behind, so the pid it names is what counts (a zombie counts as gone).
BROWSER_GONE = (
    "p=$(readlink ~/.config/google-chrome/SingletonLock) || exit 0; "
    's=$(cat "/proc/${p##*-}/stat" 2>/dev/null) || exit 0; '
    'case "${s##*) }" in Z*|X*) exit 0;; esac; exit 1'
)
HISTORY_CACHE_NAMES = ("history_empty.sqlite", "history_new.sqlite")
_CHROME_EPOCH = datetime(1601, 1, 1)
_TRANSITION_TYPED = 805306368  # what OSWorld writes: CHAIN_START | CHAIN_END | LINK
_GENERATE_TIMEOUT_S = 60.0


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpenTabs(_Params):
    urls_to_open: list[str]


class CloseTabs(_Params):
    urls_to_close: list[str]


class HistoryItem(_Params):
    url: str
    title: str
    visit_time_from_now_in_seconds: float


class BrowseHistory(_Params):
    history: list[HistoryItem]


# -- readiness ------------------------------------------------------------------------------


def _probe(ctx: SetupContext, code: str) -> bool:
    return ctx.api.execute(["python3", "-c", code], shell=False, timeout=30).returncode == 0


def wait_for_cdp(ctx: SetupContext, port: int) -> bool:
    """Poll until Chromium answers /json/version on 127.0.0.1:`port` inside the machine."""
    code = (
        "import urllib.request as r; "
        f"r.urlopen('http://127.0.0.1:{port}/json/version', timeout=2).read()"
    )
    return ctx.wait_until(f"CDP on port {port}", lambda: _probe(ctx, code))


def wait_for_port(ctx: SetupContext, port: int) -> bool:
    """Poll until something accepts connections on 127.0.0.1:`port` inside the machine."""
    code = f"import socket; socket.create_connection(('127.0.0.1', {port}), 2).close()"
    return ctx.wait_until(f"port {port}", lambda: _probe(ctx, code))


def cdp_url_when_ready(ctx: SetupContext) -> str:
    """The machine's CDP URL once it answers from here; SetupError after the timeout."""
    found: list[str] = []

    def answers() -> bool:
        url = ctx.env.cdp_url
        if not url:
            return False
        try:
            httpx.get(url.rstrip("/") + "/json/version", timeout=3).raise_for_status()
        except httpx.HTTPError:
            return False
        found.append(url)
        return True

    if not ctx.wait_until("the browser's CDP endpoint", answers, interval=0.5):
        raise SetupError(
            f"no browser answers CDP at {ctx.env.cdp_url or '(no CDP URL known)'} within "
            f"{ctx.ready_timeout_s:g}s; launch google-chrome with --remote-debugging-port first"
        )
    return found[-1]


# -- tabs -----------------------------------------------------------------------------------


def open_tabs(ctx: SetupContext, params: OpenTabs) -> None:
    """Open each URL in a new tab, then close the tab the browser started with (as OSWorld)."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    url = cdp_url_when_ready(ctx)
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.connect_over_cdp(url, timeout=30_000)
        except PlaywrightError as exc:
            raise SetupError(f"cannot connect to the browser at {url}: {exc.message}") from exc
        if not browser.contexts:
            raise SetupError(f"the browser at {url} has no open window to add tabs to")
        context = browser.contexts[0]
        first = list(context.pages)
        for index, target in enumerate(params.urls_to_open):
            page = context.new_page()
            try:
                page.goto(target, timeout=60_000)
            except PlaywrightError as exc:  # offline pages still open as tabs
                log.warning("tab %d (%s) did not load: %s", index + 1, target, exc.message[:200])
            if index == 0:
                for old in first:
                    old.close()
        log.info("opened %d tabs", len(params.urls_to_open))


def same_url(a: str, b: str) -> bool:
    """URLs equal up to scheme case, a leading www. and a trailing slash."""

    def norm(url: str) -> tuple[str, str, str, str]:
        parts = urlsplit(url.strip())
        host = parts.netloc.lower().removeprefix("www.")
        return parts.scheme.lower(), host, parts.path.rstrip("/"), parts.query

    return norm(a) == norm(b)


def close_tabs(ctx: SetupContext, params: CloseTabs) -> None:
    """Close the first open tab matching each URL; a URL with no open tab is only logged."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    url = cdp_url_when_ready(ctx)
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.connect_over_cdp(url, timeout=30_000)
        except PlaywrightError as exc:
            raise SetupError(f"cannot connect to the browser at {url}: {exc.message}") from exc
        pages = [page for context in browser.contexts for page in context.pages]
        for target in params.urls_to_close:
            match = next((page for page in pages if same_url(page.url, target)), None)
            if match is None:
                log.warning("no open tab shows %s", target)
                continue
            pages.remove(match)
            match.close()


# -- history --------------------------------------------------------------------------------


def update_browse_history(ctx: SetupContext, params: BrowseHistory) -> None:
    """Write the visits into an empty History and upload it into the browser's profile."""
    if not ctx.succeeds(BROWSER_GONE):
        log.warning("the browser is running: it may overwrite the History written now")
    with tempfile.TemporaryDirectory(prefix="osworld-history-") as folder:
        database = Path(folder) / "History"
        shutil.copyfile(_empty_history(ctx), database)
        now = datetime.now()
        with closing(sqlite3.connect(database)) as conn, conn:
            for item in params.history:
                when = now - timedelta(seconds=item.visit_time_from_now_in_seconds)
                stamp = int((when - _CHROME_EPOCH).total_seconds() * 1_000_000)
                cursor = conn.execute(
                    "INSERT INTO urls (url, title, visit_count, typed_count, last_visit_time, "
                    "hidden) VALUES (?, ?, 1, 0, ?, 0)",
                    (item.url, item.title, stamp),
                )
                conn.execute(
                    "INSERT INTO visits (url, visit_time, from_visit, transition, segment_id, "
                    "visit_duration) VALUES (?, ?, 0, ?, 0, 0)",
                    (cursor.lastrowid, stamp, _TRANSITION_TYPED),
                )
        target = ctx.machine_path(profile_path(ctx.env, "History"))
        reply = ctx.api.upload(target, database.read_bytes())
        if not reply.ok:
            raise SetupError(f"cannot upload History to {target}: HTTP {reply.status}")
    log.info("wrote %d history entries to %s", len(params.history), target)


def _empty_history(ctx: SetupContext) -> Path:
    for name in HISTORY_CACHE_NAMES:
        cached = ctx.task_cache / name
        if cached.is_file():
            return cached
    generated = ctx.cache_dir / ".generated" / "history_empty.sqlite"
    if not generated.is_file():
        generate_empty_history(generated)
    return generated


def generate_empty_history(target: Path) -> None:
    """Start this machine's Chromium headless on a throwaway profile and keep its History."""
    try:
        chromium = find_chromium()
    except ConfigError as exc:
        raise SetupError(
            f"no empty History in the cache and no Chromium to make one: {exc}"
        ) from exc
    with tempfile.TemporaryDirectory(prefix="osworld-profile-") as profile:
        history = Path(profile) / "Default" / "History"
        argv = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                f"--user-data-dir={profile}", "about:blank"]  # fmt: skip
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
        try:
            # The browser holds History locked while it runs: wait for the file, then stop it.
            deadline = time.monotonic() + _GENERATE_TIMEOUT_S
            while time.monotonic() < deadline:
                if history.is_file() and history.stat().st_size > 0:
                    break
                time.sleep(0.2)
        finally:
            terminate_group(proc, name="chromium (History maker)")
        if not _has_history_tables(history):
            raise SetupError(f"Chromium made no History database within {_GENERATE_TIMEOUT_S:g}s")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        with closing(sqlite3.connect(history)) as source, closing(sqlite3.connect(partial)) as out:
            source.backup(out)
            out.execute("DELETE FROM urls")
            out.execute("DELETE FROM visits")
            out.commit()
        partial.replace(target)
    log.info("made an empty Chromium History at %s", target)


def _has_history_tables(path: Path) -> bool:
    if not path.is_file():
        return False
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.Error:
        return False
    return {"urls", "visits", "meta"} <= names
