"""`gui-agent locate SCREENSHOT.png "target"`: run the grounding tiers on a saved screenshot.

Prints the point, box and method (or one JSON object with `--json`) and writes an annotated
copy beside the input (`<name>.located.png`). Without `--model` (or GUI_AGENT_MODEL) only the
stabilized tiers run, and the command says so.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import click
from PIL import Image, ImageDraw, UnidentifiedImageError

from gui_agent.errors import ConfigError, GuiAgentError
from gui_agent.grounding.elements import STABILIZED_TIERS, TIERS, Located, Tier
from gui_agent.grounding.locate import locate_with_tiers
from gui_agent.grounding.observed import ObservedScreen

NOT_FOUND_EXIT = 1
BAD_INPUT_EXIT = 2
MODEL_ERROR_EXIT = 4  # as `gui-agent run`'s model_error


def annotate(image: Image.Image, located: Located) -> Image.Image:
    """A copy of `image` with the found box, a crosshair at the point and the method."""
    marked = image.convert("RGB").copy()
    draw = ImageDraw.Draw(marked)
    if located.box:
        x0, y0, x1, y1 = located.box
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), outline=(0, 200, 0), width=2)
    x, y = located.x, located.y
    draw.line((x - 12, y, x + 12, y), fill=(255, 0, 0), width=2)
    draw.line((x, y - 12, x, y + 12), fill=(255, 0, 0), width=2)
    draw.text((x + 8, y + 8), located.method, fill=(255, 0, 0))
    return marked


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@click.command()
@click.argument("screenshot", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("target")
@click.option("--a11y", "a11y_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="An accessibility tree (OSWorld XML, or .xml.gz) captured with the screenshot.")  # fmt: skip
@click.option("--dom", "dom_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="DOM rows (a JSON list of [name, role, x, y, w, h], or a scene file with dom_rows).")  # fmt: skip
@click.option("--model", default=None, metavar="SPEC",
              help="Enable the model tier with this model [default: $GUI_AGENT_MODEL; none: "
                   "stabilized tiers only].")  # fmt: skip
@click.option("--hint", default=None, metavar="X,Y", help="Where the target probably is.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def locate(screenshot: Path, target: str, a11y_path: Path | None, dom_path: Path | None,
           model: str | None, hint: str | None, as_json: bool) -> None:  # fmt: skip
    """Find TARGET on SCREENSHOT: accessibility tree, DOM, OCR, then the model zooming."""
    try:
        image = Image.open(screenshot)
        image.load()
    except (UnidentifiedImageError, OSError) as exc:
        _fail(f"{screenshot} is not an image: {exc}", BAD_INPUT_EXIT)
    if not target.strip():
        _fail("the target is empty: say what to find, e.g. 'the Save button'", BAD_INPUT_EXIT)
    screen = ObservedScreen(image=image.convert("RGB"))
    if a11y_path is not None:
        raw = a11y_path.read_bytes()
        if a11y_path.suffix == ".gz":
            raw = gzip.decompress(raw)
        screen.a11y_tree = raw.decode(errors="replace")
        try:
            ElementTree.fromstring(screen.a11y_tree)
        except ElementTree.ParseError as exc:  # else every tier would just find nothing
            _fail(f"{a11y_path} is not an accessibility tree (XML): {exc}", BAD_INPUT_EXIT)
    if dom_path is not None:
        screen.dom_rows = _dom_rows(dom_path)
    hint_point = _hint(hint)
    spec = model or os.environ.get("GUI_AGENT_MODEL")
    tiers: tuple[Tier, ...] = TIERS if spec else STABILIZED_TIERS
    if not spec:
        click.echo("no model configured (--model or GUI_AGENT_MODEL): stabilized tiers only",
                   err=True)  # fmt: skip
    try:
        if spec:
            from gui_agent.agentic import use_model
            from gui_agent.models.registry import resolve_model

            with use_model(resolve_model(spec)):
                located = locate_with_tiers(target, screen, hint_point=hint_point, tiers=tiers)
        else:
            located = locate_with_tiers(target, screen, hint_point=hint_point, tiers=tiers)
    except ConfigError as exc:
        _fail(exc.message, BAD_INPUT_EXIT)
    except GuiAgentError as exc:  # the model (or its provider) failed: not the user's input
        _fail(f"model_error: {exc.message}", MODEL_ERROR_EXIT)
    if located is None:
        if as_json:
            click.echo(json.dumps({"found": False, "target": target, "tiers": list(tiers)}))
        _fail(f"{target!r} not found (tiers tried: {', '.join(tiers)})", NOT_FOUND_EXIT)
        return
    out_path = screenshot.with_name(f"{screenshot.stem}.located.png")
    annotate(image, located).save(out_path)
    if as_json:
        click.echo(json.dumps({**located.as_json(), "annotated": str(out_path)}))
    else:
        box = list(located.box) if located.box else "unknown"
        click.echo(f"point ({located.x}, {located.y})  box {box}  method {located.method}  "
                   f"confidence {located.confidence:.2f}  name {located.name!r}")  # fmt: skip
        click.echo(f"annotated: {out_path}")


def _dom_rows(path: Path) -> list[list[Any]]:
    try:
        rows = json.loads(path.read_text())
    except ValueError as exc:
        _fail(f"{path} is not JSON: {exc}", BAD_INPUT_EXIT)
    if isinstance(rows, dict):
        rows = rows.get("dom_rows", rows.get("rows"))
    if not isinstance(rows, list) or not all(isinstance(r, list) and len(r) >= 6 for r in rows):
        _fail(f"{path}: expected a list of [name, role, x, y, w, h] rows", BAD_INPUT_EXIT)
    return rows


def _hint(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        x, y = (int(part) for part in text.split(","))
    except ValueError:
        _fail(f"--hint must be X,Y in pixels, got {text!r}", BAD_INPUT_EXIT)
    return x, y
