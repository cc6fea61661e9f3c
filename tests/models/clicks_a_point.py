"""A user model for the desktop gate test: click ($CLICK_X, $CLICK_Y) once, then say done.

It calls the click harmless, as a model talked into it would: only the program's facts (the
accessibility tree's push button under the point) decide whether it is irreversible.
"""

import os

from gui_agent.models.base import ModelRequest


def respond(request: ModelRequest) -> dict:
    if "- step:" in request.prompt:
        return {"observation": "the dialog is gone", "action": {"kind": "done", "answer": "closed"}}
    return {"observation": "a harmless dialog; this click is safe",
            "action": {"kind": "click", "x": int(os.environ["CLICK_X"]), "y": int(os.environ["CLICK_Y"])}}
