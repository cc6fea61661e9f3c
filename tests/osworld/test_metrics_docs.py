"""Document, PDF and image metrics on generated .docx, PDF and PNG pairs."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from osworld_eval.metrics import docs, images, pdf
from tests.osworld import builders

TEXT = ["Dear team,", "", "The meeting moved to  Friday.", "Regards"]


def test_compare_docx_files_options(tmp_path: Path) -> None:
    gold = builders.docx(tmp_path / "gold.docx", TEXT)
    same = builders.docx(tmp_path / "same.docx", TEXT)
    spaced = builders.docx(
        tmp_path / "spaced.docx", ["Dear team,", "The meeting moved to Friday.", "Regards"]
    )
    upper = builders.docx(tmp_path / "upper.docx", [t.upper() for t in TEXT])
    shuffled = builders.docx(
        tmp_path / "shuffled.docx", ["Regards", "", "The meeting moved to  Friday.", "Dear team,"]
    )
    wrong = builders.docx(
        tmp_path / "wrong.docx", ["Dear team,", "", "The meeting is cancelled.", "Regards"]
    )

    assert docs.compare_docx_files(same, gold) == 1.0
    assert docs.compare_docx_files(spaced, gold) == 1.0  # ignore_blanks defaults on
    assert docs.compare_docx_files(spaced, gold, ignore_blanks=False) == 0.0
    assert docs.compare_docx_files(upper, gold) == 0.0
    assert docs.compare_docx_files(upper, gold, ignore_case=True) == 1.0
    assert docs.compare_docx_files(shuffled, gold) == 0.0
    assert docs.compare_docx_files(shuffled, gold, ignore_order=True) == 1.0
    assert docs.compare_docx_files(wrong, gold) == 0.0
    fuzzy = docs.compare_docx_files(wrong, gold, content_only=True)
    assert 0.5 < fuzzy < 1.0
    assert docs.compare_docx_files(wrong, gold, ignore_blanks=False, fuzzy_match=True) < 1.0
    assert docs.compare_docx_files(None, gold) == 0.0
    junk = builders.text(tmp_path / "junk.docx", "not a docx")
    assert docs.compare_docx_files(junk, gold) == 0.0
    no_empty = builders.docx(tmp_path / "noempty.docx", [t for t in TEXT if t])
    opts = {"ignore_blanks": False, "delete_empty_lines": True}
    assert docs.compare_docx_files(no_empty, gold, **opts) == 1.0
    assert docs.compare_docx_files_and_ignore_new_lines(no_empty, gold) == 1.0
    assert docs.compare_docx_files_and_ignore_new_lines(wrong, gold) == 0.0


def test_compare_docx_tables(tmp_path: Path) -> None:
    grid = [["Name", "Env"], ["OSWorld", " Ubuntu "]]
    gold = builders.docx(tmp_path / "g.docx", ["t"], table=grid)
    assert (
        docs.compare_docx_tables(
            builders.docx(
                tmp_path / "a.docx", ["x"], table=[["Name", "Env"], ["OSWorld", "Ubuntu"]]
            ),
            gold,
        )
        == 1.0
    )
    assert (
        docs.compare_docx_tables(
            builders.docx(
                tmp_path / "b.docx", ["t"], table=[["Name", "Env"], ["OSWorld", "Windows"]]
            ),
            gold,
        )
        == 0.0
    )
    assert docs.compare_docx_tables(builders.docx(tmp_path / "c.docx", ["t"]), gold) == 0.0


def test_compare_docx_images(tmp_path: Path) -> None:
    pic = Path(builders.picture(tmp_path / "p.png"))
    other = Path(builders.picture(tmp_path / "q.png", shade=40))
    gold = builders.docx(tmp_path / "g.docx", ["x"], image=pic)
    assert (
        docs.compare_docx_images(builders.docx(tmp_path / "a.docx", ["y"], image=pic), gold) == 1.0
    )
    assert (
        docs.compare_docx_images(builders.docx(tmp_path / "b.docx", ["x"], image=other), gold)
        == 0.0
    )
    assert docs.compare_docx_images(builders.docx(tmp_path / "c.docx", ["x"]), gold) == 0.0


def test_compare_references(tmp_path: Path) -> None:
    body = ["Intro", "References"]
    gold = builders.docx(
        tmp_path / "g.docx", body + ["A. Author. Paper one. 2020.", "B. Writer. Paper two. 2021."]
    )
    good = builders.docx(
        tmp_path / "a.docx",
        body + ["A. Author. Paper one. 2020", "", "B. Writer. Paper two. 2021."],
    )
    bad = builders.docx(
        tmp_path / "b.docx", body + ["Completely different text here", "Nothing alike at all!!"]
    )
    assert docs.compare_references(good, gold, reference_base_result=0.6) > 0.9
    assert docs.compare_references(bad, gold, reference_base_result=0.6) == 0.0
    assert docs.compare_references(builders.docx(tmp_path / "c.docx", ["Intro"]), gold) == 0.0


def test_compare_pdfs_handwritten(tmp_path: Path) -> None:
    gold = builders.minimal_pdf(tmp_path / "gold.pdf", ["Invoice 243729", "Total: 120.00 USD"])
    same = builders.minimal_pdf(tmp_path / "same.pdf", ["Invoice 243729", "Total: 120.00 USD"])
    other = builders.minimal_pdf(tmp_path / "other.pdf", ["Weekly menu", "Soup and bread"])
    assert pdf.compare_pdfs(same, gold) == 1.0
    assert pdf.compare_pdfs(other, gold) < 0.5
    assert pdf.compare_pdfs([same, other], [gold, gold]) == pytest.approx(
        (1.0 + pdf.compare_pdfs(other, gold)) / 2
    )
    assert pdf.compare_pdfs(None, gold) == 0.0
    assert pdf.compare_pdfs(builders.text(tmp_path / "bad.pdf", "no"), gold) == 0.0


@pytest.mark.slow
def test_compare_pdfs_from_libreoffice(office_pdfs: dict[str, str]) -> None:
    assert pdf.compare_pdfs(office_pdfs["report"], office_pdfs["report"]) == 1.0
    assert pdf.compare_pdfs(office_pdfs["other"], office_pdfs["report"]) < 0.6
    assert "Revenue grew" in pdf.pdf_text(office_pdfs["report"])


def _pdf_with_image(path: Path, image: Image.Image) -> str:
    image.save(path, "PDF")
    return str(path)


def test_compare_pdf_images(tmp_path: Path) -> None:
    base = Image.open(builders.picture(tmp_path / "a.png", size=(120, 90)))
    gold = _pdf_with_image(tmp_path / "gold.pdf", base)
    same = _pdf_with_image(tmp_path / "same.pdf", base.copy())
    flipped = _pdf_with_image(tmp_path / "flip.pdf", base.transpose(Image.Transpose.ROTATE_180))
    text_only = builders.minimal_pdf(tmp_path / "text.pdf", ["no images"])
    assert pdf.compare_pdf_images(same, gold) == 1.0
    assert pdf.compare_pdf_images(flipped, gold) == 0.0
    assert pdf.compare_pdf_images(text_only, gold) == 0.0
    assert pdf.compare_pdf_images(text_only, text_only) == 1.0
    assert pdf.compare_pdf_images(None, gold) == 0.0


def test_ssim_properties() -> None:
    rng = np.random.default_rng(1)
    a = np.tile(np.linspace(0, 255, 40), (32, 1)).astype(np.uint8)
    assert images.ssim(a, a) == pytest.approx(1.0)
    noisy = np.clip(a.astype(int) + rng.integers(-60, 60, a.shape), 0, 255).astype(np.uint8)
    assert images.ssim(a, noisy) < 0.5
    assert images.ssim(a, (255 - a).astype(np.uint8)) < 0
    rgb = np.stack([a, a, a], axis=-1)
    assert images.ssim(rgb, rgb) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        images.ssim(a, a[:10])


def test_compare_images_and_structure(tmp_path: Path) -> None:
    gold = builders.picture(tmp_path / "gold.png", size=(80, 60))
    same = builders.picture(tmp_path / "same.png", size=(80, 60))
    blank = builders.picture(tmp_path / "blank.png", size=(80, 60), box=False)
    bigger = builders.picture(tmp_path / "big.png", size=(160, 120))
    assert images.compare_images(same, gold) == pytest.approx(1.0)
    assert images.compare_images(blank, gold) < 0.9
    assert images.compare_images(same, gold, reference_base_result=0.5) == pytest.approx(1.0)
    assert images.compare_images(blank, gold, reference_base_result=0.99) == 0.0
    assert images.compare_images(None, gold) == 0
    empty = builders.text(tmp_path / "wallpaper.png", "")  # vm_wallpaper's "no wallpaper" file
    assert images.compare_images(empty, gold) == 0.0
    assert images.compare_image_list([empty], [gold]) == 0.0
    assert images.check_structure_sim(same, gold) == 1.0
    assert images.check_structure_sim(blank, gold) == 0.0
    assert images.check_structure_sim(bigger, gold) == 0.0  # sizes differ
    assert images.check_structure_sim_with_threshold(bigger, gold, ssim_threshold=0.5) == 1.0
    assert images.check_structure_sim_with_threshold(blank, gold, ssim_threshold=0.95) == 0.0
    assert images.compare_image_list([same], [gold]) == 1.0
    assert images.compare_image_list(blank, gold) == 0.0


def test_brightness_size_and_file_size(tmp_path: Path) -> None:
    original = Image.open(builders.picture(tmp_path / "o.png", size=(60, 40)))
    darker = original.point(lambda v: int(v * 0.6))
    darker.save(tmp_path / "d.png")
    assert (
        images.check_brightness_decrease_and_structure_sim(
            str(tmp_path / "d.png"), str(tmp_path / "o.png")
        )
        == 1.0
    )
    assert (
        images.check_brightness_decrease_and_structure_sim(
            str(tmp_path / "o.png"), str(tmp_path / "d.png")
        )
        == 0.0
    )
    assert images.check_image_size(str(tmp_path / "o.png"), {"width": 60, "height": 40}) == 1.0
    assert images.check_image_size(str(tmp_path / "o.png"), {"width": 61}) == 0.0
    rgba = Image.new("RGBA", (50, 50), (0, 0, 0, 0))
    rgba.paste((255, 0, 0, 255), (10, 10, 30, 20))
    rgba.save(tmp_path / "t.png")
    assert (
        images.check_image_size(
            str(tmp_path / "t.png"), {"width": 20, "height": 10, "ignore_transparent": True}
        )
        == 1.0
    )
    assert images.check_image_file_size(str(tmp_path / "o.png"), {"max_size": 500_000}) == 1.0
    assert images.check_image_file_size(str(tmp_path / "o.png"), {"max_size": 10}) == 0.0


def test_phash_matches_its_definition(tmp_path: Path) -> None:
    img = Image.open(builders.picture(tmp_path / "p.png", size=(90, 70)))
    bits = images.phash_bits(img)
    assert bits.shape == (8, 8) and bits.dtype == bool
    slightly = img.resize((88, 68)).resize((90, 70))
    assert np.count_nonzero(bits != images.phash_bits(slightly)) <= 5
    buf = io.BytesIO()
    img.transpose(Image.Transpose.ROTATE_180).save(buf, "PNG")
    assert np.count_nonzero(bits != images.phash_bits(Image.open(buf))) > 5


@pytest.mark.slow
def test_compare_image_text_with_ocr(tmp_path: Path) -> None:
    from PIL import ImageDraw, ImageFont

    if not images.shutil.which("tesseract"):
        pytest.skip("tesseract is not installed")
    img = Image.new("RGB", (400, 100), "white")
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont
    try:
        font = ImageFont.truetype("DejaVuSans.ttf", 40)
    except OSError:
        font = ImageFont.load_default()
    ImageDraw.Draw(img).text((10, 20), "echo hello", fill="black", font=font)
    img.save(tmp_path / "shot.png")
    assert (
        images.compare_image_text(str(tmp_path / "shot.png"), {"type": "text", "text": "hello"})
        == 1.0
    )
    assert (
        images.compare_image_text(str(tmp_path / "shot.png"), {"type": "text", "text": "pwd"})
        == 0.0
    )
    assert images.compare_image_text(None, {"type": "text", "text": "ls"}) == 0


def test_odt_headers_footers_and_inline_markup_count(tmp_path: Path) -> None:
    body = ["Minutes of the meeting", 'Budget:<text:s text:c="2"/>approved <text:a xlink:href="x">'
            "<text:span>link</text:span></text:a>"]  # fmt: skip
    gold = builders.odt(tmp_path / "g.odt", body, header="ACME Corp", footer="Page 1")
    same = builders.odt(tmp_path / "s.odt", body, header="ACME Corp", footer="Page 1")
    other_footer = builders.odt(tmp_path / "f.odt", body, header="ACME Corp", footer="Draft")
    no_header = builders.odt(tmp_path / "h.odt", body, footer="Page 1")
    assert docs._odt_paragraphs(gold) == [
        "ACME Corp", "Page 1", "Minutes of the meeting", "Budget:  approved link"
    ]  # fmt: skip
    assert docs.compare_docx_files(same, gold) == 1.0
    assert docs.compare_docx_files(other_footer, gold) == 0.0  # differs only in the footer
    assert docs.compare_docx_files(no_header, gold) == 0.0
    ratio = docs.compare_docx_files(other_footer, gold, content_only=True)
    assert 0.8 < ratio < 1.0


def test_pdf_pages_end_in_a_newline(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    def pages(name: str, texts: list[str]) -> str:
        writer = PdfWriter()
        for i, text in enumerate(texts):
            writer.append(builders.minimal_pdf(tmp_path / f"{name}{i}.pdf", [text]))
        writer.write(tmp_path / f"{name}.pdf")
        return str(tmp_path / f"{name}.pdf")

    two = pages("two", ["abc", "def"])
    one = pages("one", ["abcdef"])
    assert pdf.pdf_text(two) == "abc\ndef"  # PyMuPDF ends every page with a newline
    assert pdf.compare_pdfs(two, one) == pytest.approx(2 * 6 / 13)
    assert pdf.compare_pdfs(two, pages("again", ["abc", "def"])) == 1.0


def test_pdf_right_to_left_text_as_osworld_reads_it() -> None:
    # pypdf's raw text of a Chromium-printed page, and PyMuPDF's text of the same page.
    raw = "ﻣﺮﺣﺒﺎ ﺑﺎﻟﻌﺎﻟﻢ\n2024 (עברית )בסוגריים\nsee (note) here"
    assert pdf.page_text(raw) == "مرحبا بالعالم\n2024 )עברית (בסוגריים\nsee (note) here\n"
