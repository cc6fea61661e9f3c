"""The image size a Qwen-VL-family processor resizes a screenshot to (its "smart resize").

Qwen2.5-VL and UI-TARS-1.5 answer in absolute pixels of the image *after* their processor
resized it: each side rounded to a multiple of `factor` (the patch size times the merge size,
28 for Qwen2.5-VL), the area then scaled into [min_pixels, max_pixels] keeping the aspect ratio.
Coordinates must be mapped back from that size, not from the screenshot we sent.
"""

from __future__ import annotations

import math

QWEN25_FACTOR = 28
QWEN25_MIN_PIXELS = 56 * 56
QWEN25_MAX_PIXELS = 28 * 28 * 16384
MAX_ASPECT_RATIO = 200


def smart_resize(width: int, height: int, *, factor: int = QWEN25_FACTOR,
                 min_pixels: int = QWEN25_MIN_PIXELS,
                 max_pixels: int = QWEN25_MAX_PIXELS) -> tuple[int, int]:  # fmt: skip
    """(width, height) the processor feeds the model for a `width` x `height` image."""
    if width <= 0 or height <= 0:
        raise ValueError(f"image size {width}x{height} is empty")
    if max(width, height) / min(width, height) > MAX_ASPECT_RATIO:
        raise ValueError(f"aspect ratio of {width}x{height} exceeds {MAX_ASPECT_RATIO}")
    w_bar = max(factor, _round_to(width, factor))
    h_bar = max(factor, _round_to(height, factor))
    if w_bar * h_bar > max_pixels:
        shrink = math.sqrt(width * height / max_pixels)
        w_bar = max(factor, math.floor(width / shrink / factor) * factor)
        h_bar = max(factor, math.floor(height / shrink / factor) * factor)
    elif w_bar * h_bar < min_pixels:
        grow = math.sqrt(min_pixels / (width * height))
        w_bar = math.ceil(width * grow / factor) * factor
        h_bar = math.ceil(height * grow / factor) * factor
    return w_bar, h_bar


def _round_to(value: int, factor: int) -> int:
    # Python's round() rounds halves to even, like the processor's own round().
    return round(value / factor) * factor
