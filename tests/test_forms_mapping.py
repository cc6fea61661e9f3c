"""choose_value, value shaping, error correction and data files: pure code, no browser."""

from __future__ import annotations

from pathlib import Path

import pytest

from gui_agent.errors import ConfigError
from skills.forms import FormField, choose_value
from skills.forms.data import load_rows
from skills.forms.fields import Option, button_role
from skills.forms.formats import correct_by_rule, date_keystrokes, parse_date, shape_like

DATA = {
    "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.org",
    "dob": "10 December 1985", "phone": "+1 (415) 555-0132", "country": "United Kingdom",
    "plan": "pro", "newsletter": "yes", "zip": "94103",
}  # fmt: skip
COUNTRIES = (Option(value="", label="Choose..."), Option(value="US", label="United States"),
             Option(value="GB", label="United Kingdom"), Option(value="CA", label="Canada"))  # fmt: skip


def text(label: str, **extra: object) -> FormField:
    return FormField(key=f"#{label}", label=label, kind="text", **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("label", "expected_key"),
    [("Given name", "first_name"), ("Surname", "last_name"), ("E-mail address", "email"),
     ("Your e-mail", "email"), ("Daytime phone", "phone"), ("Postal code", "zip"),
     ("First Name:", "first_name")],
)  # fmt: skip
def test_labels_that_differ_from_keys_find_their_key(label: str, expected_key: str) -> None:
    assert choose_value(text(label), DATA).data_key == expected_key


def test_a_label_no_key_names_is_left_undecided() -> None:
    decision = choose_value(text("What would you use the club's engines for?"), DATA)
    assert decision.value is None and decision.data_key is None


def test_select_and_radio_match_options_by_text_or_value() -> None:
    select = FormField(key="#c", label="Country of residence", kind="select", options=COUNTRIES)
    assert choose_value(select, DATA).value == "GB"
    assert choose_value(select, {"country": "ca"}).value == "CA"
    plans = (Option(value="m1", label="Basic (free)"), Option(value="m2", label="Pro (£9 a month)"))
    radio = FormField(key="radio:tier", label="Membership plan", kind="radio", options=plans)
    assert choose_value(radio, DATA).value == "m2"
    assert choose_value(radio, {"plan": "platinum"}).value is None  # no option means that


def test_checkbox_truthiness_and_dates() -> None:
    box = FormField(key="#n", label="Send me the monthly newsletter", kind="checkbox")
    assert choose_value(box, DATA).value == "true"
    assert choose_value(box, {"newsletter": "no"}).value == "false"
    assert choose_value(box, {"newsletter": "maybe"}).value is None
    date = FormField(key="#d", label="Date of birth", kind="date")
    assert choose_value(date, DATA).value == "1985-12-10"
    assert parse_date("25/12/2001").isoformat() == "2001-12-25"  # type: ignore[union-attr]
    assert date_keystrokes(parse_date("1985-12-10"), "dmy") == "10121985"  # type: ignore[arg-type]


def test_text_is_shaped_to_the_declared_pattern_and_date_hint() -> None:
    phone = text("Phone", pattern=r"\d{3}-\d{3}-\d{4}")
    assert choose_value(phone, DATA).value == "415-555-0132"
    born = text("Date of birth", placeholder="DD/MM/YYYY")
    assert choose_value(born, DATA).value == "10/12/1985"


def test_validation_messages_code_understands_are_corrected() -> None:
    message = "Enter the phone number as 10 digits with no spaces or symbols, e.g. 4155550132."
    assert correct_by_rule("+1 (415) 555-0132", message) == "4155550132"
    assert correct_by_rule("ab 12", "Use capital letters") == "AB 12"
    assert correct_by_rule("a" * 12, "Use at most 10 characters") == "a" * 10
    assert correct_by_rule("1985-12-10", "Write the date as DD/MM/YYYY") == "10/12/1985"
    assert correct_by_rule("Ada", "Something else went wrong") is None
    assert shape_like("4155550132", "415-555-0132") == "415-555-0132"


