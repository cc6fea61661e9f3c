"""Stabilized modules on disk and the registry that makes later calls run them.

    $GUI_AGENT_HOME/stabilized/<module>.<function>.py   one accepted candidate, with a header
    $GUI_AGENT_HOME/stabilized/registry.json            function name -> file, source version

GUI_AGENT_HOME defaults to $XDG_DATA_HOME/gui-agent (~/.local/share/gui-agent). An @agentic
call looks its name up here (agentic.py calls `activate_for`); an entry applies only while the
function's version (hash of its source and docstring) is the one the candidate was tested
against: change the function and its stabilized code stops applying until evolved again.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from gui_agent.agentic import AgenticFunction, register_stabilized
from gui_agent.errors import ConfigError
from gui_agent.evolve.proposal import Proposal

log = logging.getLogger(__name__)
REGISTRY_FILE = "registry.json"
_lock = threading.Lock()
_cache: dict[str, Any] = {"key": None, "entries": {}}
_warned: set[str] = set()


def home() -> Path:
    explicit = os.environ.get("GUI_AGENT_HOME")
    if explicit:
        return Path(explicit)
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "gui-agent"


def stabilized_dir() -> Path:
    return home() / "stabilized"


def module_text(target: str, function: AgenticFunction[..., object], proposal: Proposal, *,
                tests: str, date: str) -> str:  # fmt: skip
    """The file written for an accepted proposal: a header, then the code (or a softened clone)."""
    module_name, _, attribute = target.partition(":")
    header = (f'"""Stabilized implementation of {target} ({proposal.kind}), written by '
              f"gui-agent evolve.\n\nsource version: {function.version}\ntests: {tests}\n"
              f"date: {date}\nrationale: {proposal.rationale}\n"
              '"""\n\n')  # fmt: skip
    if proposal.kind == "stabilize":
        return header + proposal.code.strip() + "\n"
    return (header + "from gui_agent.evolve.soften import softened\n"
            f"from {module_name} import {attribute} as _source\n\n"
            f"DOCSTRING = {proposal.docstring!r}\n\n"
            f"{function.fn.__name__} = softened(_source, DOCSTRING)\n")  # fmt: skip


def write_module(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def register(directory: Path, *, name: str, target: str, file: Path, version: str,
             kind: str, date: str) -> None:  # fmt: skip
    """Add (or replace) the registry entry of the @agentic function `name`."""
    registry = directory / REGISTRY_FILE
    entries = _read(registry)
    entries[name] = {"target": target, "file": file.name, "version": version, "kind": kind,
                     "date": date}  # fmt: skip
    tmp = registry.with_name(registry.name + ".tmp")
    tmp.write_text(json.dumps(entries, indent=2), encoding="utf-8")
    os.replace(tmp, registry)


def _read(registry: Path) -> dict[str, Any]:
    if not registry.is_file():
        return {}
    try:
        data = json.loads(registry.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{registry} is not a readable registry: {exc}") from exc
    return data if isinstance(data, dict) else {}


def _entries() -> tuple[Path, dict[str, Any]]:
    directory = stabilized_dir()
    registry = directory / REGISTRY_FILE
    try:
        stamp = registry.stat().st_mtime_ns
    except OSError:
        return directory, {}
    key = (str(registry), stamp)
    with _lock:
        if _cache["key"] != key:
            _cache["key"], _cache["entries"] = key, _read(registry)
        return directory, dict(_cache["entries"])


def load_implementation(file: Path, attribute: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"gui_agent_stabilized.{file.stem}", file)
    if spec is None or spec.loader is None:
        raise ConfigError(f"cannot load {file}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    implementation = getattr(module, attribute, None)
    if not callable(implementation):
        raise ConfigError(f"{file} defines no function {attribute!r}")
    return implementation


def activate_for(function: AgenticFunction[..., object]) -> bool:
    """Register the stored implementation of `function`, if one applies; True if it did.

    A registry or module that cannot be read is logged once and the model answers instead:
    a broken file on disk must not stop every call of the function.
    """
    try:
        return _activate(function)
    except Exception as exc:  # noqa: BLE001 - any defect of stored code falls back to the model
        if function.name not in _warned:
            _warned.add(function.name)
            log.warning("stabilized %s could not be loaded, the model answers instead: %s",
                        function.name, exc)  # fmt: skip
        return False


def _activate(function: AgenticFunction[..., object]) -> bool:
    directory, entries = _entries()
    entry = entries.get(function.name)
    if not entry:
        return False
    if entry.get("version") != function.version:
        if function.name not in _warned:
            _warned.add(function.name)
            log.warning("stabilized %s was tested against version %s, the function is now %s: "
                        "not used (run gui-agent evolve again)", function.name,
                        entry.get("version"), function.version)  # fmt: skip
        return False
    implementation = load_implementation(directory / entry["file"], function.fn.__name__)
    register_stabilized(function.name, implementation)
    log.info("%s runs its stabilized implementation %s", function.name, entry["file"])
    return True


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
