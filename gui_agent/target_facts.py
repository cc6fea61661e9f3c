"""Read what an action would operate before it runs: the gate's facts, from the page itself.

For a click, the element under the point in the visible browser tab (DOM over CDP): its role,
its accessible name, and whether clicking it submits a form. For Enter (or typed text with a
newline), the focused element: whether it sits in a form that Enter submits. Reading is an
observation (free, no step). Computers without CDP, and points outside the page, give None:
the gate then decides from the action alone (keys, shell commands).
"""

from __future__ import annotations

import json
import logging

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
from gui_agent.computers.base import Computer, HasCDP
from gui_agent.computers.cdp import evaluate_on_visible_page
from gui_agent.errors import EnvError
from gui_agent.policy import SUBMIT_KEYS, TargetFacts

log = logging.getLogger(__name__)

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
  if (!el) return {outside: false, role: '', name: '', submits: false};
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
  return {outside: false, role: role, name: name, submits: submits};
})
"""


def _needs_facts(action: Action) -> tuple[int, int, bool] | None:
    """(x, y, use the focused element) for actions whose target decides the gate."""
    match action:
        case Click() | DoubleClick() | TripleClick() | Fill():
            return action.x, action.y, False
        case FillPage() if action.fills:
            return action.fills[-1].x, action.fills[-1].y, False
        case Key() if normalize_keys(action.keys) in SUBMIT_KEYS:
            return 0, 0, True
        case Type() if "\n" in action.text:
            return 0, 0, True
        case _:
            return None


def read_target_facts(computer: Computer, action: Action, *, timeout: float = 3.0) -> TargetFacts | None:
    """The facts about the element `action` would operate, or None when they cannot be read."""
    target = _needs_facts(action)
    if target is None:
        return None
    x, y, use_focus = target
    try:
        # isinstance() reads the cdp_url property: a sandbox without a browser raises EnvError.
        if not isinstance(computer, HasCDP):
            return None
        found = evaluate_on_visible_page(computer.cdp_url, f"{_FACTS_JS}({x}, {y}, {json.dumps(use_focus)})",
                                          timeout=timeout)  # fmt: skip
    except EnvError as exc:
        log.info("no target facts for %s: %s", action.kind, exc.message)
        return None
    if not found or found.get("outside"):
        return None
    return TargetFacts(role=str(found.get("role", "")), name=str(found.get("name", "")),
                       submits_form=bool(found.get("submits")), source="dom")  # fmt: skip
