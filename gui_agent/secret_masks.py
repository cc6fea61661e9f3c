"""Typed secrets stay out of screenshots: the fields they were typed into are painted over.

After the executor types a secret's value into a field (the action carried a `{{NAME}}`
placeholder), `SecretFields.mark` tags the focused element of the visible browser tab over CDP.
Every later screenshot the model is shown (and the run stores) goes through `mask`, which
reads the tagged fields' boxes on the screen - wherever scrolling moved them - and fills them
black. Fields outside a CDP browser are not known, so not masked (a password field shows dots
anyway). Reading is an observation: no step is spent.
"""

from __future__ import annotations

import logging

from PIL import Image, ImageDraw

from gui_agent.actions import Action, Fill, FillPage, Type
from gui_agent.computers.base import Computer, HasCDP
from gui_agent.computers.cdp import evaluate_on_visible_page
from gui_agent.errors import EnvError
from gui_agent.vault import Vault

log = logging.getLogger(__name__)
ATTRIBUTE = "data-gui-agent-secret"
_MARK_JS = f"""(() => {{ if (document.visibilityState !== 'visible') return null;
  const el = document.activeElement;
  if (!el || el === document.body) return {{marked: false}};
  el.setAttribute('{ATTRIBUTE}', '1'); return {{marked: true}}; }})()"""
_BOXES_JS = f"""(() => {{ if (document.visibilityState !== 'visible') return null;
  const ox = window.screenX + (window.outerWidth - window.innerWidth);
  const oy = window.screenY + (window.outerHeight - window.innerHeight);
  return {{boxes: [...document.querySelectorAll('[{ATTRIBUTE}]')].map(e => {{
    const r = e.getBoundingClientRect();
    return [ox + r.left, oy + r.top, ox + r.right, oy + r.bottom]; }})}}; }})()"""


class SecretFields:
    """The fields of one episode that hold a typed secret."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self.marked = False

    def typed_secret(self, action: Action) -> bool:
        texts = {Type: lambda a: [a.text], Fill: lambda a: [a.text],
                 FillPage: lambda a: [f.text for f in a.fills]}  # fmt: skip
        for kind, get in texts.items():
            if isinstance(action, kind):
                return any(self.vault.placeholders_in(text) for text in get(action))
        return False

    def mark(self, computer: Computer, action: Action) -> None:
        """Tag the field `action` just typed a secret into (call after executing it)."""
        if not self.typed_secret(action) or not isinstance(computer, HasCDP):
            return
        try:
            found = evaluate_on_visible_page(computer.cdp_url, _MARK_JS, timeout=3.0)
        except EnvError as exc:
            log.warning("could not mark the secret's field: %s", exc.message)
            return
        self.marked = self.marked or bool(found and found.get("marked"))

    def mask(self, computer: Computer, image: Image.Image) -> Image.Image:
        """`image` with every tagged field filled black (the image itself if none is known)."""
        if not self.marked or not isinstance(computer, HasCDP):
            return image
        try:
            found = evaluate_on_visible_page(computer.cdp_url, _BOXES_JS, timeout=3.0)
        except EnvError as exc:
            log.warning("could not read the secret fields' boxes: %s", exc.message)
            return image
        boxes = (found or {}).get("boxes") or []
        if not boxes:
            return image
        masked = image.copy()
        draw = ImageDraw.Draw(masked)
        for left, top, right, bottom in boxes:
            draw.rectangle((int(left), int(top), int(right) + 1, int(bottom) + 1), fill="black")
        return masked
