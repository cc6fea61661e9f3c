"""Tier 2: the DOM of the browser's visible tab, read over the Chrome DevTools Protocol.

One `Runtime.evaluate` of dom_script.js per page target returns the visible elements with
their accessible names (aria-label, aria-labelledby, `<label>`, alt, placeholder, own text)
and roles (explicit, else from the tag), walking open shadow roots and same-origin iframes.
Boxes come back in screen pixels: page coordinates plus the window's position and the browser
chrome above the page (`outer - inner` size), times devicePixelRatio. Closed shadow roots and
cross-origin iframes (separate renderer targets) are not read.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx

from gui_agent.errors import EnvError
from gui_agent.grounding.elements import Box, Element

log = logging.getLogger(__name__)
SCRIPT = Path(__file__).with_name("dom_script.js").read_text()


def elements_from_rows(
    rows: list[list[Any]], *, screen_size: tuple[int, int] | None = None
) -> list[Element]:
    """Elements from the script's rows `[name, role, x, y, w, h, ...]` (as data sets store them)."""
    found: list[Element] = []
    for name, role, x, y, width, height, *_ in rows:
        box: Box | None = Box(int(x), int(y), int(x) + int(width), int(y) + int(height))
        if screen_size is not None and box is not None:
            box = box.clipped(*screen_size)
        if box is not None and str(name).strip():
            found.append(Element(name=str(name), role=str(role), box=box, tier="dom"))
    return found


def read_dom_rows(cdp_url: str, *, timeout: float = 5.0) -> list[list[Any]]:
    """The rows of the first visible page target; [] when no tab is visible."""
    try:
        targets = httpx.get(f"{cdp_url.rstrip('/')}/json/list", timeout=timeout).json()
    except (httpx.HTTPError, ValueError) as exc:
        raise EnvError(f"cannot list the browser's pages at {cdp_url}: {exc}") from exc
    for target in targets:
        if target.get("type") != "page" or not target.get("webSocketDebuggerUrl"):
            continue
        rows = _evaluate(target["webSocketDebuggerUrl"], SCRIPT, timeout=timeout)
        if rows is not None:
            return list(rows)
    return []


def read_dom(
    cdp_url: str, *, screen_size: tuple[int, int] | None = None, timeout: float = 5.0
) -> list[Element]:
    return elements_from_rows(read_dom_rows(cdp_url, timeout=timeout), screen_size=screen_size)


def _evaluate(ws_url: str, expression: str, *, timeout: float) -> Any:
    import websocket  # websocket-client

    try:
        connection = websocket.create_connection(ws_url, timeout=timeout, suppress_origin=True)
    except (OSError, websocket.WebSocketException) as exc:
        log.info("cannot reach page target %s: %s", ws_url, exc)
        return None
    try:
        connection.send(
            json.dumps(
                {
                    "id": 1,
                    "method": "Runtime.evaluate",
                    "params": {"expression": expression, "returnByValue": True},
                }
            )
        )
        while True:
            message = json.loads(connection.recv())
            if message.get("id") == 1:
                break
    except (OSError, websocket.WebSocketException, ValueError) as exc:
        raise EnvError(f"reading the DOM over CDP failed: {exc}") from exc
    finally:
        connection.close()
    result = message.get("result", {})
    if "exceptionDetails" in result:
        raise EnvError(f"the DOM script failed: {result['exceptionDetails'].get('text')}")
    return result.get("result", {}).get("value")