def test_buttons_are_named_by_their_text() -> None:
    assert button_role("Next ›") == "next"
    assert button_role("Continue to payment") == "next"
    assert button_role("Submit application") == "submit"
    assert button_role("Back") == "back"
    assert button_role("Go", is_submit_type=True) == "submit"


def test_data_files_json_yaml_csv(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"name": "Ada", "subscribe": true, "age": 36}')
    assert load_rows(tmp_path / "a.json") == [{"name": "Ada", "subscribe": "yes", "age": "36"}]
    (tmp_path / "a.yaml").write_text("name: Ada\nnote: null\n")
    assert load_rows(tmp_path / "a.yaml") == [{"name": "Ada", "note": ""}]
    (tmp_path / "a.csv").write_text("name,email\nAda,a@x.org\nGrace,g@x.org\n")
    assert [r["name"] for r in load_rows(tmp_path / "a.csv")] == ["Ada", "Grace"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [("bad.json", "{nope", "not valid JSON"), ("list.yaml", "- 1\n- 2\n", "expected a non-empty"),
     ("empty.csv", "", "no header"), ("data.txt", "x", "must end in"),
     ("missing.json", None, "cannot read")],
)  # fmt: skip
def test_bad_data_files_name_the_problem(tmp_path: Path, name: str, content: str | None,
                                         message: str) -> None:  # fmt: skip
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_rows(path)


def test_digits_are_not_dropped_unless_they_are_a_country_code() -> None:
    message = "Enter the phone number as 10 digits, e.g. 4155550132."
    assert correct_by_rule("0044 415 555 0132", message) == "4155550132"
    assert correct_by_rule("415 555 0132 ext. 9", message) is None  # for a model to judge
    assert correct_by_rule("555 0132", message) is None


@pytest.mark.parametrize(
    ("arguments", "message"),
    [(["fill", "--data", "{data}"], "either a URL or --app"),
     (["fill", "http://127.0.0.1:9/", "--app", "xterm", "--data", "{data}"], "either a URL or --app"),
     (["fill", "http://127.0.0.1:9/", "--data", "{missing}"], "cannot read data file"),
     (["fill", "http://127.0.0.1:9/", "--data", "{data}", "--model", "nope"], "model spec")],
)  # fmt: skip
def test_fill_bad_input_is_a_named_error_before_anything_starts(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    from click.testing import CliRunner

    from gui_agent.cli import main

    data = tmp_path / "data.json"
    data.write_text('{"name": "Ada"}')
    filled = [a.format(data=data, missing=tmp_path / "missing.json") for a in arguments]
    result = CliRunner().invoke(main, filled)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_golden_prompts_of_the_two_model_questions() -> None:
    from skills.forms.questions import answer_field, correct_value

    field = FormField(key="#purpose", label="What will you use it for?", kind="textarea")
    request = answer_field.render(field, {"interests": "poetry"}, "Step 3", "Last details")
    assert ("# Function\ndef answer_field(field: FormField, data: dict[str, str], page_title: str,"
            " page_text: str) -> FieldAnswer:\n    \"\"\"\n    Decide what this form field should"
            " hold, using only the user's data.\n") in request.system  # fmt: skip
    assert "Never invent personal" in request.system and "return null to" in request.system
    [text] = [getattr(part, "text", "") for part in request.parts]
    assert text.startswith('# Arguments\nfield: {"key":"#purpose","label":"What will you use it for?"')
    assert text.endswith('data: {"interests": "poetry"}\npage_title: Step 3\npage_text: Last details')
    assert set(request.output_schema["properties"]) == {"value", "reason"}
    request = correct_value.render(field, "4155", "Enter 10 digits", {})
    assert "The page rejected the value typed into this field" in request.system
    assert "rejected_value: 4155\nerror: Enter 10 digits\ndata: {}" in request.parts[0].text  # type: ignore[union-attr]
    assert set(request.output_schema["properties"]) == {"value", "explanation"}
