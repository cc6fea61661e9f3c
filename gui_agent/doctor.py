"""What is ready on this machine and what is missing, each with the fix."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from dataclasses import dataclass
from typing import Literal

from gui_agent.models.registry import default_spec

CheckState = Literal["ok", "missing", "optional"]
INSTALL = "run scripts/install.sh (Debian/Ubuntu)"


@dataclass(frozen=True)
class Check:
    name: str
    state: CheckState
    detail: str
    fix: str = ""


def _binary(name: str, *candidates: str, package: str, needed: bool = True) -> Check:
    found = next((path for c in (name, *candidates) if (path := shutil.which(c))), None)
    if found:
        return Check(name, "ok", found)
    state: CheckState = "missing" if needed else "optional"
    return Check(name, state, "not on PATH", f"apt-get install {package}, or {INSTALL}")


def _module(name: str, *, pip: str) -> Check:
    if importlib.util.find_spec(name) is not None:
        return Check(f"python: {name}", "ok", "importable")
    return Check(f"python: {name}", "missing", "not installed", f"pip install {pip}")


def _chromium() -> Check:
    from gui_agent.computers.chromium import find_chromium

    try:
        return Check("chromium", "ok", find_chromium())
    except Exception as exc:  # noqa: BLE001 - any failure to find it is the same answer
        return Check("chromium", "missing", getattr(exc, "message", str(exc)),
                     f"apt-get install chromium, set GUI_AGENT_CHROMIUM, or {INSTALL}")  # fmt: skip


def _model() -> Check:
    spec = default_spec()
    kind = spec.partition(":")[0]
    if kind == "anthropic" and not os.environ.get("ANTHROPIC_API_KEY"):
        return Check(
            "model", "missing", f"{spec} needs ANTHROPIC_API_KEY",
            "export ANTHROPIC_API_KEY=sk-ant-... , or choose another model with --model / "
            "GUI_AGENT_MODEL (openai:<model>@<base_url> for a local server)",
        )  # fmt: skip
    return Check("model", "ok", spec)


def _isolation() -> Check:
    """bubblewrap, and whether it can make namespaces here (what the sandboxes' boundary is)."""
    found = _binary("bwrap", package="bubblewrap", needed=False)
    if found.state != "ok":
        return found
    from gui_agent.computers.server.isolation import bwrap_problem

    problem = bwrap_problem()
    if problem is not None:
        return Check("bwrap", "optional", problem,
                     "without it sandbox commands run on this machine as you and OSWorld "
                     "sandboxes take turns on /home/user: allow user namespaces, or run as root")  # fmt: skip
    return Check("bwrap", "ok", f"{found.detail}: sandbox commands run inside a boundary, each "
                 "OSWorld sandbox with a private /home/user")  # fmt: skip


def _display() -> Check:
    display = os.environ.get("DISPLAY")
    if display:
        return Check("display (for --env local)", "ok", display)
    return Check("display (for --env local)", "optional", "DISPLAY is not set",
                 "only --env local needs it; the sandbox starts its own Xvfb")  # fmt: skip


def run_checks() -> list[Check]:
    version = ".".join(map(str, sys.version_info[:3]))
    python_ok: CheckState = "ok" if sys.version_info >= (3, 11) else "missing"
    return [
        Check("python", python_ok, version, "" if python_ok == "ok" else "install Python 3.11+"),
        _binary("Xvfb", package="xvfb"),
        _chromium(),
        _binary("xdotool", package="xdotool"),
        _binary("soffice", "libreoffice", package="libreoffice-calc", needed=False),
        _binary("tesseract", package="tesseract-ocr", needed=False),
        _isolation(),
        _binary("xterm", package="xterm", needed=False),  # the served desktop's terminal
        _module("playwright", pip="playwright"),
        _module("mss", pip="mss"),
        _module("Xlib", pip="python-xlib"),
        _display(),
        _model(),
    ]
