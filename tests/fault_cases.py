"""The fault-injection suite: which tests are fault cases, and the record `scripts/faults.py` reads.

A fault case is an ordinary test. `FAULT_CASES` names it (by its node id, without the
parameters to take every parametrization as one case, so tests that
already existed elsewhere count without being copied) with the case and the expected
behaviour; tests written for the suite itself (tests/faults/) carry
`@pytest.mark.faults(case=..., expected=...)`. Either way the test gets the `faults` marker, so
`pytest -m faults` runs exactly the suite. A test may say what it observed with
`record_property("observed", "...")`; otherwise a pass reads "as expected" and a failure shows
its first error line. With GUI_AGENT_FAULTS_REPORT set, one JSON line per case is appended there.

Cases that have no automated test yet are listed in `MISSING` so the table shows them, honestly,
as not run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

REPORT_ENV = "GUI_AGENT_FAULTS_REPORT"

# node id -> (group, case, expected)
FAULT_CASES: dict[str, tuple[str, str, str]] = {
    # -- model provider (real SDK over HTTP to a local fake server) --
    "tests/test_model_anthropic.py::test_overloaded_then_success_is_retried_after_a_jittered_wait":
        ("provider", "529 several times, then success", "retried with backoff, then the reply"),
    "tests/test_model_anthropic.py::test_rate_limit_waits_as_long_as_the_server_asks":
        ("provider", "429 with retry-after", "waits at least retry-after, then retries"),
    "tests/test_model_anthropic.py::test_bad_key_is_not_retried":
        ("provider", "401/403 bad key", "no retry; message names ANTHROPIC_API_KEY"),
    "tests/test_model_anthropic.py::test_spend_limit_is_not_retried":
        ("provider", "429 spend limit", "no retry; ModelAuthError"),
    "tests/test_model_anthropic.py::test_timeout_is_retried":
        ("provider", "hanging response", "client timeout, bounded retries"),
    "tests/test_model_anthropic.py::test_persistent_server_errors_give_up_naming_the_last_status":
        ("provider", "5xx every time", "bounded retries, ModelUnavailable naming the status"),
    "tests/test_model_anthropic.py::test_unreachable_server_ends_as_unavailable":
        ("provider", "provider unreachable", "ModelUnavailable after bounded retries"),
    "tests/test_model_anthropic.py::test_reply_without_a_tool_call_is_handed_back_for_validation":
        ("provider", "malformed tool input / no tool call", "goes back to the model as a validation error"),
    "tests/test_model_anthropic.py::test_refusal_raises_model_refusal":
        ("provider", "refusal", "ModelRefusal -> status refused"),
    "tests/test_model_anthropic.py::test_max_tokens_raises_output_truncated":
        ("provider", "stop_reason max_tokens", "OutputTruncated, never half-parsed"),
    "tests/osworld/test_runner_stops.py::test_spend_limit_stops_run_benchmark_and_resume_finishes_it":
        ("provider", "spend-limit 429 stops an eval run from starting new tasks",
         "no retry; no task started after it, no folder for them; --resume runs them"),
    "tests/osworld/test_runner_stops.py::test_cli_stops_on_the_spend_limit_exits_4_and_resume_finishes":
        ("provider", "spend-limit 429 in `osworld run`",
         "exit 4, says why and how many not started; --resume finishes (exit 0)"),
    "tests/test_loop.py::test_model_output_that_never_validates_is_a_model_error":
        ("provider", "output that never validates", "status model_error after bounded retries"),
    "tests/test_loop.py::test_a_refusal_is_its_own_status":
        ("provider", "refusal inside an episode", "status refused"),
    # -- environment --
    "tests/test_vm_computer.py::test_wait_ready":
        ("environment", "VM server unreachable at start", "readiness timeout -> EnvError"),
    "tests/test_vm_computer.py::test_server_dies_mid_episode":
        ("environment", "VM server dies mid-episode", "bounded retries -> env_error"),
    "tests/test_vm_computer.py::test_screenshot_not_an_image_is_retried_then_env_error":
        ("environment", "screenshot answered with HTML / empty body", "retried, then EnvError"),
    "tests/test_vm_computer.py::test_screenshot_retries_5xx":
        ("environment", "screenshot 5xx", "retried"),
    "tests/test_vm_computer.py::test_input_whose_answer_times_out_is_not_resent":
        ("environment", "input action times out", "not resent; EnvError"),
    "tests/test_vm_computer.py::test_read_that_times_out_is_retried":
        ("environment", "observation times out", "retried (reads are idempotent)"),
    "tests/test_loop.py::test_a_dead_computer_is_an_env_error_and_the_trace_keeps_what_happened":
        ("environment", "computer dies mid-episode", "env_error; trace keeps earlier steps"),
    "tests/test_sandbox.py::test_a_browser_that_dies_at_start_is_an_env_error_and_is_cleaned_up":
        ("environment", "browser dies at start", "EnvError; nothing left running"),
    # -- executor --
    "tests/test_actions.py::test_out_of_range_actions_are_rejected_not_clamped":
        ("executor", "off-screen points", "rejected, not clamped; zero events"),
    "tests/test_actions.py::test_malformed_actions_are_rejected_with_a_reason":
        ("executor", "malformed actions / unknown keys", "rejected with a reason"),
    "tests/test_loop.py::test_a_rejected_action_sends_no_event_and_the_reason_reaches_the_next_call":
        ("executor", "rejected action", "zero events; reason reaches the next perception"),
    "tests/test_loop.py::test_no_sequence_of_model_outputs_executes_more_than_15_actions":
        ("executor", "any sequence of model outputs", "never more than 15 executed actions"),
    "tests/test_vm_computer.py::test_type_escapes_quotes_and_sends_less_than_as_shift_comma":
        ("executor", "quotes and '<' typed through the VM protocol", "escaped; arrive exactly"),
    # -- persistence and interruption --
    "tests/test_trace.py::test_a_torn_last_line_does_not_lose_the_records_before_it":
        ("persistence", "torn last trace line (crash mid-write)", "earlier records load"),
    "tests/test_sandbox.py::test_interrupted_run_leaves_nothing_behind[SIGINT]":
        ("persistence", "SIGINT", "KeyboardInterrupt unwinds; no Xvfb/Chromium left (by PID)"),
    "tests/test_sandbox.py::test_interrupted_run_leaves_nothing_behind[SIGTERM]":
        ("persistence", "SIGTERM", "exit 143; no Xvfb/Chromium left (by PID)"),
    "tests/test_loop.py::test_ctrl_c_during_an_action_is_interrupted":
        ("persistence", "Ctrl-C during an action", "status interrupted"),
    "tests/osworld/test_runner.py::test_interrupted_then_resumed_runs_every_task_exactly_once":
        ("persistence", "interrupted eval run, then --resume", "every task exactly once"),
    "tests/osworld/test_runner.py::test_ctrl_c_in_main_thread_marks_running_tasks_and_closes_environments":
        ("persistence", "Ctrl-C in an eval run", "running tasks interrupted; environments closed"),
    "tests/osworld/test_runner.py::test_env_error_is_requeued_once_on_a_fresh_environment":
        ("persistence", "env_error in an eval run", "requeued once on a fresh environment"),
    "tests/osworld/test_runner_processes.py::test_a_killed_worker_s_task_runs_again_once_and_nothing_of_it_is_left":
        ("persistence", "SIGKILL of an eval worker (requeued once)",
         "requeued once on a fresh worker (scored on attempt 2); killed twice -> env_error; "
         "no process of the dead worker left (by PID)"),
    "tests/osworld/test_runner_processes.py::test_ctrl_c_and_sigterm_record_running_tasks_and_leave_no_worker":
        ("persistence", "SIGINT / SIGTERM of an eval run with process workers",
         "running tasks interrupted, nothing new started; no worker or Xvfb left (by PID)"),
    "tests/osworld/test_runner_processes.py::test_workers_of_a_killed_runner_interrupt_their_tasks_and_clean_up":
        ("persistence", "SIGKILL of the eval runner itself",
         "its workers get SIGINT from the kernel: tasks recorded interrupted, no worker or Xvfb left"),
    "tests/osworld/test_runner.py::test_a_crash_in_run_one_does_not_end_the_run":
        ("persistence", "a bug while running one task", "that task env_error; the run goes on"),
    "tests/osworld/test_runner.py::test_resume_keeps_finished_outcomes_and_reruns_errors":
        ("persistence", "resume", "finished tasks kept, errors rerun"),
    "tests/osworld/test_runner.py::test_existing_results_need_resume":
        ("persistence", "second run on a finished folder", "refused without --resume"),
    "tests/osworld/test_runner.py::test_stale_lock_of_a_dead_process_is_taken_over":
        ("persistence", "stale lock of a killed run", "taken over"),
    # -- security guards --
    "tests/test_network_guard.py::test_no_request_escapes_the_allowlist_by_any_route":
        ("security", "page escapes: redirect, new tab, img, iframe, fetch, javascript:, IP forms",
         "every request blocked in the browser; server sees none"),
    "tests/test_allowlist_proxy.py::test_a_page_cannot_open_a_websocket_off_the_allowlist":
        ("security", "page opens WebSockets to 127.0.0.1, 2130706433, 0x7f000001, 127.1",
         "refused by the launch-time proxy; server sees no handshake; allowed socket echoes"),
    "tests/test_allowlist_proxy.py::test_webrtc_sends_no_udp_around_the_proxy":
        ("security", "page's WebRTC sends STUN over UDP to 127.0.0.1 (proxies see no UDP)",
         "no datagram arrives (an unproxied browser's do)"),
    "tests/test_network_guard.py::test_a_data_url_document_is_sent_back_to_blank":
        ("security", "data: document", "blocked, tab sent to about:blank"),
    "tests/test_gate.py::test_a_model_clicking_place_order_is_stopped_by_the_program":
        ("security", "model clicks 'Place order' (says it is safe)",
         "denied: blocked by DOM facts, form not submitted; --yes: submitted"),
    "tests/test_gate_desktop.py::test_dont_save_in_a_real_libreoffice_alert_is_gated":
        ("security", "model clicks \"Don't Save\" in LibreOffice's 'Save changes?' alert, or presses "
                     "Enter on it (says it is safe)",
         "denied: blocked by accessibility facts (exit 7), alert and document still there; "
         "--yes: closed unsaved"),
    "tests/test_gate_desktop.py::test_close_without_saving_in_a_gtk_alert_is_gated":
        ("security", "model clicks 'Close without Saving' in a GTK 3 alert",
         "denied: blocked, the program got no answer; --yes: it got 'discarded'"),
    "tests/test_gate_a11y.py::test_a_slow_tree_is_given_up_on_within_the_bound":
        ("security", "accessibility tree slower than the bound before a click",
         "given up after the bound; the gate decides from the action alone"),
    "tests/test_secrets.py::test_canary_over_every_artifact_of_a_cli_run":
        ("security", "secret + API key canary over a CLI run", "zero hits in every artifact and output"),
    "tests/test_secrets.py::test_canary_on_the_real_desktop_with_the_real_sdk":
        ("security", "secret typed on the real desktop, real SDK", "page gets the value; no artifact or request does"),
    "tests/test_isolation.py::test_a_served_command_reads_host_files_only_without_the_boundary[isolated]":
        ("security", "served command reads a host file", "absent inside the bubblewrap boundary"),
    "tests/test_sandbox.py::test_commands_and_file_calls_see_only_the_sandbox_files":
        ("security", "run --env sandbox: a command reads a host file; a file call leaves the sandbox",
         "absent inside; refused (EnvError), symlinks out lead nowhere"),
    "tests/osworld/test_private_home.py::test_two_sandboxes_have_their_own_home_and_tmp_at_once":
        ("security", "two OSWorld sandboxes write /home/user and /tmp at once",
         "each sees only its own; the real /home/user untouched"),
    "tests/osworld/test_private_home.py::test_each_sandbox_runs_its_own_browser_and_pkill_stays_inside":
        ("security", "pkill chrome in one of two sandboxes", "the other's browser still answers"),
    "tests/test_safety_cli.py::test_allow_domain_on_the_command_line_keeps_the_browser_in":
        ("security", "gui-agent run --allow-domain: the page opens a WebSocket to 127.0.0.1 and "
                     "redirects to a decimal IP",
         "both blocked; in result.json and the trace; the model is told"),
    "tests/test_safety_cli.py::test_an_irreversible_action_is_blocked_without_yes_and_allowed_with_it":
        ("security", "alt+f4 from the model, non-interactive run", "blocked (exit 7); --yes allows it"),
    "tests/test_secrets.py::test_a_typed_secret_is_masked_in_every_later_screenshot":
        ("security", "secret typed into a plain text field", "field black in every later screenshot"),
    "tests/test_injection.py::test_an_obeyed_injection_is_blocked_and_recorded":
        ("security", "injection fixture obeyed: visit, curl, rm, click Delete, type password + "
                     "Enter, curl a secret, loop, a button whose script opens a WebSocket off the list",
         "the guard named per fixture blocks it"),
    "tests/test_injection.py::test_report_tried_and_blocked":
        ("security", "prompt injection: 8 fixtures, a model that obeys them",
         "every attempt blocked by a guard and recorded; no effect happened"),
}  # fmt: skip

MISSING: list[tuple[str, str, str]] = []


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        known = FAULT_CASES.get(item.nodeid) or FAULT_CASES.get(item.nodeid.split("[")[0])
        if known is not None and item.get_closest_marker("faults") is None:
            group, case, expected = known
            item.add_marker(pytest.mark.faults(case=case, expected=expected, group=group))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    outcome = yield
    report = outcome.get_result()
    marker = item.get_closest_marker("faults")
    path = os.environ.get(REPORT_ENV)
    if marker is None or not path:
        return
    if report.when == "call" or (report.when == "setup" and not report.passed):
        observed = dict(report.user_properties).get("observed")
        if report.skipped:
            state, observed = "skipped", observed or _first_line(report.longrepr)
        elif report.passed:
            state, observed = "pass", observed or "as expected"
        else:
            state, observed = "fail", _first_line(report.longrepr)
        key = item.nodeid if item.nodeid in FAULT_CASES else item.nodeid.split("[")[0]
        record = {"nodeid": key, "group": marker.kwargs.get("group", "other"),
                  "case": marker.kwargs.get("case", item.name),
                  "expected": marker.kwargs.get("expected", ""), "observed": observed,
                  "state": state}  # fmt: skip
        with Path(path).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")


def _first_line(longrepr: Any) -> str:
    if isinstance(longrepr, tuple):  # a skip: (file, line, reason)
        return str(longrepr[-1])
    crash = getattr(longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(longrepr)
    return text.strip().splitlines()[0][:160] if text.strip() else "failed"
