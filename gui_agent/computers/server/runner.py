"""Running the server: on a thread for tests and embedding, or in the foreground for the CLI.

`run_server` is what `gui-agent serve` calls: a SandboxDesktop without its own browser (so the
session's `google-chrome`, on the profile OSWorld tasks edit, is the only one), the server on
top, and optionally that browser started at once with CDP on 9222. Ctrl+C unwinds through the
`with` blocks: the server stops, the session's programs stop, then the desktop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from gui_agent.computers.server.app import close_app, create_app, served_by
from gui_agent.computers.server.desktop import DesktopLike
from gui_agent.computers.server.security import check_bind
from gui_agent.computers.server.session import Session
from gui_agent.computers.server.shims import devtools_port, port_in_use
from gui_agent.errors import EnvError

log = logging.getLogger(__name__)

BROWSER_CDP_PORT = 9222
_BROWSER_START_S = 60.0


class _QuietRequestHandler(WSGIRequestHandler):
    """Request lines go to our logger at DEBUG: werkzeug's own would configure logging."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("%s %s -> %s", self.command, self.path, code)

    def log(self, type: str, message: str, *args: object) -> None:
        log.debug("werkzeug %s: " + message, type, *args)


class DesktopServer:
    """The protocol server for one desktop on host:port (port 0: any free port)."""

    def __init__(
        self,
        desktop: DesktopLike,
        *,
        host: str = "127.0.0.1",
        port: int = 5000,
        token: str | None = None,
        allowed_roots: list[Path] | None = None,
        home: Path | None = None,
        isolate: bool = False,
        home_inside: Path | None = None,
    ) -> None:
        check_bind(host, token)
        self.host = host
        self.port = port
        self.app = create_app(desktop, token=token, allowed_roots=allowed_roots, home=home,
                              isolate=isolate, home_inside=home_inside)  # fmt: skip
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def session(self) -> Session:
        return served_by(self.app).session

    @property
    def url(self) -> str:
        if self._server is None:
            raise EnvError("the desktop server is not listening")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._server.server_port}"

    def listen(self) -> DesktopServer:
        """Bind the socket (raises OSError if the port is taken); return self."""
        if self._server is None:
            self._server = make_server(
                self.host,
                self.port,
                self.app,
                threaded=True,
                request_handler=_QuietRequestHandler,
            )
        return self

    def start(self) -> DesktopServer:
        """Listen and answer on a daemon thread; return self."""
        self.listen()
        assert self._server is not None
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="desktop-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Answer in this thread until KeyboardInterrupt (or stop() from another thread)."""
        self.listen()
        assert self._server is not None
        self._server.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        """Stop answering, then stop everything the session started; safe to call twice."""
        server, self._server = self._server, None
        if server is not None:
            if self._thread is not None:
                server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        close_app(self.app)

    def __enter__(self) -> DesktopServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start_browser(self, *, port: int = BROWSER_CDP_PORT) -> str:
        """Launch the session's google-chrome with CDP on `port` (or any if taken); its URL."""
        session = self.session
        wanted = port if not port_in_use(port) else 0
        session.children.launch(
            ["google-chrome", f"--remote-debugging-port={wanted}", "about:blank"], shell=False
        )
        deadline = time.monotonic() + _BROWSER_START_S
        while time.monotonic() < deadline:
            found = devtools_port(session.chrome_profile)
            if found is not None:
                return f"http://127.0.0.1:{found}"
            time.sleep(0.3)
        raise EnvError(f"Chromium did not answer CDP within {_BROWSER_START_S:g}s")


def serve(
    desktop: DesktopLike,
    *,
    host: str = "127.0.0.1",
    port: int = 5000,
    token: str | None = None,
    allowed_roots: list[Path] | None = None,
    home: Path | None = None,
) -> None:
    """Serve `desktop` in the foreground until Ctrl+C; then stop what the session started."""
    server = DesktopServer(
        desktop, host=host, port=port, token=token, allowed_roots=allowed_roots, home=home
    )
    try:
        server.serve_forever()
    finally:
        server.stop()


def run_server(
    *,
    host: str = "127.0.0.1",
    port: int = 5000,
    token: str | None = None,
    width: int = 1280,
    height: int = 800,
    browser: bool = True,
    home: Path | None = None,
    isolate: bool = False,
    announce: Callable[[str], None] | None = print,
) -> None:
    """Start a sandbox desktop and serve it until Ctrl+C, then stop everything cleanly."""
    from gui_agent.computers.sandbox import SandboxDesktop

    check_bind(host, token)  # before starting anything
    say = announce or (lambda message: None)
    with (
        SandboxDesktop(width=width, height=height, chromium=False, shell_boundary=False) as desktop,
        DesktopServer(desktop, host=host, port=port, token=token, home=home,
                      isolate=isolate) as server,
    ):
        say(f"desktop {desktop.display} ({width}x{height}) served at {server.url}")
        say(f"home folder: {server.session.home}"
            + (" (commands see only this folder)" if isolate else ""))
        if browser:
            say(f"Chromium (google-chrome) CDP at {server.start_browser()}")
        say("Ctrl+C stops the server, the programs it started and the desktop")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            say("stopping")
