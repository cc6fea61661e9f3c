"""The results folder in OSWorld's layout, what a run records there, and the lock on it.

    <results_root>/pyautogui/screenshot/<model>/     one run folder per model (`run_folder`)
        run.json                                     RunManifest: model, max steps, planned tasks
        .lock                                        held (flock) while a run writes here
        <domain>/<task_id>/                          one task folder, written by task_run.py:
            outcome.json                             TaskOutcome (status, score, steps, cost, ...)
            result.txt                               the score, written last, only when scored

`result.txt` is the mark of a finished task, as in OSWorld: a folder without it is rerun on
resume. Folders OSWorld itself wrote (result.txt and traj.jsonl, no outcome.json) load too.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Self

from pydantic import BaseModel, Field, ValidationError

from gui_agent.errors import ConfigError
from osworld_eval.task_run import OUTCOME_FILE, RESULT_FILE, TaskOutcome, TaskStatus

logger = logging.getLogger(__name__)

ACTION_SPACE = "pyautogui"
OBSERVATION_TYPE = "screenshot"
MANIFEST_FILE = "run.json"
LOCK_FILE = ".lock"
REPORT_FILES = frozenset({"report.md", "report.json"})
"""Files a run folder may hold that are not results (ignored by the "already has results" check)."""


def model_folder_name(spec: str) -> str:
    """A filesystem-safe folder name for a model spec (`anthropic:x` -> `anthropic_x`)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", spec).strip("._-")
    return name[:120] or "model"


def run_folder(results_root: Path, model_spec: str) -> Path:
    """`results_root/pyautogui/screenshot/<model>`: where one model's run writes."""
    return Path(results_root) / ACTION_SPACE / OBSERVATION_TYPE / model_folder_name(model_spec)


def task_folder(run_dir: Path, *, domain: str, task_id: str) -> Path:
    return Path(run_dir) / domain / task_id


class RunManifest(BaseModel):
    """What a run set out to do: written at the start, merged on resume, read by the report."""

    model: str
    max_steps: int
    action_space: str = ACTION_SPACE
    observation_type: str = OBSERVATION_TYPE
    tasks: dict[str, list[str]] = Field(default_factory=dict)
    started_at: list[str] = Field(default_factory=list)

    def merged(self, other: RunManifest) -> RunManifest:
        """This manifest with `other`'s tasks and start times added (resume)."""
        tasks = {d: list(ids) for d, ids in self.tasks.items()}
        for domain, ids in other.tasks.items():
            known = tasks.setdefault(domain, [])
            known.extend(i for i in ids if i not in known)
        return other.model_copy(
            update={"tasks": tasks, "started_at": [*self.started_at, *other.started_at]}
        )


def read_manifest(run_dir: Path) -> RunManifest | None:
    path = Path(run_dir) / MANIFEST_FILE
    if not path.is_file():
        return None
    try:
        return RunManifest.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, ValidationError) as exc:
        logger.warning("ignoring unreadable %s: %s", path, exc)
        return None


def write_manifest(run_dir: Path, manifest: RunManifest) -> None:
    write_atomically(Path(run_dir) / MANIFEST_FILE, manifest.model_dump_json(indent=2))


def record_manifest(
    run_dir: Path, spec: str, max_steps: int, keys: list[tuple[str, str]], *, resume: bool
) -> None:
    """Write run.json; on resume, add to the earlier plan (which must share the step budget)."""
    planned: dict[str, list[str]] = {}
    for domain, task_id in keys:
        planned.setdefault(domain, []).append(task_id)
    manifest = RunManifest(
        model=spec,
        max_steps=max_steps,
        tasks=planned,
        started_at=[time.strftime("%Y-%m-%dT%H:%M:%S%z")],
    )
    previous = read_manifest(run_dir) if resume else None
    if previous is not None and previous.max_steps != max_steps:
        raise ConfigError(
            f"{run_dir} holds a run with max steps {previous.max_steps}: resume it with "
            f"--max-steps {previous.max_steps}, or choose another results folder"
        )
    write_manifest(run_dir, previous.merged(manifest) if previous is not None else manifest)


def write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_outcome(task_dir: Path, outcome: TaskOutcome) -> None:
    """Write outcome.json (never result.txt: only task_run scores a task)."""
    task_dir.mkdir(parents=True, exist_ok=True)
    write_atomically(task_dir / OUTCOME_FILE, outcome.model_dump_json(indent=2))


