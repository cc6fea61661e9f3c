"""Read what an action would operate before it runs: the gate's facts, from the screen itself.

For a click, the element under the point in the visible browser tab (DOM over CDP): its role,
its accessible name, and whether clicking it submits a form. For Enter (or typed text with a
newline), the focused element: whether it sits in a form that Enter submits.

When no DOM fact applies to a click (no browser, the point is off the page, or the page does
not have the keyboard focus, so another window is in front) and the computer offers an
accessibility tree, the element under the point is taken from the tree instead (a desktop
program's "Don't Save" push button; an open modal dialog first, see grounding/a11y.py
`element_at`); for Enter or Space, the element with the keyboard focus (`focused_element`). That read is bounded by `A11Y_TIMEOUT_S`; a tree that cannot be read in time
gives no facts, never an error. Reading is an observation (free, no step). With no facts the
gate decides from the action alone (keys, shell commands).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable

from gui_agent.actions import (
    Action,
    Click,
    DoubleClick,
    Fill,
    FillPage,
    Key,
    TripleClick,
    Type,
    normalize_keys,
)  # fmt: skip
from gui_agent.computers.base import Computer, HasAccessibilityTree, HasCDP
from gui_agent.computers.cdp import evaluate_on_visible_page
from gui_agent.errors import EnvError, GuiAgentError
from gui_agent.grounding.a11y import TreeError, element_at, focused_element
from gui_agent.policy import PRESS_KEYS, TargetFacts

log = logging.getLogger(__name__)

A11Y_TIMEOUT_S = 10.0
"""Longest wait for a tree (measured: LibreOffice Calc's whole tree, 840 kB, reads in 3-4 s)."""

# Screen point -> page point: the window's screen position plus the browser's top bars
# (outer minus inner height). The element is lifted to the nearest control that can be pressed.
_FACTS_JS = r"""
(function (x, y, useFocus) {
  if (document.visibilityState !== 'visible') return null;
  let el = null;
  if (useFocus) {
    el = document.activeElement;
  } else {
    const cx = x - window.screenX - (window.outerWidth - window.innerWidth);
    const cy = y - window.screenY - (window.outerHeight - window.innerHeight);
    if (cx < 0 || cy < 0 || cx >= window.innerWidth || cy >= window.innerHeight) return {outside: true};
    el = document.elementFromPoint(cx, cy);
  }
  const focused = document.hasFocus();
  if (!el) return {outside: false, role: '', name: '', submits: false, focused: focused};
  const control = el.closest('button, a[href], input, select, textarea, [role], summary') || el;
  const tag = control.tagName.toLowerCase();
  const type = (control.getAttribute('type') || '').toLowerCase();
  let role = control.getAttribute('role') || '';
  if (!role) {
    if (tag === 'button' || (tag === 'input' && ['submit', 'button', 'reset', 'image'].includes(type))) role = 'button';
    else if (tag === 'a') role = 'link';
    else if (tag === 'input' || tag === 'textarea') role = 'textbox';
    else role = tag;
  }
  const name = (control.getAttribute('aria-label') || control.innerText || control.value ||
                control.getAttribute('title') || control.getAttribute('alt') || '').trim().slice(0, 120);
  let submits = false;
  if (control.form) {
    if (useFocus) {
      submits = (tag === 'input' && !['button', 'reset', 'checkbox', 'radio', 'file'].includes(type));
    } else {
      submits = (tag === 'button' && (type === '' || type === 'submit')) ||
                (tag === 'input' && (type === 'submit' || type === 'image'));
    }
  }
  return {outside: false, role: role, name: name, submits: submits, focused: focused};
})
"""


def _needs_facts(action: Action) -> tuple[int, int, bool] | None:
    """(x, y, use the focused element) for actions whose target decides the gate."""
    match action:
        case Click() | DoubleClick() | TripleClick() | Fill():
            return action.x, action.y, False
        case FillPage() if action.fills:
            return action.fills[-1].x, action.fills[-1].y, False
        case Key() if normalize_keys(action.keys) in PRESS_KEYS:
            return 0, 0, True
        case Type() if "\n" in action.text:
            return 0, 0, True
        case _:
            return None


def read_target_facts(computer: Computer, action: Action, *, timeout: float = 3.0,
                      tree: bool = True, a11y_timeout: float = A11Y_TIMEOUT_S) -> TargetFacts | None:  # fmt: skip
    """The facts about the element `action` would operate, or None when they cannot be read.

    `tree=False` never reads the accessibility tree (callers pass False when the gate would
    allow anyway, as under `--yes`: a whole tree costs seconds).
    """
    target = _needs_facts(action)
    if target is None:
        return None
    x, y, use_focus = target
    dom, focused = _dom_facts(computer, action, x, y, use_focus, timeout=timeout)
    if (dom is not None and focused) or not tree or not isinstance(action, _FROM_TREE):
        return dom
    point = None if use_focus else (x, y)
    return _tree_facts(computer, point, timeout=a11y_timeout) or dom


_FROM_TREE = (Click, DoubleClick, TripleClick, Key, Type)
"""Actions whose target the tree can name: the element under a click, or the focus a key presses."""


def _dom_facts(computer: Computer, action: Action, x: int, y: int, use_focus: bool, *,
               timeout: float) -> tuple[TargetFacts | None, bool]:  # fmt: skip
    """DOM facts at the point (None off the page or without a browser) and page focus."""
    try:
        # isinstance() reads the cdp_url property: a sandbox without a browser raises EnvError.
        if not isinstance(computer, HasCDP):
            return None, False
        found = evaluate_on_visible_page(computer.cdp_url, f"{_FACTS_JS}({x}, {y}, {json.dumps(use_focus)})",
                                          timeout=timeout)  # fmt: skip
    except EnvError as exc:
        log.info("no target facts for %s: %s", action.kind, exc.message)
        return None, False
    if not found or found.get("outside"):
        return None, False
    facts = TargetFacts(role=str(found.get("role", "")), name=str(found.get("name", "")),
                        submits_form=bool(found.get("submits")), source="dom")  # fmt: skip
    return facts, bool(found.get("focused", True))


def _tree_facts(computer: Computer, point: tuple[int, int] | None, *,
                timeout: float) -> TargetFacts | None:  # fmt: skip
    """The tree's element under `point` (None: the focused one), read within `timeout` s."""
    try:
        if not isinstance(computer, HasAccessibilityTree):
            return None
    except GuiAgentError:  # a capability property that raises means: not offered
        return None
    started = time.monotonic()
    xml = _bounded(computer.accessibility_tree, timeout=timeout)
    if xml is None:
        return None
    try:
        element = (element_at(xml, *point, screen_size=computer.size) if point is not None
                   else focused_element(xml))  # fmt: skip
    except TreeError as exc:
        log.info("no accessibility facts at %s: %s", point or "the focus", exc)
        return None
    log.debug("accessibility facts at %s in %.2fs: %s", point or "the focus",
              time.monotonic() - started, element)  # fmt: skip
    if element is None:
        return None
    return TargetFacts(role=element.role, name=element.name, source="accessibility")


def _bounded(read: Callable[[], str], *, timeout: float) -> str | None:
    """`read()` on a daemon thread; None when it fails or takes longer than `timeout`."""
    box: dict[str, str] = {}

    def run() -> None:
        try:
            box["xml"] = read()
        except Exception as exc:  # any failure to read means: no facts from the tree
            log.info("the accessibility tree could not be read: %s", exc)

    reader = threading.Thread(target=run, name="a11y-facts", daemon=True)
    reader.start()
    reader.join(timeout)
    if reader.is_alive():
        log.warning("the accessibility tree took over %gs; the gate decides without it", timeout)
        return None
    return box.get("xml")
