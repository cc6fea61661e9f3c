"""What the grounding tiers look at: a screenshot plus, where the computer has them, its
accessibility tree and its browser DOM, each read at most once and only when a tier asks.

An `ObservedScreen` looks like an image to `@agentic` (it has `png`, `width`, `height`), so
the model sees the screenshot when `locate` is called without its stabilized tiers.
Reading a source is an observation: it costs no step.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from PIL import Image

from gui_agent.errors import GuiAgentError
from gui_agent.grounding.a11y import TreeError, elements_from_tree
from gui_agent.grounding.dom import elements_from_rows, read_dom_rows
from gui_agent.grounding.elements import Box, Element, Tier
from gui_agent.grounding.matching import Target
from gui_agent.grounding.ocr import (
    OcrEngine,
    OcrLine,
    compact_matches,
    elements_from_lines,
    read_lines,
)

log = logging.getLogger(__name__)


@dataclass
class ObservedScreen:
    """A screenshot and the lazily read sources of the stabilized tiers."""

    image: Image.Image
    a11y_tree: str | Callable[[], str] | None = None
    """OSWorld-style accessibility XML, or a function that reads it."""
    dom_rows: list[list[Any]] | Callable[[], list[list[Any]]] | None = None
    """Rows of dom_script.js, or a function that reads them."""
    ocr_engine: OcrEngine = "auto"
    read_seconds: dict[Tier, float] = field(default_factory=dict)
    """How long reading each source took (the last time it was read)."""
    ocr_region: Box | None = None
    """Where OCR reads (None: the whole screenshot); set before the OCR tier first runs."""
    ocr_lines: list[OcrLine] = field(default_factory=list, repr=False)
    """The lines OCR read, once the OCR tier has run."""
    _cache: dict[Tier, list[Element]] = field(default_factory=dict, repr=False)

    @property
    def width(self) -> int:
        return self.image.width

    @property
    def height(self) -> int:
        return self.image.height

    @cached_property
    def png(self) -> bytes:
        buffer = io.BytesIO()
        self.image.convert("RGB").save(buffer, format="PNG", compress_level=1)
        return buffer.getvalue()

    def has(self, tier: Tier) -> bool:
        """Whether this screen has a source for `tier` (OCR: always; model: never here)."""
        match tier:
            case "a11y":
                return self.a11y_tree is not None
            case "dom":
                return self.dom_rows is not None
            case "ocr":
                return True
            case "model":
                return False

    def candidates(self, tier: Tier, target: Target) -> list[Element]:
        """The elements of `tier` plus, for OCR, the places the target's words run together."""
        elements = self.elements(tier)
        if tier == "ocr":
            elements = elements + compact_matches(target.content, self.ocr_lines)
        return elements

    def read(self, tier: Tier) -> bool:
        """Whether the source of `tier` has been read already."""
        return tier in self._cache

    def elements(self, tier: Tier) -> list[Element]:
        """The elements tier `tier` sees ([] when the source is missing or unreadable)."""
        if tier in self._cache:
            return self._cache[tier]
        started = time.perf_counter()
        found: list[Element] = []
        size = self.image.size
        try:
            if tier == "a11y" and self.a11y_tree is not None:
                tree = self.a11y_tree() if callable(self.a11y_tree) else self.a11y_tree
                found = elements_from_tree(tree, screen_size=size)
            elif tier == "dom" and self.dom_rows is not None:
                rows = self.dom_rows() if callable(self.dom_rows) else self.dom_rows
                found = elements_from_rows(rows, screen_size=size)
            elif tier == "ocr":
                self.ocr_lines = read_lines(self.image, engine=self.ocr_engine,
                                            region=self.ocr_region)  # fmt: skip
                found = elements_from_lines(self.ocr_lines)
        except (GuiAgentError, TreeError) as exc:
            log.info("grounding tier %s unavailable: %s", tier, exc)
        self.read_seconds[tier] = time.perf_counter() - started
        self._cache[tier] = found
        return found


def observe(computer: Any, image: Image.Image) -> ObservedScreen:
    """An ObservedScreen of `image` with the sources `computer` offers (read on first use)."""
    from gui_agent.computers.base import HasAccessibilityTree, HasCDP

    tree = computer.accessibility_tree if _has(computer, HasAccessibilityTree) else None
    dom = None
    cdp_url = _cdp_url(computer) if _has(computer, HasCDP) else None
    if cdp_url is not None:
        url = cdp_url

        def dom() -> list[list[Any]]:
            return read_dom_rows(url)

    return ObservedScreen(image=image, a11y_tree=tree, dom_rows=dom)


def _has(computer: Any, capability: type) -> bool:
    try:
        return isinstance(computer, capability)
    except GuiAgentError:  # a property that raises (no browser running) means: not offered
        return False


def _cdp_url(computer: Any) -> str | None:
    try:
        return str(computer.cdp_url)
    except GuiAgentError:
        return None
