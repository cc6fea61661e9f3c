"""Enforce an Allowlist inside the browser's network stack: every request, every tab.

`NetworkGuard(cdp_url, allowlist, on_block=...)` opens the browser-level DevTools socket and
enables Fetch interception there, which pauses every request of every target (tabs opened by
the page, redirects hop by hop, iframes, workers, the browser's own fetches) before it leaves;
the guard continues the allowed ones and fails the others with BlockedByClient. Chromium has
already canonicalised the host (`http://2130706433/` arrives as `http://127.0.0.1/`), and the
Allowlist canonicalises again, so no spelling of an address changes the verdict.

Documents that need no request (`data:`, `file:`, a `blob:` of another origin) are caught from
target events: a tab that shows one is sent back to about:blank. Guard state is fail-closed: if
the guard's socket dies, paused requests stay paused (nothing leaves) until the guard is gone.

Every refusal is reported through `on_block(url, reason)`: the policy records it and the loop
tells the model what was blocked.

Fetch never sees a WebSocket handshake: a browser gui-agent starts itself also connects only
through the allowlist proxy (allowlist_proxy.py), which refuses those; one it did not start
(a VM's Chrome) keeps that gap.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from gui_agent.allowlist import Allowlist
from gui_agent.computers.cdp import CDPConnection
from gui_agent.errors import EnvError

log = logging.getLogger(__name__)

OnBlock = Callable[[str, str], None]
BLANK = "about:blank"


class NetworkGuard:
    """Keeps one Chromium inside an allowlist while open; `close()` lifts it."""

    def __init__(self, cdp_url: str, allowlist: Allowlist, *, on_block: OnBlock | None = None) -> None:
        self._cdp_url = cdp_url
        self.allowlist = allowlist
        self._on_block = on_block
        self._connection: CDPConnection | None = None
        self._jobs: queue.Queue[str | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self.blocked: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def start(self) -> NetworkGuard:
        connection = CDPConnection.browser(self._cdp_url)
        self._connection = connection
        connection.on("Fetch.requestPaused", self._on_request)
        connection.on("Target.targetCreated", self._on_target)
        connection.on("Target.targetInfoChanged", self._on_target)
        self._worker = threading.Thread(target=self._work, name="network-guard", daemon=True)
        self._worker.start()
        try:
            connection.call("Fetch.enable", {"patterns": [{"urlPattern": "*", "requestStage": "Request"}]})
            connection.call("Target.setDiscoverTargets", {"discover": True})
        except BaseException:
            self.close()
            raise
        return self

    def __enter__(self) -> NetworkGuard:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._worker is not None:
            self._jobs.put(None)
            self._worker.join(timeout=5.0)
            self._worker = None
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def navigate(self, url: str) -> None:
        """Open `url` in the first page tab, through the guard (a blocked URL is recorded)."""
        connection = self._require()
        targets = connection.call("Target.getTargets")["targetInfos"]
        pages = [t for t in targets if t["type"] == "page" and not t["url"].startswith(
                 ("chrome://omnibox", "chrome-untrusted:", "devtools:"))]  # fmt: skip
        if not pages:
            raise EnvError("the browser has no page tab to open a URL in")
        connection.call("Target.activateTarget", {"targetId": pages[0]["targetId"]})
        self._navigate_target(pages[0]["targetId"], url)

    # -- handlers (run on the CDP reader thread: never wait on a reply here) --------------------

    def _on_request(self, params: dict[str, Any], session_id: str | None) -> None:
        connection = self._connection
        if connection is None:
            return
        url = params["request"]["url"]
        verdict = self.allowlist.check(url)
        if verdict.allowed:
            connection.send("Fetch.continueRequest", {"requestId": params["requestId"]},
                            session_id=session_id)  # fmt: skip
            return
        connection.send("Fetch.failRequest", {"requestId": params["requestId"],
                                              "errorReason": "BlockedByClient"},
                        session_id=session_id)  # fmt: skip
        self._report(url, verdict.reason)

    def _on_target(self, params: dict[str, Any], session_id: str | None) -> None:
        info = params.get("targetInfo", {})
        url = str(info.get("url", ""))
        if info.get("type") != "page" or not url or url.split(":", 1)[0] in ("http", "https"):
            return  # network URLs are judged by their requests
        verdict = self.allowlist.check(url)
        if not verdict.allowed:
            self._report(url, verdict.reason)
            self._jobs.put(info["targetId"])

    def _report(self, url: str, reason: str) -> None:
        shown = url if len(url) <= 200 else url[:200] + "..."
        with self._lock:
            self.blocked.append((shown, reason))
        log.info("blocked %s: %s", shown, reason)
        if self._on_block is not None:
            self._on_block(shown, reason)

    # -- worker: steps that wait on CDP replies ------------------------------------------------

    def _work(self) -> None:
        while True:
            target_id = self._jobs.get()
            if target_id is None:
                return
            try:
                self._navigate_target(target_id, BLANK)
            except EnvError as exc:
                log.warning("could not send a blocked tab back to %s: %s", BLANK, exc.message)

    def _navigate_target(self, target_id: str, url: str) -> None:
        connection = self._require()
        session = connection.call("Target.attachToTarget", {"targetId": target_id, "flatten": True})
        session_id = session["sessionId"]
        try:
            connection.call("Page.navigate", {"url": url}, session_id=session_id)
        finally:
            connection.send("Target.detachFromTarget", {"sessionId": session_id})

    def _require(self) -> CDPConnection:
        if self._connection is None or self._connection.closed:
            raise EnvError("the network guard is not running")
        return self._connection
