"""Where the browser keeps its state on disk, read back as free observations.

Chrome writes a settings change to the profile's `Preferences` (and bookmarks to `Bookmarks`)
a moment after it is made (measured here: about 2.5 s). The profile is found without asking
the browser: a user-data folder holding `DevToolsActivePort` belongs to a browser running with
remote debugging, which is the one we drive. Candidates are the computer's own profile (the
sandbox knows it) and the usual Linux locations of Chrome and Chromium.

Also here: the one browser action recorder. Operating the browser through CDP (a navigation,
a settings page script) is an executed action like a key press, so it reserves one action of
the episode's budget and is recorded as a step with `source` naming the skill.
"""

from __future__ import annotations

import json
import logging
import posixpath
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from gui_agent import context as ctx
from gui_agent.computers.base import Computer, HasFiles
from gui_agent.episode import StepRecord
from gui_agent.errors import EnvError
from gui_agent.loop import current_episode, record_step
from skills.base import observe

log = logging.getLogger(__name__)

USER_DATA_DIRS = (
    "/home/user/.config/google-chrome",
    "/home/user/.config/chromium",
    "/root/.config/google-chrome",
    "/root/.config/chromium",
)
PERSIST_TIMEOUT_S = 15.0
"""Chrome batches preference writes: the first lands at once, later ones within 10 s."""


def _read(computer: Computer, path: str) -> bytes | None:
    if not isinstance(computer, HasFiles):
        return None
    try:
        return computer.read_file(path)
    except (OSError, EnvError):
        return None


def profile_dir(computer: Computer) -> str | None:
    """The running browser's profile folder (…/Default) on the computer, if one is found.

    Candidates in order (the computer's own, its home's, the usual places); the first that
    holds DevToolsActivePort (written when Chrome picks its own debugging port), `Local State`
    or a profile's Preferences wins. A browser launched with a fixed port, as OSWorld's are,
    writes no DevToolsActivePort, and a fresh one may not have written Local State yet.
    """
    candidates: list[str] = []
    own = getattr(computer, "chromium_profile", None)
    if isinstance(own, str):
        candidates.append(own)
    home = _home_of(computer)
    if home:
        candidates += [f"{home}/.config/google-chrome", f"{home}/.config/chromium"]
    candidates += USER_DATA_DIRS
    for user_data in dict.fromkeys(candidates):
        for marker in ("DevToolsActivePort", "Local State", "Default/Preferences"):
            if _read(computer, posixpath.join(user_data, marker)):
                return posixpath.join(user_data, "Default")
    return None


def _home_of(computer: Computer) -> str | None:
    home = getattr(computer, "home", None)
    return home if isinstance(home, str) else None


def read_json(computer: Computer, path: str) -> Any:
    data = _read(computer, path)
    if data is None:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None


def dotted(data: Any, key: str) -> Any:
    """`data["a"]["b"]` for key "a.b"; None when any part is missing."""
    for part in key.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


class ProfileFiles:
    """What the profile's files should show once Chrome has written them, checked together.

    Chrome writes Preferences in batches (the first change at once, later ones within 10 s)
    and Bookmarks about 2.5 s after a change, so the checks wait once, at the end of a plan,
    instead of once per operation.
    """

    def __init__(self, computer: Computer) -> None:
        self._computer = computer
        self._expected: list[tuple[str, str, Any]] = []

    def expect_preference(self, key: str, value: Any) -> None:
        self._expected.append(("Preferences", key, value))

    def expect_bookmark(self, parent: str, title: str) -> None:
        """`parent` as the file names it: "bookmark_bar" or "other"."""
        self._expected.append(("Bookmarks", parent, title))

    def check(self, *, timeout: float = PERSIST_TIMEOUT_S) -> str:
        """Poll until every expectation holds; one line saying what the files show ("" if
        nothing was expected)."""
        if not self._expected:
            return ""
        folder = profile_dir(self._computer)
        if folder is None:
            return "profile files not readable here; checked on the page only"
        deadline = time.monotonic() + timeout
        while True:
            missing = [item for item in self._expected if not self._holds(folder, *item)]
            if not missing or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        names = sorted({name for name, _key, _value in self._expected})
        if not missing:
            observe("profile files", f"{len(self._expected)} changes found in {names}")
            return f"saved in {' and '.join(names)}"
        shown = ", ".join(f"{key}={value!r}" for _name, key, value in missing)
        observe("profile files", f"not yet written after {timeout:g}s: {shown}")
        return f"the page shows it, Chrome has not yet written {shown} to disk"

    def _holds(self, folder: str, name: str, key: str, value: Any) -> bool:
        data = read_json(self._computer, posixpath.join(folder, name))
        if name == "Bookmarks":
            root = dotted(data, f"roots.{key}") or {}
            return value in [child.get("name") for child in root.get("children", [])]
        return bool(dotted(data, key) == value)


def _source() -> str:
    node = ctx.current_node()
    while node is not None:
        if node.name.startswith("chrome."):
            return node.name
        node = node.parent
    return "chrome"


@contextmanager
def browser_action(description: str, *, why: str = "") -> Iterator[StepRecord]:
    """One step of the budget for one operation of the browser over CDP.

    Reserves the action first (BudgetExceeded: nothing runs), then the body operates the
    browser; the step is recorded even if the body raises.
    """
    with ctx.frame("browser", arguments={"action": description, "why": why}) as node:
        started = time.monotonic()
        ctx.reserve_action()
        episode = current_episode()
        steps = episode.result.steps if episode is not None else []
        record = StepRecord(index=len(steps) + 1, action={"kind": "cdp", "operation": description},
                            description=f"cdp: {description}", executed=True, observation=why,
                            source=_source())  # fmt: skip
        steps.append(record)
        try:
            yield record
        finally:
            record.duration_s = round(time.monotonic() - started, 3)
            node.summary = record.description
            record_step(node, record)