def is_finished(task_dir: Path) -> bool:
    return (Path(task_dir) / RESULT_FILE).is_file()


def _read_score(path: Path) -> float | None:
    try:
        return float(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def _count_lines(path: Path) -> int:
    try:
        with path.open(encoding="utf-8") as lines:
            return sum(1 for line in lines if line.strip())
    except OSError:
        return 0


def load_outcome(task_dir: Path, *, domain: str, task_id: str) -> TaskOutcome | None:
    """The recorded outcome of a task folder, or None if the task never started there.

    result.txt is authoritative for the score. An outcome.json that says `scored` without a
    result.txt means the run stopped while writing: reported as `interrupted`.
    """
    task_dir = Path(task_dir)
    score = _read_score(task_dir / RESULT_FILE) if is_finished(task_dir) else None
    outcome: TaskOutcome | None = None
    outcome_path = task_dir / OUTCOME_FILE
    if outcome_path.is_file():
        try:
            outcome = TaskOutcome.model_validate_json(outcome_path.read_text(encoding="utf-8"))
        except (OSError, ValueError, ValidationError) as exc:
            logger.warning("unreadable %s: %s", outcome_path, exc)
            outcome = TaskOutcome(
                task_id=task_id,
                domain=domain,
                status=TaskStatus.INTERRUPTED,
                message=f"unreadable {OUTCOME_FILE}",
            )
    if score is not None:
        if outcome is None:  # a folder written by OSWorld's own runner
            outcome = TaskOutcome(
                task_id=task_id,
                domain=domain,
                status=TaskStatus.SCORED,
                steps=_count_lines(task_dir / "traj.jsonl"),
            )
        return outcome.model_copy(update={"status": TaskStatus.SCORED, "score": score})
    if outcome is None:
        if not task_dir.is_dir() or not any(task_dir.iterdir()):
            return None
        message = "stopped before an outcome was written"
        return TaskOutcome(
            task_id=task_id, domain=domain, status=TaskStatus.INTERRUPTED, message=message
        )
    if outcome.status is TaskStatus.SCORED:
        return outcome.model_copy(
            update={
                "status": TaskStatus.INTERRUPTED,
                "score": None,
                "message": f"scored but {RESULT_FILE} is missing or unreadable",
            }
        )
    return outcome


def task_folders(run_dir: Path) -> Iterator[tuple[str, str, Path]]:
    """(domain, task_id, folder) of every task folder in a run folder, sorted."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        return
    for domain_dir in sorted(p for p in run_dir.iterdir() if p.is_dir()):
        for folder in sorted(p for p in domain_dir.iterdir() if p.is_dir()):
            yield domain_dir.name, folder.name, folder


def has_results(run_dir: Path) -> bool:
    """Whether a run folder holds anything of an earlier run's tasks."""
    return any(any(folder.iterdir()) for _, _, folder in task_folders(run_dir))


class LockedError(ConfigError):
    """Another live run holds the results folder's lock."""


class ResultsLock:
    """An exclusive lock on a run folder for as long as a run writes there.

    The lock is an flock on `.lock`, which also records the holder's pid: the kernel drops it
    when the holder dies, so a lock left by a dead run is simply taken over.
    """

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(5):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(fd)
                os.close(fd)
                raise LockedError(
                    f"the results folder {self.path.parent} is in use by another run "
                    f"({holder}; lock file {self.path}). Wait for it to finish or choose "
                    "another results folder."
                ) from None
            if _same_file(fd, self.path):
                break
            os.close(fd)  # the holder released and removed it meanwhile: lock the new file
        else:
            raise LockedError(f"could not lock {self.path}: it keeps changing")
        stale = _read_holder(fd)
        if stale != "no holder recorded":
            logger.warning("taking over the stale lock %s (%s is gone)", self.path, stale)
        record = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            self.path.unlink()  # unlink while holding: a waiter re-checks the inode
        os.close(fd)

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    try:
        raw = os.pread(fd, 4096, 0)
        record = json.loads(raw) if raw.strip() else None
    except (OSError, ValueError):
        record = None
    if not isinstance(record, dict):
        return "no holder recorded"
    return f"pid {record.get('pid')} on {record.get('host')}, since {record.get('started_at')}"


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.fstat(fd).st_ino == path.stat().st_ino
    except FileNotFoundError:
        return False
