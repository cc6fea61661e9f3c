"""A local proxy that lets a browser open connections only to allowlisted hosts.

CDP Fetch interception (network_guard.py) never sees a WebSocket handshake, so on its own a
page on an allowed site could still `new WebSocket("ws://elsewhere/")`. Chromium started with
`AllowlistProxy.chromium_args()` sends every connection through this proxy instead - http
requests in absolute form, https and WebSockets (ws and wss) as CONNECT tunnels - including
loopback and IP literals (`--proxy-bypass-list=<-loopback>` removes Chromium's implicit
loopback bypass). The browser resolves no names itself, so a host is judged as it was written,
in canonical form (`2130706433` is 127.0.0.1), before anything is resolved or connected.

Not an open proxy: it listens on 127.0.0.1 only, and opens nothing but connections to
allowlisted hosts. A plain http request is forwarded on a fresh upstream connection and the
client connection ends with its response, so one connection cannot carry a later request to
another host. Every refusal is reported through `on_block(url, reason)` like the Fetch guard's.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import threading
import urllib.parse
from collections.abc import Callable
from typing import Any

from gui_agent.allowlist import Allowlist

log = logging.getLogger(__name__)

OnBlock = Callable[[str, str], None]
_HEAD_LIMIT = 64 * 1024
_IDLE_TIMEOUT_S = 300.0
_DROPPED_HEADERS = ("proxy-connection", "proxy-authorization", "connection", "keep-alive")


class ProxyRequestError(Exception):
    """A request the proxy cannot parse (answered 400)."""


class AllowlistProxy:
    """`start()` listens on 127.0.0.1; `chromium_args()` points a browser at it; `close()`."""

    def __init__(self, allowlist: Allowlist, *, on_block: OnBlock | None = None,
                 connect_timeout: float = 10.0) -> None:  # fmt: skip
        self.allowlist = allowlist
        self.on_block = on_block  # may be replaced while running
        self._connect_timeout = connect_timeout
        self._server: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self.blocked: list[tuple[str, str]] = []

    def start(self) -> AllowlistProxy:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.bind(("127.0.0.1", 0))
        server.listen(128)
        self._server = server
        self._acceptor = threading.Thread(target=self._accept, name="allowlist-proxy", daemon=True)
        self._acceptor.start()
        return self

    def __enter__(self) -> AllowlistProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the allowlist proxy is not started")
        return int(self._server.getsockname()[1])

    def chromium_args(self) -> list[str]:
        """Send every connection (loopback included) through this proxy."""
        return [f"--proxy-server=http://127.0.0.1:{self.port}", "--proxy-bypass-list=<-loopback>"]

    @staticmethod
    def chromium_prefs() -> dict[str, Any]:
        """Profile preferences that keep WebRTC from sending UDP around the proxy.

        Measured: with only the switches, a page's STUN requests still reach any host over UDP;
        with this policy WebRTC uses nothing but proxied connections (TURN over TCP, through
        CONNECT, judged like every other). `--force-webrtc-ip-handling-policy` did not do it.
        """
        return {"webrtc": {"ip_handling_policy": "disable_non_proxied_udp"}}

    def close(self) -> None:
        self._closing.set()
        if self._server is not None:
            with contextlib.suppress(OSError):
                self._server.shutdown(socket.SHUT_RDWR)
            self._server.close()
        if self._acceptor is not None:
            self._acceptor.join(timeout=5.0)
            self._acceptor = None
        with self._lock:
            for sock in list(self._open):
                _close(sock)
            self._open.clear()

    # -- connections ---------------------------------------------------------------------------

    def _accept(self) -> None:
        assert self._server is not None
        while not self._closing.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), name="allowlist-proxy-conn",
                             daemon=True).start()  # fmt: skip

    def _serve(self, client: socket.socket) -> None:
        self._track(client)
        upstream: socket.socket | None = None
        try:
            client.settimeout(30.0)
            head, rest = _read_head(client)
            method, target, headers = _parse_head(head)
            if method == "CONNECT":
                host, port = _split_authority(target, default_port=443)
                shown = f"connect {target}"
            else:
                parts = urllib.parse.urlsplit(target)
                if parts.scheme not in ("http", "ws") or not parts.hostname:
                    raise ProxyRequestError(f"not an absolute http URL: {target[:100]!r}")
                host, port = parts.hostname, parts.port or 80
                shown = target
            verdict = self.allowlist.check(f"http://{_bracketed(host)}/")
            if not verdict.allowed:
                self._report(shown, verdict.reason)
                _answer(client, 403, f"blocked by the allowlist: {verdict.reason}")
                return
            try:
                upstream = socket.create_connection((host, port), timeout=self._connect_timeout)
            except OSError as exc:
                _answer(client, 502, f"cannot connect to {host}:{port}: {exc}")
                return
            self._track(upstream)
            if method == "CONNECT":
                client.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                upstream.sendall(rest)
            else:
                upstream.sendall(_origin_form(method, target, headers) + rest)
            _pipe(client, upstream, self._closing)
        except ProxyRequestError as exc:
            _answer(client, 400, str(exc))
        except (OSError, ValueError) as exc:  # ValueError: a socket closed by close()
            log.debug("allowlist proxy connection ended: %s", exc)
        finally:
            for sock in (client, upstream):
                if sock is not None:
                    self._untrack(sock)
                    _close(sock)

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.add(sock)

    def _untrack(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.discard(sock)

    def _report(self, url: str, reason: str) -> None:
        shown = url if len(url) <= 200 else url[:200] + "..."
        with self._lock:
            self.blocked.append((shown, reason))
        log.info("proxy blocked %s: %s", shown, reason)
        on_block = self.on_block
        if on_block is not None:
            on_block(shown, reason)


# -- pure-ish pieces ---------------------------------------------------------------------------


def _read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        if len(data) > _HEAD_LIMIT:
            raise ProxyRequestError("request head too large")
        chunk = sock.recv(8192)
        if not chunk:
            raise ProxyRequestError("connection closed before a request arrived")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    return head, rest


def _parse_head(head: bytes) -> tuple[str, str, list[tuple[str, str]]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise ProxyRequestError(f"bad request line {lines[0][:100]!r}")
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise ProxyRequestError(f"bad header line {line[:100]!r}")
        headers.append((name.strip(), value.strip()))
    return parts[0].upper(), parts[1], headers


def _split_authority(authority: str, *, default_port: int) -> tuple[str, int]:
    try:
        parts = urllib.parse.urlsplit(f"//{authority}")
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise ProxyRequestError(f"bad CONNECT target {authority[:100]!r}") from exc
    if not host:
        raise ProxyRequestError(f"bad CONNECT target {authority[:100]!r}")
    return host, port or default_port


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _origin_form(method: str, target: str, headers: list[tuple[str, str]]) -> bytes:
    """The request as the origin server expects it: path only, no proxy headers.

    An Upgrade (a ws:// handshake sent in the clear) keeps its Connection header; every other
    request asks the server to close after its response.
    """
    parts = urllib.parse.urlsplit(target)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    upgrading = any(name.lower() == "upgrade" for name, _ in headers)
    kept = [(n, v) for n, v in headers if n.lower() not in _DROPPED_HEADERS
            or (upgrading and n.lower() == "connection")]  # fmt: skip
    if not upgrading:
        kept.append(("Connection", "close"))
    lines = [f"{method} {path} HTTP/1.1", *(f"{n}: {v}" for n, v in kept)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _answer(sock: socket.socket, status: int, message: str) -> None:
    reason = {400: "Bad Request", 403: "Forbidden", 502: "Bad Gateway"}[status]
    body = (message + "\n").encode()
    head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")  # fmt: skip
    with contextlib.suppress(OSError):
        sock.sendall(head.encode() + body)


def _pipe(a: socket.socket, b: socket.socket, closing: threading.Event) -> None:
    """Copy bytes both ways until either side closes (or nothing moves for a long while)."""
    for sock in (a, b):
        sock.settimeout(None)
    peers = {a: b, b: a}
    while not closing.is_set():
        ready, _, _ = select.select([a, b], [], [], _IDLE_TIMEOUT_S)
        if not ready:
            return
        for sock in ready:
            data = sock.recv(65536)
            if not data:
                return
            peers[sock].sendall(data)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
