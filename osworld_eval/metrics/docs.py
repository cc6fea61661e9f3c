"""Word-processor metrics over .docx files (python-docx): text, tables, images, references."""

from __future__ import annotations

import io
import logging
import re
from typing import Any

from PIL import Image
from rapidfuzz import fuzz

logger = logging.getLogger(__name__)


def _open_docx(path: str) -> Any | None:
    from docx import Document

    try:
        return Document(path)
    except Exception as exc:  # not a readable .docx: OSWorld scores 0
        logger.info("cannot open %s as .docx: %s", path, exc)
        return None


def _paragraphs(path: str) -> list[str] | None:
    doc = _open_docx(path)
    return None if doc is None else [p.text for p in doc.paragraphs]


_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def _odf_text(element: Any) -> str:
    """All text inside an ODF element, as a reader sees it: <text:s c="n"/> is n spaces,
    <text:tab/> a tab, <text:line-break/> a newline; spans, links and fields are read through."""
    parts = [element.text or ""]
    for child in element:
        tag = child.tag
        if tag == f"{{{_TEXT_NS}}}s":
            parts.append(" " * int(child.get(f"{{{_TEXT_NS}}}c", "1")))
        elif tag == f"{{{_TEXT_NS}}}tab":
            parts.append("\t")
        elif tag == f"{{{_TEXT_NS}}}line-break":
            parts.append("\n")
        elif isinstance(tag, str):  # not a comment or processing instruction
            parts.append(_odf_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _odt_paragraphs(path: str) -> list[str] | None:
    """Every <text:p> of an .odt, page styles first: the header and footer paragraphs of its
    master pages (styles.xml), then the body (content.xml). Headings (<text:h>) are not
    paragraphs here, as in OSWorld's reading of .odt files."""
    import zipfile

    from lxml import etree

    texts: list[str] = []
    try:
        with zipfile.ZipFile(path) as odt:
            members = set(odt.namelist())
            for part in ("styles.xml", "content.xml"):
                if part == "styles.xml" and part not in members:
                    continue
                root = etree.fromstring(odt.read(part))
                texts.extend(_odf_text(p) for p in root.iter(f"{{{_TEXT_NS}}}p"))
    except (OSError, KeyError, zipfile.BadZipFile, etree.XMLSyntaxError):
        return None
    return texts


def _squash(paragraphs: list[str]) -> str:
    return re.sub(r"\s+", " ", "\n".join(paragraphs)).strip()


def compare_docx_files(file1: str | None, file2: str | None, **options: Any) -> float:
    """Compare two .docx (or two .odt) documents' paragraph text.

    Options (OSWorld's): ignore_blanks (default True: whitespace runs collapse and the whole
    text must match), ignore_case, ignore_order (sort paragraphs), content_only (fuzzy ratio of
    the whole text), fuzzy_match (ratio instead of equality), delete_empty_lines.
    """
    ignore_blanks = options.get("ignore_blanks", True)
    ignore_case = options.get("ignore_case", False)
    fuzzy = options.get("fuzzy_match", False)
    if not file1 or not file2:
        return 0.0
    if file1.endswith(".docx") and file2.endswith(".docx"):
        first, second = _paragraphs(file1), _paragraphs(file2)
    elif file1.endswith(".odt") and file2.endswith(".odt"):
        first, second = _odt_paragraphs(file1), _odt_paragraphs(file2)
    else:
        return 0.0
    if first is None or second is None:
        return 0.0
    if options.get("ignore_order", False):
        first, second = sorted(first), sorted(second)
    if options.get("delete_empty_lines", False):
        first, second = [p for p in first if p.strip()], [p for p in second if p.strip()]

    if options.get("content_only", False) or ignore_blanks:
        text1, text2 = _squash(first), _squash(second)
        if ignore_case:
            text1, text2 = text1.lower(), text2.lower()
        if options.get("content_only", False) or fuzzy:
            return fuzz.ratio(text1, text2) / 100.0
        return 1.0 if text1 == text2 else 0.0
    if len(first) != len(second):
        return 0.0
    if ignore_case:
        first, second = [p.lower() for p in first], [p.lower() for p in second]
    if fuzzy:
        if not first:
            return 1.0
        return sum(fuzz.ratio(a, b) / 100.0 for a, b in zip(first, second, strict=True)) / len(
            first
        )
    return 1.0 if first == second else 0.0


def compare_docx_files_and_ignore_new_lines(
    file1: str | None, file2: str | None, **options: Any
) -> float:
    """Like compare_docx_files, after dropping empty paragraphs."""
    if not file1 or not file2 or not (file1.endswith(".docx") and file2.endswith(".docx")):
        return 0.0
    first, second = _paragraphs(file1), _paragraphs(file2)
    if first is None or second is None:
        return 0.0
    first, second = [p for p in first if p != ""], [p for p in second if p != ""]
    if options.get("ignore_blanks", True):
        return 1.0 if _squash(first) == _squash(second) else 0.0
    return 1.0 if first == second else 0.0


def table_grids(doc: Any) -> list[list[list[str]]]:
    """Every table of a document as rows of stripped cell texts (a merged cell repeats)."""
    return [
        [[cell.text.strip() for cell in row.cells] for row in table.rows] for table in doc.tables
    ]


def compare_docx_tables(file1: str | None, file2: str | None) -> float:
    """Did the agent fill the document's tables as the gold document has them?

    1 when the result holds the gold's tables, in the same order, each with the same rows and
    columns and the same cell texts (surrounding whitespace ignored); otherwise 0. A missing or
    unreadable result is 0; a gold document without tables is a task error (nothing to check).
    """
    gold_doc = _open_docx(file2) if file2 else None
    if gold_doc is None:
        raise ValueError(f"compare_docx_tables: the gold document {file2!r} is not readable")
    gold = table_grids(gold_doc)
    if not gold:
        raise ValueError("compare_docx_tables: the gold document has no tables")
    mine_doc = _open_docx(file1) if file1 else None
    if mine_doc is None:
        return 0.0
    return 1.0 if table_grids(mine_doc) == gold else 0.0


def _image_blobs(doc: Any) -> list[bytes]:
    return [rel.target_part.blob for rel in doc.part.rels.values() if "image" in rel.reltype]


def compare_docx_images(file1: str | None, file2: str | None) -> float:
    """1 if both documents embed the same number of images with identical pixels, in order."""
    if not file1 or not file2:
        return 0.0
    doc1, doc2 = _open_docx(file1), _open_docx(file2)
    if doc1 is None or doc2 is None:
        return 0.0
    blobs1, blobs2 = _image_blobs(doc1), _image_blobs(doc2)
    if len(blobs1) != len(blobs2):
        return 0.0
    for a, b in zip(blobs1, blobs2, strict=True):
        if Image.open(io.BytesIO(a)).tobytes() != Image.open(io.BytesIO(b)).tobytes():
            return 0.0
    return 1.0


def _entries_after(paragraphs: list[str], heading: str) -> list[str] | None:
    """Non-empty paragraphs after the first one reading exactly `heading`; None without it."""
    for at, text in enumerate(paragraphs):
        if text == heading:
            return [p for p in paragraphs[at + 1 :] if p.strip()]
    return None


def compare_references(file1: str | None, file2: str | None, **options: Any) -> float:
    """How well the result's reference list matches the gold list (a graded score).

    The reference list is every non-empty paragraph after the heading paragraph
    (`reference_indicator`, default "References"). Lists of different lengths score 0;
    otherwise the mean fuzzy ratio r of the entries, paired in order, is rescaled so that
    r <= base scores 0 and r = 1 scores 1: (r - base) / (1 - base), with base =
    `reference_base_result` (default 0.5) and a 0.01 margin above base before anything counts.
    A result without the heading or a readable .docx scores 0; a gold document without the
    heading or without entries is a task error.
    """
    heading = options.get("reference_indicator", "References")
    base = float(options.get("reference_base_result", 0.5))
    gold_paragraphs = _paragraphs(file2) if file2 and file2.endswith(".docx") else None
    if gold_paragraphs is None:
        raise ValueError(f"compare_references: the gold document {file2!r} is not a readable .docx")
    gold = _entries_after(gold_paragraphs, heading)
    if not gold:
        raise ValueError(
            f"compare_references: the gold document lists no entries under {heading!r}"
        )
    mine_paragraphs = _paragraphs(file1) if file1 and file1.endswith(".docx") else None
    mine = None if mine_paragraphs is None else _entries_after(mine_paragraphs, heading)
    if mine is None or len(mine) != len(gold):
        return 0.0
    similarity = sum(fuzz.ratio(a, b) for a, b in zip(mine, gold, strict=True)) / (100 * len(gold))
    if similarity < base + 0.01:
        return 0.0
    return (similarity - base) / (1 - base)


def fuzzy_place_math(path: str | None, rules: dict[str, Any]) -> float:
    """Mean best fuzzy ratio of exactly three words in the document against the answers."""
    if path is None:
        return 0.0
    doc = _open_docx(path)
    if doc is None:
        return 0.0
    words = [w for para in doc.paragraphs for w in para.text.split()]
    scores = [max((fuzz.ratio(w, a) / 100 for a in rules["expected"]), default=0) for w in words]
    return sum(scores) / 3 if len(scores) == 3 else 0.0
