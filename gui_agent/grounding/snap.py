"""Snapping: move a model's click onto the element its `target` names, when it missed it.

The loop calls `snap_point` with the screen point of a pointer action that carries a target.
The stabilized tiers (accessibility tree, DOM, OCR; never the model) run in order of precedence;
the first tier with elements the target names decides. If the point is inside one of them
(any element within SNAP_MARGIN of the best score: the model may have meant a duplicate), the
point stays; otherwise it moves to the centre of the best one nearest the point. OCR reads only
the region around the click (ocr.REGION): a target further away is not snapped to. The loop
records every snap (from, to, tier) in the step record and the trace.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from PIL import Image

from gui_agent.actions import Action, Click, DoubleClick, Move, RightClick, TripleClick
from gui_agent.grounding.elements import STABILIZED_TIERS, Tier
from gui_agent.grounding.matching import Target, best_match, ranked
from gui_agent.grounding.observed import ObservedScreen, observe
from gui_agent.grounding.ocr import region_around

log = logging.getLogger(__name__)

SNAP_MARGIN = 0.15


@dataclass(frozen=True)
class Snap:
    """A click moved onto its target's element."""

    from_point: tuple[int, int]
    to_point: tuple[int, int]
    tier: Tier
    name: str

    def as_dict(self) -> dict[str, object]:
        return {"from": list(self.from_point), "to": list(self.to_point), "tier": self.tier,
                "name": self.name}  # fmt: skip


def snap_point(
    target: str,
    point: tuple[int, int],
    screen: ObservedScreen,
    *,
    tiers: Collection[Tier] = STABILIZED_TIERS,
) -> Snap | None:
    """The snap for a click at `point` meant for `target`, or None to leave it where it is."""
    parsed = Target.parse(target)
    for tier in STABILIZED_TIERS:
        if tier not in tiers or not screen.has(tier):
            continue
        if tier == "ocr" and not screen.read("ocr") and screen.ocr_region is None:
            screen.ocr_region = region_around(point, screen.image.size)  # near the click only
        elements = screen.candidates(tier, parsed)
        candidates = ranked(parsed, elements)
        if not candidates:
            continue
        top = candidates[0][0]
        if any(s >= top - SNAP_MARGIN and e.box.contains(*point) for s, e in candidates):
            return None
        match = best_match(parsed, elements, hint_point=point)
        if match is None:  # pragma: no cover - ranked() found candidates above
            continue
        return Snap(from_point=point, to_point=match.element.box.centre, tier=tier,
                    name=match.element.name)  # fmt: skip
    return None


def snap_action(
    action: Action, computer: Any, image: Image.Image, *, screen: ObservedScreen | None = None
) -> tuple[Action, Snap | None]:
    """`action` with its point moved onto its target's element, and the snap (None: unchanged).

    Only pointing actions that carry a `target` are considered. A failure to read a source
    leaves the action as it is: snapping corrects clicks, it never stops an episode.
    """
    if not isinstance(action, Click | DoubleClick | TripleClick | RightClick | Move):
        return action, None
    if not action.target or not action.target.strip():
        return action, None
    observed = screen if screen is not None else observe(computer, image)
    try:
        snap = snap_point(action.target, (action.x, action.y), observed)
    except Exception as exc:  # an OCR engine or a browser failing must not end the episode
        log.warning("snapping %r failed: %s", action.target, exc)
        return action, None
    if snap is None:
        return action, None
    x, y = snap.to_point
    return action.model_copy(update={"x": x, "y": y}), snap
