"""Chrome's settings and profile data, changed on its own pages and read back.

Each operation is one step: show the right chrome:// page and run the page's own call there
(what its toggle, dropdown or button would call). Then, for free, the program reads the
state back from the page and, where the profile folder is readable, from the Preferences or
Bookmarks file Chrome writes. A change the page reports but the file does not show after the
wait is reported as unsaved (not done). One retry when the page read-back disagrees.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, Field

from gui_agent.agentic import agentic
from gui_agent.errors import EnvError
from gui_agent.plural import counted
from gui_agent.policy import gate
from skills import chrome_scripts as scripts
from skills.base import SkillResult, SkillStatus, observe
from skills.chrome_cdp import CdpBrowser, Tab
from skills.chrome_ops import (
    AddBookmarkFolder,
    BookmarkPage,
    ChangeSetting,
    DeleteHistory,
    DeleteSiteData,
    PrefValue,
    SetColorScheme,
    SetPref,
    SetProfileName,
    SetSearchEngine,
)  # fmt: skip
from skills.chrome_pages import PAGE_URLS, PREFERENCE_FILE_CHECKS, page_for_pref
from skills.chrome_state import ProfileFiles, browser_action

log = logging.getLogger(__name__)

ATTEMPTS = 2
_REPLACEABLE = ("about:blank", "chrome://newtab", "chrome://new-tab-page", "chrome://settings",
                "chrome://history", "chrome://bookmarks", "chrome://version")  # fmt: skip


def show_page(browser: CdpBrowser, url: str) -> Tab:
    """Show `url`: in the active tab when it holds nothing of the user's, else in a new tab."""
    active = browser.active_tab()
    if active is not None and (not active.url or active.url.startswith(_REPLACEABLE)):
        if active.url.rstrip("/") == url.rstrip("/"):
            return browser.wait_loaded(active)
        return browser.navigate(active, url)
    tab = browser.new_tab(url)
    browser.activate(tab)
    return browser.wait_loaded(tab)


def _done(line: str) -> SkillResult:
    return SkillResult(SkillStatus.DONE, line)


def _handoff(line: str) -> SkillResult:
    return SkillResult(SkillStatus.HANDOFF, line)


def _expect_pref(files: ProfileFiles, key: str, value: Any) -> None:
    if key.startswith("generated."):
        # Computed by the page from real preferences; only some values map to one file key.
        mapped = PREFERENCE_FILE_CHECKS.get(key, {}).get(value)
        if mapped is not None:
            files.expect_preference(*mapped)
        return
    files.expect_preference(key, value)


def set_pref(op: SetPref, browser: CdpBrowser, files: ProfileFiles, *,
             url: str | None = None) -> SkillResult:  # fmt: skip
    """Set one preference on its settings page (`url`, default: where the catalogue puts it)."""
    url = url or page_for_pref(op.key)
    for _attempt in range(ATTEMPTS):
        with browser_action(f"set {op.key} = {op.value!r} on {url}"):
            tab = show_page(browser, url)
            reply = browser.evaluate(tab, scripts.set_pref(op.key, op.value))
        if not reply.get("ok"):
            return _handoff(f"Chrome refused {op.key} = {op.value!r}: {reply.get('error')}")
        now = browser.evaluate(tab, scripts.get_pref(op.key))
        observe("settings page", f"{op.key} = {now.get('value')!r}")
        if now.get("ok") and now.get("value") == op.value:
            _expect_pref(files, op.key, op.value)
            return _done(f"{op.key} = {op.value!r} on {url}")
    return _handoff(f"{op.key} still reads {now.get('value')!r} after {ATTEMPTS} attempts")


class SettingControl(BaseModel):
    """One control of a settings page, as the page binds it to a preference."""

    key: str
    type: str
    value: Any = None
    label: str = ""
    detail: str = ""
    options: list[dict[str, str]] | None = None


class SettingsPage(BaseModel):
    url: str
    controls: list[SettingControl]


class SettingChoice(BaseModel):
    key: str | None = Field(description="the chosen control's key; null if none fits")
    value: PrefValue | None = Field(
        default=None, description="its new value: one of `options` values when it has options"
    )


@agentic(summarize=lambda choice: f"setting: {choice.key} = {choice.value!r}")
def pick_setting_control(what: str, page: SettingsPage) -> SettingChoice:
    """Pick the control of this Chrome settings page that makes the change `what` describes,
    and the value it must get: true/false for a toggle, one of its `options` values otherwise.
    Return key null when no control on the page fits."""


