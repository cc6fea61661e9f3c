"""Routes that touch files: /file, /setup/upload, /list_directory, /setup/download_file.

Every path is `~`-expanded against the session's home and mapped to where it is on the host
(an isolated session's /home/user and /tmp are folders of its own), then resolved (symlinks followed) and
checked against the allowed roots: a path outside them is answered 403 by PathRefused.
OSWorld's client sends /file and /setup/upload fields as a form; JSON is accepted too.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from flask import Flask, jsonify, request, send_file
from flask.typing import ResponseReturnValue

if TYPE_CHECKING:
    from gui_agent.computers.server.app import Served

MAX_LISTED_ENTRIES = 20000
DOWNLOAD_TIMEOUT_S = 300.0


def _field(name: str) -> str | None:
    value = request.form.get(name)
    if value is None:
        body = request.get_json(silent=True)
        if isinstance(body, dict) and isinstance(body.get(name), str):
            value = body[name]
    return value


def list_tree(root: Path, *, budget: list[int]) -> dict[str, Any]:
    """OSWorld's directory tree: {type, name, children}; stops listing after the budget."""
    tree: dict[str, Any] = {"type": "directory", "name": root.name, "children": []}
    try:
        entries = sorted(os.scandir(root), key=lambda entry: entry.name)
    except OSError as exc:
        return {"error": str(exc)}
    for entry in entries:
        if budget[0] <= 0:
            tree["truncated"] = True
            break
        budget[0] -= 1
        if entry.is_dir(follow_symlinks=False):
            tree["children"].append(list_tree(Path(entry.path), budget=budget))
        else:
            tree["children"].append({"type": "file", "name": entry.name})
    return tree


def register(app: Flask, served: Served) -> None:
    session, guard = served.session, served.guard

    @app.post("/file")
    def get_file() -> ResponseReturnValue:
        path = _field("file_path")
        if not path:
            return jsonify({"error": "file_path is required"}), 400
        real = guard.check(session.host_path(path))
        if not real.exists():
            return jsonify({"error": "File not found"}), 404
        if not real.is_file():
            return jsonify({"error": f"{path} is not a file"}), 400
        return send_file(real, as_attachment=True, download_name=real.name)

    @app.post("/setup/upload")
    def upload() -> ResponseReturnValue:
        path = _field("file_path")
        data = request.files.get("file_data")
        if not path or data is None:
            return jsonify({"error": "file_path and file_data are required"}), 400
        real = guard.check(session.host_path(path))
        try:
            real.parent.mkdir(parents=True, exist_ok=True)
            data.save(real)
        except OSError as exc:
            real.unlink(missing_ok=True)
            return jsonify({"error": f"Failed to upload file: {exc}"}), 500
        return f"File Uploaded: {real.stat().st_size} bytes"

    @app.post("/list_directory")
    def list_directory() -> ResponseReturnValue:
        body = request.get_json(silent=True) or {}
        path = body.get("path") if isinstance(body, dict) else None
        if not isinstance(path, str) or not path:
            return jsonify(error="Missing 'path' parameter"), 400
        real = guard.check(session.host_path(path))
        if not real.is_dir():
            return jsonify(error="The provided path is not a directory"), 400
        return jsonify(directory_tree=list_tree(real, budget=[MAX_LISTED_ENTRIES]))

    @app.post("/setup/download_file")
    def download_file() -> ResponseReturnValue:
        body = request.get_json(silent=True) or {}
        url, path = body.get("url"), body.get("path")
        if not isinstance(url, str) or not isinstance(path, str) or not url or not path:
            return "Path or URL not supplied!", 400
        real = guard.check(session.host_path(path))
        real.parent.mkdir(parents=True, exist_ok=True)
        partial = real.with_name(real.name + ".part")
        try:
            with (
                httpx.stream("GET", url, follow_redirects=True, timeout=DOWNLOAD_TIMEOUT_S) as got,
                partial.open("wb") as out,
            ):
                got.raise_for_status()
                for chunk in got.iter_bytes():
                    out.write(chunk)
            partial.replace(real)
        except (httpx.HTTPError, OSError) as exc:
            partial.unlink(missing_ok=True)
            return f"Failed to download {url}: {exc}", 500
        return f"File downloaded successfully: {real.stat().st_size} bytes"
