"""A user model for CLI tests: click twice, then say done (the `python:` spec form).

Under `--agent skills` (the default) the router asks first; this model routes to the loop.
"""

from gui_agent.models.base import ModelRequest


def respond(request: ModelRequest) -> dict:
    if request.function == "route_goal":
        return {"kind": "generic"}
    step = request.prompt.count("- step:")
    if step < 2:
        return {"observation": "a page", "action": {"kind": "click", "x": 100 + 50 * step, "y": 200}}
    return {"observation": "all set", "action": {"kind": "done", "answer": "clicked twice"}}
