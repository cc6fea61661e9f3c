"""The allowlist proxy: WebSockets (which CDP Fetch never sees) and every other connection.

A real WebSocket server on 127.0.0.1 records each handshake with the Host it named; a real
Chromium started the way `gui-agent run --allow-domain localhost` starts it loads a page from
`localhost` that opens sockets to 127.0.0.1 in several spellings and to localhost. Not one
handshake may reach the server as anything but localhost, the allowed socket must carry a
message both ways, and every refused attempt is in the proxy's record. The proxy itself is
also checked with raw sockets: it listens on loopback only, refuses CONNECT and absolute-form
requests to hosts off the list before connecting anywhere, and forwards allowed ones.
"""

from __future__ import annotations

import base64
import hashlib
import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from gui_agent.allowlist import Allowlist
from gui_agent.computers.allowlist_proxy import AllowlistProxy
from gui_agent.computers.browser import BrowserComputer
from gui_agent.computers.cdp import cdp_json
from gui_agent.computers.network_guard import NetworkGuard
from gui_agent.computers.sandbox import SandboxDesktop
from tests.gui_fixtures import chromium_missing, wait_until, xvfb_missing

_WS_MAGIC = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class SocketSite:
    """One 127.0.0.1 port that serves a page and answers WebSocket handshakes (echoing once).

    `handshakes` lists (host, path) of every upgrade request that arrived; `requests` every
    plain request.
    """

    def __init__(self) -> None:
        self.handshakes: list[tuple[str, str]] = []
        self.requests: list[tuple[str, str]] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._server.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            head = data.decode("latin-1")
            path = head.split(" ")[1]
            host = re.search(r"(?im)^host:\s*([^\s:]+)", head)
            entry = (host.group(1) if host else "", path)
            key = re.search(r"(?im)^sec-websocket-key:\s*(\S+)", head)
            if key is None:
                self.requests.append(entry)
                if path.startswith("/sockets"):
                    body = _page(self.port).encode()
                elif path.startswith("/rtc?udp="):
                    body = _rtc_page(int(path.split("=", 1)[1])).encode()
                else:
                    body = b"ok"
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: "
                             b"%d\r\nConnection: close\r\n\r\n%s" % (len(body), body))  # fmt: skip
                return
            self.handshakes.append(entry)
            accept = base64.b64encode(hashlib.sha1((key.group(1) + _WS_MAGIC).encode()).digest())
            conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                         b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")  # fmt: skip
            message = _read_text_frame(conn)
            if message is not None:
                reply = ("echo:" + message).encode()
                conn.sendall(bytes([0x81, len(reply)]) + reply)
            conn.recv(1024)  # until the page closes


def _read_text_frame(conn: socket.socket) -> str | None:
    """One short masked text frame from a browser (all this test sends)."""
    head = conn.recv(2)
    if len(head) < 2:
        return None
    length = head[1] & 0x7F
    mask = conn.recv(4)
    payload = b""
    while len(payload) < length:
        payload += conn.recv(length - len(payload))
    return bytes(b ^ mask[i % 4] for i, b in enumerate(payload)).decode()


LEAKY_HOSTS = ("127.0.0.1", "2130706433", "0x7f000001", "127.1")


def _page(port: int) -> str:
    """Open every socket at once; the title collects what happened to each."""
    hosts = ",".join(f"'{h}'" for h in (*LEAKY_HOSTS, "localhost"))
    return (
        "<title>sockets</title><script>"
        f"for (const h of [{hosts}]) {{"
        f"  const w = new WebSocket('ws://' + h + ':{port}/ws?via=' + h);"
        "  w.onopen = () => w.send('hello from ' + h);"
        "  w.onmessage = (e) => { document.title += ' ' + e.data; };"
        "  w.onerror = () => { document.title += ' refused:' + h; };"
        "}</script>"
    )


def _rtc_page(udp_port: int) -> str:
    """WebRTC ICE gathering: STUN binding requests over UDP to 127.0.0.1 in two spellings."""
    return (
        "<title>rtc</title><script>"
        f"const pc = new RTCPeerConnection({{iceServers: [{{urls: 'stun:127.0.0.1:{udp_port}'}},"
        f" {{urls: 'stun:2130706433:{udp_port}'}}]}});"
        "pc.createDataChannel('leak');"
        "pc.onicegatheringstatechange = () => {"
        "  if (pc.iceGatheringState === 'complete') document.title = 'gathered'; };"
        "pc.createOffer().then((offer) => pc.setLocalDescription(offer));"
        "</script>"
    )


