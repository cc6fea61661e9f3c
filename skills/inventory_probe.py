"""A standalone script the multi_app skill runs *in the environment*: which files, what is in them.

It is not imported by the agent; `multi_app` sends its source with `NAMES = [...]` prepended
and runs it as one step. Standard library plus whatever document libraries are installed
there (each one optional). It prints one JSON object: the interpreter's libraries, whether
LibreOffice is on PATH, and for each candidate file its type, size and a structural summary
(sheet names and first rows, document headings and tables, PDF text head, slide titles,
archive members). Candidates are the paths named in NAMES (files, or folders to list),
else the usual user folders.
"""

import importlib.util
import json
import os
import shutil
import sys
import zipfile

NAMES: list = globals().get("NAMES", [])
DOCUMENT_TYPES = {
    ".xlsx", ".xlsm", ".xls", ".csv", ".tsv", ".ods", ".docx", ".doc", ".odt", ".rtf", ".txt",
    ".md", ".pptx", ".odp", ".pdf", ".json", ".xml", ".html", ".zip", ".tar", ".gz", ".tgz",
}  # fmt: skip
USER_FOLDERS = ("~/Desktop", "~/Documents", "~/Downloads", "~")
MAX_FILES = 40
LIBRARIES = ("openpyxl", "docx", "pptx", "pypdf", "odf", "pandas", "xlrd")


def cut(text, limit=160):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def rows_of_sheet(sheet, count=3):
    rows = []
    for row in sheet.iter_rows(max_row=count, values_only=True):
        rows.append([cut(v, 40) if v is not None else "" for v in row[:12]])
    return rows


def summary_xlsx(path):
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    sheets = []
    for sheet in book.worksheets[:6]:
        sheets.append({"sheet": sheet.title, "rows": sheet.max_row, "columns": sheet.max_column,
                       "first_rows": rows_of_sheet(sheet)})  # fmt: skip
    return {"sheets": sheets}


def summary_docx(path):
    import docx

    document = docx.Document(path)
    headings: list = []
    text: list = []
    for paragraph in document.paragraphs:
        if not paragraph.text.strip():
            continue
        if paragraph.style is not None and paragraph.style.name.lower().startswith(("heading", "title")):
            headings.append(cut(paragraph.text, 80))
        elif len(text) < 6:
            text.append(cut(paragraph.text, 120))
    tables = [[cut(c.text, 30) for c in t.rows[0].cells] for t in document.tables[:4] if t.rows]
    return {"paragraphs": len(document.paragraphs), "headings": headings[:12], "text_head": text,
            "table_headers": tables}  # fmt: skip


def summary_pptx(path):
    import pptx

    titles = []
    for slide in pptx.Presentation(path).slides:
        title = slide.shapes.title
        titles.append(cut(title.text, 80) if title is not None else "")
    return {"slides": len(titles), "titles": titles[:20]}


def summary_pdf(path):
    import pypdf

    reader = pypdf.PdfReader(path)
    head = reader.pages[0].extract_text() if reader.pages else ""
    return {"pages": len(reader.pages), "text_head": cut(head, 400)}


def summary_odf(path):
    from odf import teletype
    from odf.opendocument import load
    from odf.text import P

    document = load(path)
    texts = [cut(teletype.extractText(p), 100) for p in document.getElementsByType(P)[:8]]
    return {"text_head": [t for t in texts if t]}


def summary_text(path):
    with open(path, encoding="utf-8", errors="replace") as handle:
        lines = [handle.readline() for _ in range(6)]
    return {"first_lines": [cut(line, 160) for line in lines if line]}


def summary_archive(path):
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return {"members": archive.namelist()[:25]}
    import tarfile

    with tarfile.open(path) as archive:
        return {"members": archive.getnames()[:25]}


SUMMARIES = {
    ".xlsx": summary_xlsx, ".xlsm": summary_xlsx, ".docx": summary_docx, ".pptx": summary_pptx,
    ".pdf": summary_pdf, ".odt": summary_odf, ".ods": summary_odf, ".odp": summary_odf,
    ".csv": summary_text, ".tsv": summary_text, ".txt": summary_text, ".md": summary_text,
    ".json": summary_text, ".xml": summary_text, ".html": summary_text, ".zip": summary_archive,
    ".tar": summary_archive, ".gz": summary_archive, ".tgz": summary_archive,
}  # fmt: skip


def describe(path):
    extension = os.path.splitext(path)[1].lower()
    entry = {"path": path, "type": extension.lstrip(".") or "file", "size": os.path.getsize(path)}
    summarize = SUMMARIES.get(extension)
    if summarize is not None:
        try:
            entry["summary"] = summarize(path)
        except Exception as exc:  # a missing library or a damaged file: say so, go on
            entry["summary_error"] = cut(f"{type(exc).__name__}: {exc}", 120)
    return entry


def candidates():
    found, folders = [], []
    for name in NAMES:
        path = os.path.expanduser(name)
        if not os.path.isabs(path):
            path = os.path.join(os.path.expanduser("~"), path)
        if os.path.isfile(path):
            found.append(path)
        elif os.path.isdir(path):
            folders.append(path)
    if not found and not folders:
        folders = [os.path.expanduser(f) for f in USER_FOLDERS]
    for folder in folders:
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in names:
            path = os.path.join(folder, name)
            if os.path.isfile(path) and os.path.splitext(name)[1].lower() in DOCUMENT_TYPES:
                found.append(path)
    unique = list(dict.fromkeys(found))
    return unique[:MAX_FILES]


def main():
    libraries = {name: importlib.util.find_spec(name) is not None for name in LIBRARIES}
    report = {
        "python": sys.executable,
        "libraries": [name for name, present in libraries.items() if present],
        "libreoffice": bool(shutil.which("soffice") or shutil.which("libreoffice")),
        "home": os.path.expanduser("~"),
        "files": [describe(path) for path in candidates()],
    }
    print(json.dumps(report, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
