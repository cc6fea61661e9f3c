"""pdf_from_url, info_from_website and the recreation.gov getter through a real Chromium (CDP)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from osworld_eval.getters import GETTERS, GetterContext, LocalEvalEnv, web_pages
from tests.osworld import builders

pytestmark = pytest.mark.gui

PROFILE = """<html><head><title>Scholar</title></head><body>
<div id="name">Ada Lovelace</div><a id="paper" href="{next}">Notes on the Engine</a>
</body></html>"""
PAPER = """<html><body><div id="link"><a href="https://example.org/notes.pdf">PDF</a></div>
</body></html>"""
HOME = """<html><body><input id="hero-search-input"
  onkeydown="if (event.key === 'Enter') location.href = '{results}?q=' + this.value"></body></html>"""
RESULTS = """<html><body><a href="#">Diamond Lake</a> <a href="{place}" target="_blank">Diamond</a>
</body></html>"""
PLACE = """<html><body><button onclick="document.getElementById('t').hidden = false">
Next Available</button><table id="t" hidden><tr>
<th class="camp-sortable-column-header">Site</th><th class="camp-sortable-column-header">Loop</th>
<th class="camp-sortable-column-header">Jun 7</th></tr></table></body></html>"""


def _env(tmp_path: Path, cdp: str) -> LocalEvalEnv:
    return LocalEvalEnv(cache_dir=tmp_path / "cache", cdp_url=cdp, root=tmp_path / "vm")


def get(env: LocalEvalEnv, spec: dict) -> object:
    return GETTERS[spec["type"]](GetterContext(env=env, task_id="t"), spec)


def test_pdf_from_url_prints_the_page(chromium_cdp: str, tmp_path: Path) -> None:
    page = builders.text(tmp_path / "post.html", "<h1>Agents</h1><p>Planning and memory.</p>")
    spec = {"type": "pdf_from_url", "path": Path(page).as_uri(), "dest": "gold.pdf"}
    printed = get(_env(tmp_path, chromium_cdp), spec)
    assert printed == str(tmp_path / "cache" / "t" / "gold.pdf")
    text = PdfReader(str(printed)).pages[0].extract_text()
    assert "Agents" in text and "Planning and memory." in text


def test_info_from_website_reads_and_clicks(chromium_cdp: str, tmp_path: Path) -> None:
    paper = Path(builders.text(tmp_path / "paper.html", PAPER)).as_uri()
    profile = Path(builders.text(tmp_path / "p.html", PROFILE.format(next=paper))).as_uri()
    spec = {
        "type": "info_from_website",
        "url": profile,
        "infos": [
            {"action": "inner_text", "selector": "#name"},
            {"action": "attribute", "selector": "#paper", "attribute": "id"},
            {"action": "click_and_attribute", "selector": ["#paper", "#link a"],
             "attribute": "href"},
        ],
        "backups": ["x", "y", "z"],
    }  # fmt: skip
    assert get(_env(tmp_path, chromium_cdp), spec) == [
        "Ada Lovelace",
        "paper",
        "https://example.org/notes.pdf",
    ]
    offline = {**spec, "url": "http://127.0.0.1:9/"}  # nothing listens: the backups stand in
    assert get(_env(tmp_path, chromium_cdp), offline) == ["x", "y", "z"]


def test_recreation_next_available(
    chromium_cdp: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    place = Path(builders.text(tmp_path / "place.html", PLACE)).as_uri()
    results = Path(builders.text(tmp_path / "results.html", RESULTS.format(place=place))).as_uri()
    home = builders.text(tmp_path / "home.html", HOME.format(results=results))
    monkeypatch.setattr(web_pages, "RECREATION_URL", Path(home).as_uri())
    spec = {
        "type": "gotoRecreationPage_and_get_html_content",
        "selector": "class",
        "class": "camp-sortable-column-header",
        "order": "2",
    }
    env = _env(tmp_path, chromium_cdp)
    assert get(env, spec) == {"expected": {"camp-sortable-column-header": "Jun 7"}}


def test_rtl_page_printed_by_chromium_reads_as_pymupdf_reads_it(
    chromium_cdp: str, tmp_path: Path
) -> None:
    from osworld_eval.metrics.pdf import pdf_text

    page = builders.text(
        tmp_path / "rtl.html",
        '<meta charset="utf-8"><p dir="rtl">שלום עולם hello 123</p><p>مرحبا بالعالم</p>'
        '<p dir="rtl">עברית (בסוגריים) 2024</p>',
    )
    spec = {"type": "pdf_from_url", "path": Path(page).as_uri(), "dest": "rtl.pdf"}
    printed = get(_env(tmp_path, chromium_cdp), spec)
    # What PyMuPDF (OSWorld's reader) extracts from Chromium's PDF of this page, measured.
    assert pdf_text(str(printed)) == ("hello 123 שלום עולם\nمرحبا بالعالم\n2024 )עברית (בסוגריים")
