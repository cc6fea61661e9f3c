"""Learned programs: a successful run stabilized into Python that replays without the model.

`gui-agent learn RUN_DIR --name NAME` writes `NAME.py` (source.py renders it from the run's
steps); `gui-agent run --learned NAME` runs it (runtime.py): each step re-grounds its target on
the screen through the stabilized grounding tiers (never raw pixels when a target is known) and
checks the screen change the recording saw. A step that does not ground or verify asks the
model for that step only, inside the same 15-step budget; when the whole run then passes its
checks, the program is rewritten with the healed step (store.py), so the next run needs no
model again.
"""
