"""The demo's three-page form, served by Flask on 127.0.0.1 in a background thread.

Page 1 asks names, e-mail and a date of birth; page 2 a phone number (the server accepts only
10 digits and says so with an example: a validation error code can fix), a country drop-down
and a plan radio group; page 3 a newsletter checkbox and a free-text question, then submit.
Every accepted submission is kept in `submissions` (and served as /submissions.json), so
tests check what arrived where the POST arrives. Labels deliberately differ from the keys of
the bundled data.json.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import threading
from importlib import resources
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, redirect, render_template, request
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

COUNTRIES = (("US", "United States"), ("CA", "Canada"), ("GB", "United Kingdom"),
             ("IE", "Ireland"), ("DE", "Germany"), ("FR", "France"))  # fmt: skip
PLANS = (("m1", "Basic (free)"), ("m2", "Pro (£9 a month)"), ("m3", "Team (£29 a month)"))
PAGE_TITLES = {1: "Step 1 of 3: about you", 2: "Step 2 of 3: contact and plan",
               3: "Step 3 of 3: last details", 4: "Application received"}  # fmt: skip
PAGE_FIELDS = {1: ("fname", "lname", "contact", "born"), 2: ("daytime", "residence", "tier"),
               3: ("news", "purpose")}  # fmt: skip
PHONE_ERROR = "Enter the phone number as 10 digits with no spaces or symbols, e.g. 4155550132."


def data_file() -> Path:
    """The bundled data.json the demo fills the form from."""
    return Path(str(resources.files("skills.forms.demo").joinpath("data.json")))


def validate(page: int, values: dict[str, str]) -> dict[str, str]:
    """Server-side checks: field name -> message."""
    errors = {name: "This field is required." for name in PAGE_FIELDS[page]
              if name not in ("news", "purpose") and not values.get(name, "").strip()}  # fmt: skip
    if page == 2 and values.get("daytime") and not re.fullmatch(r"\d{10}", values["daytime"]):
        errors["daytime"] = PHONE_ERROR
    if page == 2 and values.get("residence") and values["residence"] not in dict(COUNTRIES):
        errors["residence"] = "Choose a country from the list."
    return errors


def create_app(submissions: list[dict[str, str]]) -> Flask:
    folder = str(resources.files("skills.forms.demo"))
    app = Flask(__name__, template_folder=folder, static_folder=None)
    drafts: dict[str, dict[str, str]] = {}
    numbers = itertools.count(1)
    lock = threading.Lock()

    def show(page: int, sid: str, errors: dict[str, str] | None = None) -> str:
        return render_template(f"page{page}.html", title=PAGE_TITLES[page], sid=sid,
                               values=drafts[sid], errors=errors or {}, countries=COUNTRIES,
                               plans=PLANS)  # fmt: skip

    @app.get("/")
    def start() -> Any:
        sid = secrets.token_hex(6)
        with lock:
            drafts[sid] = {}
        return redirect(f"/page/1?s={sid}", code=303)

    @app.get("/page/<int:page>")
    def page_get(page: int) -> Any:
        sid = request.args.get("s", "")
        if sid not in drafts or page not in PAGE_FIELDS:
            abort(404)
        return show(page, sid)

    @app.post("/page/<int:page>")
    def page_post(page: int) -> Any:
        sid = request.args.get("s", "")
        if sid not in drafts or page not in PAGE_FIELDS:
            abort(404)
        values = {name: request.form.get(name, "") for name in PAGE_FIELDS[page]}
        with lock:
            drafts[sid].update(values)
        errors = validate(page, values)
        if errors:
            return show(page, sid, errors), 200
        if page < 3:
            return redirect(f"/page/{page + 1}?s={sid}", code=303)
        with lock:
            record = dict(drafts[sid], number=str(next(numbers)))
            submissions.append(record)
        return redirect(f"/done?s={sid}&n={record['number']}", code=303)

    @app.get("/done")
    def done() -> Any:
        sid = request.args.get("s", "")
        if sid not in drafts:
            abort(404)
        return render_template("done.html", title=PAGE_TITLES[4], values=drafts[sid],
                               errors={}, number=request.args.get("n", ""))  # fmt: skip

    @app.get("/submissions.json")
    def listing() -> Response:
        with lock:
            body = json.dumps(submissions)
        return Response(body, mimetype="application/json")

    return app


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # the demo prints its own summary; no request lines on the terminal


class DemoFormServer:
    """The demo form on http://127.0.0.1:<port>/; a context manager that stops it on exit."""

    def __init__(self, *, port: int = 0) -> None:
        self.submissions: list[dict[str, str]] = []
        self._server: BaseWSGIServer = make_server("127.0.0.1", port, create_app(self.submissions),
                                                   threaded=True, request_handler=_QuietHandler)  # fmt: skip
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="demo-form-server")  # fmt: skip

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/"

    def __enter__(self) -> DemoFormServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
