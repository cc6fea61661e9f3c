"""Run in a separate process: register a candidate under the target's name, then test it.

    python -m gui_agent.evolve.child --target MODULE:FUNCTION --candidate FILE
                                     [--cases CASES.json] [TESTS ...]

Marked cases run first (each call compared with the expected value), then pytest on TESTS.
Exit status 0 only when every case and every test passed. The parent enforces the timeout.
"""

from __future__ import annotations

import argparse
import json
import sys
import typing
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter


def run_cases(function: Any, cases: list[dict[str, Any]]) -> int:
    """Call the function on each marked case; print one line per case; return failures."""
    from gui_agent.evolve.cases import rebuild_arguments

    hints = typing.get_type_hints(function.fn)
    parameters = {name: hints.get(name, str) for name in function.signature.parameters}
    adapter: TypeAdapter[Any] = function.adapter
    failures = 0
    for case in cases:
        try:
            arguments = rebuild_arguments(parameters, case["arguments"])
            expected = adapter.dump_python(adapter.validate_python(case["expected"]), mode="json")
            got = adapter.dump_python(function(**arguments), mode="json")
        except Exception as exc:  # noqa: BLE001 - a crashing candidate fails the case
            failures += 1
            print(f"CASE ERROR {case['label']}: {type(exc).__name__}: {exc}")
            continue
        if got == expected:
            print(f"CASE PASSED {case['label']}")
        else:
            failures += 1
            print(f"CASE FAILED {case['label']}: expected {expected!r}, got {got!r}")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gui_agent.evolve.child")
    parser.add_argument("--target", required=True)
    parser.add_argument("--candidate", required=True, type=Path)
    parser.add_argument("--cases", type=Path)
    parser.add_argument("tests", nargs="*")
    args = parser.parse_args(argv)

    from gui_agent.agentic import register_stabilized
    from gui_agent.evolve.store import load_implementation
    from gui_agent.evolve.target import resolve_target

    function = resolve_target(args.target)
    implementation = load_implementation(args.candidate, function.fn.__name__)
    register_stabilized(function.name, implementation)
    cases = json.loads(args.cases.read_text()) if args.cases else []
    failures = run_cases(function, cases)
    status = 0
    if args.tests:
        import pytest

        status = int(pytest.main([*args.tests, "-q", "-p", "no:cacheprovider"]))
    print(f"EVOLVE RESULT cases_failed={failures} pytest_status={status}")
    return 0 if failures == 0 and status == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
