"""Routes about windows: /setup/open_file, /setup/activate_window, /setup/close_window,
/window_size. Replies are OSWorld's: short text with 200, or 400/404/500 with a reason.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue

from gui_agent.computers.server.windows import WindowError, opener_for, opens_in_office

if TYPE_CHECKING:
    from gui_agent.computers.server.app import Served

OPEN_TIMEOUT_S = 90.0


def register(app: Flask, served: Served) -> None:
    session, windows = served.session, served.windows

    @app.errorhandler(WindowError)
    def _window_error(exc: WindowError) -> ResponseReturnValue:
        return str(exc), 500

    @app.post("/setup/open_file")
    def open_file() -> ResponseReturnValue:
        body = request.get_json(silent=True) or {}
        path = body.get("path")
        if not isinstance(path, str) or not path:
            return "Path not supplied!", 400
        try:
            timeout = float(body.get("timeout_seconds", OPEN_TIMEOUT_S))
        except (TypeError, ValueError):
            return f"Invalid timeout_seconds: {body.get('timeout_seconds')!r}", 400
        expanded = session.expand(path)  # as the program opening it sees it
        on_host = session.host_path(path)
        is_file = Path(on_host).exists()
        if is_file:
            served.guard.check(on_host)
        argv = opener_for(expanded, is_file=is_file)
        if argv is None and not is_file and shutil.which(path, path=session.env.get("PATH")):
            argv = [path]  # OSWorld also "opens" an application given by name
        if argv is None and is_file:
            return f"No program here opens {path}", 415
        if argv is None:
            return f"Application/file not found: {path}", 404
        try:
            session.children.launch(argv, shell=False)
        except OSError as exc:
            return f"Failed to open {path}. Error: {exc}", 500
        if not opens_in_office(argv):
            return f"Opened {path} with {argv[0]}"
        name = Path(expanded).name
        window_name = body.get("window_name")
        candidates = [window_name] if window_name else [name, Path(name).stem]
        if windows.wait_for([c for c in candidates if c], timeout=timeout) is None:
            return f"Failed to find window for {candidates} within {timeout:g} seconds.", 500
        return "File opened and window activated successfully"

    def _window_request() -> tuple[str, bool, bool] | None:
        body = request.get_json(silent=True) or {}
        name = body.get("window_name")
        if not isinstance(name, str) or not name:
            return None
        return name, bool(body.get("strict", False)), bool(body.get("by_class", False))

    @app.post("/setup/activate_window")
    def activate_window() -> ResponseReturnValue:
        asked = _window_request()
        if asked is None:
            return "window_name required", 400
        name, strict, by_class = asked
        found = windows.find(name, strict=strict, by_class=by_class)
        if not found:
            return f"Window {name} not found", 404
        windows.activate(found[0])
        return "Window activated successfully", 200

    @app.post("/setup/close_window")
    def close_window() -> ResponseReturnValue:
        asked = _window_request()
        if asked is None:
            return "window_name required", 400
        name, strict, by_class = asked
        found = windows.find(name, strict=strict, by_class=by_class)
        if not found:
            return f"Window {name} not found", 404
        windows.close(found[0])
        return "Window closed successfully.", 200

    @app.post("/window_size")
    def window_size() -> ResponseReturnValue:
        name = request.form.get("app_class_name")
        if name is None:
            body = request.get_json(silent=True) or {}
            name = body.get("app_class_name") if isinstance(body, dict) else None
        if not name:
            return jsonify({"error": "app_class_name is required"}), 400
        size = windows.size(name)
        if size is None:
            return jsonify({"error": f"no window of class {name}"}), 404
        return jsonify({"width": size[0], "height": size[1]})
