"""compare_pptx_files and compare_audios on decks and recordings generated here."""

from __future__ import annotations

from pathlib import Path

import pytest

from osworld_eval.metrics import METRICS, unsupported_options
from osworld_eval.metrics.audio_similarity import compare_audios
from osworld_eval.metrics.slides import compare_pptx_files
from tests.osworld import builders

SLIDES = [["Lecture 1", "Agenda"], ["Results"]]


def test_pptx_speaker_notes_decide_the_score(tmp_path: Path) -> None:
    gold = builders.pptx(tmp_path / "gold.pptx", SLIDES, notes=["Welcome everyone", "Show chart"])
    done = builders.pptx(tmp_path / "done.pptx", SLIDES, notes=["Welcome everyone", "Show chart"])
    half = builders.pptx(tmp_path / "half.pptx", SLIDES, notes=["Welcome everyone", ""])
    options = {"examine_shape": False, "examine_bullets": False}  # the notes task's options
    assert compare_pptx_files(done, gold, **options) == 1.0
    assert compare_pptx_files(half, gold, **options) == 0.0


def test_pptx_aspects_follow_the_options(tmp_path: Path) -> None:
    gold = builders.pptx(tmp_path / "gold.pptx", SLIDES)
    moved = builders.pptx(tmp_path / "moved.pptx", SLIDES, left_inches=2.0)
    bolded = builders.pptx(tmp_path / "bold.pptx", SLIDES, bold=True)
    retyped = builders.pptx(tmp_path / "retyped.pptx", [["Lecture 1", "Agenda!"], ["Results"]])
    fewer = builders.pptx(tmp_path / "fewer.pptx", SLIDES[:1])
    assert compare_pptx_files(moved, gold) == 0.0
    assert compare_pptx_files(moved, gold, examine_shape=False) == 1.0
    assert compare_pptx_files(bolded, gold) == 0.0
    assert compare_pptx_files(bolded, gold, examine_font_bold=False) == 1.0
    assert compare_pptx_files(retyped, gold, examine_shape=False) == 0.0
    assert compare_pptx_files(fewer, gold) == 0.0


def test_pptx_missing_or_broken_result_scores_0_and_unknown_options_are_named(
    tmp_path: Path,
) -> None:
    gold = builders.pptx(tmp_path / "gold.pptx", SLIDES)
    assert compare_pptx_files(None, gold) == 0.0
    assert compare_pptx_files(builders.text(tmp_path / "x.pptx", "not a deck"), gold) == 0.0
    assert unsupported_options("compare_pptx_files", {"examine_shape": False}) == []
    assert unsupported_options("compare_pptx_files", {"examine_wobble": True}) == [
        "compare_pptx_files examine_wobble"
    ]
    with pytest.raises(ValueError, match="examine_wobble"):
        compare_pptx_files(gold, gold, examine_wobble=True)
    assert METRICS["compare_pptx_files"] is compare_pptx_files


def test_compare_audios_hears_the_same_sound_through_resampling(tmp_path: Path) -> None:
    gold = builders.wav(tmp_path / "gold.wav", tone_hz=440)
    resampled_quieter = builders.wav(tmp_path / "r.wav", tone_hz=440, rate=16_000, amplitude=0.2)
    noise = builders.wav(tmp_path / "noise.wav", tone_hz=None)
    assert compare_audios(gold, gold) == pytest.approx(1.0)
    assert compare_audios(resampled_quieter, gold) > 0.99
    assert compare_audios(noise, gold) < 0.7
    silent = builders.wav(tmp_path / "silent.wav", tone_hz=440, seconds=0)
    assert compare_audios(silent, gold) == 0.0
    assert compare_audios(silent, silent) == 1.0
    assert compare_audios(None, gold) == 0.0
    assert compare_audios(builders.text(tmp_path / "x.wav", "not audio"), gold) == 0.0
    assert METRICS["compare_audios"] is compare_audios
