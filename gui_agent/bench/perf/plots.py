"""Small PNG charts drawn with PIL (no plotting library): lines per step, bars per label."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 760, 420
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 70, 20, 40, 50
Font = ImageFont.ImageFont | ImageFont.FreeTypeFont
COLOURS = ((31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189))


def _canvas(title: str) -> tuple[Image.Image, ImageDraw.ImageDraw, Font]:
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    draw.text((MARGIN_LEFT, 12), title, fill="black", font=font)
    return image, draw, font


def _axes(draw: ImageDraw.ImageDraw, font: Font, top: float, label: str) -> None:
    x0, y0 = MARGIN_LEFT, HEIGHT - MARGIN_BOTTOM
    draw.line((x0, MARGIN_TOP, x0, y0, WIDTH - MARGIN_RIGHT, y0), fill="black")
    for tick in range(5):
        value = top * tick / 4
        y = y0 - (y0 - MARGIN_TOP) * tick / 4
        draw.line((x0 - 4, y, x0, y), fill="black")
        draw.text((6, y - 6), f"{value:,.0f}", fill="black", font=font)
    draw.text((x0, HEIGHT - 20), label, fill="black", font=font)


def line_chart(path: Path, *, title: str, x_label: str,
               series: dict[str, list[float]]) -> Path:  # fmt: skip
    """One line per series over x = 1..n."""
    image, draw, font = _canvas(title)
    top = max(max(values) for values in series.values()) * 1.1 or 1.0
    _axes(draw, font, top, x_label)
    n = max(len(values) for values in series.values())
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    for index, (name, values) in enumerate(series.items()):
        colour = COLOURS[index % len(COLOURS)]
        points = [(MARGIN_LEFT + plot_w * (i + 0.5) / n,
                   HEIGHT - MARGIN_BOTTOM - plot_h * v / top) for i, v in enumerate(values)]  # fmt: skip
        draw.line(points, fill=colour, width=2)
        if index == 0:
            for i, (x, _) in enumerate(points):
                draw.text((x - 4, HEIGHT - MARGIN_BOTTOM + 6), str(i + 1), fill="black", font=font)
        for x, y in points:
            draw.ellipse((x - 3, y - 3, x + 3, y + 3), fill=colour)
        draw.text((WIDTH - 220, MARGIN_TOP + 16 * index), f"-- {name}", fill=colour, font=font)
    image.save(path)
    return path


def bar_chart(path: Path, *, title: str, unit: str, bars: dict[str, float]) -> Path:
    """One bar per label, value written above it."""
    image, draw, font = _canvas(title)
    top = max(bars.values()) * 1.15 or 1.0
    _axes(draw, font, top, unit)
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    slot = plot_w / max(len(bars), 1)
    for index, (label, value) in enumerate(bars.items()):
        x0 = MARGIN_LEFT + slot * index + slot * 0.2
        x1 = x0 + slot * 0.6
        y1 = HEIGHT - MARGIN_BOTTOM
        y0 = y1 - plot_h * value / top
        draw.rectangle((x0, y0, x1, y1), fill=COLOURS[index % len(COLOURS)])
        draw.text((x0, y0 - 14), f"{value:,.0f}", fill="black", font=font)
        draw.text((x0, y1 + 6), label[:22], fill="black", font=font)
    image.save(path)
    return path
