"""What may run: the gate before irreversible actions, the shell policy, and the guard record.

Every decision here is the program's, from facts it read itself, never the model's say-so:
- A shell command matching `DENIED_SHELL` is an ActionRejected (the model hears why and can
  choose another action); one matching `IRREVERSIBLE_SHELL` goes through the gate.
- The **gate** (`Policy.gate`, or `gate(...)` for code running inside an episode, such as a
  skill that submits a form) stops before an action that submits, pays, deletes, sends or
  closes work. What makes an action irreversible is read from the screen's structure
  (`TargetFacts`: the DOM or accessibility role and name of the element under the pointer, and
  whether the click or key submits a form), from the key combination, or from the command.
  `Approval` decides what happens then: YES allows (`--yes`), ASK asks the person at the
  terminal (no terminal: denied), DENY refuses. A refusal raises PolicyBlocked: the episode
  ends `blocked` with nothing executed.
- Every guard decision (gate, shell policy, network allowlist, secret placeholders) is a
  `GuardEvent` kept on the policy and written to the trace, so a run can report what was tried
  and what was blocked.
"""

from __future__ import annotations

import contextvars
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Literal

from gui_agent.actions import (
    Action,
    Click,
    DoubleClick,
    Fill,
    FillPage,
    Key,
    Shell,
    TripleClick,
    Type,
    describe,
    normalize_keys,
)  # fmt: skip
from gui_agent.allowlist import Allowlist
from gui_agent.errors import ActionRejected, PolicyBlocked
from gui_agent.shell_reach import hosts_named, network_tools
from gui_agent.vault import Vault

SUBMIT_KEYS = frozenset({("enter",), ("ctrl", "enter")})
PRESS_KEYS = SUBMIT_KEYS | {("space",)}
"""Keys that press the focused control (a button is activated by Enter or Space)."""
CLOSING_KEYS = frozenset({("alt", "f4"), ("ctrl", "q"), ("ctrl", "shift", "q"), ("ctrl", "w")})
DENIED_SHELL = (
    r"\brm\s+-[a-z]*r[a-z]*f?\s+/(\s|$)",  # rm -rf /
    r"\bmkfs\b",
    r"\bdd\s+if=.*\bof=/dev/",
    r":\(\)\s*\{",  # fork bomb
    r"\b(shutdown|reboot|poweroff|halt)\b",
)
DEFAULT_DENIED_SHELL = DENIED_SHELL
IRREVERSIBLE_SHELL = (
    r"\b(rm|rmdir|shred|truncate|unlink)\s",
    r"\bfind\b.*\s-delete\b",
    r"\bgit\s+(push|reset\s+--hard|clean\s+-[a-z]*f)",
    r"\b(curl|wget|http)\b.*(\s-X\s*(POST|PUT|PATCH|DELETE)\b|\s--data|\s-d\s|\s-F\s|--post)",
    r"\b(sendmail|mail|mailx|mutt)\b",
    r"\b(kill|pkill|killall)\s",
    r"\bsudo\b",
    r"\bcrontab\s+-r\b",
    r"\bdd\s",
)
CONSEQUENTIAL_NAMES = re.compile(
    r"\b(submit|send|pay|buy|purchase|order|checkout|check out|delete|remove|erase|discard|"
    r"transfer|publish|post|confirm|unsubscribe|don'?t save|do not save|close without saving|"
    r"empty trash|place order|book now|donate|sign and send|reset all|wipe)\b",
    re.IGNORECASE,
)
"""Accessible names of controls whose effect cannot be taken back (English UI words)."""
CONSEQUENTIAL_ROLES = frozenset(
    {"button", "push button", "link", "menuitem", "menu item", "submit", "toggle button"}
)


class Approval(StrEnum):
    YES = "yes"  # allow every irreversible action (recorded); `--yes`
    ASK = "ask"  # ask the person at the terminal; denied when nobody can be asked
    DENY = "deny"  # refuse every irreversible action (non-interactive runs)


GuardName = Literal["gate", "shell_policy", "allowlist", "secrets"]
Decision = Literal["allowed", "confirmed", "blocked"]


@dataclass(frozen=True)
class TargetFacts:
    """What the program read about the element an action would operate (DOM or a11y tree)."""

    role: str = ""
    name: str = ""
    submits_form: bool = False
    source: Literal["dom", "accessibility", "program"] = "program"


