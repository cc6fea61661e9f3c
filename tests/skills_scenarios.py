"""Multi-app scenarios for the file skill: files the test makes, a goal, the scripted answers, a score.

Each scenario makes its input files under a home folder, states a goal with absolute paths, and
is scored by our own OSWorld metrics against an expected file the test builds independently.
Two scripted models per scenario (fixtures, never in the product):
- `skill_answers`: only the skills' scoped questions: the router's route, which carries the file
  plan when the router could read the named files (otherwise `route` then `file_plan`, asked
  by the skill after its own discovery);
- `loop_replies`: the step loop's solution: inspect the files (the loop sees only the screen),
  run the same transformation as a shell command, say done.
"""

from __future__ import annotations

import csv
import io
import json
import shlex
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pptx

from osworld_eval.metrics import METRICS

Files = Callable[[Path], None]


@dataclass(frozen=True)
class Scenario:
    name: str
    goal: str
    inputs: list[str]
    make: Files
    plan: dict[str, Any]
    score: Callable[[Path, Any], float]
    expected: Files = lambda home: None  # noqa: E731 - builds the expected file(s)

    def at(self, home: Path) -> Scenario:
        """This scenario with {H} replaced by `home` everywhere."""
        text = json.dumps({"goal": self.goal, "inputs": self.inputs, "plan": self.plan})
        data = json.loads(text.replace("{H}", str(home)))
        return Scenario(self.name, data["goal"], data["inputs"], self.make, data["plan"],
                        self.score, self.expected)  # fmt: skip

    def skill_answers(self) -> list[dict[str, Any]]:
        """The router's answer carries the plan only when it was shown every input (named files
        read back); for a folder the skill discovers (one step) and asks for the plan."""
        if all(Path(p).suffix for p in self.inputs):
            return [dict(self.route(), plan=self.file_plan())]
        return [self.route(), self.file_plan()]

    def route(self) -> dict[str, Any]:
        return {"kind": "multi_app", "inputs": self.inputs, "output": self.plan["output"]}

    def file_plan(self) -> dict[str, Any]:
        return {k: v for k, v in self.plan.items() if k != "expected_answer"}

    def loop_replies(self) -> list[dict[str, Any]]:
        inspect = "ls -la " + " ".join(shlex.quote(str(Path(p).parent)) for p in self.inputs[:1])
        if self.plan["method"] == "convert":
            act = ("soffice -env:UserInstallation=file:///tmp/gui_agent_lo_profile --headless "
                   f"--convert-to {self.plan['convert_to']} --outdir "
                   f"{shlex.quote(str(Path(self.plan['output']).parent))} "
                   + " ".join(shlex.quote(p) for p in self.plan["inputs"]))  # fmt: skip
        else:
            act = f"python3 - <<'PY'\n{self.plan['script']}\nPY"
        answer = self.plan.get("expected_answer")
        return [
            {"observation": "a desktop", "action": {"kind": "shell", "command": inspect}},
            {"observation": "the files are there", "action": {"kind": "shell", "command": act}},
            {"observation": "the result is written", "action": {"kind": "done", "answer": answer}},
        ]


def plan(inputs: list[str], output: str, transformation: str, script: str = "", *,
         expect: list[str] = (), method: str = "python", convert_to: str = "",
         answer: bool = False, expected_answer: str | None = None) -> dict[str, Any]:  # fmt: skip
    data = {"inputs": inputs, "transformation": transformation, "output": output,
            "method": method, "script": script, "convert_to": convert_to, "expect": list(expect),
            "answer": answer, "open_after": False}  # fmt: skip
    if expected_answer is not None:
        data["expected_answer"] = expected_answer
    return data


def book(path: Path, rows: list[list[Any]], title: str = "Sheet1") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    workbook.save(path)


