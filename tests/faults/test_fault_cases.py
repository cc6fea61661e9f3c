"""Fault cases that had no test elsewhere: each a real fault, injected, and what the user sees.

The other cases of the suite are tests that already existed (tests/fault_cases.py lists them).
"""

from __future__ import annotations

import json
import logging
import os
import random
import subprocess
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from gui_agent.actions import Click, Type
from gui_agent.computers.fake import FakeComputer
from gui_agent.computers.sandbox import SandboxDesktop
from gui_agent.episode import EpisodeStatus
from gui_agent.errors import ModelUnavailable
from gui_agent.loop import run_task
from gui_agent.models.anthropic import AnthropicModel
from gui_agent.models.base import ModelRequest, TextPart
from gui_agent.models.scripted import FunctionModel, ScriptedModel
from gui_agent.trace import TraceWriter, read_records
from osworld_eval.results import load_outcome
from osworld_eval.task_run import TaskOutcome, TaskStatus
from tests.fakes.anthropic_server import FakeAnthropic
from tests.gui_fixtures import chromium_missing, screen_point, wait_until, xvfb_missing
from tests.osworld.test_runner import Factory, make_tasks, run, write_like_task_run

faults = pytest.mark.faults


def act(kind: str, **fields: Any) -> dict[str, Any]:
    return {"observation": "a screen", "action": {"kind": kind, **fields}}


@faults(group="persistence", case="disk full while writing the trace",
        expected="stops acting at once, env_error, earlier records valid")  # fmt: skip
def test_disk_full_while_writing_the_trace(tmp_path: Path, record_property: Any) -> None:
    computer = FakeComputer()
    trace = TraceWriter(tmp_path)
    real_file = trace._file

    def respond(request: ModelRequest) -> dict[str, Any]:
        if len(computer.executed) == 2:  # the disk fills up after two actions
            real_file.flush()
            trace._file = open("/dev/full", "a", encoding="utf-8")  # noqa: SIM115 - ENOSPC, from the kernel
        return act("click", x=10 + 20 * len(computer.executed), y=40)

    result = run_task("g", computer, model=FunctionModel(respond), trace=trace)
    trace.close()
    real_file.close()
    assert result.status == EpisodeStatus.ENV_ERROR
    assert "No space left" in result.reason
    assert len(computer.executed) == 2, "no action after the trace stopped"
    steps = [r for r in read_records(tmp_path) if r["event"] == "step"]
    assert [s["index"] for s in steps] == [1, 2]
    record_property("observed", f"{result.status.value}: {result.reason[:60]}; "
                                f"{len(steps)} earlier step records valid")  # fmt: skip


@faults(group="persistence", case="corrupt result files of an eval task",
        expected="treated as unfinished (rerun on resume), with a warning")  # fmt: skip
def test_a_corrupt_result_file_is_unfinished(tmp_path: Path, caplog: Any) -> None:
    garbled = tmp_path / "garbled"
    garbled.mkdir()
    (garbled / "outcome.json").write_text('{"task_id": "t", "status": "sco')
    no_score = tmp_path / "no-score"
    no_score.mkdir()
    (no_score / "outcome.json").write_text(TaskOutcome(task_id="t", domain="os",
                                                       status="scored", score=1.0).model_dump_json())  # fmt: skip
    (no_score / "result.txt").write_text("not a number")
    with caplog.at_level(logging.WARNING):
        first = load_outcome(garbled, domain="os", task_id="t")
    second = load_outcome(no_score, domain="os", task_id="t")
    assert first is not None and first.status is TaskStatus.INTERRUPTED
    assert second is not None and second.status is TaskStatus.INTERRUPTED
    assert "unreadable" in caplog.text


@faults(group="provider", case="several tool calls in one reply",
        expected="the first call is the answer; nothing else runs")  # fmt: skip
def test_several_tool_calls_in_one_reply(fake_anthropic: FakeAnthropic) -> None:
    first = {"observation": "x", "action": {"kind": "click", "x": 5, "y": 6}}
    second = {"observation": "y", "action": {"kind": "done"}}
    fake_anthropic.reply_message([
        {"type": "tool_use", "id": "toolu_1", "name": "respond", "input": first},
        {"type": "tool_use", "id": "toolu_2", "name": "respond", "input": second},
    ], stop_reason="tool_use")  # fmt: skip
    model = AnthropicModel(base_url=fake_anthropic.base_url, native=False)
    reply = model.complete(ModelRequest(function="perceive", call_path="p", system="s",
                                        parts=(TextPart("t"),),
                                        output_schema={"type": "object"}))  # fmt: skip
    assert json.loads(reply.text) == first


@faults(group="load", case="4 environments, 20 tasks, model fails 20% of calls",
        expected="every task exactly one outcome; none lost or duplicated")  # fmt: skip