@dataclass(frozen=True)
class GuardEvent:
    """One decision of a guard: what was tried, what the program decided, and why."""

    guard: GuardName
    attempted: str
    decision: Decision
    reason: str

    @property
    def blocked(self) -> bool:
        return self.decision == "blocked"


Ask = Callable[[str], bool]
"""Asks a person a yes/no question; True means go ahead."""


def irreversible_reason(action: Action, facts: TargetFacts | None = None) -> str | None:
    """Why `action` cannot be taken back, from program facts; None when it can.

    Pure: the facts about the target (role, name, form submission) are read by the caller.
    """
    if isinstance(action, Shell):
        for pattern in IRREVERSIBLE_SHELL:
            if re.search(pattern, action.command):
                return f"the command matches the irreversible pattern {pattern!r}"
        return None
    if isinstance(action, Key) and normalize_keys(action.keys) in CLOSING_KEYS:
        return f"{action.keys} closes a window or program (unsaved work is lost)"
    if facts is None:
        return None
    if facts.submits_form and _may_submit(action):
        return f"it submits a form ({facts.source}: {facts.role or 'element'} {facts.name!r})"
    pointer = isinstance(action, Click | DoubleClick | TripleClick | Fill | FillPage)
    if (pointer or _presses_focused(action)) and facts.role.lower() in CONSEQUENTIAL_ROLES:
        match = CONSEQUENTIAL_NAMES.search(facts.name.replace("\u2019", "'"))  # Don’t Save
        if match:
            return f"it presses the {facts.role} {facts.name!r} ({match.group(0).lower()})"
    return None


def _presses_focused(action: Action) -> bool:
    """A key (or typed newline) that activates the focused control; its facts are the focus's."""
    if isinstance(action, Key):
        return normalize_keys(action.keys) in PRESS_KEYS
    return isinstance(action, Type) and "\n" in action.text


def _may_submit(action: Action) -> bool:
    if isinstance(action, Key):
        return normalize_keys(action.keys) in SUBMIT_KEYS
    if isinstance(action, Type):
        return "\n" in action.text
    return isinstance(action, Click | DoubleClick | TripleClick | Fill | FillPage)


