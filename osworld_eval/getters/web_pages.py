"""Expected values read from live web pages through the scored machine's own browser (CDP).

- `pdf_from_url`: the page at `path` printed to PDF by that browser (no margins, as a user's
  "Save as PDF" with margins set to none) into the task cache as `dest`.
- `info_from_website`: texts and attributes read from the page at `url`, one per `infos` entry
  (`inner_text`, `attribute`, `click_and_inner_text`, `click_and_attribute`; the click forms
  click each selector but the last, in order, then read the last). When the site cannot be read
  (offline, changed layout) the task's recorded `backups` stand in, as in OSWorld, and the log
  says so.
- `gotoRecreationPage_and_get_html_content`: on recreation.gov, search "Diamond", open the
  first result, press "Next Available", and read the text of the `order`th element of class
  `class`; returns `{"expected": {class: text}}`, the rule `check_direct_json_object` takes.

Every page opened here is a new tab, closed afterwards: the agent's tabs are left as they were.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from osworld_eval.getters.base import GetterContext
from osworld_eval.getters.chrome_tabs import NAVIGATION_TIMEOUT_MS, cdp_browser

logger = logging.getLogger(__name__)

RECREATION_URL = "https://www.recreation.gov/"
RECREATION_QUERY = "Diamond"
ACTION_TIMEOUT_MS = 20_000
_SEARCH_BOXES = ("#hero-search-input", "input[type=search]", "input[placeholder*='Search' i]")


@contextmanager
def new_tab(ctx: GetterContext) -> Iterator[Any]:
    """A new tab of the scored machine's browser (a Playwright Page), closed on exit."""
    with cdp_browser(ctx) as browser:
        context = browser.contexts[0] if browser.contexts else browser.new_context()
        before = set(context.pages)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        page = context.new_page()
        try:
            yield page
        finally:
            for opened in context.pages:
                if opened not in before:
                    opened.close()


def get_pdf_from_url(ctx: GetterContext, config: dict[str, Any]) -> str:
    """Print the page at `path` to `<task cache>/<dest>`; returns that path."""
    url, dest = config["path"], config["dest"]
    with new_tab(ctx) as page:
        page.goto(url, wait_until="load", timeout=NAVIGATION_TIMEOUT_MS)
        try:
            page.wait_for_load_state("networkidle", timeout=ACTION_TIMEOUT_MS)
        except Exception as exc:  # a page that keeps polling still prints what it shows
            logger.info("pdf_from_url: %s never went network-idle: %s", url, exc)
        session = page.context.new_cdp_session(page)
        printed = session.send(
            "Page.printToPDF",
            {"marginTop": 0, "marginBottom": 0, "marginLeft": 0, "marginRight": 0},
        )
    target = ctx.task_cache_dir / dest
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(base64.b64decode(printed["data"]))
    return str(target)


def _read(page: Any, info: dict[str, Any]) -> str:
    action = info["action"]
    selectors = info["selector"] if isinstance(info["selector"], list) else [info["selector"]]
    if action.startswith("click_and_"):
        for selector in selectors[:-1]:
            page.locator(selector).first.click()
            page.wait_for_load_state("load")
        action = action.removeprefix("click_and_")
    last = page.locator(selectors[-1]).first
    if action == "inner_text":
        return str(last.inner_text())
    if action == "attribute":
        return str(last.get_attribute(info["attribute"]))
    raise ValueError(f"info_from_website: unknown action {info['action']!r}")


def get_info_from_website(ctx: GetterContext, config: dict[str, Any]) -> list[str]:
    """One string per `infos` entry read from `url`; the task's `backups` if the site fails."""
    try:
        with new_tab(ctx) as page:
            page.goto(config["url"], wait_until="load", timeout=NAVIGATION_TIMEOUT_MS)
            return [_read(page, info) for info in config["infos"]]
    except ValueError:
        raise
    except Exception as exc:
        backups = config.get("backups")
        if backups is None:
            raise
        logger.warning("info_from_website: %s unreadable (%s); using the task's backups",
                       config["url"], exc)  # fmt: skip
        return list(backups)


def _search_box(page: Any) -> Any:
    for selector in _SEARCH_BOXES:
        box = page.locator(selector)
        if box.count():
            return box.first
    raise LookupError(f"no search box on {page.url}")


def get_gotoRecreationPage_and_get_html_content(
    ctx: GetterContext, config: dict[str, Any]
) -> dict[str, Any]:
    """{"expected": {class: text}} read after the Next Available search on recreation.gov."""
    if config.get("selector", "class") != "class":
        raise ValueError(f"gotoRecreationPage: selector {config['selector']!r} is not supported")
    name, order = config["class"], int(config.get("order", 0))
    with new_tab(ctx) as page:
        page.goto(RECREATION_URL, wait_until="load", timeout=NAVIGATION_TIMEOUT_MS)
        box = _search_box(page)
        box.fill(RECREATION_QUERY)
        box.press("Enter")
        page.wait_for_load_state("load")
        try:
            page.wait_for_load_state("networkidle")
        except Exception as exc:  # results render anyway; the locator below waits for them
            logger.info("recreation search never went network-idle: %s", exc)
        result = page.get_by_role("link", name=RECREATION_QUERY, exact=True)
        if not result.count():
            result = page.get_by_role("link", name=RECREATION_QUERY)
        result = result.first
        with page.context.expect_page(timeout=ACTION_TIMEOUT_MS) as opened:
            result.click(modifiers=["Control"])  # the site opens results in a new tab anyway
        place = opened.value
        place.wait_for_load_state("load")
        place.get_by_role("button", name="Next Available").first.click()
        elements = place.locator(f".{name}")
        elements.nth(order).wait_for()
        text = elements.nth(order).inner_text().strip()
    return {"expected": {name: text}}
