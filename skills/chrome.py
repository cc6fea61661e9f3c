"""The Chrome skill: the browser's settings, profile data, tabs and pages, the known way.

    result = run_chrome("Turn on Do Not Track", computer, params=None)

One scoped call (`plan_chrome_work`) turns the goal into a few typed operations (chrome_ops);
skipped when the caller already passes a `ChromePlan`. The program runs each operation the
known way: a chrome:// page and the page's own call for settings and profile data
(chrome_settings), CDP or the keyboard for tabs and navigation (chrome_tabs). Every change is
one step of the episode's budget and is checked by reading state back (the page, the tab list,
the profile's Preferences/Bookmarks). Work on web sites, and anything the skill could not
confirm, goes to the step loop as HANDOFF with a one-line summary of what was done.
"""

from __future__ import annotations

import logging
from typing import Any, assert_never

from pydantic import BaseModel, Field

from gui_agent import context as ctx
from gui_agent.agentic import agentic
from gui_agent.computers.base import Computer
from gui_agent.errors import EnvError, PolicyBlocked
from skills import chrome_settings as settings
from skills import chrome_tabs as tabs
from skills.base import SkillResult, SkillStatus, observe
from skills.chrome_cdp import CdpBrowser, browser_of
from skills.chrome_ops import (
    AddBookmarkFolder,
    AnswerFromPage,
    BookmarkPage,
    ChangeSetting,
    ChromeOperation,
    ChromeParams,
    CloseTabs,
    DeleteHistory,
    DeleteSiteData,
    FindInPage,
    Infeasible,
    Navigate,
    OpenChromePage,
    OpenTabs,
    RestoreClosedTab,
    SetColorScheme,
    SetPref,
    SetProfileName,
    SetSearchEngine,
    SwitchTab,
    WebTask,
)  # fmt: skip
from skills.chrome_pages import KNOWN_PREFS, PAGE_URLS, ChromePage, page_for_pref
from skills.chrome_state import ProfileFiles
from skills.chrome_web import dismiss_cookie_banner

log = logging.getLogger(__name__)

ChromePlan = ChromeParams
"""The typed plan a caller may pass as `params` to skip the planning call."""

__all__ = ["ChromePlan", "plan_chrome_work", "run_chrome"]


class BrowserView(BaseModel):
    """What the planning call sees of the browser and of Chrome's settings."""

    tabs: list[str] = Field(description="open tabs, the active one first")
    chrome_pages: dict[str, str] = Field(description="Chrome's own pages by name")
    settings: list[str] = Field(description="preference key (page): meaning and values")


@agentic(summarize=lambda plan: "plan: " + ", ".join(op.kind for op in plan.operations))
def plan_chrome_work(goal: str, hints: str, browser: BrowserView) -> ChromeParams:
    """Turn the goal into the few browser operations that achieve it, in order.

    Choose the most direct operations:
    - a browser setting: `set_pref` with a key from `browser.settings` and a value of the
      type shown there (true/false, a number, a string); the search engine, the profile
      name and light/dark mode have their own operations; a setting not listed there:
      `change_setting` with the settings page it is on and the change in the goal's words;
    - bookmarks, history, cookies/site data: their operations (`bookmark_page` with no url
      bookmarks the page in the active tab);
    - showing a place in Chrome's settings or its own pages: `open_chrome_page`;
    - tabs and addresses: `navigate`, `open_tabs`, `switch_tab`, `close_tabs`,
      `restore_closed_tab`, `find_in_page`;
    - a question about the page that is open: `answer_from_page`;
    - work on a web site that needs looking at its pages (searching, filtering, forms,
      buying): `web_task`, with a start_url when the site is known;
    - something Chrome has no feature for, or that cannot be done: `infeasible` with why.
    Use values the goal states; do not invent others. `hints` are parameters another call
    already read from the goal (may be empty).
    """


@agentic(max_output_tokens=512)
def answer_from_text(question: str, page_title: str, page_text: str) -> str:
    """Answer the question from the page's text only; short, exact, no explanation."""


def run_chrome(goal: str, computer: Computer, *, params: Any = None) -> SkillResult:
    """Do `goal` in the browser; DONE only when every operation was read back as done."""
    with ctx.frame("chrome.run", arguments={"goal": goal}) as node:
        result = _run(goal, computer, params)
        node.output = result.summary
        node.summary = result.summary_line()
        return result


def _run(goal: str, computer: Computer, params: Any) -> SkillResult:
    browser = browser_of(computer)
    observe("browser", f"CDP at {browser.cdp_url}" if browser else "no CDP: keyboard only")
    if isinstance(params, ChromeParams):
        plan = params
    elif getattr(params, "operations", None):  # the router already extracted them
        plan = ChromeParams(operations=params.operations)
    else:
        plan = plan_chrome_work(goal, _hints(params), _view(browser))
    files = ProfileFiles(computer)
    lines: list[str] = []
    answer: str | None = None
    status = SkillStatus.DONE
    for op in plan.operations:
        try:
            result = run_operation(op, browser, computer, files=files)
        except EnvError as exc:
            result = SkillResult(SkillStatus.HANDOFF, f"{op.kind} failed: {exc.message}")
        except PolicyBlocked as exc:
            result = SkillResult(SkillStatus.BLOCKED, exc.message)
        lines.append(result.summary)
        answer = result.answer or answer
        if result.status is not SkillStatus.DONE:
            status = result.status
            break
    saved = files.check()
    if saved:
        lines.append(saved)
    return SkillResult(status, "; ".join(lines), answer)


