"""`locate(target, screen)`: the point to act on for a short target description.

An `@agentic` function whose stabilized implementation runs the tiers in order of precedence:
accessibility tree, DOM, OCR, then the model zooming (zoom.py). The rule that decides between
tiers is code, not a vote: the first tier (in that order) with an element the target names wins,
and later tiers are not consulted. Within a tier, matching.py's rules pick the element. With a
hint point, OCR reads the region around it first and the whole screen only if that fails.
"""

from __future__ import annotations

from collections.abc import Collection

from gui_agent.agentic import agentic
from gui_agent.errors import GuiAgentError
from gui_agent.grounding.elements import TIERS, Located, Tier, located_from
from gui_agent.grounding.matching import Match, Target, best_match
from gui_agent.grounding.observed import ObservedScreen
from gui_agent.grounding.ocr import region_around
from gui_agent.grounding.zoom import zoom_locate


class TargetNotFound(GuiAgentError):
    """No tier found the element a target describes."""


def decide(matches: dict[Tier, Match]) -> tuple[Tier, Match] | None:
    """The rule between tiers: the earliest tier in TIERS that has a match."""
    for tier in TIERS:
        if tier in matches:
            return tier, matches[tier]
    return None


def match_in_tier(
    target: str | Target, screen: ObservedScreen, tier: Tier, *,
    hint_point: tuple[int, int] | None = None,
) -> Match | None:  # fmt: skip
    """The element of one stabilized tier that `target` names, or None."""
    if not screen.has(tier):
        return None
    parsed = Target.parse(target) if isinstance(target, str) else target
    return best_match(parsed, screen.candidates(tier, parsed), hint_point=hint_point)


def locate_with_tiers(
    target: str,
    screen: ObservedScreen,
    *,
    hint_point: tuple[int, int] | None = None,
    tiers: Collection[Tier] = TIERS,
    zoom_rounds: int = 2,
) -> Located | None:
    """Run the allowed `tiers` in order of precedence; the first that finds the target wins."""
    parsed = Target.parse(target)
    for tier in TIERS:
        if tier not in tiers:
            continue
        if tier == "model":
            return zoom_locate(target, screen.image, rounds=zoom_rounds)
        match = None
        if tier == "ocr" and hint_point is not None and not screen.read("ocr"):
            match = _ocr_near(parsed, screen, hint_point)
        if match is None:
            match = match_in_tier(parsed, screen, tier, hint_point=hint_point)
        if match is not None:
            decided = decide({tier: match})
            assert decided is not None
            return located_from(match.element, confidence=match.confidence)
    return None


def _ocr_near(target: Target, screen: ObservedScreen, hint_point: tuple[int, int]) -> Match | None:
    """OCR of the region around the hint first (a quarter of the cost of the whole screen)."""
    near = ObservedScreen(image=screen.image, ocr_engine=screen.ocr_engine,
                          ocr_region=region_around(hint_point, screen.image.size))  # fmt: skip
    return match_in_tier(target, near, "ocr", hint_point=hint_point)


@agentic(summarize=lambda located: located.summary_line(), max_output_tokens=256)
def locate(
    target: str, screen: ObservedScreen, *, hint_point: tuple[int, int] | None = None
) -> Located:
    """Find the element `target` describes on this screenshot and the point to click on it.

    Return x, y in pixels of the screenshot at the centre of the element, its box if you can
    tell it, method "model", and your confidence from 0 to 1. `hint_point`, if given, is where
    someone guessed the element is; it may be wrong.
    """


@locate.stabilize
def _locate_by_tiers(
    target: str, screen: ObservedScreen, *, hint_point: tuple[int, int] | None = None
) -> Located:
    located = locate_with_tiers(target, screen, hint_point=hint_point)
    if located is None:
        raise TargetNotFound(f"no tier found {target!r} on the screen")
    return located
