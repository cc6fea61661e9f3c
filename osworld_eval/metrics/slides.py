"""`compare_pptx_files`: does the agent's deck match the gold deck in the aspects the task checks?

What a task needs: the agent edits a presentation (adds speaker notes, fixes fonts, moves a
shape) and saves it; the score is 1 when the saved deck equals the gold deck in every aspect the
task's options leave switched on, else 0. Each deck is first read into a plain description
(slides -> shapes -> paragraphs -> runs, plus notes and background); the comparison then walks
the two descriptions side by side, so what is compared is visible in one place (`ASPECTS`).

Shapes are paired in document order (LibreOffice keeps the order it loaded); a different number
of slides or of shapes on a slide is a mismatch. Texts are compared with surrounding whitespace
stripped. An aspect a shape does not define (a run without an explicit font size) compares equal
only to the same absence: the gold deck says what must be there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

logger = logging.getLogger(__name__)

# option name -> on by default? (OSWorld's option names; every one defaults to on)
ASPECTS: dict[str, bool] = {
    "examine_number_of_slides": True,
    "examine_shape": True,
    "examine_text": True,
    "examine_indent": True,
    "examine_font_name": True,
    "examine_font_size": True,
    "examine_font_bold": True,
    "examine_font_italic": True,
    "examine_color_rgb": True,
    "examine_font_underline": True,
    "examine_alignment": True,
    "examine_bullets": True,
    "examine_note": True,
    "examine_table": True,
    "examine_background_color": True,
}


@dataclass(frozen=True)
class RunView:
    text: str
    font_name: str | None
    font_size: int | None
    bold: bool | None
    italic: bool | None
    underline: object
    color: str | None


@dataclass(frozen=True)
class ParagraphView:
    text: str
    level: int
    alignment: object
    bullet: str | None
    runs: tuple[RunView, ...]


@dataclass(frozen=True)
class ShapeView:
    geometry: tuple[int | None, int | None, int | None, int | None]
    paragraphs: tuple[ParagraphView, ...]
    table: tuple[tuple[str, ...], ...] | None


@dataclass(frozen=True)
class SlideView:
    shapes: tuple[ShapeView, ...]
    notes: str
    background: str | None


def _color(font: Any) -> str | None:
    try:
        rgb = font.color.rgb if font.color and font.color.type is not None else None
    except AttributeError:  # a theme color has no rgb
        return None
    return None if rgb is None else str(rgb)


def _bullet(paragraph: Any) -> str | None:
    """The paragraph's bullet character or autonumber scheme from its XML, None for none."""
    p_pr = paragraph._p.pPr
    if p_pr is None:
        return None
    for child in p_pr:
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "buChar":
            return "char:" + child.get("char", "")
        if tag == "buAutoNum":
            return "auto:" + child.get("type", "")
        if tag == "buNone":
            return None
    return None


def _paragraph(paragraph: Any) -> ParagraphView:
    runs = tuple(
        RunView(
            text=run.text,
            font_name=run.font.name,
            font_size=run.font.size,
            bold=run.font.bold,
            italic=run.font.italic,
            underline=run.font.underline,
            color=_color(run.font),
        )
        for run in paragraph.runs
    )
    return ParagraphView(
        text=paragraph.text.strip(),
        level=paragraph.level,
        alignment=paragraph.alignment,
        bullet=_bullet(paragraph),
        runs=runs,
    )


def _shape(shape: Any) -> ShapeView:
    paragraphs: tuple[ParagraphView, ...] = ()
    if getattr(shape, "has_text_frame", False):
        paragraphs = tuple(_paragraph(p) for p in shape.text_frame.paragraphs)
    table = None
    if getattr(shape, "has_table", False):
        table = tuple(tuple(cell.text.strip() for cell in row.cells) for row in shape.table.rows)
    return ShapeView(
        geometry=(shape.left, shape.top, shape.width, shape.height),
        paragraphs=paragraphs,
        table=table,
    )


def _background(slide: Any) -> str | None:
    try:
        fill = slide.background.fill
        return str(fill.fore_color.rgb) if fill.type is not None else None
    except (AttributeError, TypeError, ValueError):  # no solid fill, or inherited
        return None


def read_deck(path: str) -> list[SlideView]:
    """The deck as plain descriptions; raises if the file is not a readable .pptx."""
    from pptx import Presentation

    deck = Presentation(path)
    slides = []
    for slide in deck.slides:
        notes = ""
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            notes = slide.notes_slide.notes_text_frame.text.strip()
        slides.append(
            SlideView(
                shapes=tuple(_shape(s) for s in slide.shapes),
                notes=notes,
                background=_background(slide),
            )
        )
    return slides


