"""Grounding without a display: matching rules, tier precedence, the zoom path, snapping."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

from click.testing import CliRunner
from PIL import Image, ImageDraw

from gui_agent.agentic import use_model
from gui_agent.cli import main
from gui_agent.computers.fake import FakeComputer
from gui_agent.grounding import ObservedScreen, locate, locate_with_tiers, snap_point
from gui_agent.grounding.a11y import elements_from_tree
from gui_agent.grounding.elements import Box, Element
from gui_agent.grounding.matching import Target, best_match
from gui_agent.grounding.zoom import crop_to_screen, zoom_factor
from gui_agent.loop import run_task
from gui_agent.models.base import ModelRequest
from gui_agent.models.scripted import ScriptedModel
from gui_agent.trace import TraceWriter, read_records

TREE = """<desktop-frame xmlns:cp="https://accessibility.ubuntu.example.org/ns/component" name="">
  <dialog name="Format Cells" cp:screencoord="(320, 120)" cp:size="(640, 560)">
    <push-button name="Save As..." cp:screencoord="(400, 600)" cp:size="(90, 30)"/>
    <push-button name="Save" cp:screencoord="(500, 600)" cp:size="(80, 30)"/>
    <push-button name="Cancel" cp:screencoord="(600, 600)" cp:size="(80, 30)"/>
    <label name="Save" cp:screencoord="(100, 100)" cp:size="(0, 30)"/>
    <check-box name="Thousands separator" cp:screencoord="(590, 531)" cp:size="(170, 22)"/>
  </dialog>
