"""An animated GIF of a run: each step's screenshot with its action drawn on, one frame a step."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from gui_agent.report.html import step_image
from gui_agent.report.run_view import RunView

GIF_WIDTH = 800
FRAME_MS = 1200


def write_gif(view: RunView, target: Path, *, width: int = GIF_WIDTH,
              frame_ms: int = FRAME_MS) -> Path | None:  # fmt: skip
    """Write the GIF to `target`; None (and nothing written) when no step kept a screenshot."""
    frames: list[Image.Image] = []
    for step in view.steps:
        image = step_image(view, step)
        if image is None:
            continue
        if image.width > width:
            image = image.resize((width, round(image.height * width / image.width)),
                                 Image.Resampling.BILINEAR)  # fmt: skip
        frames.append(image.convert("P", palette=Image.Palette.ADAPTIVE, colors=256))
    if not frames:
        return None
    tmp = target.with_name(target.name + ".tmp")
    frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:],
                   duration=frame_ms, loop=0)  # fmt: skip
    tmp.replace(target)
    return target
