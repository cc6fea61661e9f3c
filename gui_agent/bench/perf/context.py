"""Input tokens per step: our call-tree context against a transcript loop, on one trajectory.

One 15-step episode runs on the sandbox with a scripted model that records every perception
request. For each step we estimate (same estimator for both sides, gui_agent.models.pricing):
(a) the request we actually sent: system prompt, output schema, the call-tree context (one line
per earlier step) and the current screenshot; (b) what a transcript loop would send at that
step: the same system prompt and goal, every earlier reply and tool result as text, and the 3
most recent screenshots (the computer-use demo's default). Also the breakdown of one call and
what prompt caching leaves uncached (the system prompt and schema are the cached prefix).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from gui_agent.bench.perf.harness import PAGE, scripted
from gui_agent.computers.sandbox import SandboxDesktop
from gui_agent.loop import run_task
from gui_agent.models.base import ImagePart, ModelRequest, TextPart
from gui_agent.models.pricing import (
    FORCED_TOOL_OVERHEAD_TOKENS,
    estimate_image_tokens,
    estimate_text_tokens,
    estimate_tokens,
)

TRANSCRIPT_IMAGES = 3
STEPS = 15
TOOL_RESULT_TEXT = "Action executed. Screenshot attached."


def measure(*, steps: int = STEPS) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="bench-context-"))
    page = workdir / "page.html"
    page.write_text(PAGE)
    model = scripted(steps)
    with SandboxDesktop(start_url=page.as_uri()) as sandbox:
        result = run_task("Fill the form and press add", sandbox, model=model)
    requests = [r for r in model.requests if r.function == "perceive"][:steps]
    replies = [json.dumps(s.action) for s in result.steps]
    ours = [estimate_tokens(r) for r in requests]
    transcript = [_transcript_tokens(requests, replies, k) for k in range(len(requests))]
    first = requests[0]
    breakdown = _breakdown(first)
    return {
        "what": f"estimated input tokens per perception call over a {len(requests)}-step "
                "trajectory (1280x800 screenshots)",
        "ours_per_step": ours,
        "transcript_per_step": transcript,
        "ours_total": sum(ours),
        "transcript_total": sum(transcript),
        "ratio_total": round(sum(ours) / sum(transcript), 3),
        "last_vs_first": round(ours[-1] / ours[0], 3),
        "breakdown_first_call": breakdown,
        "uncached_per_call": breakdown["context_and_arguments"] + breakdown["image"],
        "targets": {"last_vs_first_max": 1.10, "ratio_total_max": 0.333},
        "met": {"last_vs_first": ours[-1] / ours[0] <= 1.10,
                "ratio_total": sum(ours) / sum(transcript) <= 1 / 3},  # fmt: skip
    }


def _breakdown(request: ModelRequest) -> dict[str, int]:
    texts = [p.text for p in request.parts if isinstance(p, TextPart)]
    images = [p for p in request.parts if isinstance(p, ImagePart)]
    return {
        "system_prompt": estimate_text_tokens(request.system),
        "output_schema": estimate_text_tokens(json.dumps(request.output_schema)),
        "tool_overhead": FORCED_TOOL_OVERHEAD_TOKENS,
        "context_and_arguments": sum(estimate_text_tokens(t) for t in texts),
        "image": sum(estimate_image_tokens(i.width, i.height) for i in images),
    }


def _transcript_tokens(requests: list[ModelRequest], replies: list[str], step: int) -> int:
    """What a loop re-sending its whole transcript would send at `step` (0-based)."""
    first = requests[0]
    goal_text = [p.text for p in first.parts if isinstance(p, TextPart)]
    texts = [first.system, json.dumps(first.output_schema), *goal_text]
    for earlier in range(step):
        texts += [replies[earlier], TOOL_RESULT_TEXT]
    images = 0
    for recent in range(max(0, step - TRANSCRIPT_IMAGES + 1), step + 1):
        for part in requests[recent].parts:
            if isinstance(part, ImagePart):
                images += estimate_image_tokens(part.width, part.height)
    return sum(estimate_text_tokens(t) for t in texts) + images + FORCED_TOOL_OVERHEAD_TOKENS