class Policy:
    """The guards of one episode and the record of what they decided.

    `approval` says what the gate does with an irreversible action; `ask` is how ASK reaches a
    person (None: nobody can be asked, so ASK denies). `confirm` asks about an Action itself:
    ASK uses it first; skills with their own gate (skills/os) and provider safety checks
    (`acknowledge`) go on only when it says yes, so None there means refuse. Without an explicit
    `approval`, a `confirm` means ASK and no `confirm` means YES (the library's default; the
    command line chooses ASK or DENY unless `--yes`). `on_event` also receives every GuardEvent.
    `vault` holds the run's secrets: `reveal` them into an action only as it is executed.
    `allowlist` (when set) also bounds the hosts a shell command may name (shell_reach.py).
    """

    def __init__(
        self,
        *,
        approval: Approval | None = None,
        ask: Ask | None = None,
        confirm: Callable[[Action], bool] | None = None,
        denied_shell: tuple[str, ...] = DENIED_SHELL,
        on_event: Callable[[GuardEvent], None] | None = None,
        vault: Vault | None = None,
        allowlist: Allowlist | None = None,
    ) -> None:
        self.vault = vault or Vault()
        self.allowlist = allowlist or Allowlist()
        if approval is None:
            approval = Approval.ASK if confirm is not None else Approval.YES
        self.approval = approval
        self.ask = ask
        self.confirm = confirm
        self.denied_shell = denied_shell
        self.on_event = on_event
        self._events: list[GuardEvent] = []
        self._lock = threading.Lock()

    @property
    def can_refuse(self) -> bool:
        """Whether the gate may refuse (ASK, DENY): only then are costly facts worth reading."""
        return self.approval is not Approval.YES

    @property
    def events(self) -> list[GuardEvent]:
        with self._lock:
            return list(self._events)

    def record(self, event: GuardEvent) -> GuardEvent:
        """Keep a guard's decision (thread-safe: the network guard calls this from its thread)."""
        with self._lock:
            self._events.append(event)
        if self.on_event is not None:
            self.on_event(event)
        return event

    def check(self, action: Action, *, facts: TargetFacts | None = None) -> None:
        """Raise ActionRejected (shell policy) or PolicyBlocked (gate) before `action` runs."""
        if isinstance(action, Shell):
            for pattern in self.denied_shell:
                if re.search(pattern, action.command):
                    self.record(GuardEvent("shell_policy", describe(action), "blocked",
                                           f"denied pattern {pattern}"))  # fmt: skip
                    raise ActionRejected(f"shell command refused by policy ({pattern})")
            self._check_reach(action)
        reason = irreversible_reason(action, facts)
        if reason is not None:
            self.gate(describe(action), reason=reason, action=action)

    def _check_reach(self, action: Shell) -> None:
        """A command may not name hosts off the allowlist, nor send a secret over the network."""
        outside = [h for h in hosts_named(action.command) if not self.allowlist.host_allowed(h)]
        if self.allowlist.active and outside:
            self.record(GuardEvent("allowlist", describe(action), "blocked",
                                   f"names {outside[0]}, not on the allowlist"))  # fmt: skip
            raise ActionRejected(f"the command names {outside[0]}, which is not on the allowlist")
        if self.vault.placeholders_in(action.command) and network_tools(action.command):
            self.record(GuardEvent("secrets", describe(action), "blocked",
                                   "a secret placeholder in a command that uses the network"))  # fmt: skip
            raise ActionRejected("a secret may be typed into the desktop, not sent by a command "
                                 "that uses the network")  # fmt: skip

    def gate(self, attempted: str, *, reason: str, action: Action | None = None) -> None:
        """Let an irreversible step through or raise PolicyBlocked; the decision is recorded."""
        decision: Decision
        match self.approval:
            case Approval.YES:
                decision = "allowed"
            case Approval.DENY:
                decision = "blocked"
            case Approval.ASK:
                if self.confirm is not None and action is not None:
                    ok = self.confirm(action)
                elif self.ask is not None:
                    ok = self.ask(f"Allow {attempted}? ({reason})")
                else:
                    ok = False
                decision = "confirmed" if ok else "blocked"
        self.record(GuardEvent("gate", attempted, decision, reason))
        if decision == "blocked":
            how = "was denied" if self.approval is not Approval.DENY else "needs --yes"
            raise PolicyBlocked(f"irreversible action {how}: {attempted} ({reason})")

    def acknowledge(self, action: Action, checks: list[str]) -> None:
        """Provider safety checks on an action: go on only if `confirm` says yes; never by default."""
        reason = "the model provider flagged it: " + "; ".join(checks)
        ok = self.confirm is not None and self.confirm(action)
        self.record(GuardEvent("gate", describe(action), "confirmed" if ok else "blocked", reason))
        if not ok:
            raise PolicyBlocked(
                "the model provider flagged this action and nobody confirmed it: "
                + "; ".join(checks)
            )

    def summary(self) -> dict[str, object]:
        """Counts of what each guard saw and blocked, plus every event (for result.json)."""
        events = self.events
        return {
            "tried": len(events),
            "blocked": sum(1 for e in events if e.blocked),
            "events": [asdict(e) for e in events],
        }


_current_policy: contextvars.ContextVar[Policy | None] = contextvars.ContextVar(
    "gui_agent_policy", default=None
)


def current_policy() -> Policy:
    """The policy of the running episode (a default one outside an episode)."""
    return _current_policy.get() or Policy()


@contextmanager
def use_policy(policy: Policy) -> Iterator[Policy]:
    token = _current_policy.set(policy)
    try:
        yield policy
    finally:
        _current_policy.reset(token)


def gate(attempted: str, *, facts: TargetFacts | None = None, reason: str | None = None) -> None:
    """Ask the running episode's policy before an irreversible step a skill is about to take.

    `attempted` says what would happen ("submit the form 'Contact us'"); give `facts` read from
    the page (the gate decides from them) or an explicit `reason` when the caller already knows
    the step is irreversible. Raises PolicyBlocked when it may not run; otherwise returns.

        gate("submit the form 'Order'", facts=TargetFacts(role="button", name="Place order",
             submits_form=True, source="dom"))
    """
    why = reason
    if why is None and facts is not None:
        why = irreversible_reason(Click(x=0, y=0), facts)
    if why is not None:
        current_policy().gate(attempted, reason=why)

