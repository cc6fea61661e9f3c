"""`gui-agent bench grounding`: accuracy and latency per tier, and what snapping gains.

Each tier runs alone over the data set (dataset.py): accessibility tree on the scenes captured
with one, DOM on the browser scenes, OCR on every scene with the other tiers off (its accuracy
is reported on targets whose name is visible text, and on all). A case is a hit when the point
a tier returns lies inside the true box. Latency is per locate call: for a11y and DOM, reading
the stored source into elements plus matching; for OCR, reading the screenshot (once per scene)
plus matching. The live read of each source was timed at capture and is reported beside it.

The model tier runs through a scripted model by default: an oracle that answers the region, the
point and the verification from the true box with Gaussian noise (sigma 4 px) on the point; it
measures the zoom pipeline (crop, enlarge, map back, verify), not a model. `--model SPEC` runs a
real model instead.

Snapping: for every case where a stabilized tier has an element the target names, the true
centre is perturbed by Gaussian noise (sigma 10, 20, 40 px) and the hit rate is compared before
and after `snap_point`.

`--ocr-hint-sample N` also times OCR given a hint point (what snapping and `locate` with a hint
do): only the region around the hint is read.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from gui_agent.agentic import use_model
from gui_agent.grounding.dataset import Case, Scene
from gui_agent.grounding.elements import Box, Tier
from gui_agent.grounding.locate import locate_with_tiers, match_in_tier
from gui_agent.grounding.matching import Target, ranked
from gui_agent.grounding.observed import ObservedScreen
from gui_agent.grounding.ocr import REGION, OcrEngine
from gui_agent.grounding.snap import snap_point
from gui_agent.grounding.zoom import crop_box_for, zoom_factor, zoom_locate
from gui_agent.models.base import ModelRequest
from gui_agent.models.scripted import FunctionModel

SIGMAS = (10, 20, 40)
ORACLE_SIGMA = 4.0
Progress = Callable[[str], None]


class TierResult(BaseModel):
    tier: Tier
    cases: int
    hits: int
    text_cases: int = 0
    text_hits: int = 0
    latency_ms_median: float = 0.0
    latency_ms_p90: float = 0.0
    cpu_ms_median: float = 0.0
    live_read_ms_median: float | None = None
    note: str = ""

    @property
    def accuracy(self) -> float:
        return self.hits / self.cases if self.cases else 0.0

    @property
    def text_accuracy(self) -> float:
        return self.text_hits / self.text_cases if self.text_cases else 0.0


class SnapResult(BaseModel):
    sigma: int
    cases: int
    raw_hits: int
    snapped_hits: int
    snaps: int


class GroundingReport(BaseModel):
    scenes: int
    cases: int
    tiers: list[TierResult] = []
    snapping: list[SnapResult] = []
    model: str = ""


@dataclass
class _Timings:
    """Wall-clock and CPU milliseconds of each locate call, and the tier's tally of hits."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @contextmanager
    def measured(self, *, plus: tuple[float, float] = (0.0, 0.0)) -> Iterator[None]:
        """Time the block; `plus` adds (wall, cpu) seconds spent on its behalf (a shared read)."""
        wall, cpu = time.perf_counter(), time.process_time()
        yield
        self.wall.append((time.perf_counter() - wall + plus[0]) * 1000)
        self.cpu.append((time.process_time() - cpu + plus[1]) * 1000)

    def finish(self, result: TierResult) -> TierResult:
        """Put the median and p90 latency and the median CPU time on `result`."""
        result.latency_ms_median = round(statistics.median(self.wall), 1) if self.wall else 0.0
        result.latency_ms_p90 = round(percentile(self.wall, 0.9), 1)
        result.cpu_ms_median = round(statistics.median(self.cpu), 1) if self.cpu else 0.0
        return result


