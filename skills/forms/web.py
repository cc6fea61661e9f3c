"""Read a web form page over CDP (free observations) and build the actions that fill it.

Reading is `discover.js` evaluated in the page through Playwright's CDP connection; nothing here
sends an input event. `fills_for` turns decided values into `Fill` items of one `fill_page`
step: text is typed after select-all, a drop-down is opened and its option typed then Enter,
a date input gets its digits in the page locale's order, checkboxes and radios are clicked.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from importlib import resources
from typing import Any

from gui_agent.actions import Fill
from gui_agent.errors import EnvError
from skills.forms.fields import Box, Button, FormField, FormPage, Option, button_role
from skills.forms.formats import date_keystrokes, parse_date

log = logging.getLogger(__name__)

DISCOVER_JS = resources.files("skills.forms").joinpath("discover.js").read_text()
LOAD_TIMEOUT_S = 15.0
LIST_OPEN_PAUSE_S = 0.3
"""A drop-down list opens a moment after the click; keys typed before it shows are lost."""
PAINTED_JS = "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


class WebForm:
    """One browser tab holding a form, reached over CDP; `read()` is an observation."""

    def __init__(self, page: Any) -> None:
        self.page = page

    def read(self) -> FormPage:
        from playwright.sync_api import Error

        try:
            self.page.wait_for_load_state("load", timeout=LOAD_TIMEOUT_S * 1000)
            raw = self.page.evaluate(DISCOVER_JS)
        except Error as exc:
            raise EnvError(f"reading the form over CDP failed: {exc.message}") from exc
        return page_from_dom(raw)

    @property
    def url(self) -> str:
        return str(self.page.url)

    def fill_for(self, field: FormField, value: str) -> Fill | None:
        return fill_for(field, value)

    def wait_for_change(self, before: FormPage, *, timeout: float = 10.0) -> None:
        """Wait until the tab shows another document or other text (after Next or Submit)."""
        from playwright.sync_api import Error

        before_url, before_text = before.url, before.text
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.page.wait_for_load_state("load", timeout=LOAD_TIMEOUT_S * 1000)
                url = self.page.url
                text = self.page.evaluate("document.body ? document.body.innerText : ''")
            except Error:  # the document is being replaced
                time.sleep(0.05)
                continue
            if url != before_url or " ".join(text.split())[:2000] != before_text:
                self.wait_for_paint()
                return
            time.sleep(0.05)

    def wait_for_paint(self) -> None:
        """Two animation frames: what the DOM says is on screen has been painted."""
        from playwright.sync_api import Error

        with contextlib.suppress(Error):
            self.page.evaluate(PAINTED_JS)

    def bring_to_front(self) -> None:
        self.page.bring_to_front()


@contextlib.contextmanager
def open_web_form(cdp_url: str, *, url: str | None = None) -> Iterator[WebForm]:
    """Connect to Chromium at `cdp_url`; yield its front tab, first opening `url` in it if given.

    Opening `url` is setup the caller asked for (like `--url`), not a step of the fill.
    """
    from playwright.sync_api import Error, sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.connect_over_cdp(cdp_url, timeout=30_000)
            context = browser.contexts[0] if browser.contexts else browser.new_context()
            pages = [p for p in context.pages if not p.url.startswith("devtools://")]
            if url is not None:
                page = pages[0] if pages else context.new_page()
                try:
                    page.goto(url, wait_until="load", timeout=LOAD_TIMEOUT_S * 1000)
                except Error as exc:  # the page, not the connection: its first line says why
                    raise EnvError(f"cannot load {url}: {exc.message.splitlines()[0]}") from exc
            elif pages:
                page = pages[-1]
            else:
                raise EnvError("the browser has no open page with a form")
            page.bring_to_front()
            form = WebForm(page)
            form.wait_for_paint()
            yield form
    except Error as exc:
        raise EnvError(f"CDP connection to {cdp_url} failed: {exc.message}") from exc


def _box(raw: dict[str, Any] | None) -> Box | None:
    return Box(**raw) if raw else None


def page_from_dom(raw: dict[str, Any]) -> FormPage:
    """The FormPage for discover.js's JSON."""
    fields = []
    for item in raw.get("fields", []):
        options = tuple(
            Option(value=str(o["value"]), label=o["label"], box=_box(o.get("box")))
            for o in item.get("options", [])
        )
        fields.append(FormField(
            key=item["key"], label=item.get("label") or item.get("name") or "", kind=item["kind"],
            name=item.get("name", ""), input_type=item.get("input_type", ""), options=options,
            required=bool(item.get("required")), value=str(item.get("value") or ""),
            pattern=item.get("pattern", ""), max_length=item.get("max_length"),
            minimum=item.get("minimum", ""), maximum=item.get("maximum", ""),
            placeholder=item.get("placeholder", ""), error=item.get("error", ""),
            date_order=item.get("date_order", ""), box=_box(item.get("box")),
            on_screen=bool(item.get("on_screen", True)),
        ))  # fmt: skip
    buttons = tuple(
        Button(text=b["text"], role=button_role(b["text"], is_submit_type=b["is_submit_type"]),
               box=Box(**b["box"]), on_screen=bool(b.get("on_screen", True)))  # fmt: skip
        for b in raw.get("buttons", [])
        if b["text"]
    )
    return FormPage(title=raw.get("title", ""), url=raw.get("url", ""), fields=tuple(fields),
                    buttons=buttons, errors=tuple(raw.get("errors", [])),
                    text=raw.get("text", ""))  # fmt: skip


def fill_for(field: FormField, value: str) -> Fill | None:
    """The one Fill that gives `field` the value `value` on a web page, or None if nothing to do."""
    if field.box is None:
        return None
    x, y = field.box.centre
    match field.kind:
        case "text" | "textarea" | "number":
            # Tab ends the edit: it closes an autofill list that would cover the next field.
            return Fill(x=x, y=y, text=value + "\t")
        case "date":
            date = parse_date(value)
            if date is None:
                return None
            # The first segment sits at the left edge; typing its digits advances segment by segment.
            left = field.box.x + min(12, max(2, field.box.width // 10))
            return Fill(x=left, y=y, text=date_keystrokes(date, field.date_order or "mdy"),
                        replace=False)  # fmt: skip
        case "select":
            option = next((o for o in field.options if o.value == value), None)
            if option is None or field.value == value:
                return None
            return Fill(x=x, y=y, text=option.label + "\n", replace=False,
                        pause_s=LIST_OPEN_PAUSE_S)  # fmt: skip
        case "checkbox":
            return None if field.value == value else Fill(x=x, y=y, text="", replace=False)
        case "radio":
            option = next((o for o in field.options if o.value == value), None)
            if option is None or option.box is None or field.value == value:
                return None
            ox, oy = option.box.centre
            return Fill(x=ox, y=oy, text="", replace=False)
