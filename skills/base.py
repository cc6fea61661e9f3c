"""What every skill is built from: a typed result, and the four ways a skill touches the world.

A skill is ordinary Python, `def <verb>(goal, computer, *, ...) -> SkillResult`, running inside
`with context.frame("<domain>.<verb>", arguments={...}) as node:` and setting `node.summary` to
its one line; that line is all a later call sees of it.

The counting rule lives here. Everything a skill *executes* in the environment is a step of the
episode's one budget (at most 15, shared with the step loop): an input action (`act`, compound
ones included), a shell command (`run_command`), a script run (`run_script`), a file written
(`write_file`). Each reserves one action before it runs (context.reserve_action raises
BudgetExceeded when none is left: nothing runs then), becomes a child frame whose one-line
summary the skill's later sub-calls see, and is recorded as a step of the episode with
`source` naming the skill, so result.json and the report show skill steps beside loop steps.
Observations are free and are recorded with `observe`: screenshots, the accessibility tree,
CDP reads, reading a file back.
"""

from __future__ import annotations

import io
import re
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from PIL import Image

from gui_agent import context as ctx
from gui_agent.actions import Action, Shell, describe, validate
from gui_agent.computers.base import Computer, ExecutionRecord, HasFiles, HasShell, ShellResult
from gui_agent.episode import StepRecord
from gui_agent.errors import ActionRejected, EnvError
from gui_agent.loop import current_episode, record_step
from gui_agent.policy import Policy
from gui_agent.screen import frames_differ, settle
from gui_agent.target_facts import read_target_facts
from gui_agent.trace import OUTPUT_CHARS, current_trace

STEP_OUTPUT_CHARS = 2000
"""How much of a command's output a step record keeps."""


class SkillStatus(StrEnum):
    DONE = "done"  # the skill finished the goal (verified by reading state back)
    FAILED = "failed"  # it cannot be done (reason in summary)
    HANDOFF = "handoff"  # the skill did what it could; the step loop continues the rest
    BLOCKED = "blocked"  # the policy refused a consequential action; nothing was run


@dataclass
class SkillResult:
    status: SkillStatus
    summary: str
    """ONE line the caller (and later calls) keep."""
    answer: str | None = None
    """An answer the goal asked for, if any."""

    def summary_line(self) -> str:
        return f"{self.status.value}: {self.summary}"


def _source() -> str:
    """The skill a step belongs to: the innermost frame whose name has a domain ("os.run")."""
    node = ctx.current_node()
    while node is not None:
        if "." in node.name:
            return node.name
        node = node.parent
    return "skill"


def _policy() -> Policy:
    episode = current_episode()
    return episode.policy if episode is not None else Policy()


def _dry_run() -> bool:
    episode = current_episode()
    return episode is not None and episode.dry_run


def _step(kind: str, action: dict[str, object], description: str, why: str) -> StepRecord:
    """Reserve one action of the shared budget and add its record to the episode's steps."""
    ctx.reserve_action()
    episode = current_episode()
    steps = episode.result.steps if episode is not None else []
    record = StepRecord(index=len(steps) + 1, action={"kind": kind, **action},
                        description=description, executed=True, observation=why,
                        source=_source())  # fmt: skip
    steps.append(record)
    return record


def _finish(node: ctx.CallNode, record: StepRecord, started: float) -> None:
    record.duration_s = round(time.monotonic() - started, 3)
    node.summary = record.description + (f" -> {record.rejected}" if record.rejected else "")
    record_step(node, record)


def act(computer: Computer, action: Action, *, why: str = "") -> ExecutionRecord:
    """One step: validate (bounds, keys, policy), reserve one action, execute, settle, record.

    `action` is in screen pixels. A rejected action raises ActionRejected before anything is
    reserved or sent.
    """
    width, height = computer.size
    validate(action, width=width, height=height, allow_shell=computer.allows_shell)
    policy = _policy()
    policy.check(action, facts=read_target_facts(computer, action, tree=policy.can_refuse))
    with ctx.frame("act", arguments={"action": describe(action), "why": why}) as node:
        started = time.monotonic()
        record = _step(action.kind, action.model_dump(exclude={"kind"}), describe(action), why)
        try:
            if _dry_run():
                return ExecutionRecord()
            before = computer.screenshot()
            record.screenshot = _keep_screen(before)
            executed = computer.execute(_policy().vault.reveal(action))
            record.events = executed.events
            episode = current_episode()
            settled = settle(computer.screenshot, before=before,
                             timeout=episode.settle_timeout if episode else 3.0)  # fmt: skip
            record.settle_s = round(settled.waited_s, 3)
            record.screen_changed = frames_differ(before, settled.image or computer.screenshot())
            return executed
        finally:
            _finish(node, record, started)


def _keep_screen(image: Image.Image) -> str | None:
    """Store the screen a step acted on in the trace's images (the report draws the action on
    it); an observation, so it costs no step."""
    trace = current_trace()
    if trace is None:
        return None
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return trace.store_image(buffer.getvalue())


def has_shell(computer: Computer) -> bool:
    """Whether this computer runs shell commands (HasShell, and allowed to)."""
    return isinstance(computer, HasShell) and computer.allows_shell


def _shell_of(computer: Computer) -> HasShell:
    if isinstance(computer, HasShell) and has_shell(computer):
        return computer
    raise ActionRejected("this computer cannot run shell commands")


