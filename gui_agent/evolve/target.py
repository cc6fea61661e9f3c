"""The function evolution works on: `MODULE:FUNCTION` naming an @agentic function."""

from __future__ import annotations

import importlib
import inspect
import json
import os
import sys

from gui_agent.agentic import AgenticFunction
from gui_agent.errors import ConfigError


def resolve_target(spec: str) -> AgenticFunction[..., object]:
    """Import `MODULE:FUNCTION` (from the working folder too, as `python -m` would);
    ConfigError unless it names an @agentic function."""
    module_name, _, attribute = spec.partition(":")
    if os.getcwd() not in sys.path:  # the console script's path lacks it
        sys.path.insert(0, os.getcwd())
    if not module_name or not attribute:
        raise ConfigError(f"target {spec!r} must look like MODULE:FUNCTION")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"cannot import {module_name!r}: {exc}") from exc
    function = getattr(module, attribute, None)
    if function is None:
        raise ConfigError(f"{module_name} has no {attribute!r}")
    if not isinstance(function, AgenticFunction):
        raise ConfigError(f"{spec} is not an @agentic function")
    return function


def describe_target(function: AgenticFunction[..., object]) -> str:
    """What the meta model is shown of the function: its source and its output schema."""
    try:
        source = inspect.getsource(function.fn)
    except (OSError, TypeError):
        source = function.system_prompt()
    schema = json.dumps(function.output_schema, indent=1)
    return f"{source}\n# JSON schema of the return value\n{schema}"