def _count(result: TierResult, hit: bool, *, text: bool) -> None:
    result.cases += 1
    result.hits += hit
    if text:
        result.text_cases += 1
        result.text_hits += hit


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _screen(scene: Scene, tier: Tier, *, ocr_engine: OcrEngine = "auto") -> ObservedScreen:
    return ObservedScreen(image=scene.image,
                          a11y_tree=scene.a11y_tree if tier == "a11y" else None,
                          dom_rows=scene.dom_rows if tier == "dom" else None,
                          ocr_engine=ocr_engine)  # fmt: skip


def _hit(box: Box, point: tuple[int, int] | None) -> bool:
    return point is not None and box.contains(*point)


def bench_stabilized_tier(scenes: Iterable[Scene], tier: Tier, *, ocr_engine: OcrEngine = "auto",
                          progress: Progress | None = None) -> TierResult:  # fmt: skip
    """One stabilized tier alone over every scene that has its source."""
    result = TierResult(tier=tier, cases=0, hits=0,
                        note=f"engine {ocr_engine}" if tier == "ocr" and ocr_engine != "auto" else "")  # fmt: skip
    timings = _Timings()
    live: list[float] = []
    for scene in scenes:
        if tier == "a11y" and scene.a11y_tree is None or tier == "dom" and scene.dom_rows is None:
            continue
        if tier in ("a11y", "dom"):
            live.append(scene.read_ms)
        shared = _screen(scene, tier, ocr_engine=ocr_engine) if tier == "ocr" else None
        read = (0.0, 0.0)
        if shared is not None:  # OCR reads the screenshot once per scene
            wall, cpu = time.perf_counter(), time.process_time()
            shared.elements("ocr")
            read = (time.perf_counter() - wall, time.process_time() - cpu)
        for case in scene.cases:
            screen = shared or _screen(scene, tier)
            with timings.measured(plus=read):
                match = match_in_tier(case.target, screen, tier)
            _count(result, _hit(case.box, match.element.box.centre if match else None),
                   text=bool(case.text))  # fmt: skip
        if progress:
            progress(f"{tier:<5} {scene.name}: {result.hits}/{result.cases}")
    timings.finish(result)
    result.live_read_ms_median = round(statistics.median(live), 1) if live else None
    return result


def bench_ocr_near_hint(scenes: list[Scene], *, sample: int, rng: random.Random,
                        sigma: float = 20.0, ocr_engine: OcrEngine = "auto") -> TierResult:  # fmt: skip
    """OCR alone with a hint point (the true centre moved by N(0, sigma)): the region read."""
    cases = [(scene, case) for scene in scenes for case in scene.cases if case.text]
    chosen = rng.sample(cases, min(sample, len(cases)))
    engine = "" if ocr_engine == "auto" else f"engine {ocr_engine}, "
    result = TierResult(tier="ocr", cases=0, hits=0, note=f"{engine}with a hint (sigma {sigma:g} "
                        f"px), reading {REGION[0]}x{REGION[1]} around it; text targets")  # fmt: skip
    timings = _Timings()
    for scene, case in chosen:
        cx, cy = case.box.centre
        hint = (int(rng.gauss(cx, sigma)), int(rng.gauss(cy, sigma)))
        only_ocr: tuple[Tier, ...] = ("ocr",)
        with timings.measured():
            located = locate_with_tiers(case.target,
                                        ObservedScreen(image=scene.image, ocr_engine=ocr_engine),
                                        hint_point=hint, tiers=only_ocr)  # fmt: skip
        _count(result, _hit(case.box, (located.x, located.y) if located else None), text=True)
    return timings.finish(result)


