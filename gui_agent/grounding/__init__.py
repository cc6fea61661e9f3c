"""Grounding: find what a target description names on the screen, and snap clicks to it.

Tiers, in order of precedence: the accessibility tree (a11y.py), the DOM over CDP (dom.py),
OCR (ocr.py), then the model zooming (zoom.py). `locate` (locate.py) runs them; matching.py
decides which element a target names; snap.py moves a missed click onto it.
"""

from gui_agent.grounding.elements import STABILIZED_TIERS, TIERS, Box, Element, Located, Tier
from gui_agent.grounding.locate import TargetNotFound, locate, locate_with_tiers
from gui_agent.grounding.observed import ObservedScreen, observe
from gui_agent.grounding.snap import Snap, snap_point

__all__ = [
    "STABILIZED_TIERS",
    "TIERS",
    "Box",
    "Element",
    "Located",
    "ObservedScreen",
    "Snap",
    "TargetNotFound",
    "Tier",
    "locate",
    "locate_with_tiers",
    "observe",
    "snap_point",
]
