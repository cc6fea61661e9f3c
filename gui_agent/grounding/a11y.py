"""Tier 1: elements of an accessibility tree (OSWorld's XML, as `/accessibility` returns it).

Each node is named by its role (`push-button`, `menu-item`...) and carries `name` plus screen
geometry in the component namespace (`screencoord="(x, y)"`, `size="(w, h)"`); only nodes
with a name, a positive size and a place on the screen become elements. Attribute namespaces
are matched by local name, so trees from other dumpers with other namespace URIs also work.

When a modal dialog is open (state `modal`), only its elements are candidates: nothing behind
it can be clicked, and the main window often has elements of the same names (a Format menu
behind a Format label).

Known limit, measured here: LibreOffice with the gtk3 plugin and no window manager reports the
boxes of its docked toolbars and sheet tabs 25 px above where they are drawn (the menu bar's
height); its dialogs, menus and GTK's own dialogs are exact.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Container, Iterator

from gui_agent.grounding.elements import Box, Element

_PAIR = re.compile(r"\(\s*(-?\d+)\s*,\s*(-?\d+)\s*\)")
SKIPPED_ROLES = frozenset({"frame", "root pane", "window", "filler", "panel", "desktop frame",
                           "dialog", "file chooser", "alert",
                           "application", "scroll pane", "viewport", "layered pane"})  # fmt: skip
"""Containers: their names are window titles, not things a target points at."""
MODAL_ROLES = frozenset({"dialog", "file-chooser", "alert"})


class TreeError(ValueError):
    """The text is not an accessibility tree this tier can read."""


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _pair(text: str | None) -> tuple[int, int] | None:
    match = _PAIR.fullmatch(text.strip()) if text else None
    return (int(match.group(1)), int(match.group(2))) if match else None


def elements_from_tree(xml: str, *, screen_size: tuple[int, int] | None = None) -> list[Element]:
    """Every named, visible node of the tree as an Element, in document order."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise TreeError(f"not an accessibility tree: {exc}") from exc
    modal = _modal_window(root)
    return list(_walk(modal if modal is not None else root, screen_size))


def _modal_window(root: ET.Element) -> ET.Element | None:
    """The last modal dialog of the tree (it blocks every other window), or None."""
    return _last_with_state(root, roles=MODAL_ROLES, state="modal")


def _last_with_state(root: ET.Element, *, roles: Container[str], state: str) -> ET.Element | None:
    """The last node of one of `roles` whose state attribute `state` is "true", or None."""
    found = None
    for node in root.iter():
        if _local(node.tag) in roles and any(
            _local(key) == state and value == "true" for key, value in node.attrib.items()
        ):
            found = node
    return found


def _walk(root: ET.Element, screen_size: tuple[int, int] | None) -> Iterator[Element]:
    for node in root.iter():
        element = _as_element(node, screen_size)
        if element is not None:
            yield element


def _as_element(node: ET.Element, screen_size: tuple[int, int] | None) -> Element | None:
    role = _local(node.tag).replace("-", " ")
    if role in SKIPPED_ROLES:
        return None
    name = (node.get("name") or "").strip() or (node.text or "").strip()
    if not name:
        return None
    box = _box_of(node)
    if screen_size is not None and box is not None:
        box = box.clipped(*screen_size)
    if box is None:
        return None
    return Element(name=name[:200], role=role, box=box, tier="a11y")


WINDOW_ROLES = frozenset({"frame", "window", "dialog", "alert", "file-chooser"})


def element_at(xml: str, x: int, y: int, *, screen_size: tuple[int, int] | None = None) -> Element | None:
    """The named element a click at (x, y) would land on: the smallest box containing it.

    Scope, most specific first: an open modal dialog (nothing else takes clicks); else the
    active window when the point is inside it (an element of a window behind it does not get
    the click); else the whole tree. TreeError when the text is not a tree.
    """
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise TreeError(f"not an accessibility tree: {exc}") from exc
    scope = _modal_window(root)
    if scope is None:
        active = _active_window(root)
        box = _box_of(active) if active is not None else None
        scope = active if active is not None and box is not None and box.contains(x, y) else root
    under = [e for e in _walk(scope, screen_size) if e.box.contains(x, y)]
    return min(under, key=lambda e: e.box.area, default=None)


def _active_window(root: ET.Element) -> ET.Element | None:
    return _last_with_state(root, roles=WINDOW_ROLES, state="active")


def _box_of(node: ET.Element) -> Box | None:
    attributes = {_local(key): value for key, value in node.attrib.items()}
    origin, size = _pair(attributes.get("screencoord")), _pair(attributes.get("size"))
    if origin is None or size is None or size[0] <= 0 or size[1] <= 0:
        return None
    return Box(origin[0], origin[1], origin[0] + size[0], origin[1] + size[1])


def focused_element(xml: str) -> Element | None:
    """The named element holding the keyboard focus (what Enter or Space would press).

    Inside an open modal dialog when one is open (its focus is the one that counts); the last
    focused node in document order otherwise. TreeError when the text is not a tree.
    """
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise TreeError(f"not an accessibility tree: {exc}") from exc
    scope = _modal_window(root)
    found = None
    for node in (scope if scope is not None else root).iter():
        if any(_local(key) == "focused" and value == "true" for key, value in node.attrib.items()):
            found = _as_element(node, None) or found
    return found