def document(path: Path, paragraphs: list[str], table: list[list[str]] | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = docx.Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    if table:
        grid = doc.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    doc.save(path)


def simple_pdf(path: Path, lines: list[str]) -> None:
    """A one-page PDF with `lines` of Helvetica text, written by hand (no PDF library needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "BT /F1 14 Tf 72 720 Td 18 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(text)} >>\nstream\n{text}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{body}\nendobj\n".encode())
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
              .encode())  # fmt: skip
    path.write_bytes(out.getvalue())


def table_score(result: str, expected: str) -> Callable[[Path, Any], float]:
    rules = {"rules": [{"type": "sheet_data", "sheet_idx0": 0, "sheet_idx1": "EI0"}]}
    return lambda home, episode: METRICS["compare_table"](
        str(home / result), str(home / expected), **rules
    )


def metric_score(name: str, result: str, expected: str, **options: Any):
    return lambda home, episode: METRICS[name](str(home / result), str(home / expected), **options)


SALES = [["Item", "Price", "Qty"], ["Pen", 2, 10], ["Book", 12, 3], ["Lamp", 30, 2]]
SCORES = [["Name", "Score"], ["Ann", 71], ["Bo", 93], ["Cy", 85], ["Di", 64]]
CONTACTS = "Name,Email,City\nAnn,ann@example.org,Oslo\nBo,bo@example.org,Lima\n"
INVENTORY = [["SKU", "Item", "Stock"], ["A1", "Bolt", 120], ["B2", "Nut", 75], ["C3", "Gear", 9]]
JAN = [["Date", "Amount"], ["2024-01-03", 40], ["2024-01-19", 15]]
FEB = [["Date", "Amount"], ["2024-02-02", 22], ["2024-02-27", 31]]
LETTER = ["Dear customer,", "ACME thanks you for your order.", "Regards, the ACME team"]
REPORT_TABLE = [["Region", "Units"], ["North", "140"], ["South", "95"], ["East", "120"]]
PAPER = ["Quarterly results", "Revenue grew by 12 percent", "Costs fell by 3 percent"]
NOTES = {"a.txt": "alpha\n", "b.txt": "beta\n", "c.txt": "gamma\n"}
EXPENSES = [["Category", "Amount"], ["Rent", 900], ["Food", 250], ["Travel", 84]]
LEDGER = [["Item", "Cost"], ["Coffee", 4], ["Train", 27], ["Lunch", 12]]
SLIDE_TITLES = ["Welcome", "Our plan", "Budget", "Questions"]


def _write_text_files(folder: Path, files: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)


def _slides(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    deck = pptx.Presentation()
    for title in SLIDE_TITLES:
        slide = deck.slides.add_slide(deck.slide_layouts[5])
        slide.shapes.title.text = title
    deck.save(path)


def _zip(path: Path, files: dict[str, str]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)


def _csv_of(rows: list[list[Any]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


SCENARIOS: list[Scenario] = [
    Scenario(
        "xlsx: add a computed column",
        "In {H}/Desktop/sales.xlsx add a column Total (Price times Qty) after Qty.",
        ["{H}/Desktop/sales.xlsx"],
        lambda h: book(h / "Desktop/sales.xlsx", SALES),
        plan(["{H}/Desktop/sales.xlsx"], "{H}/Desktop/sales.xlsx", "add Total = Price * Qty",
             "import openpyxl\np = '{H}/Desktop/sales.xlsx'\nb = openpyxl.load_workbook(p)\n"
             "s = b.active\ns['D1'] = 'Total'\nfor r in range(2, s.max_row + 1):\n"
             "    s.cell(r, 4, s.cell(r, 2).value * s.cell(r, 3).value)\nb.save(p)\nprint('ok')",
             expect=["Total", "60"]),  # fmt: skip
        table_score("Desktop/sales.xlsx", "expected/sales.xlsx"),
        lambda h: book(h / "expected/sales.xlsx",
                       [SALES[0] + ["Total"]] + [r + [r[1] * r[2]] for r in SALES[1:]]),
    ),
    Scenario(
        "xlsx: sort rows",
        "Sort the rows of {H}/Documents/scores.xlsx by Score, highest first.",
        ["{H}/Documents/scores.xlsx"],
        lambda h: book(h / "Documents/scores.xlsx", SCORES),
        plan(["{H}/Documents/scores.xlsx"], "{H}/Documents/scores.xlsx", "sort by Score desc",
             "import openpyxl\np = '{H}/Documents/scores.xlsx'\nb = openpyxl.load_workbook(p)\n"
             "s = b.active\nrows = sorted(list(s.iter_rows(min_row=2, values_only=True)), "
             "key=lambda r: -r[1])\nfor i, row in enumerate(rows, 2):\n"
             "    for j, v in enumerate(row, 1):\n        s.cell(i, j, v)\nb.save(p)",
             expect=["Bo\t93"]),  # fmt: skip
        table_score("Documents/scores.xlsx", "expected/scores.xlsx"),
        lambda h: book(h / "expected/scores.xlsx",
                       [SCORES[0]] + sorted(SCORES[1:], key=lambda r: -r[1])),
    ),
    Scenario(
        "csv -> xlsx",
        "Turn {H}/Desktop/contacts.csv into a spreadsheet {H}/Desktop/contacts.xlsx.",
        ["{H}/Desktop/contacts.csv"],
        lambda h: (h / "Desktop").mkdir(parents=True, exist_ok=True)
        or (h / "Desktop/contacts.csv").write_text(CONTACTS),
        plan(["{H}/Desktop/contacts.csv"], "{H}/Desktop/contacts.xlsx", "csv to xlsx",
             "import csv, openpyxl\nb = openpyxl.Workbook()\ns = b.active\n"
             "for row in csv.reader(open('{H}/Desktop/contacts.csv')):\n    s.append(row)\n"
             "b.save('{H}/Desktop/contacts.xlsx')", expect=["ann@example.org"]),  # fmt: skip
        table_score("Desktop/contacts.xlsx", "expected/contacts.xlsx"),
        lambda h: book(h / "expected/contacts.xlsx",
                       [line.split(",") for line in CONTACTS.splitlines()]),
    ),
    Scenario(
        "xlsx -> csv",
        "Export {H}/Desktop/inventory.xlsx as CSV to {H}/Desktop/inventory.csv.",
        ["{H}/Desktop/inventory.xlsx"],
        lambda h: book(h / "Desktop/inventory.xlsx", INVENTORY),
        plan(["{H}/Desktop/inventory.xlsx"], "{H}/Desktop/inventory.csv", "xlsx to csv",
             "import csv, openpyxl\ns = openpyxl.load_workbook('{H}/Desktop/inventory.xlsx')"
             ".active\nwith open('{H}/Desktop/inventory.csv', 'w', newline='') as f:\n"
             "    csv.writer(f, lineterminator='\\n').writerows(s.iter_rows(values_only=True))",
             expect=["C3,Gear,9"]),  # fmt: skip
        metric_score("compare_csv", "Desktop/inventory.csv", "expected/inventory.csv"),
        lambda h: (h / "expected").mkdir(parents=True, exist_ok=True)
        or (h / "expected/inventory.csv").write_text(_csv_of(INVENTORY)),
    ),
    Scenario(
        "two xlsx -> one",
        "Combine {H}/Desktop/jan.xlsx and {H}/Desktop/feb.xlsx into {H}/Desktop/q1.xlsx "
        "(one header row, January first).",
        ["{H}/Desktop/jan.xlsx", "{H}/Desktop/feb.xlsx"],
        lambda h: [book(h / f"Desktop/{m}.xlsx", rows) for m, rows in (("jan", JAN), ("feb", FEB))]
        and None,
        plan(["{H}/Desktop/jan.xlsx", "{H}/Desktop/feb.xlsx"], "{H}/Desktop/q1.xlsx",
             "append feb rows under jan",
             "import openpyxl\nout = openpyxl.Workbook()\ns = out.active\n"
             "for i, name in enumerate(['jan', 'feb']):\n"
             "    src = openpyxl.load_workbook(f'{H}/Desktop/{name}.xlsx').active\n"
             "    for row in src.iter_rows(min_row=1 if i == 0 else 2, values_only=True):\n"
             "        s.append(row)\nout.save('{H}/Desktop/q1.xlsx')",
             expect=["2024-02-27"]),  # fmt: skip
        table_score("Desktop/q1.xlsx", "expected/q1.xlsx"),
        lambda h: book(h / "expected/q1.xlsx", JAN + FEB[1:]),
    ),
    Scenario(
        "docx: replace a name",
        "Replace every ACME with Globex in {H}/Documents/letter.docx.",
        ["{H}/Documents/letter.docx"],
        lambda h: document(h / "Documents/letter.docx", LETTER),
        plan(["{H}/Documents/letter.docx"], "{H}/Documents/letter.docx", "ACME -> Globex",
             "import docx\np = '{H}/Documents/letter.docx'\nd = docx.Document(p)\n"
             "for para in d.paragraphs:\n    for run in para.runs:\n"
             "        run.text = run.text.replace('ACME', 'Globex')\nd.save(p)",
             expect=["Globex thanks you"]),  # fmt: skip
        metric_score("compare_docx_files", "Documents/letter.docx", "expected/letter.docx"),
        lambda h: document(h / "expected/letter.docx", [t.replace("ACME", "Globex") for t in LETTER]),
    ),
    Scenario(
        "docx table -> xlsx",
        "Copy the table of {H}/Documents/report.docx into a new spreadsheet "
        "{H}/Desktop/units.xlsx, numbers as numbers.",
        ["{H}/Documents/report.docx"],
        lambda h: document(h / "Documents/report.docx", ["Units by region"], REPORT_TABLE),
        plan(["{H}/Documents/report.docx"], "{H}/Desktop/units.xlsx", "docx table to xlsx",
             "import docx, openpyxl\nt = docx.Document('{H}/Documents/report.docx').tables[0]\n"
             "b = openpyxl.Workbook()\ns = b.active\nfor row in t.rows:\n"
             "    s.append([int(c.text) if c.text.isdigit() else c.text for c in row.cells])\n"
             "b.save('{H}/Desktop/units.xlsx')", expect=["North\t140"]),  # fmt: skip
        table_score("Desktop/units.xlsx", "expected/units.xlsx"),
        lambda h: book(h / "expected/units.xlsx", [REPORT_TABLE[0]]
                       + [[r, int(u)] for r, u in REPORT_TABLE[1:]]),  # fmt: skip
    ),
    Scenario(
        "csv -> xlsx (LibreOffice)",
        "Convert {H}/Documents/ledger.csv into an Excel workbook in the same folder.",
        ["{H}/Documents/ledger.csv"],
        lambda h: (h / "Documents").mkdir(parents=True, exist_ok=True)
        or (h / "Documents/ledger.csv").write_text(_csv_of(LEDGER)),
        plan(["{H}/Documents/ledger.csv"], "{H}/Documents/ledger.xlsx", "csv to xlsx (soffice)",
             method="convert", convert_to="xlsx", expect=["Coffee\t4"]),
        table_score("Documents/ledger.xlsx", "expected/ledger.xlsx"),
        lambda h: book(h / "expected/ledger.xlsx", LEDGER),
    ),
    Scenario(
        "pdf -> text file",
        "Put the text of {H}/Documents/paper.pdf into {H}/Documents/paper.txt.",
        ["{H}/Documents/paper.pdf"],
        lambda h: simple_pdf(h / "Documents/paper.pdf", PAPER),
        plan(["{H}/Documents/paper.pdf"], "{H}/Documents/paper.txt", "pdf text to txt",
             "import pypdf\nr = pypdf.PdfReader('{H}/Documents/paper.pdf')\n"
             "open('{H}/Documents/paper.txt', 'w').write("
             "'\\n'.join(p.extract_text() for p in r.pages))",
             expect=["Revenue grew by 12 percent"]),  # fmt: skip
        metric_score("compare_text_file", "Documents/paper.txt", "expected/paper.txt",
                     ignore_blanks=True),  # fmt: skip
        lambda h: (h / "expected").mkdir(parents=True, exist_ok=True)
        or (h / "expected/paper.txt").write_text("\n".join(PAPER)),
    ),
    Scenario(
        "folder -> zip",
        "Pack the text files in the folder {H}/Documents/notes into {H}/Desktop/notes.zip "
        "(file names only, no folders).",
        ["{H}/Documents/notes"],
        lambda h: _write_text_files(h / "Documents/notes", NOTES),
        plan(["{H}/Documents/notes"], "{H}/Desktop/notes.zip", "zip the .txt files",
             "import pathlib, zipfile\nsrc = pathlib.Path('{H}/Documents/notes')\n"
             "with zipfile.ZipFile('{H}/Desktop/notes.zip', 'w') as z:\n"
             "    for f in sorted(src.glob('*.txt')):\n        z.write(f, f.name)",
             expect=["a.txt", "c.txt"]),  # fmt: skip
        metric_score("compare_zip_files", "Desktop/notes.zip", "expected/notes.zip"),
        lambda h: (h / "expected").mkdir(parents=True, exist_ok=True)
        or _zip(h / "expected/notes.zip", NOTES),
    ),
    Scenario(
        "xlsx: answer a question",
        "What is the total of the Amount column in {H}/Desktop/expenses.xlsx?",
        ["{H}/Desktop/expenses.xlsx"],
        lambda h: book(h / "Desktop/expenses.xlsx", EXPENSES),
        plan(["{H}/Desktop/expenses.xlsx"], "{H}/Desktop/expenses.xlsx", "sum Amount",
             "import openpyxl\ns = openpyxl.load_workbook('{H}/Desktop/expenses.xlsx').active\n"
             "print(sum(r[1] for r in s.iter_rows(min_row=2, values_only=True)))",
             answer=True, expected_answer="1234"),  # fmt: skip
        lambda h, episode: METRICS["exact_match"](episode.answer, {"expected": "1234"}),
    ),
    Scenario(
        "pptx titles -> text",
        "List the slide titles of {H}/Desktop/deck.pptx, one per line, in {H}/Desktop/titles.txt.",
        ["{H}/Desktop/deck.pptx"],
        lambda h: _slides(h / "Desktop/deck.pptx"),
        plan(["{H}/Desktop/deck.pptx"], "{H}/Desktop/titles.txt", "slide titles to txt",
             "import pptx\nd = pptx.Presentation('{H}/Desktop/deck.pptx')\n"
             "open('{H}/Desktop/titles.txt', 'w').write("
             "'\\n'.join(s.shapes.title.text for s in d.slides) + '\\n')",
             expect=["Our plan", "Questions"]),  # fmt: skip
        metric_score("compare_text_file", "Desktop/titles.txt", "expected/titles.txt"),
        lambda h: (h / "expected").mkdir(parents=True, exist_ok=True)
        or (h / "expected/titles.txt").write_text("\n".join(SLIDE_TITLES) + "\n"),
    ),
]