def change_setting(op: ChangeSetting, browser: CdpBrowser, files: ProfileFiles) -> SkillResult:
    """Open the page (one step), read its controls (free), ask which one, set it (one step)."""
    url = PAGE_URLS[op.page]
    with browser_action(f"open {url} to find the control for {op.what!r}"):
        tab = show_page(browser, url)
    raw = browser.evaluate(tab, scripts.settings_controls()) or []
    controls = [SettingControl.model_validate(item) for item in raw]
    observe("settings controls", "; ".join(f"{c.key} ({c.label})" for c in controls))
    if not controls:
        return _handoff(f"{url} shows no setting controls to change {op.what!r}")
    choice = pick_setting_control(op.what, SettingsPage(url=url, controls=controls))
    control = next((c for c in controls if c.key == choice.key), None)
    if control is None or choice.value is None:
        return _handoff(f"no control on {url} does {op.what!r}")
    value = _typed(choice.value, control.type)
    return set_pref(SetPref(key=control.key, value=value), browser, files, url=url)


def _typed(value: Any, pref_type: str) -> Any:
    """An option's value (the page lists them as text) in the preference's own type."""
    if pref_type == "BOOLEAN" and isinstance(value, str):
        return value.strip().lower() == "true"
    if pref_type == "NUMBER" and isinstance(value, str):
        number = float(value)
        return int(number) if number.is_integer() else number
    return value


def set_search_engine(op: SetSearchEngine, browser: CdpBrowser,
                      files: ProfileFiles) -> SkillResult:  # fmt: skip
    url = PAGE_URLS["search_engines"]
    active = browser.active_tab()
    if active is not None and active.url.startswith(url):
        engines = browser.evaluate(active, scripts.search_engines())
    else:
        engines = None  # the list is read on the page the step shows
    wanted = op.name.strip().lower()
    with browser_action(f"make {op.name!r} the default search engine on {url}"):
        tab = show_page(browser, url)
        engines = engines or browser.evaluate(tab, scripts.search_engines())
        match = _pick_engine(engines, wanted)
        if match is None:
            names = ", ".join(e["name"] for e in engines)
            return _handoff(f"no search engine named {op.name!r} is listed (listed: {names})")
        reply = browser.evaluate(tab, scripts.set_search_engine(match["id"]))
    if not reply.get("ok"):
        return _handoff(f"the default search engine did not change to {match['name']!r}")
    files.expect_preference("default_search_provider_data.template_url_data.short_name",
                            match["name"])  # fmt: skip
    return _done(f"default search engine is {reply.get('value')!r}")


def _pick_engine(engines: list[dict[str, Any]], wanted: str) -> dict[str, Any] | None:
    usable = [e for e in engines if e.get("canBeDefault") or e.get("isDefault")]
    for test in (
        lambda e: e["name"].lower() == wanted,
        lambda e: e["keyword"].lower().removeprefix("www.") == wanted,
        lambda e: wanted in e["name"].lower() or wanted in e["keyword"].lower(),
    ):
        found = next((e for e in usable if test(e)), None)
        if found is not None:
            return found
    return None


def set_profile_name(op: SetProfileName, browser: CdpBrowser, files: ProfileFiles) -> SkillResult:
    url = PAGE_URLS["manage_profile"]
    with browser_action(f"rename the profile to {op.name!r} on {url}"):
        tab = show_page(browser, url)
        browser.evaluate(tab, scripts.set_profile_name(op.name))
    shown = browser.evaluate(tab, scripts.profile_name())
    observe("profile page", f"name {shown!r}")
    if shown != op.name:
        return _handoff(f"the profile is still named {shown!r}, not {op.name!r}")
    files.expect_preference("profile.name", op.name)
    return _done(f"profile name is {op.name!r}")


def set_color_scheme(op: SetColorScheme, browser: CdpBrowser, files: ProfileFiles) -> SkillResult:
    url = PAGE_URLS["appearance"]
    for _attempt in range(ATTEMPTS):
        with browser_action(f"set the appearance mode to {op.mode} on {url}"):
            tab = show_page(browser, url)
            reply = browser.evaluate(tab, scripts.color_scheme(op.mode))
        if not reply.get("ok"):
            return _handoff(f"appearance mode not changed: {reply.get('error')}")
        shown = browser.evaluate(tab, scripts.color_scheme(None))
        observe("appearance page", f"mode shows {shown.get('value')!r}")
        if str(shown.get("value", "")).lower() == op.mode:
            if op.mode != "device":  # the default is not always written out
                files.expect_preference("browser.theme.color_scheme2", _COLOR_SCHEME_CODES[op.mode])
            return _done(f"appearance mode is {op.mode} on {url}")
    return _handoff(f"the appearance mode still shows {shown.get('value')!r}")


_COLOR_SCHEME_CODES = {"light": 1, "dark": 2, "device": 0}
_FILE_ROOTS = {"bookmarks_bar": "bookmark_bar", "other": "other"}


def add_bookmark_folder(op: AddBookmarkFolder, browser: CdpBrowser,
                        files: ProfileFiles) -> SkillResult:  # fmt: skip
    return _bookmark(browser, files, parent=op.parent, title=op.name, url=None)


