"""A user model for the --allow-domain CLI test: it waits while the page tries to leave.

It appends every prompt it gets to $PROBE_PROMPTS (so the test can see what the program told
it): the page's own redirect off the allowed site happens while the first wait runs.
"""

import os

from gui_agent.models.base import ModelRequest


def respond(request: ModelRequest) -> dict:
    with open(os.environ["PROBE_PROMPTS"], "a", encoding="utf-8") as log:
        log.write(request.prompt + "\n=====\n")
    if "- step:" in request.prompt:
        return {"observation": "a blocked page", "action": {"kind": "done", "answer": "stayed"}}
    return {"observation": "the start page", "action": {"kind": "wait", "seconds": 4}}
