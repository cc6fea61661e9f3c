"""A softened implementation: the same @agentic function with a revised docstring (prompt).

It runs under its own name (`<name>~softened`) so that, registered as the stabilized
implementation of `<name>`, it does not find itself; the trace shows the original call
(stabilized) with the softened model call inside it.
"""

from __future__ import annotations

import hashlib
import types
from dataclasses import replace
from typing import Any

from gui_agent.agentic import AgenticFunction
from gui_agent.context import version_of


def softened(source: AgenticFunction[..., Any], docstring: str) -> AgenticFunction[..., Any]:
    fn = source.fn
    clone = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__,
                               fn.__closure__)  # fmt: skip
    clone.__kwdefaults__ = fn.__kwdefaults__
    clone.__annotations__ = dict(fn.__annotations__)
    clone.__qualname__ = fn.__qualname__
    clone.__module__ = fn.__module__
    clone.__doc__ = docstring
    function = AgenticFunction(clone, name=f"{source.name}~softened",
                               options=replace(source.options))  # fmt: skip
    function.version = version_of(fn) + "~" + hashlib.sha256(docstring.encode()).hexdigest()[:8]
    return function
