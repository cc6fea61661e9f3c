"""Tier 4: the model, zooming. Three scoped model calls, the program doing the geometry.

1. `find_region`: on the whole screenshot, a box around the area that holds the target;
2. the program pads that box, crops it and enlarges it by an integer factor (so a point in the
   crop maps back to exactly one screen pixel: screen = origin + crop // factor);
3. `point_in_crop`: the point on the enlarged crop;
4. `verify_point`: the same crop with a marker drawn at that point; the model accepts it or
   gives a corrected point, which is verified again, at most `rounds` times in all.

Each call runs inside the frame `locate.zoom`, so it sees the caller's context but not the
other calls' prompts, and the caller sees one line of each.
"""

from __future__ import annotations

import logging

from PIL import Image, ImageDraw
from pydantic import BaseModel, Field

from gui_agent import context as ctx
from gui_agent.agentic import agentic
from gui_agent.grounding.elements import Box, Located
from gui_agent.screen import encode_for_model

log = logging.getLogger(__name__)
MAX_ZOOM = 4
CROP_PAD = 0.25
MIN_CROP = 64
CROP_MAX_SIZE = (1280, 800)
MARKER_RADIUS = 10
VERIFIED_CONFIDENCE = 0.8
UNVERIFIED_CONFIDENCE = 0.3


class Region(BaseModel):
    found: bool = Field(description="false when the target is not on the screen")
    x0: int = 0
    y0: int = 0
    x1: int = 0
    y1: int = 0


class CropPoint(BaseModel):
    found: bool = Field(description="false when the target is not inside this crop")
    x: int = 0
    y: int = 0


class Verdict(BaseModel):
    correct: bool = Field(description="true when the red marker sits on the target")
    x: int | None = Field(default=None, description="if not correct: the right point, crop pixels")
    y: int | None = None


@agentic(
    max_output_tokens=256, summarize=lambda r: f"region {r.found} ({r.x0},{r.y0})-({r.x1},{r.y1})"
)
def find_region(target: str, screenshot: Image.Image) -> Region:
    """Find the area of the screenshot that contains the element `target` describes.

    Return a box (x0, y0, x1, y1 in pixels of this screenshot, x1/y1 exclusive) around the
    element with some margin, roughly 100 to 400 pixels on a side, or found=false if the element
    is not visible.
    """


@agentic(max_output_tokens=256, summarize=lambda p: f"crop point {p.found} ({p.x}, {p.y})")
def point_in_crop(target: str, crop: Image.Image) -> CropPoint:
    """Point at the element `target` describes in this enlarged crop of the screen.

    Return the pixel (x, y of this crop image) at the centre of the element, or found=false
    if it is not inside the crop.
    """


@agentic(max_output_tokens=256, summarize=lambda v: f"verified {v.correct}")
def verify_point(target: str, marked_crop: Image.Image) -> Verdict:
    """Check whether the red ring marker in this crop sits on the element `target` describes.

    Answer correct=true if clicking at the marker's centre would hit that element. Otherwise
    answer correct=false and give the right point (x, y in pixels of this crop), or no point if
    the element is not in the crop.
    """


def crop_box_for(region: Box, screen_size: tuple[int, int]) -> Box:
    """`region` padded by CROP_PAD on each side (at least MIN_CROP wide), within the screen."""
    width, height = screen_size
    pad_x = max(int(region.width * CROP_PAD), (MIN_CROP - region.width) // 2, 0)
    pad_y = max(int(region.height * CROP_PAD), (MIN_CROP - region.height) // 2, 0)
    box = Box(region.x0 - pad_x, region.y0 - pad_y, region.x1 + pad_x, region.y1 + pad_y)
    return box.clipped(width, height) or Box(0, 0, width, height)


def zoom_factor(box: Box, *, max_size: tuple[int, int] = CROP_MAX_SIZE) -> int:
    """The largest integer factor (1..MAX_ZOOM) that keeps the enlarged crop within max_size."""
    fit = min(max_size[0] // max(box.width, 1), max_size[1] // max(box.height, 1))
    return max(1, min(MAX_ZOOM, fit))


def crop_to_screen(box: Box, factor: int, x: int, y: int) -> tuple[int, int]:
    """A pixel of the enlarged crop -> the screen pixel it shows (clamped into the crop)."""
    cx = min(max(x, 0), box.width * factor - 1)
    cy = min(max(y, 0), box.height * factor - 1)
    return box.x0 + cx // factor, box.y0 + cy // factor


def draw_marker(image: Image.Image, x: int, y: int) -> Image.Image:
    """A copy of `image` with a red ring and a centre dot at (x, y)."""
    marked = image.convert("RGB").copy()
    draw = ImageDraw.Draw(marked)
    r = MARKER_RADIUS
    draw.ellipse((x - r, y - r, x + r, y + r), outline=(255, 0, 0), width=3)
    draw.ellipse((x - 2, y - 2, x + 2, y + 2), fill=(255, 0, 0))
    return marked


def zoom_locate(target: str, image: Image.Image, *, rounds: int = 2) -> Located | None:
    """The model tier (see the module docstring); None when the model cannot find the target."""
    with ctx.frame("locate.zoom", arguments={"target": target}):
        encoded = encode_for_model(image)
        region = find_region(
            target,
            image
            if encoded.scaling.is_identity
            else _resized(image, encoded.width, encoded.height),
        )
        if not region.found:
            return None
        x0, y0 = encoded.scaling.to_screen(max(region.x0, 0), max(region.y0, 0))
        x1, y1 = encoded.scaling.to_screen(min(max(region.x1 - 1, 0), encoded.width - 1),
                                           min(max(region.y1 - 1, 0), encoded.height - 1))  # fmt: skip
        crop_box = crop_box_for(Box(min(x0, x1), min(y0, y1), max(x0, x1) + 1, max(y0, y1) + 1),
                                image.size)  # fmt: skip
        factor = zoom_factor(crop_box)
        crop = image.crop((crop_box.x0, crop_box.y0, crop_box.x1, crop_box.y1)).convert("RGB")
        crop = crop.resize(
            (crop_box.width * factor, crop_box.height * factor), Image.Resampling.LANCZOS
        )
        point = point_in_crop(target, crop)
        if not point.found:
            return None
        px, py = point.x, point.y
        for _ in range(max(rounds, 1)):
            verdict = verify_point(target, draw_marker(crop, px, py))
            if verdict.correct:
                x, y = crop_to_screen(crop_box, factor, px, py)
                return Located(x=x, y=y, method="model", confidence=VERIFIED_CONFIDENCE)
            if verdict.x is None or verdict.y is None:
                return None
            px, py = verdict.x, verdict.y
        x, y = crop_to_screen(crop_box, factor, px, py)
        log.info("zoom: %r not verified after %d rounds; using the last point", target, rounds)
        return Located(x=x, y=y, method="model", confidence=UNVERIFIED_CONFIDENCE)


def _resized(image: Image.Image, width: int, height: int) -> Image.Image:
    return image.convert("RGB").resize((width, height), Image.Resampling.BILINEAR)
