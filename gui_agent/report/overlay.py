"""Draw a step's action on the screenshot the step saw: where it clicked, dragged, scrolled, typed.

Coordinates: the step loop records the model's action in the pixels of the screenshot it was
shown, which is the image drawn on. A step recorded elsewhere (a skill) may say the screen size
it acted in (`screen_size`); its points, and a snap's points (always screen pixels), are then
scaled to the image. Nothing here reads files: an image in, an image out.
"""

from __future__ import annotations

import math
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from gui_agent.report.run_view import Point, StepView

RED = (230, 40, 60)
ORANGE = (255, 140, 0)
BLUE = (30, 110, 240)
GREEN = (20, 160, 70)
GREY = (120, 120, 120)
POINTER_KINDS = ("click", "double_click", "triple_click", "right_click", "move", "fill")
CLICK_LABELS = {"double_click": "2x", "triple_click": "3x", "right_click": "R", "fill": "fill"}
SCROLL_VECTORS = {"up": (0, -1), "down": (0, 1), "left": (-1, 0), "right": (1, 0)}


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has no sized default font
        return ImageFont.load_default()


def _scale(step: StepView, image: Image.Image) -> tuple[float, float]:
    """Screen pixels -> image pixels for this step."""
    if step.screen_size is not None:
        return image.width / step.screen_size[0], image.height / step.screen_size[1]
    return _snap_scale(step) or (1.0, 1.0)


def _snap_scale(step: StepView) -> tuple[float, float] | None:
    """The loop's action is in image pixels and a snap's `from` is the same point on the
    screen, so their ratio is the scale when the step does not record the screen size."""
    x, y = step.action.get("x"), step.action.get("y")
    if step.snap is None or step.source not in ("", "loop", "model"):
        return None
    if not isinstance(x, int | float) or not isinstance(y, int | float):
        return None
    fx, fy = step.snap.from_point
    if min(x, y, fx, fy) <= 0:
        return None
    ratios = (x / fx, y / fy)
    return ratios if all(0.2 <= r <= 5 for r in ratios) else None


def _action_scale(step: StepView, image: Image.Image) -> tuple[float, float]:
    # The loop records the model's own coordinates (already image pixels); others, screen ones.
    if step.source in ("", "loop", "model"):
        return 1.0, 1.0
    return _scale(step, image)


def _at(x: Any, y: Any, scale: tuple[float, float]) -> Point | None:
    if not isinstance(x, int | float) or not isinstance(y, int | float):
        return None
    return x * scale[0], y * scale[1]


def _unit(image: Image.Image) -> float:
    """Marks grow with the image, so they stay visible when a wide screenshot is shown small."""
    return max(1.0, image.width / 800)


def _ring(draw: ImageDraw.ImageDraw, point: Point, *, radius: float, colour: tuple[int, int, int],
          width: int = 4) -> None:  # fmt: skip
    x, y = point
    draw.ellipse((x - radius, y - radius, x + radius, y + radius), outline=colour, width=width)


def _cross(draw: ImageDraw.ImageDraw, point: Point, colour: tuple[int, int, int]) -> None:
    x, y = point
    draw.line((x - 9, y, x + 9, y), fill=colour, width=2)
    draw.line((x, y - 9, x, y + 9), fill=colour, width=2)


def _arrow(draw: ImageDraw.ImageDraw, start: Point, end: Point, colour: tuple[int, int, int],
           *, width: int = 4) -> None:  # fmt: skip
    draw.line((*start, *end), fill=colour, width=width)
    angle = math.atan2(end[1] - start[1], end[0] - start[0])
    head = 6 + 4 * width
    left = (end[0] - head * math.cos(angle - 0.45), end[1] - head * math.sin(angle - 0.45))
    right = (end[0] - head * math.cos(angle + 0.45), end[1] - head * math.sin(angle + 0.45))
    draw.polygon((end, left, right), fill=colour)


