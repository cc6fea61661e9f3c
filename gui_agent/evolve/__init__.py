"""Test-gated self-evolution of @agentic functions, and marking trace nodes as wrong.

    gui-agent mark RUN_DIR NODE --expected JSON
    gui-agent evolve MODULE:FUNCTION --tests PATH [--model SPEC] [--attempts N]

See run.py for the loop, trial.py for the separate-process gate, store.py for where accepted
code goes and how later calls find it.
"""

from gui_agent.evolve.cases import mark
from gui_agent.evolve.run import Attempt, EvolveResult, evolve

__all__ = ["Attempt", "EvolveResult", "evolve", "mark"]
