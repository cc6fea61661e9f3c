"""evaluate() over real OSWorld task files with a LocalEvalEnv, plus the combination rules."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import pytest

from osworld_eval.evaluate import (
    EvalOutcome,
    coverage,
    evaluate,
    evaluator_coverage,
    needs_google_credentials,
)
from osworld_eval.getters import LocalEvalEnv
from osworld_eval.tasks import SetupStep, Task, load_task, load_tasks
from tests.osworld import builders

logger = logging.getLogger(__name__)

GRADES: list[list[object]] = [["Name", "Grade"], ["Ann", 91], ["Bob", 78]]


def real(examples: Path, domain: str, task_id: str) -> Task:
    return load_task(examples / "examples" / domain / f"{task_id}.json")


def put(env: LocalEvalEnv, path: str, content: str | bytes) -> Path:
    local = env.local_path(path)
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_bytes(content.encode() if isinstance(content, str) else content)
    return local


def cache(env: LocalEvalEnv, task: Task, name: str) -> Path:
    folder = env.cache_dir / task.id
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def score(task: Task, env: LocalEvalEnv, **kwargs: object) -> EvalOutcome:
    kwargs.setdefault("last_action_failed", False)
    return evaluate(task, env, **kwargs)  # type: ignore[arg-type]


def test_compare_table_task(examples: Path, vm: LocalEvalEnv) -> None:
    task = real(examples, "multi_apps", "aceb0368-56b8-4073-b70e-3dc9aee184e0")
    url = task.evaluator.expected.config()["path"]  # type: ignore[union-attr]
    missing_fixture = score(task, vm)
    assert missing_fixture.status == "evaluator_error" and url in missing_fixture.message
    builders.xlsx(cache(vm, task, "gold_grades.xlsx"), {"Sheet1": GRADES})
    assert score(task, vm) == EvalOutcome.scored(0.0)  # the agent never saved grades.xlsx
    grades = vm.local_path("/home/user/exam/grades.xlsx")
    grades.parent.mkdir(parents=True)
    builders.xlsx(grades, {"Sheet1": [["Name", "Grade"], ["Ann", 91], ["Bob", 87]]})
    assert score(task, vm) == EvalOutcome.scored(0.0)
    builders.xlsx(grades, {"Sheet1": GRADES})
    assert score(task, vm) == EvalOutcome.scored(1.0)
    assert score(task, vm, last_action_failed=True) == EvalOutcome.scored(0.0)


def test_two_metrics_and_task(examples: Path, vm: LocalEvalEnv) -> None:
    task = real(examples, "multi_apps", "2373b66a-092d-44cb-bfd7-82e86e7a3b4d")
    assert task.evaluator.conj == "and"
    header = "CPU %user %nice %system %iowait %steal %idle\n"
    assert score(task, vm).score == 0.0
    put(vm, "/home/user/Desktop/System_Resources_Report.txt", header + "12:00:01 all 1\n")
    assert score(task, vm).score == 0.0  # file_contains passes, check_line_number does not
    rows = "".join(f"12:00:{i:02d} all 1\n" for i in range(31))
    put(vm, "/home/user/Desktop/System_Resources_Report.txt", header + rows)
    assert score(task, vm).score == 1.0


def test_csv_and_table_task_with_option_list(examples: Path, vm: LocalEvalEnv) -> None:
    task = real(examples, "multi_apps", "c867c42d-a52d-4a24-8ae3-f75d256b5618")
    builders.text(cache(vm, task, "contacts_gold.csv"), "Name,Email\nAnn,a@x.org\n")
    builders.xlsx(
        cache(vm, task, "contacts_gold.xlsx"), {"contacts": [["Name", "Email"], ["Ann", "a@x.org"]]}
    )
    put(vm, "/home/user/Desktop/contacts.csv", "Name,Email\nAnn,a@x.org\n")
    xlsx = vm.local_path("/home/user/Desktop/contacts.xlsx")
    builders.xlsx(xlsx, {"Sheet1": [["Name", "Email"], ["Ann", "a@x.org"]]})
    assert score(task, vm).score == 1.0
    put(vm, "/home/user/Desktop/contacts.csv", "Name;Email\nAnn;a@x.org\n")
    assert score(task, vm).score == 0.0


def test_postconfig_runs_before_getters(examples: Path, vm: LocalEvalEnv) -> None:
    task = real(examples, "multi_apps", "415ef462-bed3-493a-ac36-ca8c6d23bf1b")
    builders.xlsx(cache(vm, task, "tally_book_gt.xlsx"), {"Sheet1": GRADES})
    tally = vm.local_path("/home/user/Documents/Finance/tally_book.xlsx")
    tally.parent.mkdir(parents=True)
    builders.xlsx(tally, {"Sheet1": GRADES})
    ran: list[str] = []

    def postconfig(diff: str) -> object:
        def run(steps: Sequence[SetupStep]) -> None:
            ran.extend(step.type for step in steps)
            # The "execute" step with stdout=diff.out writes the command's output to the cache.
            cache(vm, task, "diff.out").write_text(diff)

        return run

    assert score(task, vm, run_postconfig=postconfig("")).score == 1.0
    assert ran[:3] == ["activate_window", "sleep", "execute"]
    assert score(task, vm, run_postconfig=postconfig("Binary files differ\n")).score == 0.0

    def broken(steps: Sequence[SetupStep]) -> None:
        raise RuntimeError("VM went away")

    outcome = score(task, vm, run_postconfig=broken)
    assert outcome.status == "evaluator_error" and "VM went away" in outcome.message


def test_command_task(examples: Path, vm: LocalEvalEnv) -> None:
    task = real(examples, "os", "e0df059f-28a6-4169-924f-b9623e7184cc")
    assert score(task, vm).score == 0.0
    vm.local_path("~/Desktop/todo_list_Jan_2").mkdir(parents=True)
    assert score(task, vm).score == 1.0


def test_chrome_settings_tasks(examples: Path, vm: LocalEvalEnv) -> None:
    dnt = real(examples, "chrome", "030eeff7-b492-4218-b312-701ec99ee0cc")
    bookmarks = real(examples, "chrome", "2ad9387a-65d8-4e33-ad5b-7580065a27ca")
    assert score(dnt, vm).score == 0.0
    assert score(bookmarks, vm).score == 0.0
    profile = "~/.config/google-chrome/Default"
    put(vm, f"{profile}/Preferences", json.dumps({"enable_do_not_track": True}))
    folder = {"type": "folder", "name": "Favorites", "children": []}
    put(vm, f"{profile}/Bookmarks", json.dumps({"roots": {"bookmark_bar": {"children": [folder]}}}))
    assert score(dnt, vm).score == 1.0
    assert score(bookmarks, vm, run_postconfig=lambda steps: None).score == 1.0


def test_infeasible_rule_both_ways(examples: Path, vm: LocalEvalEnv) -> None:
    task = real(examples, "chrome", "3720f614-37fd-4d04-8a6b-76f54f8c222d")
    assert task.evaluator.func == "infeasible"
    assert score(task, vm, last_action_failed=True) == EvalOutcome.scored(1.0)
    assert score(task, vm, last_action_failed=False) == EvalOutcome.scored(0.0)


def synthetic(evaluator: dict) -> Task:
    return Task.model_validate({"id": "synthetic", "instruction": "x", "evaluator": evaluator})


def rule(value: object) -> dict:
    return {"type": "rule", "rules": value}


def test_conj_and_or(vm: LocalEvalEnv) -> None:
    exact_ok = ("exact_match", rule("a"), rule({"expected": "a"}))
    exact_bad = ("exact_match", rule("a"), rule({"expected": "b"}))
    half = ("fuzzy_match", rule("abcd"), rule({"expected": "ab"}))  # ratio 0.667

    def task(conj: str, *calls: tuple) -> Task:
        return synthetic(
            {
                "func": [c[0] for c in calls],
                "conj": conj,
                "result": [c[1] for c in calls],
                "expected": [c[2] for c in calls],
            }
        )

    assert score(task("and", exact_ok, exact_ok), vm).score == 1.0
    assert score(task("and", exact_ok, exact_bad), vm).score == 0.0
    assert score(task("and", exact_ok, half), vm).score == pytest.approx((1 + 2 / 3) / 2)  # mean
    assert score(task("or", exact_bad, exact_ok), vm).score == 1.0
    assert score(task("or", exact_bad, half), vm).score == pytest.approx(2 / 3)  # max
    assert score(task("or", exact_bad, exact_bad), vm).score == 0.0


def test_missing_result_file_rules(vm: LocalEvalEnv) -> None:
    missing = ("check_list", {"type": "cache_file", "path": "absent.out"}, rule({"expect": []}))
    error = synthetic({"func": missing[0], "result": missing[1], "expected": missing[2]})
    outcome = score(error, vm)
    assert outcome.status == "evaluator_error" and "absent.out" in outcome.message
    # A getter that raises FileNotFoundError on the result side scores 0 (and) / that metric 0 (or).
    shortcut = {"type": "shortcuts_on_desktop"}
    vm.local_path("~/Desktop").mkdir(parents=True)
    (vm.local_path("~/Desktop") / "broken.desktop").symlink_to(vm.local_path("~/nowhere"))
    and_task = synthetic(
        {
            "func": ["is_shortcut_on_desktop", "exact_match"],
            "result": [shortcut, rule("a")],
            "expected": [rule({"type": "name", "name": "x"}), rule({"expected": "a"})],
        }
    )
    assert score(and_task, vm) == EvalOutcome.scored(0.0)
    or_task = synthetic({**and_task.evaluator.model_dump(exclude_unset=True), "conj": "or"})
    assert score(or_task, vm) == EvalOutcome.scored(1.0)


def test_unsupported_is_never_a_silent_zero(examples: Path, vm: LocalEvalEnv) -> None:
    pptx = synthetic(
        {"func": "compare_pptx_files", "result": rule(None), "options": {"examine_wobble": 1}}
    )
    outcome = score(pptx, vm)
    assert outcome.status == "unsupported_evaluator" and outcome.unsupported == (
        "option:compare_pptx_files examine_wobble",
    )
    drive = real(examples, "multi_apps", "0c825995-5b70-4526-b663-113f4c999dd2")
    assert coverage(drive) == [] and needs_google_credentials(drive)
    odd = synthetic({"func": "no_such_metric", "result": {"type": "no_such_getter"}})
    assert score(odd, vm).unsupported == ("func:no_such_metric", "getter:no_such_getter")
    table_rule = synthetic(
        {
            "func": "compare_table",
            "result": rule(None),
            "options": {"rules": [{"type": "pivot_table"}]},
        }
    )
    assert score(table_rule, vm).unsupported == ("option:compare_table rule pivot_table",)


def test_metric_failure_is_an_evaluator_error(vm: LocalEvalEnv) -> None:
    task = synthetic(
        {
            "func": "check_font_size",
            "result": rule({}),
            "expected": rule({"type": "range", "min": 1, "max": 2}),
        }
    )
    outcome = score(task, vm)
    assert outcome.status == "evaluator_error" and "check_font_size" in outcome.message


def test_coverage_over_all_tasks(examples: Path, record_property: object) -> None:
    tasks = load_tasks(examples / "examples")
    offline = json.loads((examples / "offline_ids.json").read_text())
    offline_ids = {i for groups in offline.values() for ids in groups.values() for i in ids}
    supported = [t for t in tasks if not coverage(t)]
    scorable = [t for t in tasks if not evaluator_coverage(t)]
    offline_ok = [t for t in tasks if t.id in offline_ids and not coverage(t)]
    share = len(supported) / len(tasks)
    logger.info(
        "OSWorld coverage: %d/%d tasks fully supported (%.1f%%), %d/%d scorable, offline %d/%d",
        len(supported),
        len(tasks),
        100 * share,
        len(scorable),
        len(tasks),
        len(offline_ok),
        len(offline_ids),
    )
    record_property("osworld_coverage", f"{len(supported)}/{len(tasks)}")  # type: ignore[operator]
    assert len(tasks) == 171
    assert len(supported) == 171  # 8 of them with the user's Google credentials
    assert sum(needs_google_credentials(t) for t in supported) == 8
    assert len(offline_ok) / len(offline_ids) >= 0.95  # measured 95/97