class OracleModel:
    """The scripted model of the model tier: answers from the true box (see the module doc)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.case: Case | None = None
        self.crop: tuple[Box, int] | None = None
        self.answered: tuple[int, int] = (0, 0)

    def respond(self, request: ModelRequest) -> dict[str, Any]:
        assert self.case is not None
        box = self.case.box
        if request.function == "find_region":
            region = Box(box.x0 - 40, box.y0 - 30, box.x1 + 40, box.y1 + 30)
            size = self.screen_size
            crop = crop_box_for(region.clipped(*size) or region, size)
            self.crop = (crop, zoom_factor(crop))
            return {"found": True, "x0": region.x0, "y0": region.y0, "x1": region.x1,
                    "y1": region.y1}  # fmt: skip
        assert self.crop is not None
        crop, factor = self.crop
        if request.function == "point_in_crop":
            cx, cy = box.centre
            x = cx + self.rng.gauss(0, ORACLE_SIGMA)
            y = cy + self.rng.gauss(0, ORACLE_SIGMA)
            self.answered = (int((x - crop.x0) * factor), int((y - crop.y0) * factor))
            return {"found": True, "x": self.answered[0], "y": self.answered[1]}
        screen_point = (crop.x0 + self.answered[0] // factor, crop.y0 + self.answered[1] // factor)
        if box.contains(*screen_point):
            return {"correct": True}
        cx, cy = box.centre
        self.answered = ((cx - crop.x0) * factor + factor // 2, (cy - crop.y0) * factor + factor // 2)
        return {"correct": False, "x": self.answered[0], "y": self.answered[1]}

    screen_size: tuple[int, int] = (1280, 800)


def bench_model_tier(scenes: list[Scene], *, model: Any | None, sample: int, rng: random.Random,
                     progress: Progress | None = None) -> TierResult:  # fmt: skip
    cases = [(scene, case) for scene in scenes for case in scene.cases]
    chosen = rng.sample(cases, min(sample, len(cases)))
    oracle = OracleModel(random.Random(rng.random()))
    backend = model if model is not None else FunctionModel(oracle.respond, name="oracle")
    result = TierResult(tier="model", cases=0, hits=0,
                        note="scripted oracle (pipeline, not a model)" if model is None else
                        str(getattr(backend, "spec", "")))  # fmt: skip
    timings = _Timings()
    with use_model(backend):
        for scene, case in chosen:
            oracle.case, oracle.screen_size = case, scene.image.size
            with timings.measured():
                located = zoom_locate(case.target, scene.image)
            _count(result, _hit(case.box, (located.x, located.y) if located else None),
                   text=bool(case.text))  # fmt: skip
    if progress:
        progress(f"model: {result.hits}/{result.cases}")
    return timings.finish(result)


def bench_snapping(scenes: list[Scene], *, sigmas: Iterable[int] = SIGMAS, rng: random.Random,
                   tiers: Iterable[Tier] = ("a11y", "dom"), draws: int = 3,
                   progress: Progress | None = None) -> list[SnapResult]:  # fmt: skip
    """Raw vs snapped hit rates of perturbed points, over cases with a matching element."""
    allowed = tuple(tiers)
    results = {sigma: SnapResult(sigma=sigma, cases=0, raw_hits=0, snapped_hits=0, snaps=0)
               for sigma in sigmas}  # fmt: skip
    for scene in scenes:
        screen = ObservedScreen(image=scene.image, a11y_tree=scene.a11y_tree,
                                dom_rows=scene.dom_rows)  # fmt: skip
        width, height = scene.image.size
        for case in scene.cases:
            parsed = Target.parse(case.target)
            if not any(screen.has(t) and ranked(parsed, screen.candidates(t, parsed)) for t in allowed):
                continue
            cx, cy = case.box.centre
            for sigma, result in results.items():
                for _ in range(draws):
                    x = min(max(int(round(rng.gauss(cx, sigma))), 0), width - 1)
                    y = min(max(int(round(rng.gauss(cy, sigma))), 0), height - 1)
                    snap = snap_point(case.target, (x, y), screen, tiers=allowed)
                    final = snap.to_point if snap else (x, y)
                    result.cases += 1
                    result.raw_hits += case.box.contains(x, y)
                    result.snapped_hits += case.box.contains(*final)
                    result.snaps += snap is not None
        if progress:
            progress(f"snap  {scene.name}")
    return list(results.values())