class UdpSink:
    """A UDP port on 127.0.0.1 that counts the datagrams it receives."""

    def __init__(self) -> None:
        self.received = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._receive, daemon=True).start()

    def _receive(self) -> None:
        while True:
            try:
                self._sock.recvfrom(4096)
            except OSError:
                return
            self.received += 1

    def close(self) -> None:
        self._sock.close()


@pytest.fixture
def udp_sink() -> Iterator[UdpSink]:
    sink = UdpSink()
    yield sink
    sink.close()


@pytest.fixture
def socket_site() -> Iterator[SocketSite]:
    site = SocketSite()
    yield site
    site.close()


@pytest.fixture(scope="module", params=["sandbox", "browser"])
def proxied_sandbox(request: Any) -> Iterator[tuple[Any, AllowlistProxy]]:
    """A computer whose Chromium was started through the proxy, as `run --allow-domain` does
    for `--env sandbox` (our own launch) and `--env browser` (Playwright's)."""
    reason = xvfb_missing() or chromium_missing()
    if reason:
        pytest.skip(reason)
    with AllowlistProxy(Allowlist.of(["localhost"])) as proxy:
        args, prefs = proxy.chromium_args(), proxy.chromium_prefs()
        if request.param == "sandbox":
            computer: Any = SandboxDesktop(width=800, height=600, chromium_args=args,
                                           chromium_prefs=prefs)  # fmt: skip
        else:
            computer = BrowserComputer(width=800, height=600, chromium_args=args,
                                       chromium_prefs=prefs)  # fmt: skip
        with computer:
            yield computer, proxy


def _title(cdp_url: str) -> str:
    pages = [t for t in cdp_json(cdp_url, "/json/list") if t["type"] == "page"]
    return " ".join(t["title"] for t in pages)


@pytest.mark.gui
def test_a_page_cannot_open_a_websocket_off_the_allowlist(proxied_sandbox: Any,
                                                          socket_site: SocketSite) -> None:  # fmt: skip
    desktop, proxy = proxied_sandbox
    proxy.blocked.clear()
    with NetworkGuard(desktop.cdp_url, proxy.allowlist) as guard:
        guard.navigate(f"http://localhost:{socket_site.port}/sockets")
        title = wait_until(lambda: (t := _title(desktop.cdp_url)).count("refused:") == 4
                           and "echo:hello from localhost" in t and t, timeout=30)  # fmt: skip
    assert socket_site.handshakes == [("localhost", "/ws?via=localhost")]  # only the allowed one
    assert all(host == "localhost" for host, _ in socket_site.requests)
    assert "echo:hello from localhost" in title  # the allowed socket works both ways
    refused = [attempt for attempt, _ in proxy.blocked if attempt.startswith("connect 127.0.0.1")]
    assert len(refused) == len(LEAKY_HOSTS)  # every spelling arrives as 127.0.0.1 and is refused
    assert all("127.0.0.1 is not on the allowlist" in reason for _, reason in proxy.blocked
               if "127.0.0.1" in _)  # fmt: skip


@pytest.mark.gui
def test_pages_still_load_through_the_proxy(proxied_sandbox: Any, socket_site: SocketSite) -> None:
    desktop, proxy = proxied_sandbox
    with NetworkGuard(desktop.cdp_url, proxy.allowlist) as guard:
        guard.navigate(f"http://localhost:{socket_site.port}/plain")
        wait_until(lambda: ("localhost", "/plain") in socket_site.requests, timeout=20)


