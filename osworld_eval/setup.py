"""Run a task's `config` steps and an evaluator's `postconfig` steps through the in-VM server.

Each step type has typed parameters (pydantic, unknown keys refused) and one function. What a
failure means follows OSWorld where OSWorld is deliberate, and is stricter where OSWorld would
silently go on with a broken task:

- SetupError (the task ends `setup_error`, never a score of 0): a step type we do not know;
  googledrive and login without the user's Google credentials (the message says what to
  provide: setup_google.py, google_settings.py); a file that cannot
  be downloaded or uploaded; a program the server could not start (launch, open, or execute
  with a command that could not run at all); a browser that never answers CDP; an `until`
  condition never met; bad parameters.
- Only a warning, as in OSWorld: a command that ran and exited non-zero (task configs rely on
  this, e.g. `sudo apt install jq` where jq is already there); a window to activate or close
  that is not found.
- EnvError (the server itself failed) passes through untouched.

Placeholders in every string parameter: {SCREEN_WIDTH}, {SCREEN_HEIGHT}, {SCREEN_WIDTH_HALF},
{SCREEN_HEIGHT_HALF} (from the server's /screen_size) and {CLIENT_PASSWORD} (the `client_password`
argument, else $OSWORLD_CLIENT_PASSWORD, else "password", the password of OSWorld's VMware and
VirtualBox images; its AWS images use "osworld-public-evaluation").

`port_map` renames machine-wide ports in commands (`--remote-debugging-port=N`,
`tcp-listen:N`, `tcp:HOST:N`): a VM has its own network, our sandbox shares this machine's, so
a sandbox maps OSWorld's 1337 and 9222 to free ports of its own and other browsers on this
machine can neither collide with it nor answer for it.

Waiting is polling, not sleeping: after `google-chrome --remote-debugging-port=N` the step
returns once CDP answers on N inside the machine; after `socat tcp-listen:P ...` once P accepts;
after `pkill chrome` once the browser has left its profile (a launched pkill, killall or kill runs
to completion before the next step, so it cannot kill what that step starts). `sleep` steps are honoured but capped
at `max_sleep_s`.
"""

from __future__ import annotations

import logging
import os
import posixpath
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from gui_agent.errors import SetupError
from osworld_eval import setup_chrome, setup_google
from osworld_eval import setup_steps as steps
from osworld_eval.getters import EvalEnv
from osworld_eval.server_api import ServerAPI
from osworld_eval.tasks import SetupStep

log = logging.getLogger(__name__)

CLIENT_PASSWORD_ENV = "OSWORLD_CLIENT_PASSWORD"
DEFAULT_CLIENT_PASSWORD = "password"
_PORT_FORMS = re.compile(r"(?i)(--remote-debugging-port=|tcp4?-listen:|tcp4?:[\w.\-]+:)(\d+)")


