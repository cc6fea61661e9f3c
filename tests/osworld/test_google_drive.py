"""Google Drive setup, login and the googledrive_file getter against a local fake of Google."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from osworld_eval.drive_client import DriveClient
from osworld_eval.evaluate import EvalOutcome, evaluate
from osworld_eval.getters import GETTERS, GetterContext, LocalEvalEnv
from osworld_eval.google_settings import (
    GOOGLE_SETTINGS_ENV,
    GoogleSettingsMissing,
    load_drive_credentials,
)
from osworld_eval.setup_google import GoogleDrive, Login, google_drive, login
from osworld_eval.tasks import load_task
from tests.osworld import builders
from tests.osworld.fake_google import DOC, FOLDER, FakeGoogle, running_fake_google

SETTINGS_YML = "evaluation_examples/settings/googledrive/settings.yml"
AGENDA_TASK = "22a4636f-8179-4357-8e87-d1743ece1f81"  # upload a PDF to Drive's meetings folder


@pytest.fixture
def google(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGoogle]:
    with running_fake_google() as fake:
        monkeypatch.setenv(GOOGLE_SETTINGS_ENV, str(fake.write_settings(tmp_path / "settings")))
        yield fake


def fetch(env: LocalEvalEnv, spec: dict) -> object:
    return GETTERS["googledrive_file"](GetterContext(env=env, task_id="t"), spec)


def test_setup_deletes_makes_folders_and_uploads(google: FakeGoogle, tmp_path: Path) -> None:
    google.add("Meeting-Agenda.pdf", content=b"old")
    google.add("Meeting-Agenda.docx", content=b"old")
    keep = google.add("Notes.txt")
    (tmp_path / "cache" / "t").mkdir(parents=True)
    (tmp_path / "cache" / "t" / "invoice.pdf").write_bytes(b"%PDF invoice")
    ctx = SimpleNamespace(cache_dir=tmp_path / "cache", task_id="t", offline=True)
    params = GoogleDrive.model_validate({
        "settings_file": SETTINGS_YML,
        "operation": ["delete", "mkdirs", "upload"],
        "args": [
            {"query": "title = 'Meeting-Agenda.docx' or title = 'Meeting-Agenda.pdf'",
             "trash": False},
            {"path": ["meetings", "2024"]},
            {"url": "https://example.org/files/invoice.pdf", "path": ["bills", "invoice.pdf"]},
        ],
    })  # fmt: skip
    google_drive(ctx, params)  # type: ignore[arg-type]
    assert not google.named("Meeting-Agenda.pdf") and not google.named("Meeting-Agenda.docx")
    assert keep in google.files
    (meetings,) = google.named("meetings")
    (year,) = google.named("2024")
    assert meetings["mimeType"] == FOLDER and year["parents"] == [meetings["id"]]
    (invoice,) = google.named("invoice.pdf")
    (bills,) = google.named("bills")
    assert invoice["content"] == b"%PDF invoice" and invoice["parents"] == [bills["id"]]
    assert google.refreshes == 1  # one token for the whole step


def test_getter_by_path_query_and_lists(google: FakeGoogle, tmp_path: Path) -> None:
    folder = google.add("environment_policy", mime=FOLDER)
    google.add("environment_policy_report (draft)", parent=folder, mime=DOC, export=b"DOCX")
    figures = google.add("figures", mime=FOLDER)
    google.add("1.png", parent=figures, content=b"one")
    google.add("1.png", content=b"not in figures")
    env = LocalEvalEnv(cache_dir=tmp_path / "cache")
    doc = fetch(env, {"settings_file": SETTINGS_YML,
                      "path": ["environment_policy", "environment_policy_report (draft)"],
                      "dest": "report.docx"})  # fmt: skip
    assert isinstance(doc, str) and Path(doc).read_bytes() == b"DOCX"  # a Google Doc, exported
    in_figures = "title = 'figures' and trashed = false and 'root' in parents"
    pictures = fetch(env, {
        "settings_file": SETTINGS_YML,
        "query_list": [[in_figures, "title = '1.png' and trashed = false"],
                       [in_figures, "title = '2.png' and trashed = false"]],
        "dest": ["1.png", "2.png"],
    })  # fmt: skip
    assert isinstance(pictures, list) and pictures[1] is None  # 2.png was never uploaded
    assert Path(str(pictures[0])).read_bytes() == b"one"
    missing = fetch(env, {"settings_file": SETTINGS_YML, "path": ["nowhere", "x.pdf"],
                          "dest": "x.pdf"})  # fmt: skip
    assert missing is None


def test_an_expired_token_is_refreshed_once(google: FakeGoogle) -> None:
    google.add("a.txt")
    with DriveClient(load_drive_credentials(SETTINGS_YML)) as drive:
        assert [i.title for i in drive.find("title = 'a.txt'")] == ["a.txt"]
        google.revoke_tokens()  # the access token expired meanwhile
        assert [i.title for i in drive.find("title = 'a.txt'")] == ["a.txt"]
    assert google.refreshes == 2


def test_a_drive_task_scores_1_and_0(google: FakeGoogle, tmp_path: Path) -> None:
    task = load_task(examples_dir() / "multi_apps" / f"{AGENDA_TASK}.json")
    env = LocalEvalEnv(cache_dir=tmp_path / "cache", root=tmp_path / "vm")
    gold = builders.minimal_pdf(tmp_path / "gold.pdf", ["Agenda", "1. Budget 2. Hiring"])
    (tmp_path / "cache" / task.id).mkdir(parents=True)
    (tmp_path / "cache" / task.id / "gold-Meeting-Agenda.pdf").write_bytes(Path(gold).read_bytes())
    assert evaluate(task, env, last_action_failed=False) == EvalOutcome.scored(0.0)  # not uploaded
    meetings = google.add("meetings", mime=FOLDER)
    google.add("Meeting-Agenda.pdf", parent=meetings, content=Path(gold).read_bytes())
    assert evaluate(task, env, last_action_failed=False) == EvalOutcome.scored(1.0)


def test_without_credentials_the_task_says_what_to_provide(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(GOOGLE_SETTINGS_ENV, raising=False)
    env = LocalEvalEnv(cache_dir=tmp_path / "cache")
    with pytest.raises(GoogleSettingsMissing, match="--google-settings"):
        fetch(env, {"settings_file": SETTINGS_YML, "path": ["a"], "dest": "a"})
    task = load_task(examples_dir() / "multi_apps" / f"{AGENDA_TASK}.json")
    (tmp_path / "cache" / task.id).mkdir(parents=True)
    (tmp_path / "cache" / task.id / "gold-Meeting-Agenda.pdf").write_bytes(b"%PDF")
    outcome = evaluate(task, env, last_action_failed=False)
    assert outcome.status == "evaluator_error" and "--google-settings" in outcome.message
    monkeypatch.setenv(GOOGLE_SETTINGS_ENV, str(tmp_path))  # a folder without the files
    with pytest.raises(GoogleSettingsMissing, match="googledrive/settings.yml"):
        fetch(env, {"settings_file": SETTINGS_YML, "path": ["a"], "dest": "a"})


@pytest.mark.gui
def test_login_signs_the_browser_in(google: FakeGoogle, chromium_cdp: str, tmp_path: Path) -> None:
    from osworld_eval.setup import SetupContext

    env = LocalEvalEnv(cache_dir=tmp_path / "cache", cdp_url=chromium_cdp)
    ctx = SetupContext(api=None, env=env, task_id="t", cache_dir=tmp_path / "cache",  # type: ignore[arg-type]
                       client_password="x", ready_timeout_s=10)  # fmt: skip
    params = Login(settings_file="evaluation_examples/settings/google/settings.json",
                   platform="googledrive")  # fmt: skip
    login(ctx, params)
    assert google.sign_ins == [("agent@example.org", "s3cret")]


def examples_dir() -> Path:
    from tests.osworld import shared_osworld

    folder = shared_osworld() / "examples"
    if not folder.is_dir():
        pytest.skip(f"no OSWorld task files at {folder}")
    return folder
