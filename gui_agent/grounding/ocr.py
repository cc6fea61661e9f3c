"""Tier 3: text on the screenshot, read by OCR, as word spans with boxes.

The engine is rapidocr-onnxruntime (PP-OCR detection and recognition models ship inside its
wheel: nothing is downloaded; about 0.6 s for a 1280x800 screen on two cores; it reads 11-px UI
text). When it is not installed the `tesseract` command is used instead. rapidocr returns
lines; a word's box inside a line is estimated by its share of the line's characters.
Each run of 1..MAX_SPAN consecutive words of a line becomes one element, so "Save" inside the
line "Save As..." and the whole "Save As" are both candidates for matching; words run together
by the recognizer ("Createyouraccount") are found by `compact_matches`.
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import threading
from dataclasses import dataclass
from typing import Any, Literal

from PIL import Image

from gui_agent.errors import ConfigError, EnvError
from gui_agent.grounding.elements import Box, Element
from gui_agent.grounding.matching import words

log = logging.getLogger(__name__)
MAX_SPAN = 6
REGION = (640, 400)
"""What OCR reads around a hint point (snapping, locate with a hint): a quarter of a 1280x800
screen, so about a quarter of the time of the whole screen."""
PART_OF_LINE = "text part"
"""The role of a span that is not its whole line: a whole line wins a tie ("Plan" heading over
the "plan" of "Free plan")."""
GLUED = "text glued"
"""The role of a place found inside a word without spaces: it loses every tie ("signin" is also
inside "signing")."""
OcrEngine = Literal["auto", "rapidocr", "tesseract"]


@dataclass(frozen=True)
class OcrWord:
    text: str
    box: Box


@dataclass(frozen=True)
class OcrLine:
    words: tuple[OcrWord, ...]

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)


_engine_lock = threading.Lock()
_rapid_engine: Any = None


def rapidocr_available() -> bool:
    try:
        import rapidocr_onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def read_lines(
    image: Image.Image, *, engine: OcrEngine = "auto", region: Box | None = None
) -> list[OcrLine]:
    """The text lines of `image` (or of `region` of it) with word boxes in image pixels, by
    `engine` (auto: rapidocr, else tesseract)."""
    if region is not None:
        crop = image.crop((region.x0, region.y0, region.x1, region.y1))
        return [_shifted(line, region.x0, region.y0) for line in read_lines(crop, engine=engine)]
    if engine == "rapidocr" or (engine == "auto" and rapidocr_available()):
        return _rapidocr_lines(image)
    return _tesseract_lines(image)


def region_around(point: tuple[int, int], size: tuple[int, int]) -> Box:
    """The part of a `size` screen OCR reads near a hint point (REGION wide and high)."""
    x, y = point
    half_w, half_h = REGION[0] // 2, REGION[1] // 2
    box = Box(x - half_w, y - half_h, x + half_w, y + half_h)
    return box.clipped(*size) or Box(0, 0, *size)


def _shifted(line: OcrLine, dx: int, dy: int) -> OcrLine:
    return OcrLine(words=tuple(
        OcrWord(text=w.text, box=Box(w.box.x0 + dx, w.box.y0 + dy, w.box.x1 + dx, w.box.y1 + dy))
        for w in line.words
    ))  # fmt: skip


def elements_from_lines(lines: list[OcrLine]) -> list[Element]:
    found: list[Element] = []
    for line in lines:
        count = len(line.words)
        for start in range(count):
            for end in range(start + 1, min(count, start + MAX_SPAN) + 1):
                span = line.words[start:end]
                box = Box(min(w.box.x0 for w in span), min(w.box.y0 for w in span),
                          max(w.box.x1 for w in span), max(w.box.y1 for w in span))  # fmt: skip
                name = " ".join(w.text for w in span)
                role = "text" if end - start == count else PART_OF_LINE
                found.append(Element(name=name, role=role, box=box, tier="ocr"))
    return found


def _rapid() -> Any:
    global _rapid_engine
    with _engine_lock:
        if _rapid_engine is None:
            from rapidocr_onnxruntime import RapidOCR

            # Upside-down UI text does not occur: the angle classifier only costs time.
            _rapid_engine = RapidOCR(use_cls=False)
        return _rapid_engine


def _rapidocr_lines(image: Image.Image) -> list[OcrLine]:
    import numpy as np

    try:
        engine = _rapid()
    except ImportError as exc:
        raise ConfigError("rapidocr-onnxruntime is not installed (pip install it)") from exc
    result, _ = engine(np.asarray(image.convert("RGB"))[:, :, ::-1], use_cls=False)
    lines: list[OcrLine] = []
    for quad, text, _confidence in result or []:
        xs = [int(round(p[0])) for p in quad]
        ys = [int(round(p[1])) for p in quad]
        line_box = Box(min(xs), min(ys), max(xs) + 1, max(ys) + 1)
        lines.append(OcrLine(words=_split_line(str(text), line_box)))
    return lines


def _split_line(text: str, box: Box) -> tuple[OcrWord, ...]:
    """Words of a line with boxes estimated from their character offsets."""
    length = max(len(text), 1)
    result: list[OcrWord] = []
    position = 0
    for token in text.split():
        start = text.index(token, position)
        position = start + len(token)
        if not words(token):
            continue
        x0 = box.x0 + (box.width * start) // length
        x1 = box.x0 + max((box.width * position) // length, (box.width * start) // length + 1)
        result.append(OcrWord(text=token, box=Box(x0, box.y0, x1, box.y1)))
    return tuple(result)


def _tesseract_lines(image: Image.Image) -> list[OcrLine]:
    binary = shutil.which("tesseract")
    if binary is None:
        raise ConfigError("no OCR engine: install rapidocr-onnxruntime or tesseract-ocr")
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG", compress_level=1)
    try:
        done = subprocess.run([binary, "stdin", "stdout", "tsv"], input=buffer.getvalue(),
                              capture_output=True, timeout=60, check=False)  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        raise EnvError("tesseract took over 60 s") from exc
    if done.returncode != 0:
        raise EnvError(f"tesseract failed: {done.stderr.decode(errors='replace')[-300:]}")
    grouped: dict[tuple[str, str, str], list[OcrWord]] = {}
    for row in done.stdout.decode(errors="replace").splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5" or not cells[11].strip():
            continue
        left, top, width, height = (int(value) for value in cells[6:10])
        word = OcrWord(text=cells[11].strip(), box=Box(left, top, left + width, top + height))
        grouped.setdefault((cells[2], cells[3], cells[4]), []).append(word)
    return [OcrLine(words=tuple(found)) for found in grouped.values()]


def compact_matches(content: tuple[str, ...], lines: list[OcrLine]) -> list[Element]:
    """Places where the target's words occur with the spaces between them lost.

    The recognizer often drops the spaces of large or bold text ("Createyouraccount"); the
    words of the target, joined, are looked up in each line with spaces and punctuation
    removed, and the box is estimated from the character offsets.
    """
    wanted = "".join(content)
    if len(wanted) < 3:
        return []
    found: list[Element] = []
    for line in lines:
        for word in line.words:
            letters = [(i, c) for i, c in enumerate(word.text.lower()) if c.isalnum()]
            compact = "".join(c for _, c in letters)
            start = compact.find(wanted)
            if start < 0:
                continue
            first, last = letters[start][0], letters[start + len(wanted) - 1][0] + 1
            length = max(len(word.text), 1)
            box = word.box
            x0 = box.x0 + (box.width * first) // length
            x1 = max(box.x0 + (box.width * last) // length, x0 + 1)
            found.append(Element(name=" ".join(content), role=GLUED,
                                 box=Box(x0, box.y0, x1, box.y1), tier="ocr"))  # fmt: skip
    return found
