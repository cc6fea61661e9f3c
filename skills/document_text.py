"""The text of a document file, read in the agent's process from bytes read back (a free look).

Used to verify file work: after a script writes a result, the program reads the file back
through the computer's file capability and checks that the values it expects are there.
Spreadsheets give every cell (values and formulas' cached results where present), documents
their paragraphs and table cells, slides their text frames, PDFs their text, OpenDocument files
their paragraphs; anything else is decoded as text.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath


def document_text(path: str, data: bytes) -> str:
    """All readable text of the file at `path` (its name picks the reader); raises on a bad file."""
    extension = PurePosixPath(path).suffix.lower()
    match extension:
        case ".xlsx" | ".xlsm":
            return _xlsx(data)
        case ".docx":
            return _docx(data)
        case ".pptx":
            return _pptx(data)
        case ".pdf":
            return _pdf(data)
        case ".odt" | ".ods" | ".odp":
            return _odf(data)
        case ".zip":
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return "\n".join(archive.namelist())
        case _:
            return data.decode("utf-8", errors="replace")


def _xlsx(data: bytes) -> str:
    import openpyxl

    lines = []
    for data_only in (False, True):
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=data_only)
        for sheet in book.worksheets:
            lines.append(f"[sheet {sheet.title}]")
            for row in sheet.iter_rows(values_only=True):
                lines.append("\t".join("" if v is None else _cell(v) for v in row))
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _docx(data: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(data))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append("\t".join(cell.text for cell in row.cells))
    return "\n".join(lines)


def _pptx(data: bytes) -> str:
    import pptx

    lines = []
    for slide in pptx.Presentation(io.BytesIO(data)).slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                lines.append(shape.text_frame.text)
    return "\n".join(lines)


def _pdf(data: bytes) -> str:
    import pypdf

    return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def _odf(data: bytes) -> str:
    from odf import teletype
    from odf.opendocument import load
    from odf.text import P

    document = load(io.BytesIO(data))
    return "\n".join(teletype.extractText(p) for p in document.getElementsByType(P))
