"""`gui-agent bench grounding`: the grounding benchmark over the captured data set (bench.py)."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from gui_agent.errors import GuiAgentError
from gui_agent.grounding.bench import (
    SIGMAS,
    GroundingReport,
    bench_model_tier,
    bench_ocr_near_hint,
    bench_snapping,
    bench_stabilized_tier,
)
from gui_agent.grounding.dataset import DEFAULT_DATA_DIR, load_scenes
from gui_agent.grounding.elements import TIERS, Tier
from gui_agent.grounding.ocr import OcrEngine
from gui_agent.plural import counted

console = Console(stderr=True)


def _tiers(text: str) -> list[Tier]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in names if name not in TIERS]
    if unknown or not names:
        raise click.BadParameter(f"choose from {', '.join(TIERS)}; got {text!r}")
    return [tier for tier in TIERS if tier in names]


@click.command()
@click.option("--data", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=DEFAULT_DATA_DIR, show_default=True, help="Folder of scenes (PNG + JSON).")  # fmt: skip
@click.option("--tiers", default=",".join(TIERS), show_default=True, help="Tiers to measure.")
@click.option("--model", default=None, metavar="SPEC",
              help="A real model for the model tier [default: a scripted oracle].")  # fmt: skip
@click.option("--model-sample", type=click.IntRange(min=1), default=60, show_default=True,
              help="Cases the model tier runs on.")  # fmt: skip
@click.option("--ocr-hint-sample", type=click.IntRange(min=0), default=40, show_default=True,
              help="Text targets OCR runs on with a hint point (0: skip).")  # fmt: skip
@click.option("--ocr-engine", type=click.Choice(["auto", "rapidocr", "tesseract"]),
              default="auto", show_default=True, help="The OCR engine of the ocr tier.")  # fmt: skip
@click.option("--no-snapping", is_flag=True, help="Skip the snapping measurement.")
@click.option("--scenes", "limit", type=click.IntRange(min=1), default=None,
              help="Only the first N scenes (by name).")  # fmt: skip
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the report as JSON here.")  # fmt: skip
def grounding(data: Path, tiers: str, model: str | None, model_sample: int,
              ocr_hint_sample: int, ocr_engine: OcrEngine, no_snapping: bool,
              limit: int | None, seed: int, out: Path | None) -> None:  # fmt: skip
    """Accuracy and latency of each grounding tier alone, and the gain of snapping."""
    chosen = _tiers(tiers)
    rng = random.Random(seed)
    try:
        scenes = load_scenes(data, limit=limit)
        report = GroundingReport(scenes=len(scenes), cases=sum(len(s.cases) for s in scenes))
        console.print(f"grounding: {counted(report.scenes, 'scene')}, "
                      f"{counted(report.cases, 'target')}, from {data}")
        for tier in chosen:
            if tier == "model":
                backend = None
                if model:
                    from gui_agent.models.registry import resolve_model

                    backend = resolve_model(model)
                report.tiers.append(bench_model_tier(scenes, model=backend, sample=model_sample,
                                                     rng=rng, progress=console.print))  # fmt: skip
            else:
                report.tiers.append(bench_stabilized_tier(scenes, tier, ocr_engine=ocr_engine,
                                                          progress=_quiet))  # fmt: skip
            if tier == "ocr" and ocr_hint_sample:
                report.tiers.append(bench_ocr_near_hint(scenes, sample=ocr_hint_sample, rng=rng,
                                                        ocr_engine=ocr_engine))  # fmt: skip
        if not no_snapping:
            report.snapping = bench_snapping(scenes, sigmas=SIGMAS, rng=rng)
    except GuiAgentError as exc:
        console.print(f"[red]error:[/red] {exc.message}")
        sys.exit(2)
    Console().print(tier_table(report))
    if report.snapping:
        Console().print(snap_table(report))
    if out is not None:
        out.write_text(json.dumps(report.model_dump(), indent=2))
        console.print(f"report: {out}")


def _quiet(line: str) -> None:
    console.print(f"[dim]{line}[/dim]")


def tier_table(report: GroundingReport) -> Table:
    table = Table(title=f"grounding tiers, each alone ({counted(report.scenes, 'scene')}, "
                        f"{counted(report.cases, 'target')})")  # fmt: skip
    for column in ("tier", "n", "hit", "text n", "text hit", "ms med", "ms p90", "cpu ms",
                   "live read ms"):  # fmt: skip
        table.add_column(column, justify="right")
    for tier in report.tiers:
        live = "" if tier.live_read_ms_median is None else f"{tier.live_read_ms_median:.0f}"
        if tier.cases == 0:
            table.add_row(tier.tier, "0", "-", "", "", "", "", "", "no scene has its source")
            continue
        name = f"{tier.tier} (hint)" if "with a hint" in tier.note else tier.tier
        table.add_row(name, str(tier.cases), f"{tier.accuracy:.1%}", str(tier.text_cases),
                      f"{tier.text_accuracy:.1%}", f"{tier.latency_ms_median:.1f}",
                      f"{tier.latency_ms_p90:.1f}", f"{tier.cpu_ms_median:.1f}", live)  # fmt: skip
    notes = [f"{t.tier}: {t.note}" for t in report.tiers if t.note]
    if notes:
        table.caption = "; ".join(notes)
    return table


def snap_table(report: GroundingReport) -> Table:
    table = Table(title="snapping: perturbed points where a matching element exists")
    for column in ("sigma px", "points", "raw hit", "snapped hit", "snapped"):
        table.add_column(column)
    for row in report.snapping:
        table.add_row(str(row.sigma), str(row.cases), f"{row.raw_hits / max(row.cases, 1):.1%}",
                      f"{row.snapped_hits / max(row.cases, 1):.1%}", str(row.snaps))  # fmt: skip
    return table
