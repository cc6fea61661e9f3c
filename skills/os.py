"""The command skill: operating-system work done with one shell command and checked by the program.

    propose {command, intent, expected_effect}  (the router's proposal, else one scoped call)
    -> policy gate: a destructive command runs only if the user confirms; else BLOCKED, nothing run
    -> run it through HasShell with a timeout, the read-back probe in the same step
    -> the program checks the effect (setting value, file present/absent/containing, output)
    -> DONE, or another proposal that sees what went wrong (at most MAX_ATTEMPTS commands)

Where no command exists (a Settings panel only), or the computer has no shell, it hands the goal
to the step loop with a one-line summary. `sudo` gets the environment's configured password
(the computer's `sudo_password`, else $GUI_AGENT_SUDO_PASSWORD or $OSWORLD_CLIENT_PASSWORD), never
a password a model wrote.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from typing import assert_never

from gui_agent.actions import Shell
from gui_agent.agentic import agentic
from gui_agent.computers.base import Computer, ShellResult
from gui_agent.loop import current_episode
from skills.base import SkillResult, SkillStatus, run_command, run_shell_skill
from skills.command_policy import destructive_reason
from skills.routes import CommandProposal, Effect, OsParams

MAX_ATTEMPTS = 2
COMMAND_TIMEOUT_S = 60.0
PASSWORD_ENV = ("GUI_AGENT_SUDO_PASSWORD", "OSWORLD_CLIENT_PASSWORD")
_MARK = "__GUI_AGENT_CHECK__"


@agentic(summarize=lambda p: f"proposed {p.command!r}: {p.intent}")
def propose_command(goal: str, task: str, last_attempt: str | None) -> CommandProposal:
    """Propose one bash command that does the task on this Linux desktop, and its checkable effect.

    The command runs non-interactively as the desktop user, in their home folder, with a
    timeout; prefix `sudo` where root is needed (the program supplies the password). Desktop
    settings live in gsettings (GNOME). Prefer one command; chain with && when needed.
    `expected_effect` must be something the program can check after the command: the
    gsettings value read back, a file that must (not) exist or must contain a text, or text
    the command prints. If the goal asks a question, use kind "answer" and make the command
    print just the answer on its last line. Set `command` to null when only the graphical
    interface can do it. `last_attempt`, if given, is what the previous command did and why
    it did not count: propose something different.
    """


def run_os(goal: str, computer: Computer, *, params: OsParams) -> SkillResult:
    """Do `goal` with shell commands; see the module docstring."""
    return run_shell_skill("os.command", arguments={"goal": goal, "task": params.task},
                           computer=computer, without_shell="this computer runs no commands; "
                           "use the screen", work=lambda: _attempts(goal, computer, params))  # fmt: skip


def _attempts(goal: str, computer: Computer, params: OsParams) -> SkillResult:
    proposal = params.proposal
    last_attempt: str | None = None
    for _ in range(MAX_ATTEMPTS):
        if proposal is None:
            proposal = propose_command(goal, params.task, last_attempt)
        if proposal.command is None:
            return SkillResult(SkillStatus.HANDOFF,
                               f"no command does this ({proposal.intent}); use the GUI")  # fmt: skip
        refused = _refusal(proposal.command)
        if refused is not None:
            return SkillResult(SkillStatus.BLOCKED, refused)
        outcome = _run_checked(computer, proposal)
        if outcome.ok:
            answer = outcome.answer if proposal.expected_effect.kind == "answer" else None
            return SkillResult(SkillStatus.DONE, f"ran {proposal.command[:80]!r}: {outcome.detail}",
                               answer=answer)  # fmt: skip
        last_attempt = f"{proposal.command!r} -> {outcome.detail}"
        proposal = None
    return SkillResult(SkillStatus.HANDOFF, f"commands did not do it; last: {last_attempt}"[:200])


def _refusal(command: str) -> str | None:
    """Why the gate refuses `command` (nothing has run then), or None to go ahead."""
    reason = destructive_reason(command)
    if reason is None:
        return None
    episode = current_episode()
    confirm = episode.policy.confirm if episode is not None else None
    if confirm is not None and confirm(Shell(command=command)):
        return None
    return f"refused {command[:80]!r}: it {reason}; nothing was run (allow it to proceed)"


def sudo_password(computer: Computer) -> str | None:
    """The environment's configured password for sudo, if it has one."""
    configured = getattr(computer, "sudo_password", None)
    if isinstance(configured, str) and configured:
        return configured
    return next((os.environ[name] for name in PASSWORD_ENV if os.environ.get(name)), None)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    detail: str
    answer: str | None = None


