"""Desktop forms through the accessibility tree: a real GTK dialog on a real sandbox desktop.

The dialog (tests/gui_apps/gtk_form.py) writes what it holds to a JSON file when Save is
pressed: that file is where the values are checked.
"""

from __future__ import annotations

import json
import shlex
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gui_agent.actions import Key
from gui_agent.cli import main
from gui_agent.computers.server.accessibility import SYSTEM_PACKAGES, pyatspi_available
from gui_agent.episode import EpisodeStatus
from gui_agent.loop import Episode, run_episode
from gui_agent.models.scripted import FunctionModel
from gui_agent.policy import Policy
from skills.base import SkillResult, SkillStatus
from skills.forms import fill_form, run_forms
from skills.forms.consent import always_yes
from skills.forms.desktop import DesktopSandbox, parse_tree, read_window
from skills.routes import FormsParams
from tests.gui_fixtures import wait_until, xvfb_missing

pytestmark = pytest.mark.gui
DIALOG = Path(__file__).parent / "gui_apps" / "gtk_form.py"
DATA = {"name": "Ada Lovelace", "email": "ada@example.org", "phone": "+1 415 555 0132",
        "age": "36", "newsletter": "yes", "plan": "pro"}  # fmt: skip


def _missing() -> str | None:
    if reason := xvfb_missing():
        return reason
    if not pyatspi_available() or not shutil.which("dbus-daemon"):
        return "AT-SPI is not installed (apt-get install python3-pyatspi at-spi2-core dbus)"
    typelibs = Path("/usr/lib/x86_64-linux-gnu/girepository-1.0")
    if not any(typelibs.glob("Gtk-3.0.typelib")) and not any(Path("/usr/lib").rglob("Gtk-3.0.typelib")):
        return "GTK 3 introspection is not installed (apt-get install gir1.2-gtk-3.0)"
    return None


@pytest.fixture(scope="module")
def desktop() -> Iterator[DesktopSandbox]:
    if reason := _missing():
        pytest.skip(reason)
    with DesktopSandbox() as running:
        yield running


def dialog_command(out: Path) -> str:
    """The test dialog under the project's interpreter, with the system's gi importable."""
    return (f"env PYTHONPATH={SYSTEM_PACKAGES} {shlex.quote(sys.executable)} "
            f"{shlex.quote(str(DIALOG))} {shlex.quote(str(out))}")  # fmt: skip


def test_a_gtk_dialog_is_filled_through_the_tree_read_back_and_saved(
    desktop: DesktopSandbox, tmp_path: Path
) -> None:
    out = tmp_path / "saved.json"
    with desktop.open_app(dialog_command(out)) as form:
        page = form.read()
        # Labels come from the dialog's layout: entries carry no accessible name here.
        assert [f.label for f in page.fields] == ["Full name", "E-mail address", "Telephone",
                                                  "Age", "Send me the newsletter", "Plan"]  # fmt: skip
        report = fill_form(DATA, desktop.computer, form, submit=True, confirm=always_yes)
    assert report.status == "done", report.reason
    assert report.steps == 2 and report.model_calls == 0
    assert all(f.read_back_ok for f in report.fields), [(f.label, f.read_back) for f in report.fields]
    assert json.loads(out.read_text()) == {"name": "Ada Lovelace", "email": "ada@example.org",
                                           "phone": "+1 415 555 0132", "age": 36,
                                           "newsletter": True, "plan": "Pro"}  # fmt: skip


def test_the_dialog_is_not_saved_without_consent(desktop: DesktopSandbox, tmp_path: Path) -> None:
    out = tmp_path / "saved.json"
    with desktop.open_app(dialog_command(out)) as form:
        report = fill_form(DATA, desktop.computer, form, submit=True, confirm=lambda q: False)
        values = {f.label: f.value for f in form.read().fields}
    assert report.status == "blocked"
    assert values["Telephone"] == "+1 415 555 0132"  # filled, read back, but not saved
    assert not out.exists()


class TreeOnlyComputer:
    """The sandbox seen as a VM without a browser: screen, input, and an accessibility tree."""

    def __init__(self, desktop: DesktopSandbox) -> None:
        self.desktop = desktop
        self.size = desktop.computer.size
        self.allows_shell = False

    def screenshot(self) -> Any:
        return self.desktop.computer.screenshot()

    def execute(self, action: Any) -> Any:
        return self.desktop.computer.execute(action)

    def close(self) -> None:
        pass

    def accessibility_tree(self) -> str:
        return read_window(self.desktop.env)


