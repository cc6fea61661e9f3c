"""A local stand-in for the Google endpoints the Drive tasks use, on 127.0.0.1 (tests only).

- OAuth token endpoint (`POST /token`, refresh-token grant), Drive v2 files (list with the
  query language the tasks use, create, trash, delete, metadata, media download, media
  upload), Docs export links (`GET /export/<id>`);
- a two-page sign-in (email, then password) that records who signed in.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, jsonify, redirect, request
from werkzeug.serving import make_server

REFRESH_TOKEN = "refresh-token-1"
CLIENT_ID, CLIENT_SECRET = "client-1.apps.example", "secret-1"
FOLDER = "application/vnd.google-apps.folder"
DOC = "application/vnd.google-apps.document"

_TOKEN = re.compile(r"\s*(\(|\)|!=|=|'(?:[^'\\]|\\.)*'|[A-Za-z]+)")
Predicate = Callable[[dict[str, Any]], bool]


def parse_query(query: str) -> Predicate:
    """Drive v2 query -> predicate, for the forms the tasks use (and/or/not, =, in parents)."""
    tokens = [t for t in _TOKEN.findall(query)]
    at = 0

    def peek() -> str | None:
        return tokens[at] if at < len(tokens) else None

    def take() -> str:
        nonlocal at
        at += 1
        return tokens[at - 1]

    def literal(token: str) -> str:
        return re.sub(r"\\(.)", r"\1", token[1:-1])

    def factor() -> Predicate:
        token = take()
        if token == "not":
            inner = factor()
            return lambda f: not inner(f)
        if token == "(":
            inner = expr()
            assert take() == ")"
            return inner
        if token.startswith("'"):
            value = literal(token)
            assert take() == "in" and take() == "parents"
            return lambda f: value in f["parents"]
        operator, operand = take(), take()
        wanted: Any = literal(operand) if operand.startswith("'") else operand == "true"
        key = {"title": "title", "mimeType": "mimeType", "trashed": "trashed"}[token]
        if operator == "=":
            return lambda f: f[key] == wanted
        return lambda f: f[key] != wanted

    def term() -> Predicate:
        parts = [factor()]
        while peek() == "and":
            take()
            parts.append(factor())
        return lambda f: all(p(f) for p in parts)

    def expr() -> Predicate:
        parts = [term()]
        while peek() == "or":
            take()
            parts.append(term())
        return lambda f: any(p(f) for p in parts)

    predicate = expr()
    assert at == len(tokens), f"unparsed query tail: {tokens[at:]}"
    return predicate


@dataclass
class FakeGoogle:
    """The server's state: files by id, issued tokens, sign-ins seen."""

    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    sign_ins: list[tuple[str, str]] = field(default_factory=list)
    refreshes: int = 0
    url: str = ""
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def add(self, title: str, *, parent: str = "root", mime: str = "application/octet-stream",
            content: bytes = b"", export: bytes = b"") -> str:  # fmt: skip
        file_id = f"id{next(self._ids)}"
        self.files[file_id] = {
            "id": file_id, "title": title, "mimeType": mime, "parents": [parent],
            "trashed": False, "content": content, "export": export,
        }  # fmt: skip
        return file_id

    def named(self, title: str) -> list[dict[str, Any]]:
        return [f for f in self.files.values() if f["title"] == title]

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    def write_settings(self, root: Path) -> Path:
        """An OSWorld-style settings folder whose credentials point at this server."""
        drive = root / "googledrive"
        drive.mkdir(parents=True)
        (drive / "settings.yml").write_text(
            "client_config_backend: file\n"
            "client_config_file: evaluation_examples/settings/googledrive/client_secrets.json\n"
            "save_credentials: True\nsave_credentials_backend: file\n"
            "save_credentials_file: evaluation_examples/settings/googledrive/credentials.json\n"
            f"get_refresh_token: True\napi_root: {self.url}\n"
        )
        (drive / "client_secrets.json").write_text(
            json.dumps({"installed": {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}})
        )
        (drive / "credentials.json").write_text(
            json.dumps(
                {
                    "access_token": "stale",
                    "refresh_token": REFRESH_TOKEN,
                    "token_uri": f"{self.url}/token",
                }
            )  # fmt: skip
        )
        (root / "google").mkdir()
        (root / "google" / "settings.json").write_text(
            json.dumps(
                {
                    "email": "agent@example.org",
                    "password": "s3cret",
                    "login_url": f"{self.url}/signin",
                }
            )  # fmt: skip
        )
        return root

    def _metadata(self, f: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in f.items() if k not in ("content", "export")}
        out["parents"] = [{"id": p} for p in f["parents"]]
        if f["mimeType"] == DOC:
            out["exportLinks"] = {
                mime: f"{self.url}/export/{f['id']}?mimeType={mime}"
                for mime in ("application/pdf",
                             "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
            }  # fmt: skip
        return out

    def app(self) -> Flask:
        app = Flask(__name__)

        def authorised() -> None:
            header = request.headers.get("Authorization", "")
            if header.removeprefix("Bearer ") not in self.tokens:
                abort(401)

        @app.post("/token")
        def token() -> Any:
            form = request.form
            ok = (form.get("grant_type") == "refresh_token"
                  and form.get("refresh_token") == REFRESH_TOKEN
                  and form.get("client_id") == CLIENT_ID
                  and form.get("client_secret") == CLIENT_SECRET)  # fmt: skip
            if not ok:
                return jsonify({"error": "invalid_grant"}), 400
            self.refreshes += 1
            issued = f"access-{self.refreshes}"
            self.tokens.add(issued)
            return jsonify({"access_token": issued, "expires_in": 3600})

        @app.get("/drive/v2/files")
        def list_files() -> Any:
            authorised()
            match = parse_query(request.args["q"])
            return jsonify({"items": [self._metadata(f) for f in self.files.values() if match(f)]})

        @app.post("/drive/v2/files")
        def create() -> Any:
            authorised()
            body = request.get_json()
            parent = body.get("parents", [{"id": "root"}])[0]["id"]
            new_id = self.add(body["title"], parent=parent,
                              mime=body.get("mimeType", "application/octet-stream"))  # fmt: skip
            return jsonify(self._metadata(self.files[new_id]))

        @app.get("/drive/v2/files/<file_id>")
        def get_file(file_id: str) -> Any:
            authorised()
            f = self.files.get(file_id) or abort(404)
            if request.args.get("alt") == "media":
                return Response(f["content"])
            return jsonify(self._metadata(f))

        @app.delete("/drive/v2/files/<file_id>")
        def delete(file_id: str) -> Any:
            authorised()
            self.files.pop(file_id, None) or abort(404)
            return Response(status=204)

        @app.post("/drive/v2/files/<file_id>/trash")
        def trash(file_id: str) -> Any:
            authorised()
            (self.files.get(file_id) or abort(404))["trashed"] = True
            return jsonify({"id": file_id})

        @app.put("/upload/drive/v2/files/<file_id>")
        def upload(file_id: str) -> Any:
            authorised()
            (self.files.get(file_id) or abort(404))["content"] = request.get_data()
            return jsonify({"id": file_id})

        @app.get("/export/<file_id>")
        def export(file_id: str) -> Any:
            authorised()
            return Response((self.files.get(file_id) or abort(404))["export"])

        @app.get("/signin")
        def signin() -> Any:
            return (
                "<title>Sign in</title><input type=email id=e "
                "onkeydown=\"if(event.key==='Enter')location.href='/signin/password?email='"
                '+encodeURIComponent(this.value)">'
            )

        @app.get("/signin/password")
        def password_page() -> Any:
            email = request.args.get("email", "")
            return (
                "<form method=post action=/signin/done>"
                f"<input type=hidden name=email value='{email}'>"
                "<input type=password name=password></form>"
            )

        @app.post("/signin/done")
        def done() -> Any:
            self.sign_ins.append((request.form["email"], request.form["password"]))
            return redirect("/drive")

        @app.get("/drive")
        def drive() -> Any:
            return "<title>My Drive</title><p>Welcome</p>"

        return app


@contextmanager
def running_fake_google() -> Iterator[FakeGoogle]:
    fake = FakeGoogle()
    server = make_server("127.0.0.1", 0, fake.app(), threaded=True)
    fake.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        thread.join(timeout=10)
