"""The closed set of things the Chrome skill can do, as typed records (`ChromeParams`).

A plan is a short list of operations. The program runs each one the known way (CDP, keyboard)
and checks its effect by reading state back; the model only chooses the operations and their
values. `web_task` is the one open-ended operation: the step loop does it, with the skill's
summary as context.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from skills.chrome_pages import ChromePage

PrefValue = bool | int | float | str | list[str]
BookmarkParent = Literal["bookmarks_bar", "other"]


class Navigate(BaseModel):
    """Show a web address (or a chrome:// address) in the active tab, or in a new tab."""

    kind: Literal["navigate"] = "navigate"
    url: str
    new_tab: bool = False


class OpenChromePage(BaseModel):
    """Show one of Chrome's own pages (settings sections, history, bookmarks, passwords...)."""

    kind: Literal["open_chrome_page"] = "open_chrome_page"
    page: ChromePage
    new_tab: bool = False


class OpenTabs(BaseModel):
    """Open each URL in a new tab."""

    kind: Literal["open_tabs"] = "open_tabs"
    urls: list[str] = Field(min_length=1)


class SwitchTab(BaseModel):
    """Make the open tab whose title or URL contains `match` the active one."""

    kind: Literal["switch_tab"] = "switch_tab"
    match: str = Field(min_length=1)


class CloseTabs(BaseModel):
    """Close every open tab whose title or URL contains `match` ("" = only the active tab)."""

    kind: Literal["close_tabs"] = "close_tabs"
    match: str = ""


class RestoreClosedTab(BaseModel):
    """Reopen the most recently closed tab."""

    kind: Literal["restore_closed_tab"] = "restore_closed_tab"


class FindInPage(BaseModel):
    """Open the find bar on the active page and search for `text`."""

    kind: Literal["find_in_page"] = "find_in_page"
    text: str = Field(min_length=1)


class SetPref(BaseModel):
    """Set one settings preference (a key Chrome's settings pages expose) to `value`."""

    kind: Literal["set_pref"] = "set_pref"
    key: str
    value: PrefValue


class ChangeSetting(BaseModel):
    """A setting whose preference key is not known: the program opens `page`, reads its
    controls and asks which one `what` means."""

    kind: Literal["change_setting"] = "change_setting"
    page: ChromePage
    what: str = Field(description="the change, in the goal's words")


class SetSearchEngine(BaseModel):
    """Make the search engine named `name` the default one of the address bar."""

    kind: Literal["set_search_engine"] = "set_search_engine"
    name: str = Field(min_length=1)


class SetProfileName(BaseModel):
    """Rename the current Chrome profile."""

    kind: Literal["set_profile_name"] = "set_profile_name"
    name: str = Field(min_length=1)


class SetColorScheme(BaseModel):
    """Chrome's appearance mode (light, dark or follow the device)."""

    kind: Literal["set_color_scheme"] = "set_color_scheme"
    mode: Literal["light", "dark", "device"]


class AddBookmarkFolder(BaseModel):
    """Create a bookmark folder named `name`."""

    kind: Literal["add_bookmark_folder"] = "add_bookmark_folder"
    name: str = Field(min_length=1)
    parent: BookmarkParent = "bookmarks_bar"


class BookmarkPage(BaseModel):
    """Bookmark a page: `url` (None = the active tab's page), under `parent`."""

    kind: Literal["bookmark_page"] = "bookmark_page"
    url: str | None = None
    title: str | None = None
    parent: BookmarkParent = "bookmarks_bar"


class DeleteHistory(BaseModel):
    """Delete every history entry whose URL or title contains `match` ("" = all history)."""

    kind: Literal["delete_history"] = "delete_history"
    match: str


class DeleteSiteData(BaseModel):
    """Delete the cookies and stored data of a site (`domain`, e.g. "example.com")."""

    kind: Literal["delete_site_data"] = "delete_site_data"
    domain: str = Field(min_length=1)


class AnswerFromPage(BaseModel):
    """Answer `question` from the text of the active page."""

    kind: Literal["answer_from_page"] = "answer_from_page"
    question: str


class WebTask(BaseModel):
    """Work on a web site that needs looking at pages (search, filters, forms, clicking)."""

    kind: Literal["web_task"] = "web_task"
    start_url: str | None = Field(default=None, description="where to start, if known")
    task: str


class Infeasible(BaseModel):
    """The goal asks for something Chrome does not have or cannot do."""

    kind: Literal["infeasible"] = "infeasible"
    reason: str


ChromeOperation = Annotated[
    Navigate
    | OpenChromePage
    | OpenTabs
    | SwitchTab
    | CloseTabs
    | RestoreClosedTab
    | FindInPage
    | SetPref
    | ChangeSetting
    | SetSearchEngine
    | SetProfileName
    | SetColorScheme
    | AddBookmarkFolder
    | BookmarkPage
    | DeleteHistory
    | DeleteSiteData
    | AnswerFromPage
    | WebTask
    | Infeasible,
    Field(discriminator="kind"),
]


class ChromeParams(BaseModel):
    """What to do in the browser, as operations run in order."""

    operations: list[ChromeOperation] = Field(min_length=1, max_length=8)
