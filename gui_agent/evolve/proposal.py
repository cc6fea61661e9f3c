"""The meta call: propose code (stabilize) or a better docstring (soften) for a function."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from gui_agent.agentic import agentic

ProposalKind = Literal["stabilize", "soften"]


class Proposal(BaseModel):
    kind: ProposalKind
    code: str = Field(default="", description=(
        "stabilize: the complete Python source of a module that defines a plain function with "
        "the same name and parameters, returning the value"))  # fmt: skip
    docstring: str = Field(default="", description="soften: the complete new docstring")
    rationale: str = Field(description="one sentence: why this passes every case")

    def summary_line(self) -> str:
        return f"{self.kind}: {self.rationale}"


@agentic(summarize=lambda p: p.summary_line(), max_output_tokens=8192)
def propose_change(function: str, cases: str, earlier_attempts: str) -> Proposal:
    """Propose a replacement for an @agentic function (a function whose body is a model call)
    so that it passes every case below.

    `function` is the function's source, its docstring being the prompt the model now gets,
    and the JSON schema of its return value. `cases` are the tests it must pass and the calls
    a user marked wrong with the value they expected. `earlier_attempts` are the proposals
    already tried and the test output that rejected them: do not repeat them.

    Prefer `stabilize` when the cases show a rule plain code can follow: write a module whose
    function has exactly the same name and parameters and computes the value deterministically
    with the standard library (and the function's own module, importable by its module name).
    No network, no files, no model calls. Choose `soften` only when judgment is really needed:
    then write the whole new docstring, clearer about what the cases show.
    """
