"""The Flask app speaking OSWorld's in-VM server protocol for one desktop.

Request and response shapes follow OSWorld's server so its client (and ours, VMComputer) work
unchanged; where OSWorld would crash or answer nothing, we answer a clear JSON error instead
(501 for what this machine cannot do). Routes live in three modules by what they touch:
command_routes (running programs), file_routes (files, under the path guard) and window_routes
(opening files, window focus); the observation routes (screenshot, accessibility, sizes) are
here.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, jsonify, request
from flask.typing import ResponseReturnValue

from gui_agent.computers.server import command_routes, file_routes, window_routes
from gui_agent.computers.server.accessibility import AccessibilityUnavailable, read_tree
from gui_agent.computers.server.desktop import DesktopLike
from gui_agent.computers.server.pointer import Pointer
from gui_agent.computers.server.security import PathGuard, PathRefused, require_token
from gui_agent.computers.server.session import Session
from gui_agent.computers.server.terminal_text import terminal_text
from gui_agent.computers.server.windows import Windows
from gui_agent.errors import EnvError

log = logging.getLogger(__name__)

_EXTENSION_KEY = "gui_agent_server"


@dataclass
class Served:
    """Everything the routes share: the desktop, its session, and the helpers built on them."""

    desktop: DesktopLike
    session: Session
    guard: PathGuard
    pointer: Pointer
    windows: Windows

    def close(self) -> None:
        self.pointer.close()
        self.session.close()


def create_app(
    desktop: DesktopLike,
    *,
    token: str | None = None,
    allowed_roots: list[Path] | None = None,
    home: Path | None = None,
    isolate: bool = False,
    home_inside: Path | None = None,
) -> Flask:
    """An app serving `desktop`; call `close_app(app)` to stop what its session started.

    `allowed_roots` bounds /file, /setup/upload, /list_directory and /setup/open_file; by
    default the session's home folder and the system temp folder (the session's own /tmp
    when isolated). `isolate` runs every command inside a bubblewrap boundary that sees only
    the home, at `home_inside` if given (session.py, isolation.py).
    """
    session = Session(desktop, home=home, isolate=isolate, home_inside=home_inside)
    roots = allowed_roots if allowed_roots is not None else session.allowed_roots
    served = Served(
        desktop=desktop,
        session=session,
        guard=PathGuard(roots),
        pointer=Pointer(session.display),
        windows=Windows(session),
    )
    app = Flask(__name__)
    app.extensions[_EXTENSION_KEY] = served
    if token:
        require_token(app, token)

    @app.errorhandler(PathRefused)
    def _refused(exc: PathRefused) -> ResponseReturnValue:
        return jsonify({"status": "error", "error": str(exc)}), 403

    @app.errorhandler(EnvError)
    def _env_error(exc: EnvError) -> ResponseReturnValue:
        return jsonify({"status": "error", "error": exc.message}), 500

    _observation_routes(app, served)
    command_routes.register(app, served)
    file_routes.register(app, served)
    window_routes.register(app, served)
    return app


def served_by(app: Flask) -> Served:
    served: Served = app.extensions[_EXTENSION_KEY]
    return served


def close_app(app: Flask) -> None:
    """Stop every program the app's session started and remove its temporary folders."""
    served = app.extensions.pop(_EXTENSION_KEY, None)
    if served is not None:
        served.close()


def _observation_routes(app: Flask, served: Served) -> None:
    @app.get("/screenshot")
    def screenshot() -> ResponseReturnValue:
        image = served.desktop.screenshot()
        try:
            image = served.pointer.draw_onto(image)
        except Exception as exc:  # the picture is still worth sending without the cursor
            log.warning("could not draw the cursor: %s", exc)
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="PNG", compress_level=1)
        return Response(buffer.getvalue(), mimetype="image/png")

    @app.get("/cursor_position")
    def cursor_position() -> ResponseReturnValue:
        x, y = served.pointer.position()
        return jsonify([x, y])

    @app.post("/screen_size")
    def screen_size() -> ResponseReturnValue:
        width, height = served.desktop.size
        return jsonify({"width": width, "height": height})

    @app.get("/platform")
    def platform() -> ResponseReturnValue:
        return "Linux"

    @app.post("/desktop_path")
    def desktop_path() -> ResponseReturnValue:
        return jsonify({"desktop_path": str(served.session.seen_home / "Desktop")})

    @app.get("/accessibility")
    def accessibility() -> ResponseReturnValue:
        try:
            return jsonify({"AT": read_tree(served.session.env, inside=served.session.children.inside)})
        except AccessibilityUnavailable as exc:
            return jsonify({"status": "error", "error": str(exc)}), 501
        except RuntimeError as exc:
            return jsonify({"status": "error", "error": str(exc)}), 500

    @app.get("/terminal")
    def terminal() -> ResponseReturnValue:
        text = terminal_text(served.session.terminal_logs)
        if text is None:
            message = "no terminal is open (start one with gnome-terminal or xterm)"
            return jsonify({"status": "error", "message": message, "output": None}), 404
        return jsonify({"output": text})

    @app.post("/wallpaper")
    @app.post("/setup/change_wallpaper")
    def wallpaper() -> ResponseReturnValue:
        message = f"{request.path} is not supported: this desktop has no wallpaper"
        return jsonify({"status": "error", "error": message}), 501

    @app.post("/start_recording")
    @app.post("/end_recording")
    def recording() -> ResponseReturnValue:
        message = f"{request.path} is not supported by this server (no screen recorder)"
        return jsonify({"status": "error", "message": message}), 501
