"""Chrome tab getters over CDP (Playwright `connect_over_cdp(env.cdp_url)`).

The active tab's URL comes, as in OSWorld, from the address bar in the accessibility tree
(which shows it without `https://www.`, hence each task's `goto_prefix`). When the tree is
missing or shows no Chrome address bar, we read the most recently active page from CDP's
/json/list and shorten its URL the way the address bar does. Playwright's sync API cannot run inside a
running asyncio loop: call these from a worker thread there.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import httpx
from lxml import etree

from osworld_eval.getters.base import GetterContext
from osworld_eval.metrics.css_select import css_select

logger = logging.getLogger(__name__)

NAVIGATION_TIMEOUT_MS = 60_000
TAB_SETTLE_TIMEOUT_MS = 30_000
A11Y_NAMESPACES = {
    "st": "https://accessibility.ubuntu.example.org/ns/state",
    "attr": "https://accessibility.ubuntu.example.org/ns/attributes",
    "cp": "https://accessibility.ubuntu.example.org/ns/component",
    "doc": "https://accessibility.ubuntu.example.org/ns/document",
    "docattr": "https://accessibility.ubuntu.example.org/ns/document/attributes",
    "txt": "https://accessibility.ubuntu.example.org/ns/text",
    "val": "https://accessibility.ubuntu.example.org/ns/value",
    "act": "https://accessibility.ubuntu.example.org/ns/action",
}
_ADDRESS_BAR = (
    r"application[name=Google\ Chrome] entry[name=Address\ and\ search\ bar], "
    r"application[name=Chromium] entry[name=Address\ and\ search\ bar]"
)


@contextmanager
def cdp_browser(ctx: GetterContext) -> Iterator[Any]:
    """A Playwright Browser connected to the scored machine's Chromium; raises if unreachable."""
    if not ctx.env.cdp_url:
        raise ConnectionError("the scored machine exposes no Chromium CDP endpoint")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.connect_over_cdp(ctx.env.cdp_url)
        try:
            yield browser
        finally:
            browser.close()


def address_bar_text(url: str) -> str:
    """How Chrome's address bar shows a URL: no http(s) scheme, no www., no lone slash."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https"):
        return url
    shown = url.split("://", 1)[1]
    if shown.startswith("www."):
        shown = shown[4:]
    if parsed.path == "/" and not parsed.query and not parsed.fragment:
        shown = shown.rstrip("/")
    return shown


def _address_bar_from_tree(xml: str) -> str | None:
    try:
        root = etree.fromstring(xml.encode("utf-8"))
    except (etree.XMLSyntaxError, ValueError) as exc:
        logger.info("unparsable accessibility tree: %s", exc)
        return None
    elements = css_select(root, _ADDRESS_BAR, A11Y_NAMESPACES)
    if not elements or not elements[-1].text:
        return None
    return elements[0].text


def _address_bar_from_cdp(cdp_url: str) -> str | None:
    try:
        targets = httpx.get(f"{cdp_url.rstrip('/')}/json/list", timeout=10).json()
    except (httpx.HTTPError, ValueError) as exc:
        logger.info("CDP target list unavailable: %s", exc)
        return None
    # Chromium lists targets most recently active first.
    pages = [t for t in targets if t.get("type") == "page"]
    return address_bar_text(pages[0]["url"]) if pages else None


def active_url(ctx: GetterContext, config: dict[str, Any]) -> str | None:
    """The active tab's URL: goto_prefix + what the address bar shows, None if unknown."""
    tree = ctx.env.accessibility_tree()
    shown = _address_bar_from_tree(tree) if tree else None
    if shown is None and ctx.env.cdp_url:
        shown = _address_bar_from_cdp(ctx.env.cdp_url)
    if shown is None:
        return None
    return f"{config.get('goto_prefix', 'https://')}{shown}"


def get_active_url_from_accessTree(ctx: GetterContext, config: dict[str, Any]) -> str | None:
    return active_url(ctx, config)


