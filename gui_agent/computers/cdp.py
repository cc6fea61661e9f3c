"""A small Chrome DevTools Protocol client over one WebSocket, with flat sessions.

`CDPConnection.browser(cdp_url)` opens the browser-level socket named by `/json/version`;
`call` sends a command and waits for its reply; events go to the handlers registered with
`on(method, handler)`, run on the connection's reader thread (a handler that needs to call back
into CDP must use `send`, which does not wait, or the reader would wait on itself).

Used for the network allowlist (Fetch interception on every target) and for reading the facts
of the element under a point before a click (Runtime.evaluate on the visible page).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import websocket

from gui_agent.errors import EnvError

log = logging.getLogger(__name__)

EventHandler = Callable[[dict[str, Any], str | None], None]
"""Called with an event's params and the session id it came from (None: the browser)."""


def cdp_json(cdp_url: str, path: str, *, timeout: float = 5.0) -> Any:
    """GET one of Chromium's DevTools HTTP endpoints (`/json/version`, `/json/list`)."""
    try:
        with urllib.request.urlopen(cdp_url.rstrip("/") + path, timeout=timeout) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise EnvError(f"CDP {path} at {cdp_url} failed: {exc}") from exc


class CDPConnection:
    """One DevTools WebSocket; thread-safe `call`/`send`; events dispatched by a reader thread."""

    def __init__(self, ws_url: str, *, timeout: float = 10.0) -> None:
        try:
            self._ws = websocket.create_connection(ws_url, timeout=timeout, suppress_origin=True)
        except (OSError, websocket.WebSocketException) as exc:
            raise EnvError(f"cannot open CDP socket {ws_url}: {exc}") from exc
        self._ws.settimeout(None)
        self._timeout = timeout
        self._ids = itertools.count(1)
        self._pending: dict[int, Future[dict[str, Any]]] = {}
        self._handlers: dict[str, list[EventHandler]] = {}
        self._send_lock = threading.Lock()
        self._closed = threading.Event()
        self._reader = threading.Thread(target=self._read, name="cdp-reader", daemon=True)
        self._reader.start()

    @classmethod
    def browser(cls, cdp_url: str, *, timeout: float = 10.0) -> CDPConnection:
        """Connect to the browser target of the Chromium whose DevTools HTTP is at `cdp_url`."""
        version = cdp_json(cdp_url, "/json/version", timeout=timeout)
        return cls(version["webSocketDebuggerUrl"], timeout=timeout)

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def on(self, method: str, handler: EventHandler) -> None:
        self._handlers.setdefault(method, []).append(handler)

    def send(self, method: str, params: dict[str, Any] | None = None, *,
             session_id: str | None = None) -> Future[dict[str, Any]]:  # fmt: skip
        """Send a command without waiting; the future holds the result (or the error)."""
        message_id = next(self._ids)
        future: Future[dict[str, Any]] = Future()
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params or {}}
        if session_id is not None:
            message["sessionId"] = session_id
        self._pending[message_id] = future
        try:
            with self._send_lock:
                self._ws.send(json.dumps(message))
        except (OSError, websocket.WebSocketException) as exc:
            self._pending.pop(message_id, None)
            future.set_exception(EnvError(f"CDP {method} not sent: {exc}"))
        return future

    def call(self, method: str, params: dict[str, Any] | None = None, *,
             session_id: str | None = None, timeout: float | None = None) -> dict[str, Any]:  # fmt: skip
        """Send a command and wait for its result; a protocol error or timeout is an EnvError."""
        future = self.send(method, params, session_id=session_id)
        try:
            return future.result(timeout=timeout or self._timeout)
        except FutureTimeout as exc:
            raise EnvError(f"CDP {method} got no reply within {timeout or self._timeout:g}s") from exc

    def close(self) -> None:
        if not self._closed.is_set():
            self._closed.set()
            with contextlib.suppress(OSError, websocket.WebSocketException):
                self._ws.close()
        if threading.current_thread() is not self._reader:
            self._reader.join(timeout=2.0)

    def _read(self) -> None:
        while not self._closed.is_set():
            try:
                raw = self._ws.recv()
            except (OSError, websocket.WebSocketException):
                break
            if not raw:
                break
            message = json.loads(raw)
            if "id" in message:
                future = self._pending.pop(message["id"], None)
                if future is None:
                    continue
                if "error" in message:
                    error = message["error"].get("message", str(message["error"]))
                    future.set_exception(EnvError(f"CDP error: {error}"))
                else:
                    future.set_result(message.get("result", {}))
                continue
            for handler in self._handlers.get(message.get("method", ""), ()):
                try:
                    handler(message.get("params", {}), message.get("sessionId"))
                except Exception:  # noqa: BLE001 - one bad handler must not stop the reader
                    log.exception("CDP handler for %s failed", message.get("method"))
        self._closed.set()
        for future in list(self._pending.values()):
            if not future.done():
                future.set_exception(EnvError("CDP connection closed"))
        self._pending.clear()


def evaluate_on_visible_page(cdp_url: str, expression: str, *, timeout: float) -> dict[str, Any] | None:
    """Evaluate `expression` in each page tab until one (the visible one) returns a value."""
    for target in cdp_json(cdp_url, "/json/list", timeout=timeout):
        if target.get("type") != "page" or not target.get("webSocketDebuggerUrl"):
            continue
        if str(target.get("url", "")).startswith(("chrome://", "devtools://", "chrome-untrusted:")):
            continue
        connection = CDPConnection(target["webSocketDebuggerUrl"], timeout=timeout)
        try:
            reply = connection.call("Runtime.evaluate", {"expression": expression,
                                                         "returnByValue": True})  # fmt: skip
        finally:
            connection.close()
        value = reply.get("result", {}).get("value")
        if isinstance(value, dict):
            return value
    return None