@pytest.mark.gui
def test_webrtc_sends_no_udp_around_the_proxy(proxied_sandbox: Any, socket_site: SocketSite,
                                              udp_sink: UdpSink, sandbox: Any) -> None:  # fmt: skip
    # Control: the shared sandbox's Chromium, not started through the proxy, does send STUN.
    control = UdpSink()
    try:
        with NetworkGuard(sandbox.cdp_url, Allowlist.of(["localhost"])) as guard:
            guard.navigate(f"http://localhost:{socket_site.port}/rtc?udp={control.port}")
            wait_until(lambda: control.received > 0, timeout=20)
            guard.navigate("about:blank")
    finally:
        control.close()
    desktop, proxy = proxied_sandbox
    with NetworkGuard(desktop.cdp_url, proxy.allowlist) as guard:
        guard.navigate(f"http://localhost:{socket_site.port}/rtc?udp={udp_sink.port}")
        wait_until(lambda: "gathered" in _title(desktop.cdp_url), timeout=30)
    time.sleep(0.5)
    assert udp_sink.received == 0


# -- the proxy on its own (raw sockets, no browser) ----------------------------------------------


@pytest.fixture
def proxy() -> Iterator[AllowlistProxy]:
    with AllowlistProxy(Allowlist.of(["localhost"])) as running:
        yield running


def _ask(proxy: AllowlistProxy, request: bytes) -> tuple[str, socket.socket]:
    conn = socket.create_connection(("127.0.0.1", proxy.port), timeout=10)
    conn.sendall(request)
    reply = b""
    while b"\r\n\r\n" not in reply:
        chunk = conn.recv(4096)
        if not chunk:
            break
        reply += chunk
    return reply.decode("latin-1"), conn


def test_the_proxy_listens_on_loopback_only(proxy: AllowlistProxy) -> None:
    assert proxy.chromium_args()[0] == f"--proxy-server=http://127.0.0.1:{proxy.port}"
    assert "--proxy-bypass-list=<-loopback>" in proxy.chromium_args()  # loopback is not exempt
    assert proxy._server is not None and proxy._server.getsockname()[0] == "127.0.0.1"


@pytest.mark.parametrize("target", ["127.0.0.1", "2130706433", "0x7f.1", "[::1]", "example.org"])
def test_connect_to_a_host_off_the_list_is_refused_before_connecting(
    proxy: AllowlistProxy, socket_site: SocketSite, target: str
) -> None:
    reply, conn = _ask(proxy, f"CONNECT {target}:{socket_site.port} HTTP/1.1\r\n\r\n".encode())
    conn.close()
    assert reply.startswith("HTTP/1.1 403"), reply
    assert "not on the allowlist" in reply
    assert socket_site.handshakes == [] and socket_site.requests == []
    assert proxy.blocked and proxy.blocked[-1][0] == f"connect {target}:{socket_site.port}"


def test_connect_to_an_allowed_host_tunnels_bytes(proxy: AllowlistProxy,
                                                  socket_site: SocketSite) -> None:  # fmt: skip
    reply, conn = _ask(proxy, f"CONNECT localhost:{socket_site.port} HTTP/1.1\r\n\r\n".encode())
    assert reply.startswith("HTTP/1.1 200"), reply
    conn.sendall(b"GET /through HTTP/1.1\r\nHost: localhost\r\n\r\n")
    answer = conn.recv(4096)
    conn.close()
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"ok")
    assert socket_site.requests == [("localhost", "/through")]
    assert proxy.blocked == []


def test_plain_http_is_forwarded_only_to_allowed_hosts(proxy: AllowlistProxy,
                                                       socket_site: SocketSite) -> None:  # fmt: skip
    port = socket_site.port
    denied, conn = _ask(proxy, f"GET http://127.1:{port}/x HTTP/1.1\r\nHost: 127.1\r\n\r\n".encode())
    conn.close()
    assert denied.startswith("HTTP/1.1 403")
    allowed, conn = _ask(proxy, (f"GET http://localhost:{port}/y?q=1 HTTP/1.1\r\nHost: localhost\r\n"
                                 "Proxy-Connection: keep-alive\r\n\r\n").encode())  # fmt: skip
    conn.close()
    assert allowed.startswith("HTTP/1.1 200")
    assert socket_site.requests == [("localhost", "/y?q=1")]
    assert proxy.blocked == [(f"http://127.1:{port}/x", "127.0.0.1 is not on the allowlist")]


def test_a_request_that_is_not_http_gets_400(proxy: AllowlistProxy) -> None:
    reply, conn = _ask(proxy, b"\x16\x03\x01 hello\r\n\r\n")
    conn.close()
    assert reply.startswith("HTTP/1.1 400")
    assert proxy.blocked == []
