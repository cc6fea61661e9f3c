"""A fake OpenAI Responses API (`POST /v1/responses`) answering with scripted output items.

with FakeResponses() as fake:
    fake.reply_computer_call({"type": "click", "button": "left", "x": 1, "y": 2})
    OpenAICUAModel("computer-use-preview", base_url=fake.base_url).complete(request)
"""

from __future__ import annotations

import itertools
from typing import Any, Self

from tests.fakes import ScriptedServer

_ids = itertools.count(1)


class FakeResponses(ScriptedServer):
    model = "computer-use-preview"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def error_body(self, status: int, message: str) -> Any:
        return {"error": {"message": message, "type": "fake_error", "code": None}}

    def reply_output(self, output: list[dict[str, Any]], *, status: str = "completed") -> Self:
        body = {
            "id": f"resp_fake_{next(_ids)}",
            "object": "response",
            "model": self.model,
            "status": status,
            "output": output,
            "usage": {"input_tokens": 100, "output_tokens": 10,
                      "input_tokens_details": {"cached_tokens": 40}},
        }  # fmt: skip
        return self.enqueue(200, body)

    def reply_computer_call(self, action: dict[str, Any], *, reasoning: str = "",
                            safety_checks: list[dict[str, str]] | None = None) -> Self:  # fmt: skip
        output: list[dict[str, Any]] = []
        if reasoning:
            output.append({"type": "reasoning", "id": f"rs_{next(_ids)}",
                           "summary": [{"type": "summary_text", "text": reasoning}]})  # fmt: skip
        output.append({"type": "computer_call", "id": f"cu_{next(_ids)}",
                       "call_id": f"call_{next(_ids)}", "action": action,
                       "pending_safety_checks": safety_checks or [], "status": "completed"})  # fmt: skip
        return self.reply_output(output)

    def reply_finish(self, arguments: str) -> Self:
        return self.reply_output([{"type": "function_call", "id": f"fc_{next(_ids)}",
                                   "call_id": f"call_{next(_ids)}", "name": "finish",
                                   "arguments": arguments}])  # fmt: skip
