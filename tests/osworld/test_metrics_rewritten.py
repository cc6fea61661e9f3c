"""Edge cases of the evaluators rewritten from a statement of behaviour (issue 7, item 7).

Each function: what scores 1, what scores 0, and input that is the task's fault (nothing to
compare with) raising a clear error, which `evaluate` reports as `evaluator_error`.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from PIL import Image

from osworld_eval.getters import GETTERS, GetterContext, LocalEvalEnv
from osworld_eval.getters.chrome_tabs import url_segment
from osworld_eval.metrics import archives, docs, images, json_checks
from osworld_eval.metrics.urls import compare_urls, site_name
from tests.osworld import builders


def test_docx_tables_whole_grid_and_order(tmp_path: Path) -> None:
    gold = builders.docx(tmp_path / "g.docx", ["t"], table=[["Item", "Price"], ["Tea", "3"]])
    extra_row = builders.docx(
        tmp_path / "r.docx", ["t"], table=[["Item", "Price"], ["Tea", "3"], ["", ""]]
    )
    assert docs.compare_docx_tables(extra_row, gold) == 0.0
    assert docs.compare_docx_tables(None, gold) == 0.0
    assert docs.compare_docx_tables(builders.text(tmp_path / "x.docx", "junk"), gold) == 0.0
    with pytest.raises(ValueError, match="no tables"):
        docs.compare_docx_tables(gold, builders.docx(tmp_path / "n.docx", ["no table"]))


def test_references_graded_and_edge_cases(tmp_path: Path) -> None:
    gold = builders.docx(tmp_path / "g.docx", ["Body", "References", "Ref one.", "Ref two."])
    same = builders.docx(tmp_path / "s.docx", ["Other body", "References", "Ref one.", "Ref two."])
    shorter = builders.docx(tmp_path / "h.docx", ["References", "Ref one."])
    assert docs.compare_references(same, gold) == 1.0
    assert docs.compare_references(shorter, gold) == 0.0
    assert docs.compare_references(None, gold) == 0.0
    with pytest.raises(ValueError, match="no entries"):
        docs.compare_references(same, builders.docx(tmp_path / "e.docx", ["References", ""]))
    with pytest.raises(ValueError, match="no entries"):
        docs.compare_references(same, builders.docx(tmp_path / "nh.docx", ["Body"]))


def test_image_list_one_for_one(tmp_path: Path) -> None:
    gold = [builders.picture(tmp_path / f"g{i}.png", shade=10 * i) for i in range(2)]
    same = [builders.picture(tmp_path / f"s{i}.png", shade=10 * i) for i in range(2)]
    assert images.compare_image_list(same, gold) == 1.0
    assert images.compare_image_list(same[::-1], gold) == 0.0  # paired in order
    assert images.compare_image_list(same[:1], gold) == 0.0
    assert images.compare_image_list([same[0], None], gold) == 0.0
    palette = tmp_path / "p.png"
    Image.open(gold[0]).convert("P", palette=Image.Palette.ADAPTIVE, colors=256).save(palette)
    assert images.compare_image_list(str(palette), gold[0]) == 1.0  # storage mode is no change
    bigger = builders.picture(tmp_path / "b.png", size=(128, 96))
    assert images.compare_image_list(bigger, gold[0]) == 0.0
    with pytest.raises(ValueError, match="no gold images"):
        images.compare_image_list([], [])


def _zip(path: Path, files: dict[str, bytes]) -> str:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return str(path)


def test_zip_files_pdf_members_by_text(tmp_path: Path) -> None:
    pdf = Path(builders.minimal_pdf(tmp_path / "a.pdf", ["Essay on health workers"])).read_bytes()
    other = Path(builders.minimal_pdf(tmp_path / "b.pdf", ["A shopping list"])).read_bytes()
    reexported = pdf.replace(b"%PDF-1.4", b"%PDF-1.5")  # other bytes, same text
    gold = _zip(tmp_path / "g.zip", {"essay/": b"", "essay/e.pdf": pdf, "n.txt": b"x"})
    assert archives.compare_zip_files(_zip(tmp_path / "1.zip", {"essay/e.pdf": reexported,
                                                                "n.txt": b"x"}), gold) == 1.0  # fmt: skip
    assert archives.compare_zip_files(_zip(tmp_path / "2.zip", {"essay/e.pdf": other,
                                                                "n.txt": b"x"}), gold) == 0.0  # fmt: skip
    assert archives.compare_zip_files(builders.text(tmp_path / "3.zip", "not a zip"), gold) == 0.0
    with pytest.raises(ValueError, match="holds no files"):
        archives.compare_zip_files(gold, _zip(tmp_path / "e.zip", {}))


def test_compare_config_text(tmp_path: Path) -> None:
    written = builders.text(tmp_path / "OpenProject.txt", "project\n")
    assert json_checks.compare_config(written, {"expected": "project"}) == 1.0
    assert json_checks.compare_config(written, {"expected": "other"}) == 0.0
    assert json_checks.compare_config(None, {"expected": "project"}) == 0.0
    assert json_checks.compare_config(str(tmp_path / "absent"), {"expected": "project"}) == 0.0
    with pytest.raises(ValueError, match="no expected text"):
        json_checks.compare_config(written, {"expected": ""})


def test_url_pieces_and_query_params(tmp_path: Path) -> None:
    weather = "https://www.accuweather.com/en/gb/manchester/m15-6/november-weather/329260?x=1"
    assert url_segment(weather, -2, drop_query=False) == "november-weather"
    assert url_segment(weather, -1, drop_query=True) == "329260"
    assert url_segment(weather, 2, drop_query=False) == "www.accuweather.com"
    assert url_segment(weather, 40, drop_query=False) is None
    env = LocalEvalEnv(cache_dir=tmp_path)
    env.accessibility_xml = (
        "<desktop-frame><application name='Chromium'>"
        "<entry name='Address and search bar'>car.example/s?zip=10001&amp;fuel=ev,hybrid</entry>"
        "</application></desktop-frame>"
    )
    ctx = GetterContext(env=env, task_id="t")
    parsed = GETTERS["active_tab_url_parse"](
        ctx, {"parse_keys": ["zip", "fuel", "absent"], "replace": {"zip": "code"}}
    )
    assert parsed == {"code": "10001", "fuel": "ev,hybrid", "absent": ""}
    split = GETTERS["active_tab_url_parse"](ctx, {"parse_keys": ["fuel"], "split_list": True})
    assert split == {"fuel": ["ev", "hybrid"]}
    dash = {"partIndex": -1, "returnType": "json", "key": "page", "needDeleteId": True}
    assert GETTERS["url_dashPart"](ctx, dash) == {"page": "s"}
    with pytest.raises(ValueError, match="returnType"):
        GETTERS["url_dashPart"](ctx, {**dash, "returnType": "xml"})


@pytest.mark.parametrize(
    ("host", "site"),
    [
        ("www.bbc.co.uk", "bbc"),
        ("www.lib.k12.ca.us", "lib"),  # deep public suffix, then www dropped
        ("lib.k12.ca.us", "lib"),
        ("maps.google.com", "maps.google"),
        ("foo.internal", "foo.internal"),  # no listed suffix: nothing is dropped
        ("WWW.Example.COM:8080", "example"),
        ("127.0.0.1", "127.0.0.1"),
    ],
)
def test_public_suffix_from_the_maintained_list(host: str, site: str) -> None:
    assert site_name(host) == site


def test_deep_suffix_urls() -> None:
    assert compare_urls("https://www.lausd.k12.ca.us/x", "https://lausd.k12.ca.us/x")
    assert not compare_urls("https://lausd.k12.ca.us/x", "https://ca.us/x")


def _macys(tmp_path: Path, shown: str) -> object:
    env = LocalEvalEnv(cache_dir=tmp_path)
    env.accessibility_xml = (
        "<desktop-frame><application name='Chromium'><entry name='Address and search bar'>"
        f"{shown}</entry></application></desktop-frame>"
    )
    keys = ["mens_clothing", "shirts", "Men_regular_size_t", "Price_discount_range", "short_sleeve"]
    return GETTERS["url_path_parse"](GetterContext(env=env, task_id="t"), {"parse_keys": keys})


def test_url_path_parse_reads_a_listings_filters(tmp_path: Path) -> None:
    base = "macys.com/shop/mens-clothing/mens-short-sleeve-shirts/Men_regular_size_t,Price_discount_range"
    half = _macys(
        tmp_path, f"{base}/L,50_PERCENT_%20off%20%26%20more%7C70_PERCENT_%20off%20%26%20more?id=1"
    )
    assert half == {
        "mens_clothing": True, "shirts": True, "short_sleeve": True,
        "Men_regular_size_t": "L", "Price_discount_range": "50_PERCENT_ off & more",
    }  # fmt: skip
    less = _macys(
        tmp_path, f"{base}/M,30_PERCENT_%20off%20%26%20more%7C50_PERCENT_%20off%20%26%20more"
    )
    assert isinstance(less, dict) and less["Men_regular_size_t"] == "M"
    assert less["Price_discount_range"] == "not_50_PERCENT_ off & more"
    bare = _macys(tmp_path, "macys.com/shop/womens-clothing/dresses")
    assert bare == {
        "mens_clothing": None, "shirts": None, "short_sleeve": None,
        "Men_regular_size_t": None, "Price_discount_range": "not_50_PERCENT_ off & more",
    }  # fmt: skip
