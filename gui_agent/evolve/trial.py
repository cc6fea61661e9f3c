"""Test one candidate in a separate process, with a timeout; nothing of it runs in ours.

The candidate is written to a scratch folder; the child (`gui_agent.evolve.child`) registers
it under the target's name and runs the marked cases and the tests. The child is this
interpreter (`sys.executable`), so it sees the same installed packages; the working folder and
PYTHONPATH carry over so the target's module imports the same way.

The candidate is code a model wrote. With bubblewrap installed (`isolate=True`, the default)
the child runs in its own namespaces: every file read-only but the scratch folder (its TMPDIR),
no network but its own loopback, its processes ended with it. Without bwrap it runs as a
plain child process and the trial output says so.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gui_agent.evolve.cases import MarkedCase

OUTPUT_TAIL = 3000


@dataclass(frozen=True)
class TrialResult:
    passed: bool
    output: str
    timed_out: bool = False
    returncode: int | None = None

    def summary_line(self) -> str:
        if self.timed_out:
            return "rejected: the tests timed out"
        return "passed every test" if self.passed else "rejected: " + _last_line(self.output)


def _last_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    failed = [line for line in lines if "FAILED" in line or "ERROR" in line]
    return (failed[0] if failed else lines[-1] if lines else "no output")[:150]


@functools.cache
def _working_bwrap() -> str | None:
    """bwrap's path if it is installed and may create namespaces here (a container may not)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return None
    try:
        probe = subprocess.run([bwrap, "--unshare-all", "--ro-bind", "/", "/", "true"],
                               capture_output=True, timeout=30, check=False)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    return bwrap if probe.returncode == 0 else None


def boundary(scratch: str) -> list[str] | None:
    """The bwrap argv prefix that confines a trial, or None when bubblewrap cannot run."""
    bwrap = _working_bwrap()
    if bwrap is None:
        return None
    # No tmpfs over /tmp: a project living under /tmp must stay visible. Temporary files go to
    # the scratch folder instead (TMPDIR), the one writable place.
    return [bwrap, "--die-with-parent", "--unshare-all", "--ro-bind", "/", "/",
            "--dev", "/dev", "--proc", "/proc", "--bind", scratch, scratch,
            "--setenv", "TMPDIR", scratch, "--chdir", os.getcwd(), "--"]  # fmt: skip


def run_trial(target: str, module_text: str, *, tests: list[Path], cases: list[MarkedCase],
              timeout_s: float, isolate: bool = True) -> TrialResult:  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="gui-agent-evolve-") as scratch:
        candidate = Path(scratch) / "candidate.py"
        candidate.write_text(module_text, encoding="utf-8")
        command = [sys.executable, "-m", "gui_agent.evolve.child", "--target", target,
                   "--candidate", str(candidate)]  # fmt: skip
        if cases:
            cases_file = Path(scratch) / "cases.json"
            cases_file.write_text(json.dumps([
                {"label": c.label, "arguments": c.arguments, "expected": c.expected}
                for c in cases]), encoding="utf-8")  # fmt: skip
            command += ["--cases", str(cases_file)]
        command += [str(path) for path in tests]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.getcwd(), env.get("PYTHONPATH")]))
        env["GUI_AGENT_EVOLVE_TRIAL"] = "1"
        note = ""
        if isolate:
            prefix = boundary(scratch)
            if prefix is None:
                note = "note: bubblewrap is missing or cannot run here; the candidate ran unconfined\n"
            else:
                command = [*prefix, *command]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s,
                                  env=env, check=False)  # fmt: skip
        except subprocess.TimeoutExpired as exc:
            partial = exc.stdout if isinstance(exc.stdout, str) else ""
            return TrialResult(False, note + (partial or "")[-OUTPUT_TAIL:], timed_out=True)
    output = note + (done.stdout + ("\n" + done.stderr if done.stderr.strip() else ""))[-OUTPUT_TAIL:]
    return TrialResult(done.returncode == 0, output, returncode=done.returncode)