def _merged(runs: tuple[RunView, ...]) -> list[RunView]:
    """Runs with text, adjacent runs of identical formatting joined (editors split runs freely)."""
    out: list[RunView] = []
    for run in runs:
        if not run.text:
            continue
        if out and replace(out[-1], text="") == replace(run, text=""):
            out[-1] = replace(out[-1], text=out[-1].text + run.text)
        else:
            out.append(run)
    return out


def _runs_differ(mine: RunView, gold: RunView, on: dict[str, bool]) -> str | None:
    checks = (
        ("examine_font_name", "font name", mine.font_name, gold.font_name),
        ("examine_font_size", "font size", mine.font_size, gold.font_size),
        ("examine_font_bold", "bold", mine.bold, gold.bold),
        ("examine_font_italic", "italic", mine.italic, gold.italic),
        ("examine_color_rgb", "color", mine.color, gold.color),
        ("examine_font_underline", "underline", mine.underline, gold.underline),
    )
    for option, what, a, b in checks:
        if on[option] and a != b:
            return f"{what} {a!r} != {b!r}"
    return None


def _paragraphs_differ(mine: ParagraphView, gold: ParagraphView, on: dict[str, bool]) -> str | None:
    if on["examine_text"] and mine.text != gold.text:
        return f"text {mine.text!r} != {gold.text!r}"
    if on["examine_indent"] and mine.level != gold.level:
        return f"indent level {mine.level} != {gold.level}"
    if on["examine_alignment"] and mine.alignment != gold.alignment:
        return f"alignment {mine.alignment} != {gold.alignment}"
    if on["examine_bullets"] and mine.bullet != gold.bullet:
        return f"bullet {mine.bullet!r} != {gold.bullet!r}"
    mine_runs, gold_runs = _merged(mine.runs), _merged(gold.runs)
    if len(mine_runs) != len(gold_runs):
        return f"{len(mine_runs)} differently formatted runs != {len(gold_runs)}"
    for a, b in zip(mine_runs, gold_runs, strict=True):
        problem = _runs_differ(a, b, on)
        if problem:
            return f"run {b.text!r}: {problem}"
    return None


def _shapes_differ(mine: ShapeView, gold: ShapeView, on: dict[str, bool]) -> str | None:
    if on["examine_shape"] and mine.geometry != gold.geometry:
        return f"position/size {mine.geometry} != {gold.geometry}"
    if on["examine_table"] and mine.table != gold.table:
        return "table cells differ"
    if on["examine_text"] and len(mine.paragraphs) != len(gold.paragraphs):
        texts = [p.text for p in mine.paragraphs], [p.text for p in gold.paragraphs]
        if [t for t in texts[0] if t] != [t for t in texts[1] if t]:
            return f"text {texts[0]!r} != {texts[1]!r}"
        return None
    for index, (a, b) in enumerate(zip(mine.paragraphs, gold.paragraphs, strict=False)):
        problem = _paragraphs_differ(a, b, on)
        if problem:
            return f"paragraph {index + 1}: {problem}"
    return None


def first_difference(
    mine: list[SlideView], gold: list[SlideView], on: dict[str, bool]
) -> str | None:
    """Where the decks differ in an enabled aspect, or None when they match."""
    if len(mine) != len(gold) and on["examine_number_of_slides"]:
        return f"{len(mine)} slides != {len(gold)}"
    for number, (a, b) in enumerate(zip(mine, gold, strict=False), start=1):
        if on["examine_note"] and a.notes != b.notes:
            return f"slide {number}: notes {a.notes!r} != {b.notes!r}"
        if on["examine_background_color"] and a.background != b.background:
            return f"slide {number}: background {a.background} != {b.background}"
        if len(a.shapes) != len(b.shapes):
            return f"slide {number}: {len(a.shapes)} shapes != {len(b.shapes)}"
        for index, (x, y) in enumerate(zip(a.shapes, b.shapes, strict=True), start=1):
            problem = _shapes_differ(x, y, on)
            if problem:
                return f"slide {number}, shape {index}: {problem}"
    return None


def unknown_options(options: dict[str, Any]) -> list[str]:
    return [f"compare_pptx_files {name}" for name in options if name not in ASPECTS]


def compare_pptx_files(result: str | None, expected: str, **options: Any) -> float:
    """1 if the result deck matches the gold deck in every enabled aspect, else 0."""
    unknown = unknown_options(options)
    if unknown:
        raise ValueError("unsupported options: " + ", ".join(unknown))
    if not result:
        return 0.0
    try:
        mine = read_deck(result)
    except Exception as exc:  # the agent's file is not a deck: a wrong answer, not our error
        logger.info("compare_pptx_files: cannot read %s: %s", result, exc)
        return 0.0
    gold = read_deck(expected)
    on = {name: bool(options.get(name, default)) for name, default in ASPECTS.items()}
    problem = first_difference(mine, gold, on)
    if problem:
        logger.info("compare_pptx_files: %s", problem)
        return 0.0
    return 1.0
