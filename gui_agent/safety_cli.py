"""The command-line side of the guards: `--secret`, `--allow-domain`, `--yes`, and their setup.

`safety_options` adds the three options to a command; `Safety.from_options` turns them into a
Policy (gate approval, secrets) and an Allowlist. `BrowserGuards` holds the allowlist's two
layers for one run: a browser we launch (sandbox, browser) connects only through the allowlist
proxy (`launch_args`, before the computer opens: it sees WebSockets and every other connection),
and `attach` (= `guard_computer`) starts the Fetch guard on the computer's browser and opens the
start URL through it, so not even the first page load happens outside the allowlist.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click

from gui_agent.actions import Action, describe
from gui_agent.allowlist import Allowlist
from gui_agent.computers.allowlist_proxy import AllowlistProxy
from gui_agent.computers.base import Computer, HasCDP
from gui_agent.computers.network_guard import NetworkGuard
from gui_agent.errors import ConfigError
from gui_agent.policy import Approval, GuardEvent, Policy
from gui_agent.vault import Vault, register_credentials

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger(__name__)
LAUNCHED_BROWSER_ENVS = frozenset({"sandbox", "browser"})
"""Environments whose browser this process starts, so it can be pointed at the proxy."""


def safety_options(command: F) -> F:
    """Add --secret, --allow-domain and --yes to a click command."""
    command = click.option(
        "--yes", "assume_yes", is_flag=True,
        help="Allow irreversible actions (submit, pay, delete, send, close) without asking. "
             "Without it they are asked at a terminal and refused otherwise (status blocked).",
    )(command)  # fmt: skip
    command = click.option(
        "--allow-domain", "allow_domains", multiple=True, metavar="DOMAIN",
        help="Only let the browser load this domain (and its subdomains); repeatable. "
             "Enforced on every request in the browser's network layer.",
    )(command)  # fmt: skip
    command = click.option(
        "--secret", "secrets", multiple=True, metavar="NAME[=VALUE]",
        help="A secret the model sees only as {{NAME}} and the executor types; NAME alone reads "
             "$NAME. Repeatable. Never written to traces, logs or results.",
    )(command)  # fmt: skip
    return command


@dataclass
class Safety:
    policy: Policy
    allowlist: Allowlist = field(default_factory=Allowlist)

    @classmethod
    def from_options(cls, *, secrets: tuple[str, ...] = (), allow_domains: tuple[str, ...] = (),
                     assume_yes: bool = False, interactive: bool | None = None) -> Safety:  # fmt: skip
        """Bad values raise ConfigError naming the option."""
        vault = Vault.from_specs(secrets)
        register_credentials()
        if interactive is None:
            interactive = sys.stdin.isatty() and sys.stderr.isatty()
        approval = Approval.YES if assume_yes else (Approval.ASK if interactive else Approval.DENY)
        allowlist = Allowlist.of(list(allow_domains))
        policy = Policy(approval=approval, ask=_ask_at_terminal if interactive else None,
                        confirm=_confirm_for(approval, interactive), vault=vault,
                        allowlist=allowlist)  # fmt: skip
        return cls(policy=policy, allowlist=allowlist)

    def goal_for_model(self, goal: str) -> str:
        note = self.policy.vault.prompt_note()
        return f"{goal}\n\n{note}" if note else goal


def _ask_at_terminal(question: str) -> bool:
    return click.confirm(question, default=False, err=True)


def _confirm_for(approval: Approval, interactive: bool) -> Callable[[Action], bool] | None:
    """`Policy.confirm` for skills with their own gate and provider safety checks."""
    if approval is Approval.YES:
        return lambda action: True
    if approval is Approval.ASK and interactive:
        return lambda action: _ask_at_terminal(f"Allow {describe(action)}?")
    return None


def guard_computer(computer: Computer, safety: Safety, *, start_url: str | None) -> NetworkGuard | None:
    """Start the network guard when an allowlist is set; open `start_url` through it."""
    if not safety.allowlist.active:
        return None
    if not isinstance(computer, HasCDP):
        raise ConfigError("--allow-domain needs a browser reachable over CDP "
                          "(--env sandbox, browser, or a VM whose Chrome has CDP)")  # fmt: skip
    policy = safety.policy

    def record(url: str, reason: str) -> None:
        policy.record(GuardEvent("allowlist", f"load {url}", "blocked", reason))

    guard = NetworkGuard(computer.cdp_url, safety.allowlist, on_block=record).start()
    if start_url:
        guard.navigate(start_url)
    return guard


class BrowserGuards:
    """The allowlist of one run, on both layers; nothing starts without an allowlist."""

    def __init__(self, safety: Safety, *, env: str) -> None:
        self._safety = safety
        self._env = env
        self.proxy: AllowlistProxy | None = None
        self.fetch_guard: NetworkGuard | None = None

    def launch_args(self) -> list[str]:
        """Chromium options for a browser this run starts: every connection via the proxy."""
        if not self._safety.allowlist.active:
            return []
        if self._env not in LAUNCHED_BROWSER_ENVS:
            if self._env == "vm":
                log.warning("--allow-domain on --env %s: requests are filtered over CDP, but "
                            "WebSockets are not (gui-agent did not start that browser)", self._env)  # fmt: skip
            return []
        policy = self._safety.policy

        def record(attempt: str, reason: str) -> None:  # "connect HOST:PORT" or an http URL
            shown = attempt if attempt.startswith("connect ") else f"load {attempt}"
            policy.record(GuardEvent("allowlist", shown, "blocked", reason))

        self.proxy = AllowlistProxy(self._safety.allowlist, on_block=record).start()
        return self.proxy.chromium_args()

    def launch_prefs(self) -> dict[str, Any]:
        """Profile preferences for that browser (WebRTC only through the proxy); after launch_args."""
        return AllowlistProxy.chromium_prefs() if self.proxy is not None else {}

    def attach(self, computer: Computer, *, start_url: str | None) -> None:
        self.fetch_guard = guard_computer(computer, self._safety, start_url=start_url)

    def close(self) -> None:
        if self.fetch_guard is not None:
            self.fetch_guard.close()
            self.fetch_guard = None
        if self.proxy is not None:
            self.proxy.close()
            self.proxy = None
