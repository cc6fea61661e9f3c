"""A user model for the secrets canary: it types the placeholder, and tries to echo it back."""

from gui_agent.models.base import ModelRequest


def respond(request: ModelRequest) -> dict:
    step = request.prompt.count("- step:")
    script = [
        {"kind": "click", "x": 300, "y": 120},
        {"kind": "type", "text": "{{PASSWORD}}"},
        {"kind": "key", "keys": "tab"},
        {"kind": "done", "answer": "typed {{PASSWORD}}"},
    ]
    return {"observation": f"step {step}", "action": script[min(step, len(script) - 1)]}
