"""What every tier produces: on-screen elements with a name, a role and a box, and `Located`.

Boxes are in screen pixels, `x1`/`y1` exclusive. A tier turns its source (an accessibility
tree, the DOM, OCR lines, a model's answer) into `Element`s; matching.py decides which of them
a target names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

Tier = Literal["a11y", "dom", "ocr", "model"]
TIERS: tuple[Tier, ...] = ("a11y", "dom", "ocr", "model")
"""Every tier, in the order of precedence: when two tiers disagree, the earlier one wins."""
STABILIZED_TIERS: tuple[Tier, ...] = ("a11y", "dom", "ocr")


@dataclass(frozen=True)
class Box:
    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def centre(self) -> tuple[int, int]:
        return (self.x0 + self.x1 - 1) // 2, (self.y0 + self.y1 - 1) // 2

    @property
    def area(self) -> int:
        return max(0, self.width) * max(0, self.height)

    def contains(self, x: int, y: int) -> bool:
        return self.x0 <= x < self.x1 and self.y0 <= y < self.y1

    def distance_to(self, x: int, y: int) -> float:
        """0 inside the box, else the Euclidean distance to its nearest edge."""
        dx = max(self.x0 - x, 0, x - (self.x1 - 1))
        dy = max(self.y0 - y, 0, y - (self.y1 - 1))
        return float((dx * dx + dy * dy) ** 0.5)

    def clipped(self, width: int, height: int) -> Box | None:
        """This box cut to a `width` x `height` screen, or None when nothing of it is on it."""
        box = Box(max(self.x0, 0), max(self.y0, 0), min(self.x1, width), min(self.y1, height))
        return box if box.width > 0 and box.height > 0 else None

    def as_list(self) -> list[int]:
        return [self.x0, self.y0, self.x1, self.y1]


@dataclass(frozen=True)
class Element:
    """One thing on the screen a target can name."""

    name: str
    role: str
    box: Box
    tier: Tier


class Located(BaseModel):
    """Where a target is on the screen, and which tier found it."""

    x: int = Field(description="screen pixel x of the point to act on")
    y: int = Field(description="screen pixel y of the point to act on")
    box: tuple[int, int, int, int] | None = Field(
        default=None, description="x0, y0, x1, y1 of the element (x1, y1 exclusive), if known"
    )
    method: Tier
    confidence: float = Field(ge=0.0, le=1.0)
    name: str = Field(default="", description="the name of the element that matched")

    def summary_line(self) -> str:
        named = f" {self.name!r}" if self.name else ""
        return f"{self.method}{named} at ({self.x}, {self.y}), confidence {self.confidence:.2f}"

    def as_json(self) -> dict[str, object]:
        """The JSON `gui-agent locate --json` prints."""
        return {
            "x": self.x,
            "y": self.y,
            "box": list(self.box) if self.box else None,
            "method": self.method,
            "confidence": round(self.confidence, 3),
            "name": self.name,
        }


def located_from(element: Element, *, confidence: float) -> Located:
    x, y = element.box.centre
    box = element.box
    return Located(x=x, y=y, box=(box.x0, box.y0, box.x1, box.y1), method=element.tier,
                   confidence=confidence, name=element.name)  # fmt: skip
