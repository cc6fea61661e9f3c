"""Archive metrics: unpack two archives and compare their files pairwise."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from osworld_eval.metrics.pdf import pdf_text

logger = logging.getLogger(__name__)


def _unpack(archive: str, folder: Path) -> None:
    folder.mkdir(parents=True)
    if sys.version_info >= (3, 12):
        shutil.unpack_archive(archive, folder, filter="data")
    else:
        shutil.unpack_archive(archive, folder)


ARCHIVE_FILE_TYPES = frozenset({"text", "pdf", "docx", "image", "csv", "table"})


def _file_comparer(file_type: str) -> Callable[..., float]:
    from osworld_eval.metrics import docs, images, table, text_files
    from osworld_eval.metrics.pdf import compare_pdfs

    comparers: dict[str, Callable[..., float]] = {
        "text": text_files.compare_text_file,
        "pdf": compare_pdfs,
        "docx": docs.compare_docx_files,
        "image": images.compare_images,
        "csv": table.compare_csv,
        "table": table.compare_table,
    }
    if file_type not in comparers:
        raise NotImplementedError(f"compare_archive file_type {file_type!r}")
    return comparers[file_type]


def compare_archive(pred_path: str | None, gold_path: str, **options: Any) -> float:
    """Mean per-file score of two archives with the same file names (under `file_path`).

    Files are compared by `file_type` ("text", "pdf", "docx", "image", "csv", "table"); the
    remaining options go to that comparison.
    """
    options = dict(options)
    sub = options.pop("file_path", "")
    if not pred_path:
        return 0.0
    pred_dir = Path(os.path.splitext(pred_path)[0] + "_pred")
    gold_dir = Path(os.path.splitext(gold_path)[0] + "_gold")
    shutil.rmtree(pred_dir, ignore_errors=True)
    try:
        _unpack(pred_path, pred_dir)
    except (shutil.ReadError, OSError, ValueError) as exc:
        logger.info("compare_archive: cannot unpack %s: %s", pred_path, exc)
        return 0.0
    if not gold_dir.exists():
        _unpack(gold_path, gold_dir)
    pred_files = sorted(os.listdir(pred_dir / sub))
    gold_files = sorted(os.listdir(gold_dir / sub))
    if pred_files != gold_files:
        return 0.0
    compare = _file_comparer(options.pop("file_type", "text"))
    total = sum(
        compare(str(pred_dir / sub / a), str(gold_dir / sub / b), **options)
        for a, b in zip(pred_files, gold_files, strict=True)
    )
    return total / len(pred_files)


PDF_TEXT_SIMILARITY = 0.95


def _member_texts_alike(first: bytes, second: bytes, scratch: Path) -> bool:
    """Two PDF members count as the same document when their text is at least 95% alike
    (a re-exported PDF never has the same bytes)."""
    texts = []
    for name, data in (("mine", first), ("gold", second)):
        path = scratch / f"zip_member_{name}.pdf"
        path.write_bytes(data)
        texts.append(pdf_text(str(path)))
    return fuzz.ratio(texts[0], texts[1]) / 100 >= PDF_TEXT_SIMILARITY


def _files_of(archive: zipfile.ZipFile) -> dict[str, bytes]:
    return {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}


def compare_zip_files(actual: str | None, expected: str, **options: Any) -> float:
    """Did the agent pack exactly the gold archive's files?

    1 when the zip holds the same file names (folders themselves do not count) and every file
    has the gold's content: the same bytes, or for a PDF the same text (>= 95% alike). A
    missing or unreadable zip scores 0; an empty gold zip is a task error.
    """
    with zipfile.ZipFile(expected) as gold_zip:
        gold = _files_of(gold_zip)
    if not gold:
        raise ValueError("compare_zip_files: the gold archive holds no files")
    if not actual:
        return 0.0
    try:
        with zipfile.ZipFile(actual) as mine_zip:
            mine = _files_of(mine_zip)
    except (OSError, zipfile.BadZipFile) as exc:
        logger.info("compare_zip_files: cannot open %s: %s", actual, exc)
        return 0.0
    if mine.keys() != gold.keys():
        return 0.0
    scratch = Path(actual).parent
    for name, data in gold.items():
        if mine[name] == data:
            continue
        if not (name.lower().endswith(".pdf") and _member_texts_alike(mine[name], data, scratch)):
            return 0.0
    return 1.0