def _run_checked(computer: Computer, proposal: CommandProposal) -> Outcome:
    """Run the command and its read-back probe as one step; judge the effect in code."""
    assert proposal.command is not None
    effect = proposal.expected_effect
    probe = probe_for(effect)
    command = proposal.command
    if probe:
        command = f"{command}\nprintf '\\n{_MARK} %s\\n' \"$?\"\n{probe}"
    shell = run_command(computer, command, timeout=COMMAND_TIMEOUT_S, why=proposal.intent,
                        sudo_password=sudo_password(computer))  # fmt: skip
    return judge(effect, *split_probe(shell, probed=bool(probe)))


def probe_for(effect: Effect) -> str:
    """A read-only shell snippet whose output shows the effect ("" when the output itself does)."""
    match effect.kind:
        case "setting":
            parts = effect.target.split()
            if len(parts) != 2:
                return ""
            return f"gsettings get {shlex.quote(parts[0])} {shlex.quote(parts[1])}"
        case "file_exists" | "file_absent":
            return f"test -e {_path(effect.target)} && echo present || echo absent"
        case "file_contains":
            return f"grep -cF -- {shlex.quote(effect.value)} {_path(effect.target)} || true"
        case "output_contains" | "answer" | "exit_zero":
            return ""
        case _:
            assert_never(effect.kind)


def _path(path: str) -> str:
    """Quote a path for the shell, keeping a leading ~ meaning the home folder."""
    if path == "~" or path.startswith("~/"):
        return '"$HOME"' + shlex.quote(path[1:]) if len(path) > 1 else '"$HOME"'
    return shlex.quote(path)


def split_probe(shell: ShellResult, *, probed: bool) -> tuple[int, str, str]:
    """(the command's exit code, its output, the probe's output)."""
    if not probed:
        return shell.returncode, shell.output + shell.error, ""
    head, mark, tail = shell.output.rpartition(f"\n{_MARK} ")
    if not mark:
        return shell.returncode or 1, shell.output + shell.error, ""
    code_text, _, probe_output = tail.partition("\n")
    code = int(code_text) if code_text.strip().isdigit() else 1
    return code, head + shell.error, probe_output.strip()


def judge(effect: Effect, code: int, output: str, probe: str) -> Outcome:
    """Whether the command did what `effect` says, from its exit code and outputs."""
    if code != 0:
        return Outcome(False, f"exit {code}: {_last_line(output) or 'no output'}")
    match effect.kind:
        case "setting":
            ok = same_setting(probe, effect.value)
            return Outcome(ok, f"{effect.target} reads {probe or '(nothing)'}")
        case "file_exists":
            return Outcome(probe == "present", f"{effect.target} is {probe or 'unknown'}")
        case "file_absent":
            return Outcome(probe == "absent", f"{effect.target} is {probe or 'unknown'}")
        case "file_contains":
            found = probe.isdigit() and int(probe) > 0
            return Outcome(found, f"{effect.target} {'contains' if found else 'lacks'} the text")
        case "output_contains":
            ok = effect.value in output
            return Outcome(ok, "printed the expected text" if ok else "expected text not printed")
        case "answer":
            answer = _last_line(output)
            return Outcome(bool(answer), f"answer {answer!r}" if answer else "printed nothing",
                           answer=answer or None)  # fmt: skip
        case "exit_zero":
            return Outcome(True, "exit 0")
        case _:
            assert_never(effect.kind)


def _last_line(text: str) -> str:
    return next((line.strip() for line in reversed(text.splitlines()) if line.strip()), "")


def same_setting(read: str, expected: str) -> bool:
    """gsettings values compared as values: quotes, type prefixes and number forms ignored."""
    a, b = _setting_value(read), _setting_value(expected)
    if a == b:
        return True
    try:
        return float(a) == float(b)
    except ValueError:
        return False


def _setting_value(text: str) -> str:
    text = re.sub(r"^(u?int(16|32|64)|byte|double|@\w+)\s+", "", text.strip())
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    return text.strip().lower()
