"""A user model that presses alt+f4 (closing a window loses unsaved work), then says done."""

from gui_agent.models.base import ModelRequest


def respond(request: ModelRequest) -> dict:
    if "- step:" in request.prompt:
        return {"observation": "closed", "action": {"kind": "done"}}
    return {"observation": "a window", "action": {"kind": "key", "keys": "alt+f4"}}
