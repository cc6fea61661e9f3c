"""Typed OSWorld task files, loaded from the official `examples/<domain>/<id>.json` layout.

Every model keeps keys it does not know (`extra="allow"`), so a task round-trips unchanged.
Loading is all-or-nothing: `load_tasks` validates every file first and raises one
`TaskFileError` listing every problem, never a half-loaded list.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from gui_agent.errors import ConfigError
from gui_agent.plural import counted

logger = logging.getLogger(__name__)

# Setup step types our setup runner executes (config and evaluator.postconfig).
SUPPORTED_SETUP_TYPES: frozenset[str] = frozenset(
    {
        "launch",
        "execute",
        "execute_with_verification",
        "command",
        "open",
        "sleep",
        "activate_window",
        "close_window",
        "upload_file",
        "download",
        "change_wallpaper",
        "chrome_open_tabs",
        "chrome_close_tabs",
        "update_browse_history",
        "googledrive",
        "login",
    }
)
# Setup step types and getters that need the user's Google credentials (google_settings.py).
CREDENTIAL_SETUP_TYPES: frozenset[str] = frozenset({"googledrive", "login"})
CREDENTIAL_GETTER_TYPES: frozenset[str] = frozenset({"googledrive_file"})


class TaskFileError(ConfigError):
    """A task or index file is missing or malformed; `problems` has one line per problem."""

    def __init__(self, message: str, *, problems: list[str]) -> None:
        super().__init__(message)
        self.problems = problems


class SetupStep(BaseModel):
    """One step of a task's `config` or an evaluator's `postconfig`."""

    model_config = ConfigDict(extra="allow")

    type: str
    parameters: dict[str, Any] = Field(default_factory=dict)


class GetterSpec(BaseModel):
    """Where a metric's input comes from: a getter `type` plus that getter's own keys."""

    model_config = ConfigDict(extra="allow")

    type: str

    def config(self) -> dict[str, Any]:
        """The spec as the plain dict a getter reads (type included)."""
        return {"type": self.type, **(self.model_extra or {})}


SpecSlot = GetterSpec | list[GetterSpec | None] | None
OptionsSlot = dict[str, Any] | list[dict[str, Any] | None] | None


class MetricCall(BaseModel):
    """One metric of an evaluator with the inputs aligned to it."""

    func: str
    result: GetterSpec | None
    expected: GetterSpec | None
    options: dict[str, Any]


class Evaluator(BaseModel):
    """How a task is scored: metric(s), their getters, options and the post-task setup."""

    model_config = ConfigDict(extra="allow")

    postconfig: list[SetupStep] = Field(default_factory=list)
    func: str | list[str]
    conj: Literal["and", "or"] = "and"
    result: SpecSlot = None
    expected: SpecSlot = None
    options: OptionsSlot = None

    @model_validator(mode="after")
    def _aligned(self) -> Evaluator:
        if isinstance(self.func, list):
            if not self.func:
                raise ValueError("func is an empty list")
            for name in ("result", "expected", "options"):
                value = getattr(self, name)
                if value is None:
                    continue
                if not isinstance(value, list):
                    raise ValueError(f"{name} must be a list aligned with the func list")
                if len(value) != len(self.func):
                    raise ValueError(
                        f"{name} has {len(value)} entries but func has {len(self.func)}"
                    )
        else:
            for name in ("result", "expected", "options"):
                if isinstance(getattr(self, name), list):
                    raise ValueError(f"{name} is a list but func is a single name")
        return self

    @property
    def funcs(self) -> list[str]:
        return list(self.func) if isinstance(self.func, list) else [self.func]

    def calls(self) -> list[MetricCall]:
        """Each metric with its result spec, expected spec and options, in order."""
        n = len(self.funcs)

        def spread(value: Any) -> list[Any]:
            if isinstance(self.func, list):
                return list(value) if isinstance(value, list) else [None] * n
            return [value]

        return [
            MetricCall(func=f, result=r, expected=e, options=o or {})
            for f, r, e, o in zip(
                self.funcs,
                spread(self.result),
                spread(self.expected),
                spread(self.options),
                strict=True,
            )
        ]

    def getter_specs(self) -> list[GetterSpec]:
        specs: list[GetterSpec] = []
        for call in self.calls():
            specs.extend(s for s in (call.result, call.expected) if s is not None)
        return specs


class Task(BaseModel):
    """One OSWorld task file; `domain` is the folder it was loaded from (not part of the JSON)."""

    model_config = ConfigDict(extra="allow")

    id: str
    instruction: str
    snapshot: str = ""
    source: str = ""
    config: list[SetupStep] = Field(default_factory=list)
    trajectory: str = ""
    related_apps: list[str] = Field(default_factory=list)
    evaluator: Evaluator
    proxy: bool = False
    fixed_ip: bool = False
    possibility_of_env_change: str = ""
    domain: str | None = Field(default=None, exclude=True)


_INDEX = TypeAdapter(dict[str, list[str]])


def _describe(error: ValidationError) -> list[str]:
    lines = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "<root>"
        lines.append(f"{where}: {item['msg']}")
    return lines


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TaskFileError(f"{path}: no such file", problems=[f"{path}: no such file"]) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        problem = f"{path}: not readable JSON ({exc})"
        raise TaskFileError(problem, problems=[problem]) from exc


def load_task(path: str | Path, *, domain: str | None = None) -> Task:
    """Load and validate one task file; the domain defaults to the parent folder's name."""
    path = Path(path)
    raw = _read_json(path)
    try:
        task = Task.model_validate(raw)
    except ValidationError as exc:
        problems = [f"{path}: {line}" for line in _describe(exc)]
        raise TaskFileError("\n".join(problems), problems=problems) from exc
    if task.id != path.stem:
        problem = f"{path}: id {task.id!r} does not match the file name"
        raise TaskFileError(problem, problems=[problem])
    task.domain = domain if domain is not None else path.parent.name
    return task


