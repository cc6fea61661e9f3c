"""Scripted answers for `solve` on the offline OSWorld chrome/os tasks (fixtures, never product).

Each list answers only the calls the skills make, in order: the router's `route_goal` (which
carries the chrome operations or the os command when the goal maps plainly onto them), then
any scoped question the chosen skill still asks (none for these tasks). Compare tests/osworld/solutions.py, the step loop's
scripted solutions of the same tasks.
"""

from __future__ import annotations

from typing import Any

Reply = dict[str, Any]


def chrome(task: str, *operations: Reply) -> list[Reply]:
    """The router routes to chrome with the operations ready (no plan_chrome_work call)."""
    return [{"kind": "chrome", "task": task, "operations": list(operations)}]


def infeasible(reason: str) -> list[Reply]:
    return [{"kind": "infeasible", "reason": reason}]


def gsettings(schema: str, key: str, value: str, task: str) -> list[Reply]:
    proposal = {
        "command": f"gsettings set {schema} {key} {value}",
        "intent": task,
        "expected_effect": {"kind": "setting", "target": f"{schema} {key}", "value": value},
    }
    return [{"kind": "os", "task": task, "proposal": proposal}]


def pref(key: str, value: Any) -> Reply:
    return {"kind": "set_pref", "key": key, "value": value}


SKILL_SOLUTIONS: dict[str, list[Reply]] = {
    # -- chrome: settings --------------------------------------------------------------------
    "030eeff7-b492-4218-b312-701ec99ee0cc": chrome("turn on Do Not Track",
                                                   pref("enable_do_not_track", True)),
    "2ae9ba84-3a0d-4d4c-8338-3a1478dc5fe3": chrome("rename the profile",
                                                   {"kind": "set_profile_name", "name": "Thomas"}),
    "3299584d-8f11-4457-bf4c-ce98f7600250": chrome("open the New Tab page on startup",
                                                   pref("session.restore_on_startup", 5)),
    "9656a811-9b5b-4ddf-99c7-5117bcef0626": chrome("turn on Safe Browsing",
                                                   pref("safebrowsing.enabled", True)),
    "af630914-714e-4a24-a7bb-f9af687d3b91": chrome("largest font size",
                                                   pref("webkit.webprefs.default_font_size", 24)),
    "bb5e4c0d-f964-439c-97b6-bdb9747de3f4": chrome("Bing as the search engine",
                                                   {"kind": "set_search_engine", "name": "Bing"}),
    # -- chrome: profile data ----------------------------------------------------------------
    "2ad9387a-65d8-4e33-ad5b-7580065a27ca": chrome(
        "a Favorites folder on the bookmarks bar",
        {"kind": "add_bookmark_folder", "name": "Favorites", "parent": "bookmarks_bar"},
    ),
    "44ee5668-ecd5-4366-a6ce-c1c9b8d4e938": chrome("delete YouTube history",
                                                   {"kind": "delete_history", "match": "youtube"}),
    # -- chrome: pages -----------------------------------------------------------------------
    "12086550-11c0-466b-b367-1d9e75b3910e": chrome(
        "show the saved passwords", {"kind": "open_chrome_page", "page": "password_manager"}
    ),
    # -- chrome: infeasible ------------------------------------------------------------------
    "3720f614-37fd-4d04-8a6b-76f54f8c222d": infeasible("Chrome has no 'Xenothian' language"),
    "480bcfea-d68f-4aaa-a0a9-2589ef319381": infeasible("the 2023 UI can no longer be turned off"),
    "ae78f875-5b98-4907-bbb5-9c737fc68c03": infeasible("Chrome has no search-results count"),
    # -- os: settings ------------------------------------------------------------------------
    "f9be0997-4b7c-45c5-b05c-4612b44a6118": gsettings(
        "org.gnome.desktop.notifications", "show-banners", "false", "do not disturb"),
    "a4d98375-215b-4a4d-aee9-3d4370fccc41": gsettings(
        "org.gnome.desktop.screensaver", "lock-enabled", "true", "lock the screen when idle"),
    "bedcedc4-4d72-425e-ad62-21960b11fe0d": gsettings(
        "org.gnome.desktop.session", "idle-delay", "0", "never blank the screen"),
    "3ce045a0-877b-42aa-8d2c-b4a863336ab8": gsettings(
        "org.gnome.desktop.interface", "text-scaling-factor", "1.5", "large text"),
    # -- os: infeasible ----------------------------------------------------------------------
    "4783cc41-c03c-4e1b-89b4-50658f642bd5": infeasible("the placeholders name no directories"),
    "a462a795-fdc7-4b23-b689-e8b6df786b78": infeasible("there is no user 'Charles'"),
    "b3d4a89c-53f2-4d6b-8b6a-541fb5d205fa": infeasible("this machine has no Bluetooth"),
    "c288e301-e626-4b98-a1ab-159dcb162af5": infeasible("there is no Python 4"),
    "fe41f596-a71b-4c2f-9b2f-9dcd40b568c3": infeasible("this machine has no battery"),
}
