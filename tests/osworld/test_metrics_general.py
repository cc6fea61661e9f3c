"""General and JSON metrics on positive and negative inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from osworld_eval.metrics import general, json_checks
from tests.osworld import builders


def test_check_include_exclude() -> None:
    rules = {
        "include": ["no libreoffice is running", "killed from terminal"],
        "exclude": ["still running"],
    }
    assert (
        general.check_include_exclude("no libreoffice is running\nkilled from terminal\n", rules)
        == 1.0
    )
    assert (
        general.check_include_exclude("libreoffice is still running\nkilled from terminal", rules)
        == 0.0
    )
    assert general.check_include_exclude("no libreoffice is running", rules) == 0.0
    assert general.check_include_exclude(None, rules) == 0.0
    assert general.check_include_exclude("anything", {"include": []}) == 1.0


def test_exact_match_and_lists() -> None:
    assert general.exact_match("true\n", {"expected": "true\n"}) == 1.0
    assert general.exact_match("true", {"expected": "true\n"}) == 0.0
    assert general.match_in_list("Bing", {"expected": ["Microsoft Bing", "Bing"]}) == 1.0
    assert general.match_in_list("Google", {"expected": ["Microsoft Bing", "Bing"]}) == 0.0
    assert (
        general.is_in_list(
            ["/a", "/home/user/Desktop/helloExtension"],
            {"expected": "/home/user/Desktop/helloExtension"},
        )
        == 1.0
    )
    assert general.is_in_list(["/a"], {"expected": "/b"}) == 0.0
    assert general.is_in_list(None, {"expected": "/b"}) == 0.0


def test_literal_match() -> None:
    assert general.literal_match("ABC", "abc", type="str", ignore_case=True) == 1.0
    assert general.literal_match("ABC", "abc", type="str") == 0.0
    assert general.literal_match([1, "a"], ["1", "A"], type="list", ignore_case=True) == 1.0
    assert general.literal_match([1], ["1", "2"], type="list") == 0.0
    assert general.literal_match("x", ["x"], type="list") == 0.0


def test_check_list(tmp_path: Path) -> None:
    path = builders.text(
        tmp_path / "wmctrl.out", "0x01 org.gnome.Nautilus OSWorld\n0x02 terminal ~/Projects\n"
    )
    assert general.check_list(path, {"expect": [r"Nautilus.*OSWorld", r"terminal"]}) == 1.0
    assert general.check_list(path, {"expect": [r"Firefox"]}) == 0.0
    assert general.check_list(path, {"unexpect": [".+"]}) == 0.0
    empty = builders.text(tmp_path / "diff.out", "")
    assert general.check_list(empty, {"unexpect": [".+"]}) == 1.0
    assert general.check_list(None, {"expect": ["x"]}) == 0.0  # the command saved nothing
    unreadable = tmp_path / "folder.out"
    unreadable.mkdir()
    assert general.check_list(str(unreadable), {"expect": ["x"]}) == 0.0
    with pytest.raises(ValueError, match="neither expect nor unexpect"):
        general.check_list(path, {"expect": []})


def test_file_contains_and_line_number(tmp_path: Path) -> None:
    report = builders.text(
        tmp_path / "report.txt",
        "CPU %user %nice %system %iowait %steal %idle\n10:00:01 all 1\n10:00:02 all 2\nAverage: 3\n",
    )
    assert general.file_contains(report, {"expected": ["CPU", "%idle"]}) == 1.0
    assert general.file_contains(report, {"expected": ["CPU", "%gnice"]}) == 0.0
    assert general.file_contains(None, {"expected": []}) == 0.0
    assert general.check_line_number(report, {"expected": "2"}) == 1.0
    assert general.check_line_number(report, {"expected": "31"}) == 0.0
    assert general.check_line_number(str(tmp_path / "missing"), {"expected": "0"}) == 0.0


def test_diff_text_and_python_text(tmp_path: Path) -> None:
    a = builders.text(tmp_path / "a.py", "#!/usr/bin/env python\nimport os\n\n\tprint(os.sep)   \n")
    b = builders.text(tmp_path / "b.py", "import os\n    print(os.sep)\n")
    c = builders.text(tmp_path / "c.py", "```python\nimport os\n    print(os.sep)\n```\n")
    assert general.compare_python_pure_text(a, b) == 1.0
    assert general.compare_python_pure_text(c, b) == 0.0
    assert general.diff_text_file(b, b) == 1.0
    assert 0.0 < general.diff_text_file(c, b) < 1.0
    assert general.diff_text_file(None, b) == 0.0


def test_compare_result_files(tmp_path: Path) -> None:
    gold = builders.text(tmp_path / "gold.txt", "42.5\n")
    assert (
        general.compare_result_files(builders.text(tmp_path / "a", "The answer is 42.5"), gold)
        == 1.0
    )
    assert general.compare_result_files(builders.text(tmp_path / "b", "42.50001"), gold) == 1.0
    assert general.compare_result_files(builders.text(tmp_path / "c", "41"), gold) == 0.0
    word = builders.text(tmp_path / "w", "yes")
    assert general.compare_result_files(builders.text(tmp_path / "d", "yes"), word) == 1.0
    assert general.compare_result_files(builders.text(tmp_path / "e", "no"), word) == 0.0


def test_check_direct_json_object() -> None:
    rules = {"expected": {"start": "JFK", "end": "ORD"}}
    assert (
        json_checks.check_direct_json_object({"start": "JFK", "end": "ORD", "x": 1}, rules) == 1.0
    )
    assert json_checks.check_direct_json_object("{'start': 'JFK', 'end': 'ORD'}", rules) == 1.0
    assert json_checks.check_direct_json_object({"start": "JFK", "end": "LAX"}, rules) == 0.0
    assert json_checks.check_direct_json_object("not json", rules) == 0.0
    assert json_checks.check_direct_json_object(None, rules) == 0.0
    assert (
        json_checks.check_direct_json_object(
            {"start": "x"}, {"expected": {"start": "__EVALUATION_FAILED__"}}
        )
        == 0.0
    )
    loose = {"expected": {"toStation": ["STO", "ARN"], "time": "2024-05"}, "expect_in_result": True}
    assert (
        json_checks.check_direct_json_object({"toStation": "ARN", "time": "2024-05-06"}, loose)
        == 1.0
    )
    assert (
        json_checks.check_direct_json_object(
            {"toStation": ["X", "STO"], "time": "2024-05-06"}, loose
        )
        == 1.0
    )
    assert (
        json_checks.check_direct_json_object({"toStation": "CPH", "time": "2024-05-06"}, loose)
        == 0.0
    )
    assert (
        json_checks.check_direct_json_object({"toStation": "ARN", "time": "2024-06"}, loose) == 0.0
    )
    models = ["iphone-15-pro-max", "iphone-14-pro-max"]
    unordered = {"expected": {"modelList": models}, "ignore_list_order": True}
    assert json_checks.check_direct_json_object({"modelList": models[::-1]}, unordered) == 1.0
    assert json_checks.check_direct_json_object({"modelList": models[:1]}, unordered) == 0.0
    ordered = {"expected": {"modelList": models}}
    assert json_checks.check_direct_json_object({"modelList": models[::-1]}, ordered) == 0.0
    assert json_checks.check_direct_json_object(["a", "list"], rules) == 0.0
    with pytest.raises(ValueError, match="expect no values"):
        json_checks.check_direct_json_object({"a": 1}, {"expected": {}})


def test_check_json(tmp_path: Path) -> None:
    manifest = builders.json_file(
        tmp_path / "manifest.json",
        {"name": "happy-extension", "version": "0.0.1", "background": {"scripts": ["bg.js"]}},
    )
    expect = [
        {"key": ["name"], "method": "eq", "ref": "happy-extension"},
        {"key": ["background", "scripts"], "method": "eq", "ref": ["bg.js"]},
        {"key": ["version"], "method": "re", "ref": r"^0\.0\.\d$"},
    ]
    assert json_checks.check_json(manifest, {"expect": expect}) == 1.0
    assert (
        json_checks.check_json(
            manifest, {"expect": [{"key": ["missing"], "method": "eq", "ref": 1}]}
        )
        == 0.0
    )
    assert (
        json_checks.check_json(
            manifest, {"unexpect": [{"key": ["name"], "method": "eq", "ref": "happy-extension"}]}
        )
        == 0.0
    )
    assert (
        json_checks.check_json(
            manifest, {"unexpect": [{"key": ["nope"], "method": "eq", "ref": 1}]}
        )
        == 1.0
    )
    settings = builders.text(tmp_path / "s.yaml", "editor:\n  fontSize: 14\n")
    rule = {"expect": [{"key": ["editor", "fontSize"], "method": "ge", "ref": 12}]}
    assert json_checks.check_json(settings, rule, is_yaml=True) == 1.0
    assert json_checks.check_json(builders.text(tmp_path / "bad.json", "{"), rule) == 0.0
    assert json_checks.check_json(None, rule) == 0.0


@pytest.mark.parametrize(
    ("value", "rule", "ok"),
    [
        ("Hello World", {"method": "re.IGNORECASE", "ref": "hello"}, True),
        ("Hello", {"method": "re", "ref": "^h"}, False),
        (3, {"method": "lt", "ref": 4}, True),
        ("-186.95", {"method": "approx:0.1", "ref": -186.93}, True),
        (None, {"method": "approx:0.1", "ref": 1}, False),
        (2, {"method": "range.te", "ref": [0, 2]}, True),
        (0, {"method": "range.te", "ref": [0, 2]}, False),
        ("'b,a'", {"method": "str_set_eq", "ref": ["a", "b"]}, True),
        ("b,a", {"method": "str_list_eq", "ref": ["a", "b"]}, False),
    ],
)
def test_match_value_to_rule(value: object, rule: dict, ok: bool) -> None:
    assert json_checks.match_value_to_rule(value, rule) is ok


def test_compare_config(tmp_path: Path) -> None:
    records = builders.text(
        tmp_path / "ws.txt", '{"folder": "file:///home/user/project"}{"folder": "file:///tmp/x"}'
    )
    assert json_checks.compare_config(records, {"expected": "project"}) == 1.0
    assert json_checks.compare_config(records, {"expected": "user"}) == 0.0
    plain = builders.text(tmp_path / "p.txt", "OpenProject at /home/user\n")
    assert json_checks.compare_config(plain, {"expected": "OpenProject"}) == 0.0  # not the value
    assert json_checks.compare_config(None, {"expected": "x"}) == 0.0