def load_index(path: str | Path) -> dict[str, list[str]]:
    """Load an index file such as test_all.json: domain -> task ids."""
    path = Path(path)
    raw = _read_json(path)
    try:
        return _INDEX.validate_python(raw)
    except ValidationError as exc:
        problems = [f"{path}: {line}" for line in _describe(exc)]
        raise TaskFileError("\n".join(problems), problems=problems) from exc


def examples_root(path: str | Path) -> Path:
    """The folder holding `<domain>/<id>.json`, given it or an `evaluation_examples` root."""
    path = Path(path)
    nested = path / "examples"
    return nested if nested.is_dir() else path


def _wanted(
    root: Path, index: Mapping[str, list[str]] | None, domains: Iterable[str] | None
) -> tuple[list[tuple[str, Path]], list[str]]:
    problems: list[str] = []
    chosen = list(domains) if domains is not None else None
    files: list[tuple[str, Path]] = []
    if index is not None:
        for domain in chosen if chosen is not None else list(index):
            if domain not in index:
                problems.append(f"domain {domain!r} is not in the index")
                continue
            for task_id in index[domain]:
                path = root / domain / f"{task_id}.json"
                if path.is_file():
                    files.append((domain, path))
                else:
                    problems.append(
                        f"task {domain}/{task_id} is in the index but {path} is missing"
                    )
        return files, problems
    if chosen is None:
        chosen = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    for domain in chosen:
        folder = root / domain
        if not folder.is_dir():
            problems.append(f"domain folder {folder} is missing")
            continue
        files.extend((domain, p) for p in sorted(folder.glob("*.json")))
    return files, problems


def load_tasks(
    examples_dir: str | Path,
    *,
    index: str | Path | Mapping[str, list[str]] | None = None,
    domains: Iterable[str] | None = None,
) -> list[Task]:
    """Load every task of the layout (or of an index), validating all before returning any."""
    root = examples_root(examples_dir)
    if not root.is_dir():
        problem = f"{root}: examples folder is missing"
        raise TaskFileError(problem, problems=[problem])
    mapping = load_index(index) if isinstance(index, str | Path) else index
    files, problems = _wanted(root, mapping, domains)
    tasks: list[Task] = []
    for domain, path in files:
        try:
            tasks.append(load_task(path, domain=domain))
        except TaskFileError as exc:
            problems.extend(exc.problems)
    if problems:
        head = f"{counted(len(problems), 'problem')} loading tasks from {root}:"
        raise TaskFileError("\n".join([head, *problems]), problems=problems)
    logger.debug("loaded %d tasks from %s", len(tasks), root)
    return tasks
