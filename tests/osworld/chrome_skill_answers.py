"""Scripted scoped answers for offline chrome tasks run through `solve` (tests only).

For each task: what the router's classification returns and what the Chrome skill's one
planning call returns. Nothing else is answered: a task that needs another model call fails.
These are per-task answers and live only here, never in the product.
"""

from __future__ import annotations

from typing import Any

CHROME = {"kind": "chrome", "task": "browser work"}


def plan(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"operations": list(operations)}


def set_pref(key: str, value: Any) -> dict[str, Any]:
    return plan({"kind": "set_pref", "key": key, "value": value})


CHROME_SKILL_ANSWERS: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {
    # task id: (route, plan)
    "030eeff7-b492-4218-b312-701ec99ee0cc": (CHROME, set_pref("enable_do_not_track", True)),
    "12086550-11c0-466b-b367-1d9e75b3910e": (
        CHROME, plan({"kind": "open_chrome_page", "page": "passwords"})),
    "2ad9387a-65d8-4e33-ad5b-7580065a27ca": (
        CHROME, plan({"kind": "add_bookmark_folder", "name": "Favorites"})),
    "2ae9ba84-3a0d-4d4c-8338-3a1478dc5fe3": (
        CHROME, plan({"kind": "set_profile_name", "name": "Thomas"})),
    "3299584d-8f11-4457-bf4c-ce98f7600250": (CHROME, set_pref("session.restore_on_startup", 5)),
    "93eabf48-6a27-4cb6-b963-7d5fe1e0d3a9": (
        CHROME, plan({"kind": "set_color_scheme", "mode": "light"})),
    "9656a811-9b5b-4ddf-99c7-5117bcef0626": (CHROME, set_pref("safebrowsing.enabled", True)),
    "99146c54-4f37-4ab8-9327-5f3291665e1e": (
        CHROME, set_pref("generated.cookie_default_content_setting", "session_only")),
    "af630914-714e-4a24-a7bb-f9af687d3b91": (
        CHROME, set_pref("webkit.webprefs.default_font_size", 24)),
    "bb5e4c0d-f964-439c-97b6-bdb9747de3f4": (
        CHROME, plan({"kind": "set_search_engine", "name": "Bing"})),
    "44ee5668-ecd5-4366-a6ce-c1c9b8d4e938": (
        CHROME, plan({"kind": "delete_history", "match": "youtube"})),
    # infeasible: the router answers, the skill never runs
    "3720f614-37fd-4d04-8a6b-76f54f8c222d": (
        {"kind": "infeasible", "reason": "Chrome has no 'Xenothian' interface language"}, None),
    "480bcfea-d68f-4aaa-a0a9-2589ef319381": (
        {"kind": "infeasible", "reason": "the 2023 Chrome UI can no longer be switched off"},
        None),
    "ae78f875-5b98-4907-bbb5-9c737fc68c03": (
        {"kind": "infeasible", "reason": "Chrome has no setting for search results per page"},
        None),
}  # fmt: skip


def answer(task_id: str, function: str) -> Any:
    """The scripted reply to one scoped call of `task_id`; AssertionError for any other call."""
    route, chrome_plan = CHROME_SKILL_ANSWERS[task_id]
    if function == "route_goal":
        return route
    if function == "plan_chrome_work" and chrome_plan is not None:
        return chrome_plan
    raise AssertionError(f"{task_id}: unexpected model call {function}")
