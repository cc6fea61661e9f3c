"""A user model for the forms CLI tests (`python:` spec): answers the two questions fill asks.

`answer_field` gets a short sentence for a free-text question, `correct_value` a digits-only
phone number; every call is appended to FORMS_MODEL_LOG (if set) so a test can count them.
"""

import json
import os

from gui_agent.models.base import ModelRequest


def respond(request: ModelRequest) -> dict:
    log = os.environ.get("FORMS_MODEL_LOG")
    if log:
        with open(log, "a") as handle:
            handle.write(json.dumps({"function": request.function}) + "\n")
    if request.function == "answer_field":
        return {"value": "Computing Bernoulli numbers, and some poetry.", "reason": "interests"}
    if request.function == "correct_value":
        digits = "".join(c for c in request.prompt.split("\nrejected_value:")[-1].split("\n")[0]
                         if c.isdigit())
        return {"value": digits[:10], "explanation": "ten digits only"}
    raise AssertionError(f"unexpected model call {request.function}")
