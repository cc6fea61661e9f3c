"""A small synchronous client of Chromium's DevTools protocol: tabs, page DOM, page scripts.

Tabs come from the HTTP endpoints (`/json/list` lists pages most recently active first, so the
first page is the active tab; `/json/new`, `/json/activate`, `/json/close`). Scripts run in one
tab over its own websocket (`Runtime.evaluate`, promises awaited, values returned by value).

This module only talks to the browser. Whether a call is an observation (free) or an action
(one step of the budget) is decided by its caller: reads here change nothing; `navigate`,
`new_tab`, `activate`, `close` and scripts that change state are actions.

The websocket URL a browser reports names the host and port it was asked on; behind a port
forward (an OSWorld VM's 9222) that can differ from where we reach it, so the host and port of
`cdp_url` are always used.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

import httpx
import websocket

from gui_agent.computers.base import Computer, HasCDP
from gui_agent.errors import EnvError

log = logging.getLogger(__name__)

HTTP_TIMEOUT_S = 5.0
SCRIPT_TIMEOUT_S = 30.0
LOAD_TIMEOUT_S = 20.0
ANSWER_WAIT_S = 3.0

# Everything under a document, shadow roots included: chrome:// pages are nested web components.
DEEP_TEXT_JS = """(() => {
  const parts = [];
  const walk = (root) => {
    for (const node of root.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) {
        const text = node.textContent.trim();
        if (text) parts.push(text);
      } else if (node.nodeType === Node.ELEMENT_NODE) {
        const tag = node.tagName;
        if (tag === 'SCRIPT' || tag === 'STYLE' || tag === 'TEMPLATE') continue;
        if (node.shadowRoot) walk(node.shadowRoot);
        walk(node);
      }
    }
  };
  walk(document.body || document.documentElement);
  return parts.join('\\n');
})()"""


@dataclass(frozen=True)
class Tab:
    """One open page of the browser."""

    id: str
    url: str
    title: str
    websocket_url: str

    def line(self) -> str:
        return f"{self.title or '(untitled)'} <{self.url}>"


class CdpBrowser:
    """The browser behind `cdp_url` (http://host:port)."""

    def __init__(self, cdp_url: str, *, timeout: float = HTTP_TIMEOUT_S) -> None:
        self.cdp_url = cdp_url.rstrip("/")
        self._timeout = timeout
        self._ids = 0

    # -- tabs (HTTP) -----------------------------------------------------------------------

    def _http(self, method: str, path: str) -> Any:
        try:
            response = httpx.request(method, self.cdp_url + path, timeout=self._timeout)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise EnvError(f"CDP {method} {path} failed: {exc}") from exc
        text = response.text.strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError:
            return text  # /json/activate and /json/close answer plain text

    def answers(self) -> bool:
        try:
            self._http("GET", "/json/version")
        except EnvError:
            return False
        return True

    def tabs(self) -> list[Tab]:
        """Open pages, most recently active first (the first is the active tab)."""
        targets = self._http("GET", "/json/list") or []
        return [
            Tab(
                id=t["id"],
                url=t.get("url", ""),
                title=t.get("title", ""),
                websocket_url=self._reachable(t.get("webSocketDebuggerUrl", "")),
            )
            for t in targets
            if t.get("type") == "page"
        ]

    def active_tab(self) -> Tab | None:
        tabs = self.tabs()
        return tabs[0] if tabs else None

    def new_tab(self, url: str) -> Tab:
        target = self._http("PUT", "/json/new?" + urllib.parse.quote(url, safe=""))
        tab_id = target["id"]
        return next((tab for tab in self.tabs() if tab.id == tab_id), self._tab_of(target))

    def activate(self, tab: Tab) -> None:
        self._http("GET", f"/json/activate/{tab.id}")

    def close(self, tab: Tab) -> None:
        self._http("GET", f"/json/close/{tab.id}")

    def _tab_of(self, target: dict[str, Any]) -> Tab:
        return Tab(id=target["id"], url=target.get("url", ""), title=target.get("title", ""),
                   websocket_url=self._reachable(target.get("webSocketDebuggerUrl", "")))  # fmt: skip

    def _reachable(self, ws_url: str) -> str:
        if not ws_url:
            return ""
        ours = urllib.parse.urlsplit(self.cdp_url)
        theirs = urllib.parse.urlsplit(ws_url)
        return urllib.parse.urlunsplit(theirs._replace(netloc=ours.netloc))

    # -- one tab (websocket) -----------------------------------------------------------------

    def evaluate(self, tab: Tab, expression: str, *, timeout: float = SCRIPT_TIMEOUT_S) -> Any:
        """Run `expression` in `tab` and return its value (promises are awaited)."""
        reply = self.command(tab, "Runtime.evaluate", {
            "expression": expression, "awaitPromise": True, "returnByValue": True,
            "userGesture": True,
        }, timeout=timeout)  # fmt: skip
        if "exceptionDetails" in reply:
            details = reply["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text", "")
            raise EnvError(f"script failed in {tab.url}: {text.splitlines()[0] if text else '?'}")
        return reply.get("result", {}).get("value")

    def command(self, tab: Tab, method: str, params: dict[str, Any] | None = None, *,
                timeout: float = SCRIPT_TIMEOUT_S) -> dict[str, Any]:  # fmt: skip
        """Send one CDP command to `tab` and return its result."""
        if not tab.websocket_url:
            raise EnvError(f"tab {tab.url} has no debugger websocket (another client holds it?)")
        self._ids += 1
        message_id = self._ids
        try:
            conn = websocket.create_connection(tab.websocket_url, timeout=timeout,
                                               suppress_origin=True)  # fmt: skip
        except (OSError, websocket.WebSocketException) as exc:
            raise EnvError(f"cannot reach tab {tab.url} over CDP: {exc}") from exc
        try:
            conn.send(json.dumps({"id": message_id, "method": method, "params": params or {}}))
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                message = json.loads(conn.recv())
                if message.get("id") != message_id:
                    continue  # an event
                if "error" in message:
                    raise EnvError(f"CDP {method} failed: {message['error'].get('message')}")
                result: dict[str, Any] = message.get("result", {})
                return result
            raise EnvError(f"CDP {method} got no answer within {timeout:g}s")
        except (OSError, websocket.WebSocketException) as exc:
            raise EnvError(f"CDP {method} on {tab.url} failed: {exc}") from exc
        finally:
            conn.close()

    def navigate(self, tab: Tab, url: str, *, timeout: float = LOAD_TIMEOUT_S) -> Tab:
        """Load `url` in `tab` and wait until its document is ready; the tab as it is then."""
        self.command(tab, "Page.navigate", {"url": url})
        return self.wait_loaded(tab, timeout=timeout)

    def wait_loaded(self, tab: Tab, *, timeout: float = LOAD_TIMEOUT_S) -> Tab:
        """Poll until `tab`'s document is complete (or interactive at the deadline)."""
        deadline = time.monotonic() + timeout
        state = ""
        while time.monotonic() < deadline:
            try:
                state = self.evaluate(tab, "document.readyState", timeout=5.0) or ""
            except EnvError:
                state = ""
            if state == "complete":
                break
            time.sleep(0.1)
        return next((t for t in self.tabs() if t.id == tab.id), tab)

    def page_text(self, tab: Tab, *, limit: int = 20_000) -> str:
        """The visible text of `tab`, shadow roots included, at most `limit` characters."""
        text = self.evaluate(tab, DEEP_TEXT_JS) or ""
        return str(text)[:limit]


def browser_of(computer: Computer, *, wait: float = ANSWER_WAIT_S) -> CdpBrowser | None:
    """The computer's browser over CDP when one answers within `wait` s, else None."""
    if not isinstance(computer, HasCDP):
        return None
    try:
        url = computer.cdp_url
    except EnvError:
        return None  # the computer knows of no browser at all
    if not url:
        return None
    browser = CdpBrowser(url)
    deadline = time.monotonic() + wait
    while not browser.answers():
        if time.monotonic() > deadline:
            return None
        time.sleep(0.25)  # a browser launched a moment ago opens its port shortly
    return browser
