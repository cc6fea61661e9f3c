"""Web forms on a real sandbox: Debian's Chromium, XTest input, the bundled three-page form.

What arrived is checked where the POST arrives (the demo server's submissions), not on screen.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gui_agent.cli import main
from gui_agent.computers.sandbox import SandboxDesktop
from gui_agent.episode import EpisodeStatus
from gui_agent.loop import Episode, run_episode
from gui_agent.models.scripted import FunctionModel
from gui_agent.policy import Policy
from skills.base import SkillResult, SkillStatus
from skills.forms import FillReport, fill_form, run_forms
from skills.forms.consent import always_yes
from skills.forms.demo.server import PHONE_ERROR, DemoFormServer, data_file
from skills.forms.web import open_web_form
from skills.routes import FormsParams
from tests.models.forms_model import respond

pytestmark = pytest.mark.gui
DATA: dict[str, str] = json.loads(data_file().read_text())
EXPECTED = {"fname": "Ada", "lname": "Lovelace", "contact": "ada@example.org",
            "born": "1985-12-10", "daytime": "4155550132", "residence": "GB", "tier": "m2",
            "news": "on"}  # fmt: skip
FORMS_MODEL = f"python:{Path(__file__).parent / 'models' / 'forms_model.py'}:respond"


@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """No key and no GUI_AGENT_MODEL: the CLI runs in no-model mode."""
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("GUI_AGENT_MODEL", raising=False)


@pytest.fixture(scope="module")
def server() -> Iterator[DemoFormServer]:
    with DemoFormServer() as running:
        yield running


def fill_demo(sandbox: SandboxDesktop, server: DemoFormServer, data: dict[str, str],
              **options: Any) -> FillReport:  # fmt: skip
    with open_web_form(sandbox.cdp_url, url=server.url) as form:
        return fill_form(data, sandbox, form, **options)


def field(report: FillReport, label: str) -> Any:
    return next(f for f in report.fields if f.label == label)


def test_demo_form_is_filled_corrected_and_submitted_by_code(
    sandbox: SandboxDesktop, server: DemoFormServer
) -> None:
    before = len(server.submissions)
    report = fill_demo(sandbox, server, DATA, submit=True, confirm=always_yes)
    assert report.status == "done", report.reason
    assert report.submitted and len(server.submissions) == before + 1
    received = server.submissions[-1]
    assert {k: received[k] for k in EXPECTED} == EXPECTED
    assert received["purpose"] == ""  # free text: no model, left empty
    # The server's validation error on page 2 was read, fixed by code and retried once.
    phone = field(report, "Daytime phone")
    assert phone.errors == [PHONE_ERROR] and phone.corrected_by == "code"
    assert report.model_calls == 0
    assert all(f.read_back_ok for f in report.fields if f.source == "code")
    # 2 steps per page (fill_page + Next/Submit), plus 2 for the corrected page.
    assert report.pages == 3 and report.steps == 8 and report.correction_steps == 2


def test_a_model_corrects_what_code_cannot_and_writes_the_free_text(
    sandbox: SandboxDesktop, server: DemoFormServer
) -> None:
    calls: list[str] = []

    def counting(request: Any) -> Any:
        calls.append(request.function)
        return respond(request)

    data = dict(DATA, phone="415 555 0132 ext. 9")
    report = fill_demo(sandbox, server, data, submit=True, confirm=always_yes,
                       model=FunctionModel(counting))  # fmt: skip
    assert report.status == "done", report.reason
    received = server.submissions[-1]
    assert received["daytime"] == "4155550132"
    assert received["purpose"] == "Computing Bernoulli numbers, and some poetry."
    assert field(report, "Daytime phone").corrected_by == "model"
    # Structured fields cost no model call: one for the free text, one for the phone.
    assert sorted(calls) == ["answer_field", "correct_value"]


def test_without_a_model_a_required_field_code_cannot_fill_fails_by_name(
    sandbox: SandboxDesktop, server: DemoFormServer
) -> None:
    before = len(server.submissions)
    data = {k: v for k, v in DATA.items() if k != "phone"}
    report = fill_demo(sandbox, server, data, submit=True, confirm=always_yes)
    assert report.status == "failed"
    assert "Daytime phone" in report.reason
    assert "left for a model" in field(report, "Daytime phone").note
    assert len(server.submissions) == before


def test_submitting_without_consent_is_blocked_and_nothing_is_sent(
    sandbox: SandboxDesktop, server: DemoFormServer
) -> None:
    before = len(server.submissions)
    asked: list[str] = []
    report = fill_demo(sandbox, server, DATA, submit=True,
                       confirm=lambda question: asked.append(question) is not None)  # fmt: skip
    assert report.status == "blocked" and not report.submitted
    assert asked == ["Submit the form ('Submit application')?"]
    assert len(server.submissions) == before


@pytest.mark.parametrize("consent", [True, False])
def test_run_forms_in_an_episode_counts_its_steps_and_asks_the_policy(
    sandbox: SandboxDesktop, server: DemoFormServer, consent: bool
) -> None:
    results: list[SkillResult] = []

    def body(episode: Episode) -> EpisodeStatus:
        params = FormsParams(url=server.url, fields=DATA, submit=True)
        results.append(run_forms(episode.goal, episode.computer, params=params))
        return EpisodeStatus.DONE

    before = len(server.submissions)
    with open_web_form(sandbox.cdp_url, url="about:blank"):
        pass  # the form is not open yet: the skill opens it with counted steps
    episode = run_episode("sign Ada up for the club", sandbox, body, name="solve",
                          model=FunctionModel(respond),
                          policy=Policy(confirm=lambda action: consent))  # fmt: skip
    [result] = results
    assert result.status == (SkillStatus.DONE if consent else SkillStatus.BLOCKED), result.summary
    assert len(server.submissions) == before + (1 if consent else 0)
    kinds = [step.action["kind"] for step in episode.steps]
    assert kinds[:2] == ["key", "type"]  # ctrl+l, the URL: counted like every other step
    # Refused, the gate stops the first press that submits a form (page 1's Next).
    assert len(kinds) == (10 if consent else 3), (result.summary, [s.description for s in episode.steps])
    assert {step.source for step in episode.steps} == {"forms.run_forms", "forms.fill_form"}
    assert episode.model_calls == (1 if consent else 0)  # the free text, the episode's model


def test_fields_below_the_fold_are_scrolled_to_with_counted_steps(
    sandbox: SandboxDesktop, gui_site: str
) -> None:
    data = {"first_name": "Ada", "city": "London", "zip code": "NW1 6XE", "terms": "yes"}
    with open_web_form(sandbox.cdp_url, url=f"{gui_site}/long_form.html") as form:
        report = fill_form(data, sandbox, form, submit=True, confirm=always_yes)
        landed = form.url
    assert report.status == "done", report.reason
    assert landed.endswith("static.html?first=Ada&city=London&zip=NW1+6XE&terms=yes")
    assert all(f.read_back_ok for f in report.fields)
    # Each scroll is a step: the page is about four screens tall.
    assert 4 <= report.steps <= 2 + 2 * 4


# -- the command line (each run starts its own sandbox, as a user's would) --------------------


def test_fill_a_three_row_csv_batch(server: DemoFormServer, tmp_path: Path, no_model: None) -> None:
    rows = tmp_path / "people.csv"
    rows.write_text(
        "first_name,last_name,email,dob,phone,country,plan,newsletter\n"
        "Ada,Lovelace,ada@example.org,1985-12-10,415-555-0132,United Kingdom,Pro,yes\n"
        "Grace,Hopper,grace@example.org,09/12/1906,(212) 555-0100,United States,team,no\n"
        "Alan,Turing,alan@example.org,23 June 1912,+44 7700 900123,United Kingdom,basic,1\n"
    )
    before = len(server.submissions)
    result = CliRunner().invoke(main, ["fill", server.url, "--data", str(rows), "--yes",
                                       "--out", str(tmp_path / "runs")])  # fmt: skip
    assert result.exit_code == 0, result.output
    received = server.submissions[before:]
    assert [(r["fname"], r["born"], r["daytime"], r["residence"], r["tier"], r["news"])
            for r in received] == [
        ("Ada", "1985-12-10", "4155550132", "GB", "m2", "on"),
        ("Grace", "1906-09-12", "2125550100", "US", "m3", ""),
        ("Alan", "1912-06-23", "7700900123", "GB", "m1", "on"),
    ]  # fmt: skip
    [batch] = (tmp_path / "runs").iterdir()
    summary = json.loads((batch / "batch.json").read_text())
    assert [row["status"] for row in summary] == ["done"] * 3
    for row in summary:
        result_json = json.loads((Path(row["run_dir"]) / "result.json").read_text())
        assert result_json["submitted"] and len(result_json["fields"]) == 9
    assert "3 of 3 rows done" in result.output


def test_fill_without_yes_and_without_a_terminal_is_blocked(
    server: DemoFormServer, tmp_path: Path, no_model: None
) -> None:
    before = len(server.submissions)
    result = CliRunner().invoke(main, ["fill", server.url, "--data", str(data_file()),
                                       "--out", str(tmp_path)])  # fmt: skip
    assert result.exit_code == 7, result.output
    [run_dir] = tmp_path.iterdir()
    assert json.loads((run_dir / "result.json").read_text())["status"] == "blocked"
    assert len(server.submissions) == before


def test_demo_runs_offline_without_a_key(tmp_path: Path, no_model: None) -> None:
    started = time.monotonic()
    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path)])
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert "filled by code:  8 fields" in result.output
    assert "no model configured" in result.output
    assert "the form's server received application #1" in result.output
    [run_dir] = tmp_path.iterdir()
    report = json.loads((run_dir / "result.json").read_text())
    assert report["status"] == "done" and report["model_calls"] == 0
    page = (run_dir / "report.html").read_text()  # the trajectory report, written by the demo
    assert "report:" in result.output and 'id="fields"' in page and 'class="step"' in page
    assert elapsed < 60  # the target is 30 s on an idle machine; CI shares its cores


def test_demo_with_a_model_has_it_write_only_the_free_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("FORMS_MODEL_LOG", str(log))
    result = CliRunner().invoke(main, ["demo", "--model", FORMS_MODEL, "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert "filled by model: 1 field " in result.output
    calls = [json.loads(line)["function"] for line in log.read_text().splitlines()]
    assert calls == ["answer_field"]
