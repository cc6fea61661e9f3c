"""Task and index files: every real file loads; malformed ones name the file and the field."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gui_agent.errors import ConfigError
from osworld_eval.tasks import (
    CREDENTIAL_SETUP_TYPES,
    SUPPORTED_SETUP_TYPES,
    Evaluator,
    TaskFileError,
    load_index,
    load_task,
    load_tasks,
)

DOMAINS = ["chrome", "os", "multi_apps"]


def test_every_real_task_file_loads(examples: Path) -> None:
    tasks = load_tasks(examples / "examples")
    assert len(tasks) == 171
    assert {t.domain for t in tasks} == set(DOMAINS)
    for task in tasks:
        assert task.domain is not None
        raw = json.loads((examples / "examples" / task.domain / f"{task.id}.json").read_text())
        assert task.model_dump(exclude_unset=True) == raw  # unknown keys kept, nothing added
        for call in task.evaluator.calls():
            assert isinstance(call.options, dict)


def test_evaluation_examples_root_and_index(examples: Path) -> None:
    tasks = load_tasks(examples, index=examples / "test_all.json", domains=DOMAINS)
    assert len(tasks) == 171
    assert [t.domain for t in tasks[:1]] == ["chrome"]


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("test_all.json", 369),
        ("test_small.json", 39),
        ("test_nogdrive.json", 361),
        ("test_infeasible.json", 28),
    ],
)
def test_index_files_load(examples: Path, name: str, count: int) -> None:
    index = load_index(examples / name)
    assert sum(len(ids) for ids in index.values()) == count


def test_index_task_without_a_file_is_named(examples: Path) -> None:
    with pytest.raises(TaskFileError) as err:
        load_tasks(examples, index=examples / "test_small.json")
    gimp_ids = load_index(examples / "test_small.json")["gimp"]
    assert all(task_id in err.value.message for task_id in gimp_ids)
    assert isinstance(err.value, ConfigError)


def _copy_task(examples: Path, root: Path, domain: str, task_id: str) -> Path:
    (root / domain).mkdir(parents=True, exist_ok=True)
    target = root / domain / f"{task_id}.json"
    shutil.copy(examples / "examples" / domain / f"{task_id}.json", target)
    return target


def test_malformed_files_name_file_and_field(examples: Path, tmp_path: Path) -> None:
    good = _copy_task(examples, tmp_path, "chrome", "030eeff7-b492-4218-b312-701ec99ee0cc")
    no_func = _copy_task(examples, tmp_path, "chrome", "2ad9387a-65d8-4e33-ad5b-7580065a27ca")
    data = json.loads(no_func.read_text())
    del data["evaluator"]["func"]
    no_func.write_text(json.dumps(data))
    bad_conj = _copy_task(examples, tmp_path, "os", "bedcedc4-4d72-425e-ad62-21960b11fe0d")
    data = json.loads(bad_conj.read_text())
    data["evaluator"]["conj"] = "xor"
    bad_conj.write_text(json.dumps(data))
    misaligned = _copy_task(examples, tmp_path, "os", "3ce045a0-877b-42aa-8d2c-b4a863336ab8")
    data = json.loads(misaligned.read_text())
    data["evaluator"]["result"] = data["evaluator"]["result"][:1]
    misaligned.write_text(json.dumps(data))
    broken = tmp_path / "os" / "broken.json"
    broken.write_text("{ not json")

    with pytest.raises(TaskFileError) as err:
        load_tasks(tmp_path)
    message = err.value.message
    assert f"{no_func}: evaluator.func: Field required" in message
    assert f"{bad_conj}: evaluator.conj" in message
    assert f"{misaligned}: evaluator: Value error, result has 1 entries but func has 2" in message
    assert f"{broken}: not readable JSON" in message
    assert str(good) not in message
    assert len(err.value.problems) == 4


def test_single_file_errors(tmp_path: Path) -> None:
    path = tmp_path / "os" / "abc.json"
    path.parent.mkdir()
    path.write_text(
        json.dumps({"id": "xyz", "instruction": "x", "evaluator": {"func": "exact_match"}})
    )
    with pytest.raises(TaskFileError, match="does not match the file name"):
        load_task(path)
    path.write_text(
        json.dumps({"id": "abc", "evaluator": {"func": ["a"], "result": {"type": "rule"}}})
    )
    with pytest.raises(TaskFileError) as err:
        load_task(path)
    assert "instruction: Field required" in err.value.message
    assert "evaluator: Value error, result must be a list" in err.value.message
    with pytest.raises(TaskFileError, match="no such file"):
        load_task(tmp_path / "missing.json")


def test_evaluator_alignment() -> None:
    evaluator = Evaluator.model_validate(
        {
            "func": ["exact_match", "check_list"],
            "conj": "or",
            "result": [{"type": "rule", "rules": 1}, {"type": "cache_file", "path": "x"}],
            "expected": [{"type": "rule", "rules": {"expected": 1}}, None],
            "options": [None, {"strict": False}],
        }
    )
    calls = evaluator.calls()
    assert [c.func for c in calls] == ["exact_match", "check_list"]
    assert calls[0].options == {} and calls[1].options == {"strict": False}
    assert calls[1].expected is None
    assert calls[1].result is not None and calls[1].result.config() == {
        "type": "cache_file",
        "path": "x",
    }


def test_setup_type_constants() -> None:
    assert "launch" in SUPPORTED_SETUP_TYPES and "chrome_open_tabs" in SUPPORTED_SETUP_TYPES
    assert {"googledrive", "login"} == CREDENTIAL_SETUP_TYPES
    assert CREDENTIAL_SETUP_TYPES <= SUPPORTED_SETUP_TYPES  # supported with the user's credentials
