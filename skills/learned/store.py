"""Where learned programs live, and loading one as a module.

Programs go to `$GUI_AGENT_HOME/learned/` (default `$XDG_DATA_HOME/gui-agent/learned`, i.e.
`~/.local/share/gui-agent/learned`), or to a folder given with `--into`. A program is found by
name in that folder, or by a path to its .py file.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from gui_agent.errors import ConfigError


def learned_home() -> Path:
    base = os.environ.get("GUI_AGENT_HOME")
    if base:
        return Path(base) / "learned"
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "gui-agent" / "learned"


def program_path(name_or_path: str, *, into: Path | None = None) -> Path:
    """The file a program name (in `into` or the learned home) or a .py path names."""
    if name_or_path.endswith(".py") or os.sep in name_or_path:
        return Path(name_or_path)
    return (into or learned_home()) / f"{name_or_path}.py"


@dataclass(frozen=True)
class LoadedProgram:
    path: Path
    module: ModuleType

    @property
    def goal(self) -> str:
        return str(self.module.GOAL)

    @property
    def params(self) -> dict[str, str]:
        return dict(self.module.PARAMS)


def load_program(name_or_path: str) -> LoadedProgram:
    """Import a learned program; ConfigError names what is missing or broken."""
    path = program_path(name_or_path)
    if not path.is_file():
        raise ConfigError(f"no learned program at {path} (learn one with `gui-agent learn`)")
    spec = importlib.util.spec_from_file_location(f"gui_agent_learned_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # a hand-edited program may be broken in any way
        raise ConfigError(f"learned program {path} does not load: {type(exc).__name__}: {exc}") from exc
    for name in ("GOAL", "PARAMS", "run"):
        if not hasattr(module, name):
            raise ConfigError(f"learned program {path} has no {name}")
    return LoadedProgram(path=path, module=module)


def write_program(path: Path, source: str) -> Path:
    """Write atomically: a reader never sees half a program."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".py.tmp")
    tmp.write_text(source)
    os.replace(tmp, path)
    return path