def get_active_tab_url_parse(ctx: GetterContext, config: dict[str, Any]) -> dict[str, Any] | None:
    """The active tab's query parameters a task checks (a search's filters, a booking's dates).

    One entry per `parse_keys` name: its first value in the URL's query, "" when the URL lacks
    it. `replace` renames entries ({"departing": "time"} puts the date under "time", where the
    relative-time rule looks); `split_list` turns each value into its comma-separated items.
    None when the active URL is unknown.
    """
    url = active_url(ctx, config)
    if url is None:
        return None
    query = parse_qs(urlparse(url).query)
    renamed: dict[str, str] = config.get("replace", {})
    picked: dict[str, Any] = {}
    for key in config["parse_keys"]:
        value = (query.get(key) or [""])[0]
        picked[renamed.get(key, key)] = value.split(",") if config.get("split_list") else value
    return picked


def url_segment(url: str, index: int, *, drop_query: bool) -> str | None:
    """The `index`th piece of the URL cut at every "/" ("https:", "", host, path segments...),
    negative counting from the end; None when there is no such piece."""
    pieces = url.split("/")
    if not -len(pieces) <= index < len(pieces):
        return None
    piece = pieces[index]
    return piece.partition("?")[0] if drop_query else piece


def get_url_dashPart(ctx: GetterContext, config: dict[str, Any]) -> Any:
    """One "/"-separated piece of the active tab's URL, e.g. "november-weather" at -2 of
    .../manchester/m15-6/november-weather/329260, returned as the string (`returnType`
    "string") or as {`key`: piece} ("json"). None when the URL or the piece is missing.
    """
    url = active_url(ctx, config)
    if url is None:
        return None
    piece = url_segment(url, int(config["partIndex"]), drop_query=bool(config.get("needDeleteId")))
    if piece is None:
        return None
    match config["returnType"]:
        case "string":
            return piece
        case "json":
            return {config["key"]: piece}
        case other:
            raise ValueError(f"url_dashPart: unknown returnType {other!r}")


def listing_facets(path: str) -> dict[str, str]:
    """Filters a shop listing encodes in its path: a segment of comma-separated facet names
    followed by a segment of their comma-separated values (".../Size,Discount/L,50% off")."""
    segments = [unquote(s) for s in path.strip("/").split("/")]
    for names, values in zip(segments, segments[1:], strict=False):
        if "," in names and "," in values:
            keys = [n.strip() for n in names.split(",")]
            picked = [v.strip() for v in values.split(",")]
            return dict(zip(keys, picked, strict=False))
    return {}


_PERCENT = re.compile(r"(\d+)_PERCENT_")
HALF_OFF = "50_PERCENT_ off & more"


def _at_least_half_off(ranges: str | None) -> str:
    """HALF_OFF when every selected discount range starts at 50% or more, else "not_" + it."""
    floors = [int(p) for p in _PERCENT.findall(ranges or "")]
    return HALF_OFF if floors and min(floors) >= 50 else "not_" + HALF_OFF


def get_url_path_parse(ctx: GetterContext, config: dict[str, Any]) -> dict[str, Any] | None:
    """What a men's-shirts listing on a shop (macys.com) filters by, read from its URL path.

    Always: `mens_clothing`, `shirts`, `short_sleeve` -> True when the path's department or
    facets say so, else None. For each of `parse_keys` that is a facet: its value (None when
    not chosen); `Price_discount_range` becomes HALF_OFF when only discounts of 50% or more are
    chosen, else "not_" + HALF_OFF. None when the active URL is unknown.
    """
    url = active_url(ctx, config)
    if url is None:
        return None
    path = unquote(urlparse(url).path)
    facets = listing_facets(path)
    lowered = path.lower()
    departments = lowered.strip("/").split("/")
    shirts = "shirts" in lowered or facets.get("Product_department", "").lower().startswith("shirt")
    short = "short-sleeve" in lowered or facets.get("Sleeve_length", "").lower() == "short sleeve"
    result: dict[str, Any] = {
        "mens_clothing": True if "mens-clothing" in departments else None,
        "shirts": True if shirts else None,
        "short_sleeve": True if short else None,
    }
    for key in config["parse_keys"]:
        if key == "Price_discount_range":
            result[key] = _at_least_half_off(facets.get(key))
        elif key not in result:
            result[key] = facets.get(key) or None
    return result


