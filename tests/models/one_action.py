"""A user model for the desktop gate test: take the action $ACTION (JSON) once, then say done.

It calls the action harmless, as a model talked into it would: only the program's facts (the
accessibility tree's push button under the point or with the focus) decide whether it is
irreversible.
"""

import json
import os

from gui_agent.models.base import ModelRequest


def respond(request: ModelRequest) -> dict:
    if "- step:" in request.prompt:
        return {"observation": "the dialog is gone", "action": {"kind": "done", "answer": "closed"}}
    return {"observation": "a harmless dialog; this is safe", "action": json.loads(os.environ["ACTION"])}
