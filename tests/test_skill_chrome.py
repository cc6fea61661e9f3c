"""skills.chrome on the real sandbox: Debian's Chromium, its settings pages, its profile files.

The model is a FunctionModel that answers only the router's classification and the skill's
one planning question (and a perception when the skill hands off); everything else is the
program: CDP, the settings pages' own calls, XTest keys, reading Preferences/Bookmarks back.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from gui_agent.computers.fake import FakeComputer
from gui_agent.episode import EpisodeStatus
from gui_agent.models.base import ModelRequest
from gui_agent.models.scripted import FunctionModel
from gui_agent.policy import Approval, Policy
from skills import chrome_scripts
from skills.chrome_cdp import CdpBrowser
from skills.chrome_settings import _bare_domain, _pick_engine
from skills.chrome_tabs import full_url, same_page
from skills.router import solve
from tests.gui_fixtures import wait_until


def scoped_model(plan: list[dict[str, Any]], *, task: str = "browser work",
                 perceptions: list[dict[str, Any]] | None = None) -> FunctionModel:  # fmt: skip
    """Answers the router (chrome), the chrome plan, then the loop's perceptions in order."""
    queue = list(perceptions or [])

    def respond(request: ModelRequest) -> Any:
        if request.function == "route_goal":
            return {"kind": "chrome", "task": task}
        if request.function == "plan_chrome_work":
            return {"operations": plan}
        if request.function == "perceive" and queue:
            return queue.pop(0)
        raise AssertionError(f"unexpected model call {request.function}")

    return FunctionModel(respond)


def preferences(sandbox: Any) -> dict[str, Any]:
    path = Path(sandbox.chromium_profile) / "Default" / "Preferences"
    return json.loads(path.read_text()) if path.exists() else {}


def functions(model: FunctionModel) -> list[str]:
    return [request.function for request in model.requests]


@pytest.fixture
def browser(sandbox: Any) -> CdpBrowser:
    cdp = CdpBrowser(sandbox.cdp_url)
    tabs = cdp.tabs()
    # Start each test from one blank tab.
    first = cdp.navigate(tabs[0], "about:blank")
    for tab in tabs[1:]:
        cdp.close(tab)
    wait_until(lambda: len(cdp.tabs()) == 1)
    cdp.activate(first)
    return cdp


def test_a_setting_is_changed_in_one_step_and_read_back_from_preferences(
    sandbox: Any, browser: CdpBrowser
) -> None:
    assert not preferences(sandbox).get("enable_do_not_track")
    model = scoped_model([{"kind": "set_pref", "key": "enable_do_not_track", "value": True}])
    result = solve("Turn on Do Not Track in Chrome", sandbox, model=model)
    assert result.status == EpisodeStatus.DONE, result.reason
    assert result.steps_executed == 1
    assert functions(model) == ["route_goal", "plan_chrome_work"]
    assert preferences(sandbox)["enable_do_not_track"] is True
    step = result.steps[0]
    assert step.source == "chrome.run" and step.action["kind"] == "cdp"
    assert browser.active_tab().url.startswith("chrome://settings/cookies")
    assert "saved in Preferences" in result.steps[-1].observation


def test_profile_data_search_engine_and_appearance_in_one_plan(
    sandbox: Any, browser: CdpBrowser
) -> None:
    plan = [
        {"kind": "add_bookmark_folder", "name": "Favorites"},
        {"kind": "set_search_engine", "name": "Bing"},
        {"kind": "set_profile_name", "name": "Thomas"},
        {"kind": "set_color_scheme", "mode": "dark"},
    ]
    result = solve("Set up my browser", sandbox, model=scoped_model(plan))
    assert result.status == EpisodeStatus.DONE, result.reason
    assert result.steps_executed == 4
    prefs = preferences(sandbox)
    assert prefs["default_search_provider_data"]["template_url_data"]["short_name"] == (
        "Microsoft Bing"
    )
    assert prefs["profile"]["name"] == "Thomas"
    bookmarks = json.loads((Path(sandbox.chromium_profile) / "Default" / "Bookmarks").read_text())
    bar = [child["name"] for child in bookmarks["roots"]["bookmark_bar"]["children"]]
    assert bar.count("Favorites") == 1
    # The appearance page is left showing, in dark mode, as a person would leave it.
    assert browser.active_tab().url.startswith("chrome://settings/appearance")
    assert prefs["browser"]["theme"]["color_scheme2"] == 2