</desktop-frame>"""


def blank(size: tuple[int, int] = (1280, 800)) -> Image.Image:
    return Image.new("RGB", size, (240, 240, 240))


def test_a_target_splits_into_name_words_and_a_role_hint() -> None:
    parsed = Target.parse("the Save button of the dialog")
    assert parsed.content == ("save",) and parsed.role_family == "button"
    assert Target.parse("Sign in").content == ("sign", "in")
    assert Target.parse("Negative numbers red check box").role_family == "checkbox"


def test_the_accessibility_tree_gives_named_visible_elements_with_screen_boxes() -> None:
    elements = elements_from_tree(TREE, screen_size=(1280, 800))
    names = [(e.name, e.role, e.box) for e in elements]
    assert ("Save", "push button", Box(500, 600, 580, 630)) in names
    assert all(e.name != "Format Cells" for e in elements)  # a container, not a target
    assert len([e for e in elements if e.name == "Save"]) == 1  # the zero-size one is skipped


def test_the_element_the_target_names_fully_wins_over_a_longer_name() -> None:
    elements = elements_from_tree(TREE)
    match = best_match("the Save button", elements)
    assert match is not None and match.element.name == "Save" and match.unique
    match = best_match("Save As", elements)
    assert match is not None and match.element.name == "Save As..."
    assert best_match("Print", elements) is None


def test_a_hint_point_breaks_a_tie_between_equal_names() -> None:
    ok = [Element("OK", "push button", Box(100, 100, 150, 130), "a11y"),
          Element("OK", "push button", Box(900, 600, 950, 630), "a11y")]  # fmt: skip
    far = best_match("OK", ok, hint_point=(880, 590))
    assert far is not None and far.element.box.x0 == 900 and not far.unique
    near = best_match("OK", ok, hint_point=(120, 90))
    assert near is not None and near.element.box.x0 == 100


def test_when_tiers_disagree_the_accessibility_tree_wins_then_the_dom() -> None:
    # The a11y tree says Save is at (500, 600); the DOM says (100, 50).
    screen = ObservedScreen(image=blank(), a11y_tree=TREE,
                            dom_rows=[["Save", "button", 100, 50, 60, 24]])  # fmt: skip
    located = locate_with_tiers("Save button", screen, tiers=("a11y", "dom"))
    assert located is not None and located.method == "a11y" and located.x == 539
    located = locate_with_tiers("Save button", screen, tiers=("dom",))
    assert located is not None and located.method == "dom" and (located.x, located.y) == (129, 61)


def test_locate_runs_its_stabilized_tiers_and_records_the_implementation() -> None:
    screen = ObservedScreen(image=blank(), a11y_tree=TREE)
    located = locate("the Cancel button", screen)
    assert (located.method, located.box) == ("a11y", (600, 600, 680, 630))


def _screen_with_button() -> tuple[Image.Image, tuple[int, int, int, int]]:
    image = blank()
    box = (700, 300, 760, 330)
    ImageDraw.Draw(image).rectangle(box, fill=(30, 90, 200))
    return image, box


def test_the_zoom_path_maps_crop_points_back_exactly_and_verify_sees_the_marker() -> None:
    image, _ = _screen_with_button()
    seen: dict[str, Image.Image] = {}

    def remember(name: str, reply: dict) -> object:
        def answer(request: ModelRequest) -> dict:
            seen[name] = Image.open(io.BytesIO(request.images[0])).convert("RGB")
            return reply

        return answer

    # Region 650..810 x 280..350 -> padded crop 610..850 x 263..367 (240x104), zoom 4.
    factor = zoom_factor(Box(610, 263, 850, 367))
    assert factor == 4
    crop_x, crop_y = (729 - 610) * factor + 3, (315 - 263) * factor + 1
    model = ScriptedModel([
        remember("region", {"found": True, "x0": 650, "y0": 280, "x1": 810, "y1": 350}),
        remember("crop", {"found": True, "x": crop_x, "y": crop_y}),
        remember("verify", {"correct": True}),
    ])  # fmt: skip
    with use_model(model):
        located = locate_with_tiers("the blue button", ObservedScreen(image=image),
                                    tiers=("model",))  # fmt: skip
    assert located is not None and (located.x, located.y) == (729, 315)
    assert located.method == "model" and located.confidence >= 0.8
    assert seen["crop"].size == (240 * 4, 104 * 4)
    assert seen["verify"].getpixel((crop_x + 10, crop_y)) == (255, 0, 0)  # the marker's ring
    assert seen["crop"].getpixel((crop_x + 10, crop_y)) != (255, 0, 0)
    assert [r.function for r in model.requests] == ["find_region", "point_in_crop", "verify_point"]
    assert all(".locate.zoom." in r.call_path or "locate.zoom" in r.call_path for r in model.requests)


def test_a_rejected_point_is_refined_at_most_twice() -> None:
    image, _ = _screen_with_button()
    model = ScriptedModel([
        {"found": True, "x0": 650, "y0": 280, "x1": 810, "y1": 350},
        {"found": True, "x": 10, "y": 10},
        {"correct": False, "x": 20, "y": 20},
        {"correct": False, "x": 476, "y": 208},
    ])  # fmt: skip
    with use_model(model):
        located = locate_with_tiers("the blue button", ObservedScreen(image=image),
                                    tiers=("model",))  # fmt: skip
    assert located is not None and located.confidence < 0.5  # never verified
    assert (located.x, located.y) == crop_to_screen(Box(610, 263, 850, 367), 4, 476, 208)
    assert model.remaining == 0 and len(model.requests) == 4


def test_a_click_inside_its_target_is_not_snapped() -> None:
    screen = ObservedScreen(image=blank(), a11y_tree=TREE)
    assert snap_point("Save button", (510, 610), screen) is None
    snap = snap_point("Save button", (560, 650), screen)
    assert snap is not None and snap.to_point == (539, 614) and snap.tier == "a11y"


class TreeComputer(FakeComputer):
    def accessibility_tree(self) -> str:
        return TREE


def test_the_loop_snaps_a_missed_click_and_records_it_in_the_trace(tmp_path) -> None:
    computer = TreeComputer()
    model = ScriptedModel([
        {"observation": "a dialog", "action": {"kind": "click", "x": 560, "y": 650,
                                               "target": "the Cancel button"}},
        {"observation": "done", "action": {"kind": "done"}},
    ])  # fmt: skip
    trace = TraceWriter(tmp_path)
    result = run_task("cancel the dialog", computer, model=model, trace=trace)
    trace.close()
    clicked = computer.executed[0]
    assert (clicked.x, clicked.y) == (639, 614)
    steps = [r for r in read_records(tmp_path / "trace.jsonl") if r["event"] == "step"]
    assert steps[0]["snap"] == {"from": [560, 650], "to": [639, 614], "tier": "a11y",
                                "name": "Cancel"}  # fmt: skip
    assert "snapped from" in result.steps[0].description


def test_no_snap_clicks_where_the_model_said() -> None:
    computer = TreeComputer()
    model = ScriptedModel([
        {"observation": "a dialog", "action": {"kind": "click", "x": 560, "y": 650,
                                               "target": "the Cancel button"}},
        {"observation": "done", "action": {"kind": "done"}},
    ])  # fmt: skip
    result = run_task("cancel the dialog", computer, model=model, snap=False)
    assert (computer.executed[0].x, computer.executed[0].y) == (560, 650)
    assert result.steps[0].snap is None


# -- the command line, on screenshots saved from real software ------------------------------

DATA = Path(__file__).parent / "data" / "grounding"


def scene(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text())


def test_locate_on_a_saved_browser_screenshot_prints_json_and_writes_an_annotated_png(
    tmp_path: Path,
) -> None:
    shutil.copy(DATA / "page-form.png", tmp_path / "shot.png")
    truth = next(t for t in scene("page-form")["targets"] if t["name"] == "Create account")
    result = CliRunner().invoke(main, ["locate", str(tmp_path / "shot.png"),
                                       "the Create account button", "--dom",
                                       str(DATA / "page-form.json"), "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout.strip().splitlines()[-1])
    x0, y0, x1, y1 = truth["box"]
    assert found["method"] == "dom" and x0 <= found["x"] < x1 and y0 <= found["y"] < y1
    annotated = Image.open(tmp_path / "shot.located.png")
    assert annotated.size == (1280, 800)
    assert annotated.getpixel((found["x"], found["y"])) == (255, 0, 0)  # the crosshair


def test_locate_on_a_saved_libreoffice_dialog_uses_its_accessibility_tree(tmp_path: Path) -> None:
    shutil.copy(DATA / "calc-format-cells-numbers.png", tmp_path / "dialog.png")
    result = CliRunner().invoke(main, ["locate", str(tmp_path / "dialog.png"), "Cancel button",
                                       "--a11y", str(DATA / "calc-format-cells-numbers.a11y.xml.gz")])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "method a11y" in result.stdout and "'Cancel'" in result.stdout
    assert "stabilized tiers only" in result.stderr


def test_locate_names_bad_input_instead_of_a_traceback(tmp_path: Path) -> None:
    bogus = tmp_path / "not-an-image.png"
    bogus.write_text("hello")
    result = CliRunner().invoke(main, ["locate", str(bogus), "OK"])
    assert result.exit_code == 2 and "is not an image" in result.stderr
    assert "Traceback" not in result.output


def test_bench_grounding_reports_accuracy_latency_and_snapping(tmp_path: Path) -> None:
    out = tmp_path / "grounding.json"
    result = CliRunner().invoke(main, ["bench", "grounding", "--tiers", "a11y,dom,model",
                                       "--model-sample", "5", "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    tiers = {t["tier"]: t for t in report["tiers"]}
    assert report["cases"] >= 300
    assert tiers["dom"]["hits"] / tiers["dom"]["cases"] > 0.9
    assert tiers["a11y"]["hits"] / tiers["a11y"]["cases"] > 0.9
    assert tiers["model"]["cases"] == 5
    by_sigma = {row["sigma"]: row for row in report["snapping"]}
    assert by_sigma[20]["snapped_hits"] > by_sigma[20]["raw_hits"]


def test_with_a_hint_ocr_reads_only_the_region_around_it_and_snaps_in_screen_pixels() -> None:
    image = Image.open(DATA / "page-form.png").convert("RGB")
    truth = next(t for t in scene("page-form")["targets"] if t["name"] == "Save draft")
    box = Box(*truth["box"])
    cx, cy = box.centre
    screen = ObservedScreen(image=image)
    located = locate_with_tiers("Save draft button", screen, hint_point=(cx + 30, cy - 25),
                                tiers=("ocr",))  # fmt: skip
    assert located is not None and box.contains(located.x, located.y)
    assert not screen.read("ocr")  # the whole screen was never read
    snap = snap_point("Save draft button", (cx + 30, cy - 25), screen)
    assert snap is not None and snap.tier == "ocr" and box.contains(*snap.to_point)
    assert screen.ocr_region is not None and screen.ocr_region.width == 640


def test_target_is_optional_in_the_action_schema_and_in_validation() -> None:
    from pydantic import TypeAdapter

    from gui_agent.actions import ModelAction, parse_action, validate

    schema = TypeAdapter(ModelAction).json_schema()
    for kind in ("Click", "DoubleClick", "TripleClick", "RightClick", "Move"):
        definition = schema["$defs"][kind]
        assert "target" in definition["properties"] and "target" not in definition["required"]
    plain = validate(parse_action({"kind": "click", "x": 5, "y": 5}), width=10, height=10)
    named = validate(parse_action({"kind": "click", "x": 5, "y": 5, "target": "OK"}),
                     width=10, height=10)  # fmt: skip
    assert plain.target is None and named.target == "OK"


def test_the_zoom_prompts_say_what_the_coordinates_are() -> None:
    from gui_agent.grounding.zoom import find_region, point_in_crop, verify_point

    image = blank((200, 100))
    region = find_region.render("the OK button", image)
    assert "pixels of this screenshot" in region.system and len(region.images) == 1
    assert set(region.output_schema["properties"]) == {"found", "x0", "y0", "x1", "y1"}
    assert "x, y of this crop image" in point_in_crop.render("OK", image).system
    assert "red ring marker" in verify_point.render("OK", image).system
