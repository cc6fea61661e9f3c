"""Test-gated evolution of one @agentic function (the paper's Algorithm 1, with a real gate).

    collect cases (the tests, marked trace nodes) -> for each attempt: propose (meta call) ->
    test in a separate process -> accept only if every case and test passed

An accepted candidate is written as a module (header: source version hash, tests, date) and
registered, and this process uses it at once; a rejected one changes nothing on disk. Every
attempt, with its test output, is a node of the evolution's own trace.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from gui_agent import context as ctx
from gui_agent.agentic import register_stabilized, use_model
from gui_agent.errors import ConfigError, ModelError, ModelFault
from gui_agent.evolve import store
from gui_agent.evolve.cases import MarkedCase, collect_marks
from gui_agent.evolve.proposal import Proposal, propose_change
from gui_agent.evolve.target import describe_target, resolve_target
from gui_agent.evolve.trial import TrialResult, run_trial
from gui_agent.models.base import Model
from gui_agent.plural import counted
from gui_agent.trace import TraceWriter

log = logging.getLogger(__name__)
TEST_CHARS = 12_000


@dataclass
class Attempt:
    number: int
    proposal: Proposal | None
    trial: TrialResult | None
    error: str | None = None


@dataclass
class EvolveResult:
    target: str
    accepted: bool
    attempts: list[Attempt] = field(default_factory=list)
    written: Path | None = None
    cases: int = 0

    def summary_line(self) -> str:
        if self.accepted:
            return f"accepted attempt {len(self.attempts)}, written to {self.written}"
        return f"no candidate passed in {counted(len(self.attempts), 'attempt')}; nothing written"


def _cases_text(tests: list[Path], marks: list[MarkedCase]) -> str:
    parts = []
    for path in tests:
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for file in files:
            parts.append(f"# tests: {file}\n{file.read_text(encoding='utf-8')}")
    for case in marks:
        parts.append(f"# marked wrong: {case.label}\narguments: {case.arguments}\n"
                     f"expected: {case.expected!r}")  # fmt: skip
    return "\n\n".join(parts)[:TEST_CHARS]


def _earlier(attempts: list[Attempt]) -> str:
    lines = []
    for attempt in attempts:
        proposal = attempt.proposal
        body = (proposal.code or proposal.docstring) if proposal else ""
        outcome = attempt.error or (attempt.trial.output[-1200:] if attempt.trial else "")
        lines.append(f"## attempt {attempt.number}: {proposal.kind if proposal else '-'}\n"
                     f"{body}\n### rejected because\n{outcome}")  # fmt: skip
    return "\n\n".join(lines) or "(none)"


def evolve(target: str, *, tests: Sequence[Path], model: Model | str | None = None,
           attempts: int = 3, marks_from: Sequence[Path] = (), timeout_s: float = 120.0,
           trace_dir: Path | None = None, isolate: bool = True) -> EvolveResult:  # fmt: skip
    """Evolve the @agentic function `target` (MODULE:FUNCTION) until a candidate passes.

    `isolate` runs each candidate's tests inside bubblewrap when it is installed (trial.py).
    """
    function = resolve_target(target)
    missing = [str(p) for p in tests if not Path(p).exists()]
    if missing:
        raise ConfigError(f"tests not found: {', '.join(missing)}")
    marks = collect_marks([Path(p) for p in marks_from], function=function.name)
    if not tests and not marks:
        raise ConfigError("nothing to test against: give --tests PATH or mark a node first")
    if attempts < 1:
        raise ConfigError("--attempts must be at least 1")
    result = EvolveResult(target=target, accepted=False, cases=len(marks))
    described, cases = describe_target(function), _cases_text(list(tests), marks)
    tests_label = ", ".join(str(p) for p in tests) + (f" + {len(marks)} marked cases" if marks else "")
    trace = TraceWriter(trace_dir) if trace_dir is not None else None
    chosen = use_model(model) if model is not None else nullcontext()
    try:
        with (trace.attach() if trace else nullcontext()), chosen, \
                ctx.frame("evolve", arguments={"target": target, "tests": tests_label}) as root:
            for number in range(1, attempts + 1):
                attempt = _attempt(number, target, function_text=described, cases=cases,
                                   earlier=_earlier(result.attempts), tests=list(tests),
                                   marks=marks, timeout_s=timeout_s, isolate=isolate)  # fmt: skip
                result.attempts.append(attempt)
                if attempt.trial is not None and attempt.trial.passed:
                    assert attempt.proposal is not None
                    result.written = _accept(target, attempt.proposal, tests_label)
                    result.accepted = True
                    break
            root.summary = result.summary_line()
    finally:
        if trace is not None:
            trace.close()
    return result


def _attempt(number: int, target: str, *, function_text: str, cases: str, earlier: str,
             tests: list[Path], marks: list[MarkedCase], timeout_s: float,
             isolate: bool) -> Attempt:  # fmt: skip
    function = resolve_target(target)
    with ctx.frame("evolve.attempt", arguments={"n": number}) as node:
        try:
            proposal = propose_change(function_text, cases, earlier)
        except (ModelFault, ModelError) as exc:
            node.summary = f"no proposal: {exc.message}"
            return Attempt(number, None, None, error=exc.message)
        text = store.module_text(target, function, proposal, tests="(trial)", date=store.now())
        if proposal.kind == "stabilize" and not proposal.code.strip():
            trial = TrialResult(False, "the proposal has no code")
        elif proposal.kind == "soften" and not proposal.docstring.strip():
            trial = TrialResult(False, "the proposal has no docstring")
        else:
            trial = run_trial(target, text, tests=tests, cases=marks, timeout_s=timeout_s,
                              isolate=isolate)  # fmt: skip
        node.output = {"kind": proposal.kind, "passed": trial.passed, "timed_out": trial.timed_out,
                       "test_output": trial.output}  # fmt: skip
        node.summary = f"attempt {number} ({proposal.kind}): {trial.summary_line()}"
        log.info("%s", node.summary)
        return Attempt(number, proposal, trial)


def _accept(target: str, proposal: Proposal, tests_label: str) -> Path:
    function = resolve_target(target)
    date = store.now()
    directory = store.stabilized_dir()
    module_name, _, attribute = target.partition(":")
    path = store.write_module(directory / f"{module_name}.{attribute}.py",
                              store.module_text(target, function, proposal, tests=tests_label,
                                                date=date))  # fmt: skip
    store.register(directory, name=function.name, target=target, file=path,
                   version=function.version, kind=proposal.kind, date=date)  # fmt: skip
    register_stabilized(function.name, store.load_implementation(path, function.fn.__name__))
    return path