def test_tabs_open_switch_close_and_restore_checked_over_cdp(
    sandbox: Any, browser: CdpBrowser, gui_site: str
) -> None:
    first, second = f"{gui_site}/static.html", f"{gui_site}/input.html"
    plan = [
        {"kind": "open_tabs", "urls": [first, second]},
        {"kind": "switch_tab", "match": "static.html"},
        {"kind": "close_tabs", "match": "input.html"},
        {"kind": "restore_closed_tab"},
    ]
    result = solve("Juggle my tabs", sandbox, model=scoped_model(plan))
    assert result.status == EpisodeStatus.DONE, result.reason
    # open 2 + switch 1 + close 1 + ctrl+shift+T 1
    assert result.steps_executed == 5
    assert [s.action["kind"] for s in result.steps[:-1]] == ["cdp"] * 4 + ["key"]
    urls = [tab.url for tab in browser.tabs()]
    assert sorted(urls) == sorted(["about:blank", first, second])  # input.html came back
    assert browser.active_tab().url == second


def test_history_of_a_site_is_deleted_and_the_rest_kept(
    sandbox: Any, browser: CdpBrowser, gui_site: str
) -> None:
    tab = browser.active_tab()
    for page in ("static.html", "input.html", "scroll.html"):
        tab = browser.navigate(tab, f"{gui_site}/{page}")
    time.sleep(0.5)
    plan = [{"kind": "delete_history", "match": "input.html"}]
    result = solve("Delete my history of input.html", sandbox, model=scoped_model(plan))
    assert result.status == EpisodeStatus.DONE, result.reason
    assert result.steps_executed == 1
    # The history page ran in a tab of its own: the user's page is still the active tab.
    assert browser.active_tab().url.endswith("scroll.html")
    history = browser.new_tab("chrome://history/")
    history = browser.wait_loaded(history)
    left = [item["url"] for item in browser.evaluate(history, chrome_scripts.history_matches(""))]
    assert not any("input.html" in url for url in left)
    assert any("static.html" in url for url in left)


def test_a_web_task_clears_the_cookie_banner_then_hands_off_to_the_loop(
    sandbox: Any, browser: CdpBrowser, gui_site: str
) -> None:
    url = f"{gui_site}/cookie_banner.html"
    plan = [{"kind": "web_task", "start_url": url, "task": "find a black coffee maker"}]
    done = {"observation": "the product list", "action": {"kind": "done", "answer": "$39"}}
    model = scoped_model(plan, perceptions=[done])
    result = solve("Find a black coffee maker", sandbox, model=model)
    assert result.status == EpisodeStatus.DONE and result.answer == "$39"
    assert result.steps_executed == 2  # load the page, click "Accept all"
    assert browser.active_tab().title == "consented"
    perceive = next(r for r in model.requests if r.function == "perceive")
    assert "clicked the cookie banner's 'accept all'" in perceive.prompt
    assert "Turn the goal into the few browser operations" not in perceive.prompt


def test_without_cdp_the_address_is_typed_and_the_loop_checks(tmp_path: Path) -> None:
    computer = FakeComputer()
    done = {"observation": "the page is shown", "action": {"kind": "done"}}
    plan = [{"kind": "open_chrome_page", "page": "passwords"}]
    model = scoped_model(plan, perceptions=[done])
    result = solve("Show my saved passwords", computer, model=model)
    assert result.status == EpisodeStatus.DONE
    kinds = [(a.kind, getattr(a, "keys", None) or getattr(a, "text", None))
             for a in computer.executed]  # fmt: skip
    assert kinds == [("key", "ctrl+l"), ("type", "chrome://password-manager/passwords"),
                     ("key", "enter")]  # fmt: skip
    assert result.steps_executed == 3


def test_an_impossible_request_fails_with_the_reason_and_runs_nothing() -> None:
    computer = FakeComputer()
    plan = [{"kind": "infeasible", "reason": "Chrome has no such language"}]
    result = solve("Switch Chrome to Klingon", computer, model=scoped_model(plan))
    assert result.status == EpisodeStatus.FAILED
    assert result.reason == "Chrome has no such language"
    assert computer.executed == [] and result.steps_executed == 0


