"""Navigation and tabs: over CDP where the browser has it, by keyboard where it does not.

Over CDP every change is one step (a navigation, a tab opened, activated or closed) and is
checked by reading the tab list back. Without CDP the program types the way a person does
(ctrl+L, the address, Enter; ctrl+T; ctrl+W; ctrl+shift+T), one step per input, and hands the
check to the step loop, which can see the screen.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

from gui_agent.actions import Key, Type
from gui_agent.computers.base import Computer
from gui_agent.plural import counted
from skills.base import SkillResult, SkillStatus, act, observe
from skills.chrome_cdp import CdpBrowser, Tab
from skills.chrome_ops import CloseTabs, FindInPage, Navigate, OpenTabs, RestoreClosedTab, SwitchTab
from skills.chrome_state import browser_action

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
RESTORE_WAIT_S = 5.0


def full_url(text: str) -> str:
    """What the address bar would load for `text`: a bare host gets https://."""
    text = text.strip()
    if _SCHEME.match(text) and not re.match(r"^[\w.-]+:\d+", text):
        return text
    return "https://" + text


def same_page(shown: str, wanted: str) -> bool:
    """True when `shown` is the page `wanted` names (scheme, www. and a final / aside)."""

    def norm(url: str) -> tuple[str, str, str]:
        parts = urlsplit(url.strip())
        host = (parts.netloc or "").lower().removeprefix("www.")
        return host, parts.path.rstrip("/"), parts.query

    shown_n, wanted_n = norm(shown), norm(full_url(wanted))
    return shown_n == wanted_n or (shown_n[0] == wanted_n[0] and shown_n[1] == wanted_n[1])


def _result(status: SkillStatus, line: str) -> SkillResult:
    return SkillResult(status, line)


def navigate(op: Navigate, browser: CdpBrowser | None, computer: Computer) -> SkillResult:
    url = full_url(op.url)
    if browser is None:
        act(computer, Key(keys="ctrl+t" if op.new_tab else "ctrl+l"), why="focus the address bar")
        act(computer, Type(text=url), why=f"type {url}")
        act(computer, Key(keys="enter"), why="load it")
        return _result(SkillStatus.HANDOFF, f"typed {url} into the address bar (no CDP to check)")
    where = "a new tab" if op.new_tab else "the active tab"
    with browser_action(f"load {url} in {where}"):
        if op.new_tab:
            tab = browser.new_tab(url)
            browser.activate(tab)
            tab = browser.wait_loaded(tab)
        else:
            active = browser.active_tab()
            tab = browser.navigate(active, url) if active else browser.new_tab(url)
    shown = browser.active_tab()
    observe("active tab", shown.line() if shown else "none")
    if shown is not None and (same_page(shown.url, url) or shown.id == tab.id):
        return _result(SkillStatus.DONE, f"the active tab shows {shown.line()}")
    return _result(SkillStatus.HANDOFF, f"asked for {url}; the active tab shows "
                   f"{shown.line() if shown else 'nothing'}")  # fmt: skip


def open_tabs(op: OpenTabs, browser: CdpBrowser | None, computer: Computer) -> SkillResult:
    if browser is None:
        for url in op.urls:
            navigate(Navigate(url=url, new_tab=True), None, computer)
        return _result(SkillStatus.HANDOFF, f"typed {counted(len(op.urls), 'address', 'addresses')} into new tabs")
    before = {tab.id for tab in browser.tabs()}
    for url in op.urls:
        with browser_action(f"open {full_url(url)} in a new tab"):
            tab = browser.new_tab(full_url(url))
            browser.activate(tab)
    tabs = browser.tabs()
    new = [tab for tab in tabs if tab.id not in before]
    observe("tabs", "; ".join(tab.line() for tab in tabs))
    if len(new) < len(op.urls):
        return _result(SkillStatus.HANDOFF, f"only {len(new)} of {len(op.urls)} tabs opened")
    return _result(SkillStatus.DONE, f"opened {counted(len(new), 'tab')}; {counted(len(tabs), 'tab')} open")


