"""The guards as a user turns them on: `gui-agent run --allow-domain ... / --yes`."""

from __future__ import annotations

import http.server
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from gui_agent.cli import main
from tests.gui_fixtures import chromium_missing, xvfb_missing


class _Site(http.server.BaseHTTPRequestHandler):
    hosts: list[str] = []

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.hosts.append(self.headers.get("Host", "").split(":")[0])
        port = self.server.server_address[1]
        body = (b"<title>start</title><p>the allowed site</p><script>"
                b"new WebSocket('ws://127.0.0.1:%d/socket'); setTimeout(() => "
                b"{ location.href = 'http://2130706433:%d/escape'; }, 1500)</script>" % (port, port))
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def site() -> Iterator[int]:
    _Site.hosts = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.mark.gui
def test_allow_domain_on_the_command_line_keeps_the_browser_in(site: int, tmp_path: Path,
                                                               monkeypatch) -> None:  # fmt: skip
    reason = xvfb_missing() or chromium_missing()
    if reason:
        pytest.skip(reason)
    prompts = tmp_path / "prompts.txt"
    monkeypatch.setenv("PROBE_PROMPTS", str(prompts))
    result = CliRunner().invoke(main, [
        "run", "read the page", "--env", "sandbox", "--agent", "loop",
        "--url", f"http://localhost:{site}/start", "--allow-domain", "localhost",
        "--model", "python:tests/models/allowlist_probe.py:respond", "--out", str(tmp_path / "runs"),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert _Site.hosts and set(_Site.hosts) == {"localhost"}  # the start page, never 127.0.0.1
    (run_dir,) = (tmp_path / "runs").iterdir()
    guards = json.loads((run_dir / "result.json").read_text())["guards"]
    assert guards["blocked"] >= 1
    assert any(e["guard"] == "allowlist" and "127.0.0.1" in e["attempted"] for e in guards["events"])
    # the page's WebSocket (which CDP Fetch never sees) was refused by the launch-time proxy
    assert any(e["attempted"] == f"connect 127.0.0.1:{site}" for e in guards["events"])
    assert "The program blocked" in prompts.read_text().split("=====")[1]  # told to the model
    trace = (run_dir / "trace.jsonl").read_text()
    assert '"event": "guard"' in trace


def test_an_irreversible_action_is_blocked_without_yes_and_allowed_with_it(tmp_path: Path) -> None:
    model = "python:tests/models/closes_window.py:respond"
    denied = CliRunner().invoke(main, ["run", "g", "--env", "fake", "--agent", "loop", "--model",
                                       model, "--out", str(tmp_path / "a")])  # fmt: skip
    assert denied.exit_code == 7, denied.output  # blocked: nobody at a terminal to ask
    assert "needs --yes" in denied.output
    allowed = CliRunner().invoke(main, ["run", "g", "--env", "fake", "--agent", "loop", "--yes",
                                        "--model", model, "--out", str(tmp_path / "b")])  # fmt: skip
    assert allowed.exit_code == 0, allowed.output


def test_bad_safety_options_are_clear_errors(tmp_path: Path) -> None:
    for args, message in ((["--secret", "lower=x1234"], "upper-case"),
                          (["--allow-domain", "exa mple.org"], "--allow-domain"),
                          (["--secret", "NOT_SET_ANYWHERE_X"], "is not set")):  # fmt: skip
        result = CliRunner().invoke(main, ["run", "g", "--env", "fake", "--model",
                                           "python:tests/models/closes_window.py:respond",
                                           "--out", str(tmp_path), *args])  # fmt: skip
        assert result.exit_code == 2 and message in result.output, result.output
        assert "Traceback" not in result.output
    assert shutil.which("true")  # (nothing was started for a bad option)
