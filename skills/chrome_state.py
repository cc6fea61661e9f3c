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
PERSIST_TIMEOUT_S = 12.0
"""Chrome batches preference writes: the first lands at once, later ones within 10 s."""


def _read(computer: Computer, path: str) -> bytes | None:
    if not isinstance(computer, HasFiles):
        return None
    try:
        return computer.read_file(path)
    except (OSError, EnvError):
        return None


def profile_dir(computer: Computer) -> str | None:
    """The running browser's profile folder (…/Default) on the computer, if one is found."""
    candidates: list[str] = []
    own = getattr(computer, "chromium_profile", None)
    if isinstance(own, str):
        candidates.append(own)
    home = _home_of(computer)
    if home:
        candidates += [f"{home}/.config/google-chrome", f"{home}/.config/chromium"]
    candidates += USER_DATA_DIRS
    for user_data in dict.fromkeys(candidates):
        if _read(computer, posixpath.join(user_data, "DevToolsActivePort")):
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


def wait_for_preference(computer: Computer, key: str, expected: Any, *,
                        timeout: float = PERSIST_TIMEOUT_S) -> str:  # fmt: skip
    """Poll the profile's Preferences until `key` holds `expected`; a one-line verdict.

    Returns "saved" when it does, "unsaved: ..." when the file keeps another value, or
    "unknown: ..." when there is no profile file to read here.
    """
    folder = profile_dir(computer)
    if folder is None:
        return "unknown: no profile folder readable on this computer"
    path = posixpath.join(folder, "Preferences")
    deadline = time.monotonic() + timeout
    value: Any = None
    while True:
        value = dotted(read_json(computer, path), key)
        if value == expected:
            observe(f"read {path}", f"{key} = {value!r}")
            return "saved"
        if time.monotonic() > deadline:
            observe(f"read {path}", f"{key} = {value!r}, expected {expected!r}")
            return f"unsaved: {key} is {value!r} in Preferences"
        time.sleep(0.5)


def wait_for_bookmark(computer: Computer, parent: str, title: str, *,
                      timeout: float = PERSIST_TIMEOUT_S) -> str:  # fmt: skip
    """Poll the profile's Bookmarks file until `parent` ("bookmark_bar"/"other") holds `title`."""
    folder = profile_dir(computer)
    if folder is None:
        return "unknown: no profile folder readable on this computer"
    path = posixpath.join(folder, "Bookmarks")
    deadline = time.monotonic() + timeout
    while True:
        root = dotted(read_json(computer, path), f"roots.{parent}") or {}
        names = [child.get("name") for child in root.get("children", [])]
        if title in names:
            observe(f"read {path}", f"{parent} holds {title!r}")
            return "saved"
        if time.monotonic() > deadline:
            observe(f"read {path}", f"{parent} holds {names!r}, not {title!r}")
            return f"unsaved: {title!r} is not in the Bookmarks file"
        time.sleep(0.5)


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
