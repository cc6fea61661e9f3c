"""Small files for metric tests, generated on the fly (nothing binary is committed)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl
from PIL import Image, ImageDraw


def xlsx(path: Path, sheets: Mapping[str, Sequence[Sequence[object]]]) -> str:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return str(path)


def docx(
    path: Path,
    paragraphs: list[str],
    *,
    table: list[list[str]] | None = None,
    image: Path | None = None,
) -> str:
    from docx import Document

    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    if table is not None:
        grid = doc.add_table(rows=len(table), cols=len(table[0]))
        for i, row in enumerate(table):
            for j, value in enumerate(row):
                grid.cell(i, j).text = value
    if image is not None:
        doc.add_picture(str(image))
    doc.save(str(path))
    return str(path)


def picture(
    path: Path, *, size: tuple[int, int] = (64, 48), shade: int = 0, box: bool = True
) -> str:
    img = Image.new("RGB", size, (200 - shade, 220 - shade, 240 - shade))
    if box:
        draw = ImageDraw.Draw(img)
        draw.rectangle((8, 8, size[0] // 2, size[1] // 2), fill=(30, 60, 90))
        draw.line((0, size[1] - 1, size[0] - 1, 0), fill=(250, 0, 0), width=3)
    img.save(path)
    return str(path)


def text(path: Path, content: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    return str(path)


def json_file(path: Path, data: Any) -> str:
    return text(path, json.dumps(data))


def minimal_pdf(path: Path, lines: list[str]) -> str:
    """A one-page PDF with `lines` in Helvetica, written by hand (no converter needed)."""
    escaped = [ln.replace("(", "\\(").replace(")", "\\)") for ln in lines]
    stream = "BT /F1 14 Tf 72 720 Td 18 TL " + " ".join(f"({ln}) Tj T*" for ln in escaped) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        "/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    path.write_bytes(out)
    return str(path)


def pptx(
    path: Path,
    slides: Sequence[Sequence[str]],
    *,
    notes: Sequence[str] | None = None,
    bold: bool | None = None,
    left_inches: float = 1.0,
) -> str:
    """A deck: one slide per entry, one text box per string, optional speaker notes per slide."""
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    blank = deck.slide_layouts[6]
    for index, texts in enumerate(slides):
        slide = deck.slides.add_slide(blank)
        for row, content in enumerate(texts):
            box = slide.shapes.add_textbox(
                Inches(left_inches), Inches(1 + row), Inches(6), Inches(1)
            )
            run = box.text_frame.paragraphs[0].add_run()
            run.text = content
            run.font.bold = bold
        if notes is not None and notes[index]:
            slide.notes_slide.notes_text_frame.text = notes[index]
    deck.save(str(path))
    return str(path)


def wav(path: Path, *, tone_hz: float | None, seconds: float = 1.0, rate: int = 22_050,
        amplitude: float = 0.5) -> str:  # fmt: skip
    """A mono WAV: a sine tone, white noise (tone_hz None) or silence (seconds 0)."""
    import numpy as np
    import soundfile

    times = np.arange(int(rate * seconds)) / rate
    if tone_hz is None:
        samples = np.random.default_rng(7).normal(0.0, amplitude / 2, times.size)
    else:
        samples = amplitude * np.sin(2 * np.pi * tone_hz * times)
    soundfile.write(str(path), samples, rate)
    return str(path)


def odt(path: Path, body: Sequence[str], *, header: str = "", footer: str = "") -> str:
    """A minimal .odt: body paragraphs in content.xml, page header/footer in styles.xml.

    A paragraph may hold ODF markup (spans, <text:s c="3"/>, links); it is inserted as is.
    """
    import zipfile

    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" office:version="1.3"'
    )
    paragraphs = "".join(f"<text:p>{p}</text:p>" for p in body)
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns}>'
        f"<office:body><office:text><text:h>Title</text:h>{paragraphs}</office:text>"
        "</office:body></office:document-content>"
    )
    page = "".join(
        f"<style:{kind}><text:p>{value}</text:p></style:{kind}>"
        for kind, value in (("header", header), ("footer", footer))
        if value
    )
    styles = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-styles {ns}>'
        f'<office:master-styles><style:master-page style:name="Standard">{page}'
        "</style:master-page></office:master-styles></office:document-styles>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", content)
        archive.writestr("styles.xml", styles)
    return str(path)