@dataclass
class SetupContext:
    """What every step may use: the server, the scored machine's view, this task's cache."""

    api: ServerAPI
    env: EvalEnv
    task_id: str
    cache_dir: Path
    client_password: str
    offline: bool | None = None
    max_sleep_s: float = 30.0
    ready_timeout_s: float = 60.0
    port_map: dict[int, int] = field(default_factory=dict)
    _home: str | None = field(default=None, repr=False)
    _screen: tuple[int, int] | None = field(default=None, repr=False)

    @property
    def task_cache(self) -> Path:
        return self.cache_dir / self.task_id

    def home(self) -> str:
        """The user's home folder on the machine (asked once)."""
        if self._home is None:
            result = self.api.execute("echo $HOME", shell=True, timeout=30)
            home = result.output.strip()
            if result.returncode != 0 or not home.startswith("/"):
                raise SetupError(f"cannot learn the home folder: {result.error or result.output!r}")
            self._home = home
        return self._home

    def machine_path(self, path: str) -> str:
        """An absolute path on the machine: `~` expanded, relative paths under the home folder."""
        if path == "~" or path.startswith("~/"):
            return self.home() + path[1:]
        return path if path.startswith("/") else posixpath.join(self.home(), path)

    def placeholders(self) -> dict[str, str]:
        if self._screen is None:
            self._screen = self.api.screen_size()
        width, height = self._screen
        return {
            "{CLIENT_PASSWORD}": self.client_password,
            "{SCREEN_WIDTH_HALF}": str(width // 2),
            "{SCREEN_HEIGHT_HALF}": str(height // 2),
            "{SCREEN_WIDTH}": str(width),
            "{SCREEN_HEIGHT}": str(height),
        }

    def wait_until(self, what: str, check: Callable[[], bool], *, timeout: float | None = None,
                   interval: float = 0.3) -> bool:  # fmt: skip
        """Poll `check` until it is true (True) or `timeout` passes (False)."""
        deadline = time.monotonic() + (self.ready_timeout_s if timeout is None else timeout)
        while True:
            if check():
                return True
            if time.monotonic() >= deadline:
                log.info("gave up waiting for %s", what)
                return False
            time.sleep(interval)

    def succeeds(self, command: str) -> bool:
        """Whether a shell command exits 0 on the machine."""
        return self.api.execute(command, shell=True, timeout=30).returncode == 0


def client_password_from_env() -> str:
    return os.environ.get(CLIENT_PASSWORD_ENV) or DEFAULT_CLIENT_PASSWORD


def run_setup(
    steps: Sequence[SetupStep],
    *,
    api: ServerAPI,
    env: EvalEnv,
    task_id: str,
    cache_dir: Path,
    client_password: str | None = None,
    offline: bool | None = None,
    max_sleep_s: float = 30.0,
    ready_timeout_s: float = 60.0,
    port_map: dict[int, int] | None = None,
) -> None:
    """Run `steps` in order; raise SetupError naming the step that failed and why."""
    ctx = SetupContext(
        api=api,
        env=env,
        task_id=task_id,
        cache_dir=Path(cache_dir),
        client_password=client_password or client_password_from_env(),
        offline=offline,
        max_sleep_s=max_sleep_s,
        ready_timeout_s=ready_timeout_s,
        port_map=dict(port_map or {}),
    )
    for index, step in enumerate(steps, start=1):
        where = f"setup step {index}/{len(steps)} ({step.type})"
        try:
            run_step(ctx, step)
        except SetupError as exc:
            raise SetupError(f"{where}: {exc.message}") from exc
        log.info("task %s: %s done", task_id, where)


def run_step(ctx: SetupContext, step: SetupStep) -> None:
    """Run one step; SetupError names what went wrong (without the step's position)."""
    found = STEPS.get(step.type)
    if found is None:
        raise SetupError(f"unknown setup step type {step.type!r}")
    params_type, function = found
    filled = (
        fill_placeholders(step.parameters, ctx.placeholders) if _mentions(step) else step.parameters
    )
    if ctx.port_map:
        filled = remap_ports(filled, ctx.port_map)
    try:
        params = params_type.model_validate(filled)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'parameters'}: {e['msg']}"
            for e in exc.errors()
        )
        raise SetupError(f"bad parameters: {problems}") from exc
    function(ctx, params)


def _mentions(step: SetupStep) -> bool:
    return "{" in repr(step.parameters)


def fill_placeholders(value: Any, table: Callable[[], dict[str, str]] | dict[str, str]) -> Any:
    """`value` with every placeholder replaced in every string inside it."""
    mapping = table() if callable(table) else table

    def fill(item: Any) -> Any:
        if isinstance(item, str):
            for key, replacement in mapping.items():
                item = item.replace(key, replacement)
            return item
        if isinstance(item, list):
            return [fill(x) for x in item]
        if isinstance(item, dict):
            return {k: fill(v) for k, v in item.items()}
        return item

    return fill(value)


def remap_ports(value: Any, port_map: dict[int, int]) -> Any:
    """`value` with the ports of `port_map` renamed wherever a command names a port."""

    def rename(match: re.Match[str]) -> str:
        port = int(match.group(2))
        return match.group(1) + str(port_map.get(port, port))

    if isinstance(value, str):
        return _PORT_FORMS.sub(rename, value)
    if isinstance(value, list):
        return [remap_ports(item, port_map) for item in value]
    if isinstance(value, dict):
        return {key: remap_ports(item, port_map) for key, item in value.items()}
    return value


StepFunction = Callable[[SetupContext, Any], None]
STEPS: dict[str, tuple[type[BaseModel], StepFunction]] = {
    "launch": (steps.Command, steps.launch),
    "execute": (steps.Execute, steps.execute),
    "command": (steps.Execute, steps.execute),
    "execute_with_verification": (steps.ExecuteWithVerification, steps.execute_with_verification),
    "open": (steps.Open, steps.open_path),
    "sleep": (steps.Sleep, steps.sleep),
    "activate_window": (steps.Window, steps.window("activate")),
    "close_window": (steps.Window, steps.window("close")),
    "download": (steps.Download, steps.download),
    "upload_file": (steps.Upload, steps.upload_file),
    "change_wallpaper": (steps.Wallpaper, steps.change_wallpaper),
    "chrome_open_tabs": (setup_chrome.OpenTabs, setup_chrome.open_tabs),
    "chrome_close_tabs": (setup_chrome.CloseTabs, setup_chrome.close_tabs),
    "update_browse_history": (setup_chrome.BrowseHistory, setup_chrome.update_browse_history),
    "googledrive": (setup_google.GoogleDrive, setup_google.google_drive),
    "login": (setup_google.Login, setup_google.login),
}
"""Step type -> (its parameters, the function running it). Keep in step with
osworld_eval.tasks.SUPPORTED_SETUP_TYPES (a test checks)."""
