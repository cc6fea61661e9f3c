"""Deterministic help for work on web sites before the step loop takes over.

A cookie-consent banner covers the page the loop needs to see. It is found in the DOM (free):
a visible button whose text accepts or rejects cookies, inside an element whose id, class or
aria label names cookies or consent (shadow roots and same-origin frames included). Clicking
it is one step; a page without such a banner costs nothing.
"""

from __future__ import annotations

import json

from skills.base import observe
from skills.chrome_cdp import CdpBrowser
from skills.chrome_state import browser_action

BUTTON_WORDS = ("accept all", "accept", "agree", "i agree", "allow all", "got it", "ok",
                "reject all", "decline", "consent")  # fmt: skip

_FIND_BANNER_BUTTON = """((words, click) => {
  const containerHint = /cookie|consent|gdpr|privacy|onetrust|didomi|cmp/i;
  const roots = [document];
  const buttons = [];
  while (roots.length) {
    const root = roots.pop();
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) roots.push(el.shadowRoot);
      if (el.tagName === 'IFRAME') {
        try { if (el.contentDocument) roots.push(el.contentDocument); } catch (e) {}
      }
      const tag = el.tagName;
      if (tag !== 'BUTTON' && tag !== 'A' && el.getAttribute('role') !== 'button') continue;
      const text = (el.innerText || el.textContent || '').trim().toLowerCase();
      if (!text || text.length > 40 || !words.includes(text)) continue;
      const box = el.getBoundingClientRect();
      if (box.width < 2 || box.height < 2) continue;
      let node = el, hinted = false;
      for (let i = 0; node && i < 12 && !hinted; i++) {
        const label = [node.id, node.className && node.className.baseVal === undefined
          ? node.className : '', node.getAttribute && node.getAttribute('aria-label')].join(' ');
        hinted = containerHint.test(label);
        node = node.parentElement || (node.getRootNode && node.getRootNode().host);
      }
      if (hinted) buttons.push([words.indexOf(text), el, text]);
    }
  }
  if (!buttons.length) return null;
  buttons.sort((a, b) => a[0] - b[0]);
  if (click) buttons[0][1].click();
  return buttons[0][2];
})(%s, %s)"""


def dismiss_cookie_banner(browser: CdpBrowser) -> str | None:
    """Click the cookie banner's accept button if the active page shows one; what was done."""
    tab = browser.active_tab()
    if tab is None or not tab.url.startswith("http"):
        return None
    words = json.dumps(list(BUTTON_WORDS))
    found = browser.evaluate(tab, _FIND_BANNER_BUTTON % (words, "false"))
    observe("cookie banner", f"button {found!r}" if found else "none")
    if not found:
        return None
    with browser_action(f"click the cookie banner's {found!r} button"):
        browser.evaluate(tab, _FIND_BANNER_BUTTON % (words, "true"))
    left = browser.evaluate(tab, _FIND_BANNER_BUTTON % (words, "false"))
    return f"clicked the cookie banner's {found!r}" + (" (still shown)" if left else "")