def test_run_forms_fills_the_window_in_front_through_a_computers_tree(
    desktop: DesktopSandbox, tmp_path: Path
) -> None:
    out = tmp_path / "saved.json"
    results: list[SkillResult] = []

    def body(episode: Episode) -> EpisodeStatus:
        params = FormsParams(fields={"name": "Grace Hopper", "plan": "team"}, submit=True)
        results.append(run_forms(episode.goal, episode.computer, params=params))
        return EpisodeStatus.DONE

    with desktop.open_app(dialog_command(out)):
        leave_empty = FunctionModel(lambda request: {"value": None, "reason": "not in the data"})
        episode = run_episode("save Grace's contact", TreeOnlyComputer(desktop), body,  # type: ignore[arg-type]
                              name="solve", model=leave_empty,
                              policy=Policy(confirm=lambda action: True))  # fmt: skip
        saved = wait_until(lambda: out.exists() and json.loads(out.read_text()))
    assert results[0].status == SkillStatus.DONE, results[0].summary
    assert (saved["name"], saved["plan"]) == ("Grace Hopper", "Team")
    assert [s.source for s in episode.steps] == ["forms.fill_form", "forms.fill_form"]
    assert episode.model_calls == 4  # e-mail, telephone, age, newsletter: not in the data


def test_fill_app_on_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if reason := _missing():
        pytest.skip(reason)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    data = tmp_path / "contact.yaml"
    data.write_text("name: Grace Hopper\nemail: grace@example.org\nage: 85\nplan: Team\n")
    out = tmp_path / "saved.json"
    result = CliRunner().invoke(main, ["fill", "--app", dialog_command(out), "--data", str(data),
                                       "--yes", "--out", str(tmp_path / "runs")])  # fmt: skip
    assert result.exit_code == 0, result.output
    saved = json.loads(out.read_text())
    assert (saved["name"], saved["age"], saved["plan"], saved["phone"]) == ("Grace Hopper", 85, "Team", "")
    [run_dir] = (tmp_path / "runs").iterdir()
    fields = json.loads((run_dir / "result.json").read_text())["fields"]
    assert {f["label"]: f["source"] for f in fields}["Telephone"] == "empty"


def test_labels_are_read_from_the_layout_of_a_tree() -> None:
    xml = (
        '<desktop-frame xmlns:st="https://accessibility.ubuntu.example.org/ns/state" '
        'xmlns:cp="https://accessibility.ubuntu.example.org/ns/component"><application name="app">'
        '<label name="City" st:showing="true" cp:screencoord="(10, 10)" cp:size="(60, 20)">City</label>'
        '<text name="" st:editable="true" st:showing="true" cp:screencoord="(80, 8)" cp:size="(200, 24)">Paris</text>'
        '<label name="Notes" st:showing="true" cp:screencoord="(10, 50)" cp:size="(60, 20)">Notes</label>'
        '<text name="" st:editable="true" st:showing="true" cp:screencoord="(10, 74)" cp:size="(270, 60)"></text>'
        '<push-button name="OK" st:showing="true" cp:screencoord="(200, 150)" cp:size="(80, 30)"/>'
        "</application></desktop-frame>"
    )  # fmt: skip
    page = parse_tree(xml, application="app")
    assert [(f.label, f.value) for f in page.fields] == [("City", "Paris"), ("Notes", "")]
    assert page.button("submit") is not None and page.button("submit").text == "OK"  # type: ignore[union-attr]


@pytest.mark.slow
def test_libreoffice_user_data_dialog_is_filled_through_the_tree(
    desktop: DesktopSandbox, tmp_path: Path
) -> None:
    """Calc's Tools > Options > User Data (Alt+F12 opens it on that page in a new profile)."""
    if not shutil.which("soffice"):
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc libreoffice-gtk3)")
    profile = (tmp_path / "lo-profile").as_uri()
    command = (f"env SAL_USE_VCLPLUGIN=gtk3 soffice --calc --norestore --nologo "
               f"-env:UserInstallation={profile}")  # fmt: skip
    data = {"company": "Analytical Engines Ltd", "first_name": "Ada", "last_name": "Lovelace",
            "city": "London", "position": "Mathematician", "email": "ada@example.org"}  # fmt: skip
    with desktop.open_app(command) as form:

        def open_options() -> dict[str, str]:
            desktop.computer.execute(Key(keys="alt+f12"))
            page = wait_until(lambda: (p := form.read()).title.startswith("Options") and p,
                              timeout=60)  # fmt: skip
            return {f.label: f.value for f in page.fields}

        assert open_options()["First name"] == ""
        report = fill_form(data, desktop.computer, form, submit=True, confirm=always_yes)
        assert report.status == "done", report.reason
        filled = {f.label: (f.source, f.read_back_ok) for f in report.fields if f.source == "code"}
        assert filled == {label: ("code", True) for label in
                          ("Company:", "First name", "Last name", "City", "Position",
                           "email address")}  # fmt: skip
        assert report.steps == 2 and report.model_calls == 0
        # OK closed the dialog; opened again, it shows what LibreOffice kept.
        kept = open_options()
    assert (kept["Company:"], kept["First name"], kept["City"], kept["email address"]) == (
        "Analytical Engines Ltd", "Ada", "London", "ada@example.org")
