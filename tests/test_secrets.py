"""Secrets: the model sees placeholders, the executor types values, no artifact holds them.

The canary tests search every file a run leaves (trace, result.json, images, step screenshots,
whatever else lands in the run folder), the command's output and logs, and every request a
model received, for the secret's value and for the provider's API key: zero hits.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gui_agent.actions import Fill, FillPage, Key, Shell, Type
from gui_agent.cli import main
from gui_agent.computers.fake import FakeComputer
from gui_agent.episode import EpisodeStatus
from gui_agent.errors import ConfigError
from gui_agent.loop import run_task
from gui_agent.models.anthropic import AnthropicModel
from gui_agent.models.scripted import FunctionModel
from gui_agent.policy import Policy
from gui_agent.trace import TraceWriter, read_records
from gui_agent.vault import RedactingFilter, Vault, redact, scrub_environment
from tests.fakes.anthropic_server import FakeAnthropic
from tests.gui_fixtures import screen_point, wait_until

CANARY = 'canary-7Hq"<x>{y}\'pw'  # JSON-escaping, shell and HTML metacharacters included


def hits(root: Path, needles: list[str]) -> list[str]:
    """Files under `root` containing any needle, as raw bytes (binary files included)."""
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for needle in needles:
                for form in {needle, json.dumps(needle)[1:-1], json.dumps(needle, ensure_ascii=False)[1:-1]}:
                    if form.encode() in data:
                        found.append(f"{path.relative_to(root)}: {form!r}")
    return found


def test_specs_parse_from_options_and_environment() -> None:
    vault = Vault.from_specs(["PASSWORD=hunter22", "TOKEN_B"], environ={"TOKEN_B": "from-env-1"})
    assert dict(vault.values) == {"PASSWORD": "hunter22", "TOKEN_B": "from-env-1"}
    with pytest.raises(ConfigError, match=r"\$MISSING is not set"):
        Vault.from_specs(["MISSING"], environ={})
    with pytest.raises(ConfigError, match="upper-case"):
        Vault.from_specs(["pass=x1234"])
    with pytest.raises(ConfigError, match="shorter"):
        Vault.from_specs(["PIN=12"])


def test_reveal_only_touches_what_is_typed() -> None:
    vault = Vault({"PASSWORD": "s3cret-value"})
    assert vault.reveal(Type(text="pw: {{PASSWORD}}")) == Type(text="pw: s3cret-value")
    assert vault.reveal(Shell(command="login {{PASSWORD}}")).command == "login s3cret-value"  # type: ignore[union-attr]
    page = vault.reveal(FillPage(fills=(Fill(x=1, y=2, text="{{PASSWORD}}"),)))
    assert page.fills[0].text == "s3cret-value"  # type: ignore[union-attr]
    assert vault.reveal(Key(keys="enter")) == Key(keys="enter")
    assert vault.reveal(Type(text="{{OTHER}}")) == Type(text="{{OTHER}}")


def test_redact_covers_raw_and_json_escaped_values() -> None:
    Vault({"CANARY": CANARY}).register()
    assert CANARY not in redact(f"typed {CANARY} here")
    assert redact(json.dumps({"t": CANARY})) == json.dumps({"t": "{{CANARY}}"})
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "value %s", (CANARY,), None)
    RedactingFilter().filter(record)
    assert record.getMessage() == "value {{CANARY}}"


def test_child_processes_get_no_credentials() -> None:
    Vault({"CANARY": CANARY}).register()
    env = {"PATH": "/usr/bin", "ANTHROPIC_API_KEY": "sk-x", "GITHUB_TOKEN": "t", "MY": CANARY,
           "XAUTHORITY": "/tmp/xa", "DISPLAY": ":5"}  # fmt: skip
    assert scrub_environment(env) == {"PATH": "/usr/bin", "XAUTHORITY": "/tmp/xa", "DISPLAY": ":5"}


def test_canary_through_the_loop_the_executor_types_the_value(tmp_path: Path) -> None:
    vault = Vault({"PASSWORD": CANARY}).register()
    computer = FakeComputer(allow_shell=True)
    script = [{"kind": "type", "text": "{{PASSWORD}}"}, {"kind": "shell", "command": "echo {{PASSWORD}}"},
              {"kind": "done", "answer": "{{PASSWORD}}"}]  # fmt: skip
    model = FunctionModel(lambda r: {"observation": "x", "action": script[len(computer.executed)]})
    trace = TraceWriter(tmp_path)
    result = run_task("log in", computer, model=model, trace=trace, policy=Policy(vault=vault))
    trace.close()
    result.write(tmp_path)
    assert result.status == EpisodeStatus.DONE
    assert computer.executed == [Type(text=CANARY), Shell(command=f"echo {CANARY}")]
    assert hits(tmp_path, [CANARY]) == []
    assert all(CANARY not in request.prompt for request in model.requests)
    assert "{{PASSWORD}}" in (tmp_path / "trace.jsonl").read_text()


def test_canary_over_every_artifact_of_a_cli_run(tmp_path: Path, monkeypatch) -> None:
    api_key = "sk-ant-canary-key-0123456789"
    monkeypatch.setenv("ANTHROPIC_API_KEY", api_key)
    monkeypatch.setenv("PASSWORD", CANARY)
    out = tmp_path / "runs"
    result = CliRunner().invoke(main, ["-vv", "run", "log in", "--env", "fake", "--agent", "loop",
                                       "--secret", "PASSWORD",
                                       "--model", "python:tests/models/secret_typer.py:respond",
                                       "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "typed {{PASSWORD}}" in result.output
    assert CANARY not in result.output and api_key not in result.output
    assert hits(out, [CANARY, api_key]) == []
    trace = next(out.iterdir()) / "trace.jsonl"
    assert "{{PASSWORD}}" in trace.read_text()  # what the model saw and did, placeholders only


@pytest.mark.gui
def test_canary_on_the_real_desktop_with_the_real_sdk(
    sandbox: Any, gui_page: Any, fake_anthropic: FakeAnthropic, tmp_path: Path
) -> None:
    page = gui_page("input.html")
    x, y = screen_point(page, "#text")
    for action in ({"kind": "click", "x": x, "y": y}, {"kind": "type", "text": "{{PASSWORD}}"},
                   {"kind": "shell", "command": "echo {{PASSWORD}}"}, {"kind": "done"}):  # fmt: skip
        fake_anthropic.reply_tool({"observation": "a form", "action": action})
    vault = Vault({"PASSWORD": CANARY}).register()
    trace = TraceWriter(tmp_path)
    model = AnthropicModel(base_url=fake_anthropic.base_url, native=False)
    result = run_task("fill the password", sandbox, model=model, trace=trace, policy=Policy(vault=vault))
    trace.close()
    result.write(tmp_path)
    assert result.status == EpisodeStatus.DONE, result.reason
    wait_until(lambda: page.input_value("#text") == CANARY)  # typed as the value, exactly
    assert hits(tmp_path, [CANARY, os.environ["ANTHROPIC_API_KEY"]]) == []
    sent = "".join(json.dumps(r.json) for r in fake_anthropic.requests)
    assert "{{PASSWORD}}" in sent and CANARY not in sent and json.dumps(CANARY)[1:-1] not in sent


@pytest.mark.gui
def test_a_typed_secret_is_masked_in_every_later_screenshot(
    sandbox: Any, gui_page: Any, tmp_path: Path
) -> None:
    import io

    from PIL import Image

    page = gui_page("input.html")
    x, y = screen_point(page, "#text")
    box = page.locator("#text").bounding_box()
    script = [{"kind": "click", "x": x, "y": y}, {"kind": "type", "text": "{{PASSWORD}}"},
              {"kind": "done"}]  # fmt: skip
    model = FunctionModel(lambda r: {"observation": "a form", "action": script[len(model.requests) - 1]})
    vault = Vault({"PASSWORD": "WWWWWWWWWWWWWWWW"}).register()
    trace = TraceWriter(tmp_path)
    result = run_task("type the password", sandbox, model=model, trace=trace, policy=Policy(vault=vault))
    trace.close()
    assert result.status == EpisodeStatus.DONE
    assert page.input_value("#text") == "WWWWWWWWWWWWWWWW"
    field = (x - int(box["width"] / 2) + 4, y - 6, x + int(box["width"] / 2) - 4, y + 6)

    def darkest_share(image: Image.Image) -> float:
        pixels = list(image.convert("L").crop(field).getdata())
        return sum(1 for p in pixels if p < 10) / len(pixels)

    assert darkest_share(sandbox.screenshot()) < 0.5  # on the real screen the text is visible
    shown = Image.open(io.BytesIO(model.requests[-1].images[0]))
    assert shown.size == (1280, 800) and darkest_share(shown) == 1.0  # what the model saw
    stored = next(r for r in read_records(tmp_path) if r.get("event") == "step" and r["index"] == 3)
    assert darkest_share(Image.open(tmp_path / "images" / f"{stored['screenshot']}.png")) == 1.0
    assert darkest_share(Image.open(io.BytesIO(model.requests[0].images[0]))) < 0.5  # before typing