def _visible(text: str) -> str:
    """Control characters written out (a typed Enter or Tab shows as \\n, \\t)."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def _label(draw: ImageDraw.ImageDraw, point: Point, text: str, colour: tuple[int, int, int],
           image: Image.Image) -> None:  # fmt: skip
    text = _visible(text)
    font = _font(round(16 * _unit(image)))
    box = draw.textbbox((0, 0), text, font=font)
    w, h = box[2] - box[0] + 8, box[3] - box[1] + 6
    x = min(max(point[0] + 14, 0), image.width - w)
    y = min(max(point[1] - h - 10, 0), image.height - h)
    draw.rectangle((x, y, x + w, y + h), fill=colour)
    draw.text((x + 4, y + 2 - box[1]), text, fill=(255, 255, 255), font=font)


def _banner(draw: ImageDraw.ImageDraw, text: str, colour: tuple[int, int, int],
            image: Image.Image) -> None:  # fmt: skip
    font = _font(round(18 * _unit(image)))
    text = _visible(text)
    text = text if len(text) <= 90 else text[:87] + "..."
    box = draw.textbbox((0, 0), text, font=font)
    h = box[3] - box[1] + 12
    draw.rectangle((0, image.height - h, image.width, image.height), fill=colour)
    draw.text((8, image.height - h + 6 - box[1]), text, fill=(255, 255, 255), font=font)


def draw_step(image: Image.Image, step: StepView) -> Image.Image:
    """A copy of `image` with the step's action (and snap, rejection) drawn on it."""
    out = image.convert("RGB")
    draw = ImageDraw.Draw(out)
    action, kind = step.action, str(step.action.get("kind", ""))
    scale = _action_scale(step, out)
    u = _unit(out)
    thick = round(4 * u)
    colour = RED if step.rejected else BLUE
    point = _at(action.get("x"), action.get("y"), scale)
    if step.snap is not None:
        snap_scale = _scale(step, out)
        origin = _at(*step.snap.from_point, snap_scale)
        target = _at(*step.snap.to_point, snap_scale)
        if origin and target:
            _ring(draw, origin, radius=10 * u, colour=GREY, width=round(3 * u))
            _arrow(draw, origin, target, GREY, width=round(3 * u))
            _label(draw, origin, f"snapped by {step.snap.tier}" if step.snap.tier else "snapped",
                   GREY, out)  # fmt: skip
            point = target
    match kind:
        case _ if kind in POINTER_KINDS and point is not None:
            _ring(draw, point, radius=(16 if kind != "move" else 10) * u, colour=colour,
                  width=thick)
            _cross(draw, point, colour)
            if kind in CLICK_LABELS:
                _label(draw, point, CLICK_LABELS[kind], colour, out)
            if kind == "fill":
                _banner(draw, f"fill: {action.get('text', '')}", colour, out)
        case "drag" if point is not None:
            end = _at(action.get("to_x"), action.get("to_y"), scale)
            _ring(draw, point, radius=10 * u, colour=colour, width=thick)
            if end is not None:
                _arrow(draw, point, end, colour, width=thick)
        case "scroll" if point is not None:
            dx, dy = SCROLL_VECTORS.get(str(action.get("direction")), (0, 1))
            wheel = action.get("amount")
            amount = wheel if isinstance(wheel, int) else 3
            length = (30 + 10 * min(amount, 12)) * u
            _ring(draw, point, radius=8 * u, colour=colour, width=thick)
            _arrow(draw, point, (point[0] + dx * length, point[1] + dy * length), colour,
                   width=thick)
            _label(draw, point, f"scroll {action.get('direction', '')} {amount}", colour, out)
        case "fill_page":
            fills = action.get("fills") if isinstance(action.get("fills"), list) else []
            for number, fill in enumerate(fills or [], 1):
                spot = _at(fill.get("x"), fill.get("y"), scale) if isinstance(fill, dict) else None
                if spot is not None:
                    _ring(draw, spot, radius=10 * u, colour=colour, width=thick)
                    _label(draw, spot, f"{number}: {str(fill.get('text', ''))[:30]}", colour, out)
            _banner(draw, f"fill_page: {len(fills or [])} fields", colour, out)
        case "type":
            _banner(draw, f"type: {action.get('text', '')}", colour, out)
        case "key":
            _banner(draw, f"key: {action.get('keys', '')}", colour, out)
        case "shell":
            _banner(draw, f"$ {action.get('command', '')}", colour, out)
        case "wait":
            _banner(draw, f"wait {action.get('seconds', '')} s", colour, out)
        case "done":
            _banner(draw, "done" + (f": {action['answer']}" if action.get("answer") else ""),
                    GREEN, out)  # fmt: skip
        case "fail":
            _banner(draw, f"fail: {action.get('reason', '')}", ORANGE, out)
        case _:
            _banner(draw, step.description, colour, out)
    if step.rejected:
        _label(draw, (0, 30), f"rejected: {step.rejected}"[:80], RED, out)
    return out