def bookmark_page(op: BookmarkPage, browser: CdpBrowser, files: ProfileFiles) -> SkillResult:
    url, title = op.url, op.title
    if url is None:
        active = browser.active_tab()
        if active is None or active.url.startswith("chrome://"):
            return _handoff("there is no web page in the active tab to bookmark")
        url, title = active.url, title or active.title
    return _bookmark(browser, files, parent=op.parent, title=title or url, url=url)


def _bookmark(browser: CdpBrowser, files: ProfileFiles, *, parent: str, title: str,
              url: str | None) -> SkillResult:  # fmt: skip
    what = f"folder {title!r}" if url is None else f"bookmark {title!r} <{url}>"
    with browser_action(f"add the {what} under {parent} in the bookmarks manager"):
        tab = _background_tab(browser, PAGE_URLS["bookmarks"])
        try:
            browser.evaluate(tab, scripts.create_bookmark(parent=parent, title=title, url=url))
            children = browser.evaluate(tab, scripts.bookmark_children(parent))
        finally:
            browser.close(tab)
    observe("bookmarks manager", f"{parent}: {[c['title'] for c in children]}")
    if not any(c["title"] == title and c["url"] == url for c in children):
        return _handoff(f"the {what} does not show in {parent}")
    files.expect_bookmark(_FILE_ROOTS[parent], title)
    return _done(f"{what} added to {parent}")


def _background_tab(browser: CdpBrowser, url: str) -> Tab:
    """A new tab for work that should not replace what the user sees; closed by the caller."""
    active = browser.active_tab()
    tab = browser.wait_loaded(browser.new_tab(url))
    if active is not None:
        browser.activate(active)
    return tab


def delete_history(op: DeleteHistory, browser: CdpBrowser, files: ProfileFiles) -> SkillResult:
    what = f"history entries matching {op.match!r}" if op.match else "all history entries"
    gate(f"delete {what}", reason="deleted browsing history cannot be restored")
    with browser_action(f"delete {what} on the history page"):
        tab = _background_tab(browser, PAGE_URLS["history"])
        try:
            found = browser.evaluate(tab, scripts.history_matches(op.match))
            if found:
                browser.evaluate(tab, scripts.remove_history(op.match), timeout=120)
            left = browser.evaluate(tab, scripts.history_matches(op.match))
        finally:
            browser.close(tab)
    observe("history page", f"{len(found)} matched, {len(left)} left")
    if left:
        return _handoff(f"{len(left)} {what} are still in the history")
    return _done(f"deleted {len(found)} {what}")


def delete_site_data(op: DeleteSiteData, browser: CdpBrowser, files: ProfileFiles) -> SkillResult:
    domain = _bare_domain(op.domain)
    tab = browser.active_tab()
    if tab is None:
        return _handoff("the browser has no open tab to work through")
    gate(f"delete the cookies and site data of {domain}", reason="deleted site data is gone")
    with browser_action(f"delete cookies and stored data of {domain}"):
        cookies = browser.command(tab, "Storage.getCookies").get("cookies", [])
        mine = [c for c in cookies if _bare_domain(c.get("domain", "")).endswith(domain)]
        for cookie in mine:
            browser.command(
                tab,
                "Network.deleteCookies",
                {"name": cookie["name"], "domain": cookie["domain"], "path": cookie["path"]},
            )
        # Cookies went above, one by one: here, clearing storage type "all" for the origins of
        # an IP address (Chromium 156) also wiped every other site's cookies.
        for origin in _origins(domain):
            try:
                browser.command(tab, "Storage.clearDataForOrigin",
                                {"origin": origin, "storageTypes": _SITE_STORAGE})  # fmt: skip
            except EnvError as exc:
                log.info("clearing %s: %s", origin, exc.message)
    cookies = browser.command(tab, "Storage.getCookies").get("cookies", [])
    left = [c for c in cookies if _bare_domain(c.get("domain", "")).endswith(domain)]
    observe("cookies", f"{len(mine)} of {domain} deleted, {len(left)} left")
    if left:
        return _handoff(f"{counted(len(left), 'cookie')} of {domain} still stored")
    return _done(f"deleted {counted(len(mine), 'cookie')} and the stored data of {domain}")


_SITE_STORAGE = "local_storage,indexeddb,cache_storage,service_workers,file_systems,websql"


def _origins(domain: str) -> list[str]:
    hosts = [domain] if re.fullmatch(r"[\d.:\[\]]+", domain) else [domain, f"www.{domain}"]
    return [f"{scheme}://{host}" for host in hosts for scheme in ("https", "http")]


def _bare_domain(text: str) -> str:
    host = urlsplit(text).hostname if "://" in text else text
    return (host or text).strip().lstrip(".").lower().removeprefix("www.")