def test_a_plan_longer_than_the_budget_stops_at_the_cap(sandbox: Any, browser: CdpBrowser,
                                                        gui_site: str) -> None:  # fmt: skip
    urls = [f"{gui_site}/static.html?n={n}" for n in range(4)]
    result = solve("Open four tabs", sandbox, model=scoped_model([{"kind": "open_tabs",
                   "urls": urls}]), max_steps=2)  # fmt: skip
    assert result.status == EpisodeStatus.MAX_STEPS
    assert result.steps_executed == 2 and len(browser.tabs()) == 3


def test_address_and_engine_matching() -> None:
    assert full_url("example.com/a") == "https://example.com/a"
    assert full_url("chrome://settings") == "chrome://settings"
    assert full_url("localhost:8000/x") == "https://localhost:8000/x"
    assert same_page("https://www.example.com/a/", "example.com/a")
    assert not same_page("https://example.com/b", "example.com/a")
    engines = [
        {"id": 2, "name": "Google", "keyword": "google.com", "canBeDefault": True},
        {"id": 4, "name": "Microsoft Bing", "keyword": "bing.com", "canBeDefault": True},
    ]
    assert _pick_engine(engines, "bing")["id"] == 4
    assert _pick_engine(engines, "bing.com")["id"] == 4
    assert _pick_engine(engines, "yandex") is None
    assert _bare_domain("https://www.amazon.com/x") == "amazon.com"
    assert _bare_domain(".amazon.com") == "amazon.com"


def test_deleting_history_is_refused_when_irreversible_steps_are_denied(
    sandbox: Any, browser: CdpBrowser, gui_site: str
) -> None:
    browser.navigate(browser.active_tab(), f"{gui_site}/pointer.html")
    plan = [{"kind": "delete_history", "match": "pointer.html"}]
    result = solve("Delete my history of pointer.html", sandbox, model=scoped_model(plan),
                   policy=Policy(approval=Approval.DENY))  # fmt: skip
    assert result.status == EpisodeStatus.BLOCKED
    assert result.steps_executed == 0
    history = browser.wait_loaded(browser.new_tab("chrome://history/"))
    left = [item["url"] for item in browser.evaluate(history, chrome_scripts.history_matches(""))]
    assert any("pointer.html" in url for url in left)


def test_a_setting_outside_the_catalogue_is_found_among_the_pages_controls(
    sandbox: Any, browser: CdpBrowser
) -> None:
    seen: list[dict[str, Any]] = []

    def respond(request: ModelRequest) -> Any:
        if request.function == "route_goal":
            return {"kind": "chrome", "task": "bookmarks bar everywhere"}
        if request.function == "plan_chrome_work":
            return {"operations": [{"kind": "change_setting", "page": "appearance",
                                    "what": "always show the bookmarks bar"}]}  # fmt: skip
        if request.function == "pick_setting_control":
            line = next(x for x in request.prompt.splitlines() if x.startswith("page: {"))
            page = json.loads(line.removeprefix("page: "))
            controls = page["controls"]
            seen.extend(controls)
            bar = next(c for c in controls if c["label"] == "Bookmarks bar")
            always = next(o for o in bar["options"] if o["name"] == "Always show")
            return {"key": bar["key"], "value": always["value"]}
        raise AssertionError(request.function)

    model = FunctionModel(respond)
    result = solve("Always show the bookmarks bar", sandbox, model=model)
    assert result.status == EpisodeStatus.DONE, result.reason
    # The page's own controls, read through its shadow roots, with their keys and options.
    assert {"browser.show_home_button", "webkit.webprefs.default_font_size"} <= {
        c["key"] for c in seen
    }
    assert result.steps_executed == 2  # open the page, set the control
    assert preferences(sandbox)["bookmark_bar"]["visibility_state"] == 0


