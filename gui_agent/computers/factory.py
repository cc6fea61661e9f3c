"""Open the computer a `--env` name chooses; the caller closes it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from gui_agent.computers.base import Computer
from gui_agent.errors import ConfigError

EnvName = Literal["sandbox", "local", "browser", "vm", "fake"]
ENV_NAMES: tuple[str, ...] = get_args(EnvName)
VM_CDP_PORT = 9222
"""Where an OSWorld VM's Chrome listens for remote debugging (OSWorld's own setting)."""


def vm_cdp_url(vm_url: str) -> str:
    """The CDP address a VM's Chrome has by default: the in-VM server's host, port 9222."""
    host = urlsplit(vm_url).hostname or "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{VM_CDP_PORT}"


def _checked_http_url(url: str, *, flag: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{flag} {url!r} is not an http(s)://HOST:PORT address")
    return url


def check_vm_options(*, vm_url: str | None, cdp_url: str | None) -> str:
    """The --vm-url of `--env vm`, checked (and --cdp-url's form) before anything starts."""
    if not vm_url:
        raise ConfigError("--env vm needs --vm-url http://HOST:PORT (the in-VM server)")
    if cdp_url:
        _checked_http_url(cdp_url, flag="--cdp-url")
    return _checked_http_url(vm_url, flag="--vm-url")


def open_computer(
    env: EnvName,
    *,
    start_url: str | None = None,
    vm_url: str | None = None,
    cdp_url: str | None = None,
    token: str | None = None,
    width: int = 1280,
    height: int = 800,
    headless: bool = True,
    chromium_args: Sequence[str] = (),
    chromium_prefs: Mapping[str, Any] | None = None,
) -> Computer:
    """Start (or connect to) the computer and return it ready to act on.

    For `vm`, `cdp_url` is where the VM's Chrome answers CDP (default: the VM's host, port
    9222); skills that find no browser there fall back to the keyboard. `chromium_args` and
    `chromium_prefs` (its profile's Preferences) go to a browser this starts (sandbox,
    browser), such as the allowlist proxy's.
    """
    match env:
        case "sandbox":
            from gui_agent.computers.sandbox import SandboxDesktop

            return SandboxDesktop(
                width=width, height=height, start_url=start_url or "about:blank",
                chromium_args=chromium_args, chromium_prefs=chromium_prefs,
            ).start()
        case "local":
            from gui_agent.computers.local import LocalDisplay

            return LocalDisplay()
        case "browser":
            from gui_agent.computers.browser import BrowserComputer

            return BrowserComputer(
                width=width, height=height, start_url=start_url or "about:blank", headless=headless,
                chromium_args=chromium_args, chromium_prefs=chromium_prefs,
            ).start()
        case "vm":
            from gui_agent.computers.vm import VMComputer

            vm_url = check_vm_options(vm_url=vm_url, cdp_url=cdp_url)
            cdp = cdp_url or vm_cdp_url(vm_url)
            computer = VMComputer(vm_url, token=token, cdp_url=cdp)
            computer.wait_ready()
            return computer
        case "fake":
            from gui_agent.computers.fake import FakeComputer

            return FakeComputer((width, height))
        case _:
            raise ConfigError(f"unknown env {env!r}; choose one of {', '.join(ENV_NAMES)}")
