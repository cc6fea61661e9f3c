"""Capture the grounding data set from real software: PNG + JSON per scene (regenerable).

    .venv/bin/python scripts/capture_grounding.py [--out tests/data/grounding] [--only chromium]

Chromium scenes: the bundled pages in <out>/pages (served on 127.0.0.1) and chrome:// pages on
a sandbox desktop; ground truth is the DOM read over CDP (dom_script.js). LibreOffice Calc
scenes: dialogs and GTK file choosers opened by keyboard on a private Xvfb with an AT-SPI bus
(gtk3 plugin); ground truth is the accessibility tree of the dialog. Each scene stores the
screenshot (palette PNG), its targets (a short description, the element's name, role, box,
and whether the name is visible text) and the source the tiers read at bench time (DOM rows
in the JSON, the named on-screen nodes of the a11y tree as gzipped XML), plus how long the live
read took. Targets whose name appears at two different places are left out (ambiguous truth).
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import random
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image  # noqa: E402

from gui_agent.grounding.a11y import elements_from_tree  # noqa: E402
from gui_agent.grounding.dom import read_dom_rows  # noqa: E402
from gui_agent.grounding.elements import Box, Element  # noqa: E402

MAX_TARGETS_PER_SCENE = 30
SCREEN = (1280, 800)
CHROME_PAGES = [
    "chrome://settings", "chrome://settings/appearance", "chrome://settings/privacy",
    "chrome://version", "chrome://history", "chrome://extensions", "chrome://downloads",
    "chrome://settings/languages",
]  # fmt: skip
# (scene name, xdotool key presses that open it from an empty Calc sheet)
CALC_DIALOGS = [
    ("calc-format-cells-numbers", ["ctrl+1"]),
    ("calc-format-cells-font", ["ctrl+1", "ctrl+Next"]),
    ("calc-format-cells-effects", ["ctrl+1", "ctrl+Next", "ctrl+Next"]),
    ("calc-format-cells-alignment", ["ctrl+1", "ctrl+Next", "ctrl+Next", "ctrl+Next"]),
    ("calc-format-cells-protection", ["ctrl+1"] + ["ctrl+Next"] * 6),
    ("calc-find-replace", ["ctrl+h"]),
    ("calc-open-file", ["ctrl+o"]),
    ("calc-save-as", ["ctrl+shift+s"]),
    ("calc-special-character", ["alt+i", "s"]),
    ("calc-insert-sheet", ["alt+s", "s"]),
    ("calc-sort", ["alt+d", "s"]),
    ("calc-options", ["alt+t", "o"]),
    ("calc-manage-names", ["ctrl+F3"]),
    ("calc-hyperlink", ["ctrl+k"]),
]
# The Borders tab of Format Cells crashed Calc 7.4 (gtk3) here while its tree was read.
DOM_PHRASE = {"button": "button", "link": "link", "textbox": "field", "searchbox": "field",
              "combobox": "field", "checkbox": "checkbox", "radio": "radio button", "tab": "tab",
              "menuitem": "menu item", "img": "icon", "switch": "toggle"}  # fmt: skip
A11Y_PHRASE = {"push button": "button", "toggle button": "button", "check box": "checkbox",
               "radio button": "radio button", "page tab": "tab", "text": "field",
               "combo box": "field", "spin button": "field", "menu item": "menu item"}  # fmt: skip
A11Y_TEXT_ROLES = {"push button", "check box", "radio button", "page tab", "label", "menu item",
                   "list item", "tree item", "heading"}  # fmt: skip
DIALOG_TAGS = {"dialog", "file-chooser", "alert"}


def phrase(name: str, role: str, table: dict[str, str]) -> str:
    suffix = table.get(role)
    return f"{name} {suffix}" if suffix else name


def plausible_name(name: str) -> bool:
    words = name.split()
    return 1 <= len(words) <= 6 and len(name) <= 40 and any(c.isalpha() for c in name)


def unique_targets(candidates: list[tuple[Element, bool]], table: dict[str, str],
                   rng: random.Random) -> list[dict[str, Any]]:  # fmt: skip
    """One target per name whose boxes all overlap (truth: the largest); others are dropped."""
    by_name: dict[str, list[tuple[Element, bool]]] = {}
    for element, is_text in candidates:
        by_name.setdefault(element.name.strip().lower(), []).append((element, is_text))
    targets = []
    for group in by_name.values():
        boxes = [e.box for e, _ in group]
        if any(not (a.contains(*b.centre) or b.contains(*a.centre)) for a in boxes for b in boxes):
            continue
        element, _ = max(group, key=lambda pair: pair[0].box.area)
        is_text = any(text for _, text in group)
        targets.append({"target": phrase(element.name, element.role, table), "name": element.name,
                        "role": element.role, "box": element.box.as_list(), "text": is_text})  # fmt: skip
    rng.shuffle(targets)
    return sorted(targets[:MAX_TARGETS_PER_SCENE], key=lambda t: (t["box"][1], t["box"][0]))


def on_screen(box: Box) -> bool:
    return (box.x0 >= 0 and box.y0 >= 0 and box.x1 <= SCREEN[0] and box.y1 <= SCREEN[1]
            and box.width >= 6 and box.height >= 6)  # fmt: skip


def save_scene(out: Path, name: str, app: str, image: Image.Image, targets: list[dict[str, Any]],
               *, dom_rows: list[list[Any]] | None = None, a11y_xml: str | None = None,
               read_ms: float) -> None:  # fmt: skip
    image.convert("RGB").quantize(colors=256, dither=Image.Dither.NONE).save(
        out / f"{name}.png", optimize=True
    )
    scene: dict[str, Any] = {"scene": name, "app": app, "size": list(image.size),
                             "screenshot": f"{name}.png", "read_ms": round(read_ms, 1),
                             "source": "dom" if dom_rows is not None else "a11y",
                             "targets": targets}  # fmt: skip
    if dom_rows is not None:
        scene["dom_rows"] = [[str(r[0])[:80], *r[1:]] for r in dom_rows]
    if a11y_xml is not None:
        scene["a11y_tree"] = f"{name}.a11y.xml.gz"
        (out / scene["a11y_tree"]).write_bytes(gzip.compress(a11y_xml.encode(), mtime=0))
    (out / f"{name}.json").write_text(json.dumps(scene, ensure_ascii=False, indent=0))
    print(f"{name}: {len(targets)} targets, read {read_ms:.0f} ms", flush=True)


# -- Chromium -------------------------------------------------------------------------------


def cdp_call(cdp_url: str, method: str, params: dict[str, Any]) -> Any:
    import httpx
    import websocket

    pages = [t for t in httpx.get(f"{cdp_url}/json/list").json() if t.get("type") == "page"]
    connection = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=30,
                                             suppress_origin=True)  # fmt: skip
    try:
        connection.send(json.dumps({"id": 1, "method": method, "params": params}))
        while True:
            message = json.loads(connection.recv())
            if message.get("id") == 1:
                return message.get("result")
    finally:
        connection.close()


def wait_loaded(cdp_url: str) -> None:
    for _ in range(100):
        state = cdp_call(cdp_url, "Runtime.evaluate", {"expression": "document.readyState",
                                                       "returnByValue": True})  # fmt: skip
        if state and state.get("result", {}).get("value") == "complete":
            break
        time.sleep(0.1)
    time.sleep(1.5)  # web components of chrome:// pages render after load


def capture_chromium(out: Path, rng: random.Random) -> None:
    from gui_agent.computers.sandbox import SandboxDesktop

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out / "pages"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    pages = [(f"page-{p.stem}", f"{base}/{p.name}") for p in sorted((out / "pages").glob("*.html"))]
    pages += [("chrome-" + url.split("//")[1].replace("/", "-"), url) for url in CHROME_PAGES]
    try:
        with SandboxDesktop(width=SCREEN[0], height=SCREEN[1]) as desktop:
            for name, url in pages:
                cdp_call(desktop.cdp_url, "Page.navigate", {"url": url})
                wait_loaded(desktop.cdp_url)
                started = time.perf_counter()
                rows = read_dom_rows(desktop.cdp_url)
                read_ms = (time.perf_counter() - started) * 1000
                image = desktop.screenshot()
                candidates = []
                for row in rows:
                    element = Element(str(row[0]), str(row[1]),
                                      Box(row[2], row[3], row[2] + row[4], row[3] + row[5]), "dom")  # fmt: skip
                    if on_screen(element.box) and plausible_name(element.name):
                        candidates.append((element, row[6] == "text"))
                save_scene(out, name, "chromium", image, unique_targets(candidates, DOM_PHRASE, rng),
                           dom_rows=rows, read_ms=read_ms)  # fmt: skip
    finally:
        server.shutdown()


# -- LibreOffice ----------------------------------------------------------------------------


def pruned_tree(xml: str) -> tuple[str, ET.Element | None]:
    """The named on-screen nodes (what the a11y tier reads), flat, with the last modal dialog
    kept as the parent of its own nodes; and that dialog."""
    root = ET.fromstring(xml)
    dialog = None
    for node in root.iter():
        if node.tag.rsplit("}", 1)[-1] in DIALOG_TAGS:
            dialog = node
    component = "https://accessibility.ubuntu.example.org/ns/component"
    state = "https://accessibility.ubuntu.example.org/ns/state"
    flat = ET.Element("desktop-frame", {"name": ""})
    inside = {id(node) for node in dialog.iter()} if dialog is not None else set()
    holder = flat
    if dialog is not None:
        holder = ET.SubElement(flat, dialog.tag.rsplit("}", 1)[-1],
                               {"name": dialog.get("name", ""), f"{{{state}}}modal": "true"})  # fmt: skip
    for node in root.iter():
        kept = {k: v for k, v in node.attrib.items()
                if k == "name" or k.endswith(("}screencoord", "}size"))}  # fmt: skip
        one = ET.Element(node.tag, kept)
        one.text = node.text
        for element in elements_from_tree(ET.tostring(one, encoding="unicode"), screen_size=SCREEN):
            parent = holder if id(node) in inside else flat
            ET.SubElement(parent, element.role.replace(" ", "-"), {
                "name": element.name,
                f"{{{component}}}screencoord": f"({element.box.x0}, {element.box.y0})",
                f"{{{component}}}size": f"({element.box.width}, {element.box.height})",
            })  # fmt: skip
    ET.register_namespace("cp", component)
    ET.register_namespace("st", state)
    return ET.tostring(flat, encoding="unicode"), dialog


def capture_libreoffice(out: Path, rng: random.Random, *, skip_existing: bool = False) -> None:
    from gui_agent.computers.display import XvfbDisplay
    from gui_agent.computers.server.accessibility import AccessibilityBus, read_tree
    from gui_agent.screen import capture_x

    display = XvfbDisplay(width=SCREEN[0], height=SCREEN[1]).start()
    bus = AccessibilityBus()
    env = dict(display.env)
    env.update(bus.start(env))
    env["SAL_USE_VCLPLUGIN"] = "gtk3"
    profile = Path("/tmp") / f"gui-agent-capture-lo-{time.time_ns()}"

    def start_office() -> subprocess.Popen[bytes]:
        started = subprocess.Popen(["soffice", "--calc", "--norestore", "--nologo",
                                    f"-env:UserInstallation=file://{profile}"], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)  # fmt: skip
        time.sleep(25)  # Calc's start on a loaded machine
        return started

    def keys(*combos: str) -> None:
        for combo in combos:
            subprocess.run(["xdotool", "key", "--delay", "80", combo], env=env, check=False)
            time.sleep(1.0)

    office = start_office()
    try:
        for name, combos in CALC_DIALOGS:
            if skip_existing and (out / f"{name}.json").exists():
                continue
            if office.poll() is not None:  # Calc died: start it again
                office = start_office()
            dialog = None
            for _attempt in range(3):
                keys(*combos)
                time.sleep(2.5)
                started = time.perf_counter()
                try:
                    xml = read_tree(env, timeout=300)
                except RuntimeError as exc:  # a hung bus or an overloaded machine
                    print(f"{name}: {exc}", flush=True)
                    break
                read_ms = (time.perf_counter() - started) * 1000
                flat, dialog = pruned_tree(xml)
                if dialog is not None:
                    break
                keys("Escape")
            if dialog is None:
                print(f"{name}: the dialog did not open; skipped", flush=True)
                continue
            image = capture_x(env["DISPLAY"])
            candidates = []
            for element in elements_from_tree(ET.tostring(dialog, encoding="unicode")):
                if on_screen(element.box) and plausible_name(element.name):
                    candidates.append((element, element.role in A11Y_TEXT_ROLES))
            save_scene(out, name, "libreoffice-calc", image,
                       unique_targets(candidates, A11Y_PHRASE, rng), a11y_xml=flat,
                       read_ms=read_ms)  # fmt: skip
            keys("Escape", "Escape")
    finally:
        office.terminate()
        office.wait(timeout=30)
        bus.stop()
        display.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("tests/data/grounding"))
    parser.add_argument("--only", choices=["chromium", "libreoffice"], default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-existing", action="store_true",
                        help="Keep LibreOffice scenes already captured (resume a run).")  # fmt: skip
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so `finally` stops what we started
    rng = random.Random(args.seed)
    if args.only in (None, "chromium"):
        capture_chromium(args.out, rng)
    if args.only in (None, "libreoffice"):
        capture_libreoffice(args.out, rng, skip_existing=args.skip_existing)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