def _visit(ctx: GetterContext, url: str, *, wait_until: str) -> dict[str, str] | None:
    try:
        with cdp_browser(ctx) as browser:
            context = browser.contexts[0] if browser.contexts else browser.new_context()
            page = context.new_page()
            try:
                page.goto(url, wait_until=wait_until, timeout=NAVIGATION_TIMEOUT_MS)
                return {"title": page.title(), "url": page.url, "content": page.content()}
            finally:
                page.close()
    except Exception as exc:  # OSWorld returns None for any browser failure here
        logger.info("could not open %s over CDP: %s", url, exc)
        return None


def get_active_tab_info(ctx: GetterContext, config: dict[str, Any]) -> dict[str, str] | None:
    """Title, URL and HTML of the active tab's URL, loaded again in a new tab."""
    url = active_url(ctx, config)
    return None if url is None else _visit(ctx, url, wait_until="load")


def get_page_info(ctx: GetterContext, config: dict[str, Any]) -> dict[str, str]:
    """Title, URL and HTML of `url` loaded in a new tab."""
    info = _visit(ctx, config["url"], wait_until="networkidle")
    return info or {"title": "Connection failed", "url": config["url"], "content": ""}


def get_open_tabs_info(ctx: GetterContext, config: dict[str, Any]) -> list[dict[str, str]]:
    """[{title, url}] of every open tab; [] if the browser is unreachable."""
    tabs: list[dict[str, str]] = []
    try:
        with cdp_browser(ctx) as browser:
            for context in browser.contexts:
                for page in context.pages:
                    try:
                        page.wait_for_load_state("networkidle", timeout=TAB_SETTLE_TIMEOUT_MS)
                        tabs.append({"title": page.title(), "url": page.url})
                    except Exception as exc:
                        title = (
                            "Load timeout"
                            if "Timeout" in type(exc).__name__
                            else "Error encountered"
                        )
                        tabs.append({"title": title, "url": page.url})
    except Exception as exc:
        logger.info("open tabs unavailable: %s", exc)
        return []
    return tabs


_APPEARANCE_PROBE = """async () => {
  const out = {};
  for (const key of ["browser.theme.color_scheme2", "browser.theme.color_scheme",
                     "extensions.theme.system_theme"]) {
    try { const pref = await chrome.settingsPrivate.getPref(key); out[key] = pref ? pref.value : null; }
    catch (e) { out[key] = null; }
  }
  return out;
}"""


def get_chrome_appearance_mode_ui(ctx: GetterContext, config: dict[str, Any]) -> str:
    """Chrome's appearance mode as its settings page reports it; falls back to Preferences."""
    from osworld_eval.getters.chrome_prefs import color_scheme_from, get_chrome_color_scheme

    try:
        with cdp_browser(ctx) as browser:
            context = browser.contexts[0] if browser.contexts else browser.new_context()
            page = context.new_page()
            try:
                page.goto("chrome://settings/appearance", wait_until="domcontentloaded")
                prefs = page.evaluate(_APPEARANCE_PROBE)
            finally:
                page.close()
        raw = prefs.get("browser.theme.color_scheme2")
        if raw is None:
            raw = prefs.get("browser.theme.color_scheme")
        if raw is not None or prefs.get("extensions.theme.system_theme") is not None:
            return color_scheme_from(raw, prefs.get("extensions.theme.system_theme"))
    except Exception as exc:
        logger.info("appearance probe over CDP failed (%s); reading Preferences", exc)
    return get_chrome_color_scheme(ctx, config)
