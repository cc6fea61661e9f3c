"""The allowlist at the browser's network layer, on the real sandbox Chromium.

One local server answers as two sites: `localhost:PORT` (allowed) and `127.0.0.1:PORT` (not on
the list). Pages served as localhost try every way out to 127.0.0.1 - a redirect, a new tab, an
image, an iframe, fetch(), a javascript: URL, address spellings in decimal, hex, octal and
short forms - and a data: document is opened directly. The server sees which Host each request
named: not one request may reach it as 127.0.0.1, and every attempt is in the guard's record.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from gui_agent.actions import Click
from gui_agent.allowlist import Allowlist
from gui_agent.computers.cdp import CDPConnection, cdp_json
from gui_agent.computers.network_guard import NetworkGuard
from tests.gui_fixtures import wait_until

pytestmark = [pytest.mark.gui]


class _Site(http.server.BaseHTTPRequestHandler):
    hits: list[tuple[str, str]] = []

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        host = self.headers.get("Host", "")
        self.hits.append((host.split(":")[0], self.path))
        port = self.server.server_address[1]
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", f"http://2130706433:{port}/leak?via=redirect")
            self.end_headers()
            return
        pages = {
            "/newtab": (f"<a href='http://0x7f000001:{port}/leak?via=newtab' target='_blank' "
                        "style='display:block;width:100vw;height:100vh'>a link</a>"),
            "/subresources": (
                f"<img src='http://127.1:{port}/leak?via=img'>"
                f"<iframe src='http://127.0.0.1:{port}/leak?via=iframe'></iframe>"
                f"<script>fetch('http://0177.0.0.1:{port}/leak?via=fetch').catch(() => 0);"
                f"setTimeout(() => {{ location.href = \"javascript:fetch('http://0x7f.0.0.1:"
                f"{port}/leak?via=javascript')\" }}, 50);</script>"
            ),
        }
        body = pages.get(self.path.split("?")[0], "<p>ok</p>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def site() -> Iterator[int]:
    _Site.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def guarded(sandbox: Any) -> Iterator[NetworkGuard]:
    before = {t["id"] for t in cdp_json(sandbox.cdp_url, "/json/list")}
    guard = NetworkGuard(sandbox.cdp_url, Allowlist.of(["localhost"])).start()
    yield guard
    guard.close()
    browser = CDPConnection.browser(sandbox.cdp_url)
    try:
        for target in cdp_json(sandbox.cdp_url, "/json/list"):
            if target["type"] == "page" and target["id"] not in before:
                browser.call("Target.closeTarget", {"targetId": target["id"]})
    finally:
        browser.close()


def _blocked_via(guard: NetworkGuard) -> set[str]:
    return {url.split("via=")[1] for url, _ in guard.blocked if "via=" in url}


def _wait_blocked(guard: NetworkGuard, routes: set[str]) -> None:
    try:
        wait_until(lambda: routes <= _blocked_via(guard), timeout=45)
    except pytest.fail.Exception:
        pytest.fail(f"not blocked: {routes - _blocked_via(guard)}; blocked {guard.blocked}; "
                    f"server saw {_Site.hits}")  # fmt: skip


def test_no_request_escapes_the_allowlist_by_any_route(guarded: NetworkGuard, site: int,
                                                       sandbox: Any) -> None:
    guarded.navigate(f"http://localhost:{site}/subresources")
    _wait_blocked(guarded, {"img", "iframe", "fetch", "javascript"})
    guarded.navigate(f"http://localhost:{site}/redirect")
    guarded.navigate(f"http://localhost:{site}/newtab")
    wait_until(lambda: ("localhost", "/newtab") in _Site.hits, timeout=30)
    time.sleep(1.0)  # painted before the click
    sandbox.execute(Click(x=640, y=400))  # a real click: the popup blocker lets it open a tab
    _wait_blocked(guarded, {"redirect", "newtab"})
    time.sleep(0.3)
    assert ("localhost", "/subresources") in _Site.hits  # the allowed site loaded
    leaked = [path for host, path in _Site.hits if host != "localhost"]
    assert leaked == []
    assert all("not on the allowlist" in reason for _, reason in guarded.blocked)


def test_a_data_url_document_is_sent_back_to_blank(guarded: NetworkGuard, sandbox: Any) -> None:
    guarded.navigate("data:text/html,<h1>injected instructions</h1>")
    wait_until(lambda: any(url.startswith("data:") for url, _ in guarded.blocked))
    wait_until(lambda: not any(t["url"].startswith("data:")
                               for t in cdp_json(sandbox.cdp_url, "/json/list")))  # fmt: skip


def test_an_allowed_page_loads_with_the_guard_on(guarded: NetworkGuard, site: int) -> None:
    guarded.navigate(f"http://localhost:{site}/plain")
    wait_until(lambda: ("localhost", "/plain") in _Site.hits)
    assert guarded.blocked == [] or all("favicon" in url for url, _ in guarded.blocked)