def matching(tabs: list[Tab], match: str) -> list[Tab]:
    text = match.strip().lower()
    return [tab for tab in tabs if text in tab.title.lower() or text in tab.url.lower()]


def switch_tab(op: SwitchTab, browser: CdpBrowser | None, computer: Computer) -> SkillResult:
    if browser is None:
        return _result(SkillStatus.HANDOFF, f"find the tab showing {op.match!r} on screen")
    found = matching(browser.tabs(), op.match)
    if not found:
        return _result(SkillStatus.HANDOFF, f"no open tab matches {op.match!r}")
    with browser_action(f"activate the tab {found[0].line()}"):
        browser.activate(found[0])
    active = browser.active_tab()
    if active is not None and active.id == found[0].id:
        return _result(SkillStatus.DONE, f"the active tab is {active.line()}")
    return _result(SkillStatus.HANDOFF, f"the tab {found[0].line()} did not become active")


def close_tabs(op: CloseTabs, browser: CdpBrowser | None, computer: Computer) -> SkillResult:
    if browser is None:
        if op.match:
            return _result(SkillStatus.HANDOFF, f"find the tabs showing {op.match!r} on screen")
        act(computer, Key(keys="ctrl+w"), why="close the active tab")
        return _result(SkillStatus.HANDOFF, "pressed ctrl+W to close the active tab")
    tabs = browser.tabs()
    doomed = matching(tabs, op.match) if op.match else tabs[:1]
    if not doomed:
        return _result(SkillStatus.DONE, f"no open tab matches {op.match!r}: nothing to close")
    for tab in doomed:
        with browser_action(f"close the tab {tab.line()}"):
            browser.close(tab)
    left = {tab.id for tab in _settled_tabs(browser, lambda ids: not ids & {t.id for t in doomed})}
    still = [tab for tab in doomed if tab.id in left]
    if still:
        return _result(SkillStatus.HANDOFF, f"{counted(len(still), 'tab')} did not close")
    return _result(SkillStatus.DONE, f"closed {counted(len(doomed), 'tab')}; {counted(len(left), 'tab')} open")


def _settled_tabs(browser: CdpBrowser, ready: object, timeout: float = RESTORE_WAIT_S) -> list[Tab]:
    """The tab list once `ready(ids)` holds (or at the deadline)."""
    deadline = time.monotonic() + timeout
    while True:
        tabs = browser.tabs()
        if callable(ready) and ready({tab.id for tab in tabs}) or time.monotonic() > deadline:
            return tabs
        time.sleep(0.1)


def restore_closed_tab(op: RestoreClosedTab, browser: CdpBrowser | None,
                       computer: Computer) -> SkillResult:  # fmt: skip
    before = {tab.id for tab in browser.tabs()} if browser else set()
    act(computer, Key(keys="ctrl+shift+t"), why="reopen the last closed tab")
    if browser is None:
        return _result(SkillStatus.HANDOFF, "pressed ctrl+shift+T to reopen the last closed tab")
    tabs = _settled_tabs(browser, lambda ids: bool(ids - before))
    new = [tab for tab in tabs if tab.id not in before]
    observe("tabs", "; ".join(tab.line() for tab in tabs))
    if not new:
        return _result(SkillStatus.HANDOFF, "ctrl+shift+T reopened no tab")
    return _result(SkillStatus.DONE, f"reopened {new[0].line()}")


def find_in_page(op: FindInPage, browser: CdpBrowser | None, computer: Computer) -> SkillResult:
    act(computer, Key(keys="ctrl+f"), why="open the find bar")
    act(computer, Type(text=op.text), why=f"search the page for {op.text!r}")
    if browser is None:
        return _result(SkillStatus.HANDOFF, f"searched the page for {op.text!r}")
    active = browser.active_tab()
    text = browser.page_text(active) if active else ""
    count = text.lower().count(op.text.lower())
    observe("page text", f"{counted(count, 'occurrence')} of {op.text!r}")
    return _result(SkillStatus.DONE, f"find bar shows {op.text!r}: {counted(count, 'occurrence')} on the page")
