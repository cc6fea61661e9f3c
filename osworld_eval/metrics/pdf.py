"""PDF metrics: text similarity and embedded-image similarity (pypdf stands in for PyMuPDF).

OSWorld reads PDF text with PyMuPDF; we read it with pypdf and adjust the result where the two
were measured to differ (`page_text`), so fractional `compare_pdfs` scores agree.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from rapidfuzz import fuzz

from osworld_eval.metrics.images import phash_bits

logger = logging.getLogger(__name__)

PHASH_MAX_DISTANCE = 5


_ARABIC_PRESENTATION_FORMS = re.compile("[\ufb50-\ufdff\ufe70-\ufeff]+")
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_LTR = re.compile(r"[A-Za-z\u00c0-\u024f]")
_MIRRORED = {"(": ")", ")": "(", "[": "]", "]": "[", "{": "}", "}": "{", "<": ">", ">": "<"}


def _strong_neighbour(line: str, at: int, step: int) -> str:
    """'rtl', 'ltr' or '' for the first strongly directed letter from `at` in direction `step`."""
    at += step
    while 0 <= at < len(line):
        if _RTL.match(line[at]):
            return "rtl"
        if _LTR.match(line[at]):
            return "ltr"
        at += step
    return ""


def _rtl_brackets_as_drawn(line: str) -> str:
    """Brackets inside a right-to-left run as the page draws them (pypdf mirrors them back)."""
    if not _RTL.search(line):
        return line
    out = list(line)
    for at, char in enumerate(line):
        if char in _MIRRORED:
            sides = {_strong_neighbour(line, at, -1), _strong_neighbour(line, at, 1)}
            if "rtl" in sides and "ltr" not in sides:
                out[at] = _MIRRORED[char]
    return "".join(out)


def page_text(raw: str) -> str:
    """One page's extracted text as PyMuPDF (OSWorld's reader) gives it: Arabic presentation
    forms as plain letters, brackets in right-to-left runs as drawn, a newline at the end."""
    text = _ARABIC_PRESENTATION_FORMS.sub(lambda m: unicodedata.normalize("NFKC", m.group()), raw)
    text = "\n".join(_rtl_brackets_as_drawn(line) for line in text.split("\n"))
    return text if text.endswith("\n") else text + "\n"


def pdf_text(path: str) -> str:
    """All pages' text, each page ending in a newline, the whole stripped (see `page_text`)."""
    from pypdf import PdfReader

    reader = PdfReader(path)
    return "".join(page_text(page.extract_text() or "") for page in reader.pages).strip()


def compare_pdfs(pdf1: Any, pdf2: Any) -> float:
    """Mean fuzzy ratio of the text of paired PDFs (an unreadable pair counts 0)."""
    firsts = pdf1 if isinstance(pdf2, list) else [pdf1]
    seconds = pdf2 if isinstance(pdf2, list) else [pdf2]
    total = 0.0
    for a, b in zip(firsts or [], seconds, strict=False):
        try:
            total += fuzz.ratio(pdf_text(a), pdf_text(b)) / 100
        except Exception as exc:  # OSWorld counts any unreadable pair as 0
            logger.info("compare_pdfs: %s vs %s: %s", a, b, exc)
    return total / len(seconds) if seconds else 0.0


def pdf_images(path: str) -> list[Image.Image]:
    """Images embedded in the PDF, page by page."""
    from pypdf import PdfReader

    images: list[Image.Image] = []
    for page in PdfReader(path).pages:
        for embedded in page.images:
            try:
                images.append(Image.open(io.BytesIO(embedded.data)))
            except OSError as exc:
                logger.info("skipping an unreadable image in %s: %s", path, exc)
    return images


def compare_pdf_images(pdf1: str | None, pdf2: str | None, **options: Any) -> float:
    """Share of paired embedded images whose perceptual hashes differ by at most 5 bits."""
    if not pdf1 or not pdf2 or not (Path(pdf1).exists() and Path(pdf2).exists()):
        return 0.0
    try:
        first, second = pdf_images(pdf1), pdf_images(pdf2)
    except Exception as exc:  # an unreadable PDF scores 0, as in OSWorld
        logger.info("compare_pdf_images: %s", exc)
        return 0.0
    if len(first) != len(second):
        return 0.0
    if not first:
        return 1.0
    close = sum(
        int(np.count_nonzero(phash_bits(a) != phash_bits(b)) <= PHASH_MAX_DISTANCE)
        for a, b in zip(first, second, strict=True)
    )
    return close / len(first)