def run_shell_skill(name: str, *, arguments: dict[str, object], computer: Computer,
                    without_shell: str, work: Callable[[], SkillResult]) -> SkillResult:  # fmt: skip
    """Run a shell-backed skill's `work` in its frame `name`, which keeps the result.

    A computer without a shell hands the goal to the screen at once (HANDOFF, `without_shell`).
    """
    with ctx.frame(name, arguments=arguments) as node:
        result = work() if has_shell(computer) else SkillResult(SkillStatus.HANDOFF, without_shell)
        node.output = result
        node.summary = result.summary
    return result


def run_command(computer: Computer, command: str, *, timeout: float = 60.0, why: str = "",
                sudo_password: str | None = None) -> ShellResult:  # fmt: skip
    """One step: run a shell command through the computer's HasShell capability.

    The policy's shell rules apply (a refused command raises ActionRejected, nothing runs); a
    non-zero exit is a result, not an error. With `sudo_password` (the environment's, never
    one a model wrote) every `sudo` in the command reads it on stdin; the password appears in
    no record.
    """
    shell = _shell_of(computer)
    validate(Shell(command=command), width=1, height=1, allow_shell=True)
    _policy().check(Shell(command=command))
    executed = _policy().vault.reveal_text(command)
    if sudo_password is not None and re.search(r"\bsudo\b", command):
        executed = (f"sudo() {{ printf '%s\\n' {shlex.quote(sudo_password)} | "
                    f"command sudo -S -p '' \"$@\"; }}\n{command}")  # fmt: skip
    with ctx.frame("shell", arguments={"command": command, "why": why}) as node:
        started = time.monotonic()
        record = _step("shell", {"command": command}, f"shell {command[:60]!r}", why)
        return _run_step_in_shell(shell, executed, timeout=timeout, node=node, record=record,
                                  started=started)  # fmt: skip


def run_script(computer: Computer, source: str, *, interpreter: str = "python3",
               timeout: float = 120.0, why: str = "") -> ShellResult:  # fmt: skip
    """One step: run a script in the environment (fed to `interpreter` on stdin via a heredoc).

    The script is run, not written: nothing is left on disk. Checking what the script may call
    is the caller's job (see multi_app, script_check); the policy's confirmation applies.
    """
    shell = _shell_of(computer)
    marker = "GUI_AGENT_SCRIPT_END"
    while marker in source:
        marker += "_"
    command = f"{shlex.quote(interpreter)} - <<'{marker}'\n{source}\n{marker}"
    # The policy sees the run, not the source: shell patterns over Python text would refuse a
    # script for a word in a string ("halt"); the source is the caller's to check.
    _policy().check(Shell(command=f"{shlex.quote(interpreter)} - (a {len(source)}-char script)"))
    first_line = next((line for line in source.splitlines() if line.strip()), "")
    with ctx.frame("script", arguments={"interpreter": interpreter, "why": why}) as node:
        started = time.monotonic()
        record = _step("script", {"interpreter": interpreter, "source": source[:OUTPUT_CHARS]},
                       f"{interpreter} script ({len(source.splitlines())} lines)", why)  # fmt: skip
        record.observation = why or first_line[:80]
        return _run_step_in_shell(shell, command, timeout=timeout, node=node, record=record,
                                  started=started)  # fmt: skip


def _run_step_in_shell(shell: HasShell, command: str, *, timeout: float, node: ctx.CallNode,
                       record: StepRecord, started: float) -> ShellResult:  # fmt: skip
    """Run a reserved shell step (not in a dry run) and record its exit and output on it."""
    try:
        if _dry_run():
            return ShellResult(returncode=0, output="", error="dry run: not executed")
        result = shell.run_shell(command, timeout=timeout)
        record.description += f" -> exit {result.returncode}"
        record.output = (result.output + result.error)[:STEP_OUTPUT_CHARS]
        node.output = {"returncode": result.returncode, "output": result.output[-500:],
                       "error": result.error[-500:]}  # fmt: skip
        return result
    finally:
        _finish(node, record, started)


def write_file(computer: Computer, path: str, data: bytes, *, why: str = "") -> None:
    """One step: write a file into the environment (HasFiles)."""
    if not isinstance(computer, HasFiles):
        raise ActionRejected("this computer cannot write files")
    with ctx.frame("write_file", arguments={"path": path, "why": why}) as node:
        started = time.monotonic()
        record = _step("write_file", {"path": path, "bytes": len(data)},
                       f"write {path} ({len(data)} bytes)", why)  # fmt: skip
        try:
            if not _dry_run():
                computer.write_file(path, data)
        finally:
            _finish(node, record, started)


def observe(what: str, detail: str = "") -> None:
    """Record a free observation (CDP read, a11y tree, file read back) in the trace."""
    trace = current_trace()
    if trace is None:
        return
    node = ctx.current_node()
    trace.write({"event": "observe", "path": node.path if node else "", "what": what,
                 "detail": detail[:OUTPUT_CHARS], "source": _source()})  # fmt: skip


def read_back(computer: Computer, path: str) -> bytes | None:
    """Read a file from the environment as a free observation; None if it is not there."""
    if not isinstance(computer, HasFiles):
        return None
    try:
        data = computer.read_file(path)
    except (OSError, EnvError) as exc:
        observe(f"read {path}", f"not readable: {exc}")
        return None
    observe(f"read {path}", f"{len(data)} bytes")
    return data