def _hints(params: Any) -> str:
    if params is None or not isinstance(params, BaseModel):
        return ""
    fields = params.model_dump(exclude_none=True, exclude={"kind", "operations"})
    return ", ".join(f"{key}: {value}" for key, value in fields.items())


def _view(browser: CdpBrowser | None) -> BrowserView:
    open_tabs = [tab.line() for tab in browser.tabs()] if browser else ["(unknown: no CDP)"]
    return BrowserView(
        tabs=open_tabs,
        chrome_pages={str(name): url for name, url in PAGE_URLS.items()},
        settings=[pref.line() for pref in KNOWN_PREFS],
    )


def run_operation(op: ChromeOperation, browser: CdpBrowser | None, computer: Computer, *,
                  files: ProfileFiles) -> SkillResult:  # fmt: skip
    """Run one operation and read its effect back."""
    match op:
        case Navigate():
            return tabs.navigate(op, browser, computer)
        case OpenChromePage():
            return tabs.navigate(Navigate(url=PAGE_URLS[op.page], new_tab=op.new_tab),
                                 browser, computer)  # fmt: skip
        case OpenTabs():
            return tabs.open_tabs(op, browser, computer)
        case SwitchTab():
            return tabs.switch_tab(op, browser, computer)
        case CloseTabs():
            return tabs.close_tabs(op, browser, computer)
        case RestoreClosedTab():
            return tabs.restore_closed_tab(op, browser, computer)
        case FindInPage():
            return tabs.find_in_page(op, browser, computer)
        case AnswerFromPage():
            return _answer(op, browser)
        case WebTask():
            return _web_task(op, browser, computer)
        case Infeasible():
            return SkillResult(SkillStatus.FAILED, op.reason)
        case (
            SetPref()
            | ChangeSetting()
            | SetSearchEngine()
            | SetProfileName()
            | SetColorScheme()
            | AddBookmarkFolder()
            | BookmarkPage()
            | DeleteHistory()
            | DeleteSiteData()
        ):
            if browser is None:
                return _settings_by_screen(op, computer)
            return _settings(op, browser, files)
        case _:
            assert_never(op)


def _settings(op: SetPref | ChangeSetting | SetSearchEngine | SetProfileName | SetColorScheme
              | AddBookmarkFolder | BookmarkPage | DeleteHistory | DeleteSiteData,
              browser: CdpBrowser, files: ProfileFiles) -> SkillResult:  # fmt: skip
    match op:
        case SetPref():
            return settings.set_pref(op, browser, files)
        case ChangeSetting():
            return settings.change_setting(op, browser, files)
        case SetSearchEngine():
            return settings.set_search_engine(op, browser, files)
        case SetProfileName():
            return settings.set_profile_name(op, browser, files)
        case SetColorScheme():
            return settings.set_color_scheme(op, browser, files)
        case AddBookmarkFolder():
            return settings.add_bookmark_folder(op, browser, files)
        case BookmarkPage():
            return settings.bookmark_page(op, browser, files)
        case DeleteHistory():
            return settings.delete_history(op, browser, files)
        case DeleteSiteData():
            return settings.delete_site_data(op, browser, files)
        case _:
            assert_never(op)


_SCREEN_PAGES: dict[str, ChromePage] = {"set_search_engine": "search_engines", "set_profile_name": "manage_profile",
                 "set_color_scheme": "appearance", "add_bookmark_folder": "bookmarks",
                 "bookmark_page": "bookmarks", "delete_history": "history",
                 "delete_site_data": "site_data"}  # fmt: skip


def _settings_by_screen(op: ChromeOperation, computer: Computer) -> SkillResult:
    """Without CDP: open the right page by keyboard and leave the control to the step loop."""
    if isinstance(op, SetPref):
        url = page_for_pref(op.key)
    elif isinstance(op, ChangeSetting):
        url = PAGE_URLS[op.page]
    else:
        url = PAGE_URLS[_SCREEN_PAGES[op.kind]]
    tabs.navigate(Navigate(url=url), None, computer)
    return SkillResult(SkillStatus.HANDOFF, f"opened {url} for {op.kind}; change it on screen")


def _answer(op: AnswerFromPage, browser: CdpBrowser | None) -> SkillResult:
    active = browser.active_tab() if browser else None
    if browser is None or active is None:
        return SkillResult(
            SkillStatus.HANDOFF, f"read the page on screen to answer {op.question!r}"
        )
    text = browser.page_text(active)
    observe("page text", f"{len(text)} characters of {active.line()}")
    answer = answer_from_text(op.question, active.title, text)
    return SkillResult(SkillStatus.DONE, f"answered from {active.line()}: {answer}", answer)


def _web_task(op: WebTask, browser: CdpBrowser | None, computer: Computer) -> SkillResult:
    done: list[str] = []
    if op.start_url:
        shown = browser.active_tab() if browser else None
        if shown is None or not tabs.same_page(shown.url, op.start_url):
            result = tabs.navigate(Navigate(url=op.start_url), browser, computer)
            done.append(result.summary)
    if browser is not None:
        banner = dismiss_cookie_banner(browser)
        if banner:
            done.append(banner)
    so_far = "; ".join(done) or "nothing yet"
    return SkillResult(SkillStatus.HANDOFF, f"web task {op.task!r} for the step loop ({so_far})")