def test_golden_prompts_of_the_chrome_skills_questions() -> None:
    from skills.chrome import _view, plan_chrome_work
    from skills.chrome_settings import SettingControl, SettingsPage, pick_setting_control

    request = plan_chrome_work.render("Turn on Do Not Track", "setting: Do Not Track", _view(None))
    assert ("def plan_chrome_work(goal: str, hints: str, browser: BrowserView) -> ChromeParams:\n"
            '    """\n    Turn the goal into the few browser operations that achieve it, in order.'
            ) in request.system  # fmt: skip
    assert "`infeasible` with why" in request.system
    text = request.parts[0].text  # type: ignore[union-attr]
    assert text.startswith("# Arguments\ngoal: Turn on Do Not Track\nhints: setting: Do Not Track")
    assert "enable_do_not_track (cookies): send a 'Do Not Track' request: true/false" in text
    assert '"passwords":"chrome://password-manager/passwords"' in text
    kinds = request.output_schema["$defs"]["SetPref"]["properties"]["kind"]
    assert kinds.get("const", kinds.get("enum", [None])[0]) == "set_pref"

    page = SettingsPage(url="chrome://settings/cookies", controls=[
        SettingControl(key="enable_do_not_track", type="BOOLEAN", value=False,
                       label='Send a "Do Not Track" request')])  # fmt: skip
    request = pick_setting_control.render("turn on do not track", page)
    assert "one of its `options` values otherwise" in request.system
    assert request.parts[0].text.splitlines()[2].startswith(  # type: ignore[union-attr]
        'page: {"url":"chrome://settings/cookies","controls":[{"key":"enable_do_not_track"'
    )


def test_the_open_page_is_bookmarked_searched_and_answered_from(
    sandbox: Any, browser: CdpBrowser, gui_site: str
) -> None:
    url = f"{gui_site}/static.html"
    browser.navigate(browser.active_tab(), url)
    plan = [
        {"kind": "bookmark_page", "parent": "other"},
        {"kind": "find_in_page", "text": "moves"},
        {"kind": "answer_from_page", "question": "What does the heading say?"},
    ]

    def respond(request: ModelRequest) -> Any:
        if request.function == "route_goal":
            return {"kind": "chrome", "task": "page work"}
        if request.function == "plan_chrome_work":
            return {"operations": plan}
        if request.function == "answer_from_text":
            assert "A still page" in request.prompt and "Nothing here moves." in request.prompt
            return "A still page"
        raise AssertionError(request.function)

    result = solve("Bookmark this page, find 'moves', tell me its heading", sandbox,
                   model=FunctionModel(respond))  # fmt: skip
    assert result.status == EpisodeStatus.DONE, result.reason
    assert result.answer == "A still page"
    assert result.steps_executed == 3  # the bookmark, ctrl+F, the typed text
    bookmarks = json.loads((Path(sandbox.chromium_profile) / "Default" / "Bookmarks").read_text())
    other = bookmarks["roots"]["other"]["children"]
    assert [(b["name"], b["url"]) for b in other if b.get("url") == url] == [("static", url)]
    assert browser.active_tab().url == url  # the bookmarks manager ran in a tab of its own


def test_a_sites_cookies_are_deleted_and_others_kept(
    sandbox: Any, browser: CdpBrowser, gui_site: str
) -> None:
    tab = browser.navigate(browser.active_tab(), f"{gui_site}/static.html")
    for domain in ("127.0.0.1", "example.org"):
        browser.command(tab, "Network.setCookie", {
            "name": "tracker", "value": "1", "domain": domain, "path": "/"})  # fmt: skip
    plan = [{"kind": "delete_site_data", "domain": "127.0.0.1"}]
    result = solve("Delete the cookies of 127.0.0.1", sandbox, model=scoped_model(plan))
    assert result.status == EpisodeStatus.DONE, result.reason
    assert result.steps_executed == 1
    left = {c["domain"] for c in browser.command(tab, "Storage.getCookies")["cookies"]}
    assert "example.org" in left and "127.0.0.1" not in left
    assert "deleted 1 cookie and the stored data of 127.0.0.1" in result.steps[-1].observation


def test_no_browser_answering_means_the_keyboard_path() -> None:
    from skills.chrome_cdp import browser_of

    class NothingListens:
        cdp_url = "http://127.0.0.1:9"

    started = time.monotonic()
    assert browser_of(NothingListens(), wait=0.3) is None  # type: ignore[arg-type]
    assert time.monotonic() - started < 5