def test_parallel_run_with_a_flaky_model_loses_nothing(tmp_path: Path, record_property: Any) -> None:
    chance = random.Random(20)
    lock = threading.Lock()
    calls = Counter[str]()

    def flaky(request: ModelRequest) -> dict[str, Any]:
        with lock:
            fails = chance.random() < 0.2
        if fails:
            raise ModelUnavailable("529 overloaded (injected)")
        steps = request.prompt.count("- step:")
        return act("done") if steps >= 2 else act("click", x=10 + 9 * steps, y=40)

    def run_one(task, environment, *, model, max_steps, result_dir, cache_dir, agent="loop"):  # noqa: ANN001
        with lock:
            calls[task.id] += 1
        episode = run_task(task.instruction, FakeComputer(), model=FunctionModel(flaky),
                           max_steps=max_steps)  # fmt: skip
        status = (TaskStatus.SCORED if episode.status == EpisodeStatus.DONE
                  else TaskStatus.MODEL_ERROR)  # fmt: skip
        outcome = TaskOutcome(task_id=task.id, domain=task.domain, status=status,
                              score=1.0 if status is TaskStatus.SCORED else None,
                              steps=episode.steps_executed)  # fmt: skip
        return write_like_task_run(outcome, result_dir)

    tasks = make_tasks(20)
    outcomes = run(tmp_path, tasks, run_one, factory=Factory(), num_envs=4)
    ids = [o.task_id for o in outcomes]
    assert sorted(ids) == sorted(t.id for t in tasks) and len(set(ids)) == 20
    statuses = Counter(o.status.value for o in outcomes)
    assert statuses["model_error"] > 0 and statuses["scored"] > 0  # the faults did happen
    assert set(calls.values()) == {1}, "a model_error is a result, not a requeue"
    record_property("observed", f"20 outcomes, 20 distinct: {dict(statuses)}")


# -- executor on the real desktop ------------------------------------------------------------

NASTY = ("$(touch /tmp/gui-agent-pwned) `id`; rm -rf ~ && __import__('os').system('x') "
         "%s {0} <script>alert('x')</script> \"quoted\" 'single' \\n\\t | & ; > < {}[]")  # fmt: skip


@pytest.mark.gui
@faults(group="executor", case="500 characters full of shell/Python metacharacters, <>{}\"'",
        expected="typed exactly; no subprocess, no shell, no eval")  # fmt: skip
def test_metacharacters_arrive_exactly_and_reach_no_shell(
    sandbox: Any, gui_page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (NASTY * 4)[:500]
    page = gui_page("input.html")
    x, y = screen_point(page, "#text")
    sandbox.execute(Click(x=x, y=y))
    spawned: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        spawned.append(repr(args)[:80])
        raise AssertionError("typing tried to start a process")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    monkeypatch.setattr(os, "system", refuse)
    monkeypatch.setattr(os, "posix_spawn", refuse)
    sandbox.execute(Type(text=text))
    monkeypatch.undo()
    wait_until(lambda: page.input_value("#text") == text, timeout=30)
    assert spawned == [] and not Path("/tmp/gui-agent-pwned").exists()


@pytest.mark.gui
@faults(group="executor", case="a click at (0, 0)",
        expected="executed like any other point (no fail-safe abort)")  # fmt: skip
def test_a_click_at_the_origin_is_an_ordinary_click(sandbox: Any) -> None:
    record = sandbox.execute(Click(x=0, y=0))
    assert record.events


@faults(group="environment", case="the agent closes the browser itself (ctrl+w on the last tab)",
        expected="one named status (env_error: black screen), no traceback; all reaped")  # fmt: skip
def test_the_agent_closing_its_own_browser(record_property: Any) -> None:
    reason = xvfb_missing() or chromium_missing()
    if reason:
        pytest.skip(reason)
    with SandboxDesktop() as desktop:
        pids = desktop.pids
        model = ScriptedModel([act("key", keys="ctrl+w"), act("click", x=640, y=400),
                               act("fail", reason="the browser is gone")])  # fmt: skip
        result = run_task("open a page", desktop, model=model)
    # A closed browser leaves a black screen, which the capture check calls a failed
    # environment: the episode ends there, named, after the one action that closed it.
    assert result.status in (EpisodeStatus.ENV_ERROR, EpisodeStatus.FAILED), result.reason
    assert result.steps_executed <= 2
    assert not any(os.path.exists(f"/proc/{pid}") and _not_zombie(pid) for pid in pids)
    record_property("observed", f"{result.status.value} after {result.steps_executed} action "
                                f"({result.reason[:50]}); {len(pids)} pids reaped")  # fmt: skip


def _not_zombie(pid: int) -> bool:
    try:
        return " Z " not in Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False


@faults(group="provider", case="a slow provider and a per-episode wall-clock budget",
        expected="budget_exceeded once the time is up; no action after it")  # fmt: skip
def test_a_wall_clock_budget_ends_a_slow_episode(fake_anthropic: FakeAnthropic,
                                                 record_property: Any) -> None:  # fmt: skip
    import time

    for step in range(10):
        fake_anthropic.reply_tool(act("click", x=10 + 30 * step, y=40), delay=0.7)
    computer = FakeComputer()
    model = AnthropicModel(base_url=fake_anthropic.base_url, native=False, timeout=10)
    started = time.monotonic()
    result = run_task("g", computer, model=model, max_seconds=2.0)
    elapsed = time.monotonic() - started
    assert result.status == EpisodeStatus.BUDGET_EXCEEDED, result.reason
    assert "time budget of 2.0 s" in result.reason
    assert 2.0 <= elapsed < 2.0 + 1.5  # at most the one call already under way
    assert 1 <= len(computer.executed) <= 3
    record_property("observed", f"budget_exceeded after {elapsed:.1f} s, "
                                f"{len(computer.executed)} actions")  # fmt: skip
