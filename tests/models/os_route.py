"""A user model for CLI tests: route to the os skill with a command that makes $SKILLS_TEST_DIR."""

import os

from gui_agent.models.base import ModelRequest


def respond(request: ModelRequest) -> dict:
    folder = os.environ["SKILLS_TEST_DIR"]
    assert request.function == "route_goal", request.function
    return {"kind": "os", "task": "make the folder", "proposal": {
        "command": f"mkdir -p {folder}", "intent": "make the folder",
        "expected_effect": {"kind": "file_exists", "target": folder}}}
