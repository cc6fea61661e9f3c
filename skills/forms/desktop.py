"""Desktop forms through the accessibility tree: a program's dialog read as a FormPage.

The tree is OSWorld's XML (see gui_agent/computers/server/atspi_dump.py): elements named by
role, `cp:screencoord` / `cp:size` for the box, `st:*` for states, text as element text.
Entries rarely carry their label in the dump, so a field without a name takes the label on its
row to its left (or just above it), as a person reads the dialog. Radio buttons sharing a parent
are one group. Reading the tree is an observation; filling uses the same Fill items as the web.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shlex
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from types import TracebackType

from gui_agent.actions import Fill
from gui_agent.computers.processes import stop_process
from gui_agent.computers.sandbox import SandboxDesktop
from gui_agent.computers.server.accessibility import SYSTEM_PACKAGES, AccessibilityBus
from gui_agent.errors import ConfigError, EnvError
from skills.forms.fields import Box, Button, FieldKind, FormField, FormPage, Option, button_role

log = logging.getLogger(__name__)

ST = "{https://accessibility.ubuntu.example.org/ns/state}"
CP = "{https://accessibility.ubuntu.example.org/ns/component}"
TEXT_ROLES = {"text": "text", "entry": "text", "password-text": "text", "spin-button": "number"}
APP_START_TIMEOUT_S = 30.0
READ_TIMEOUT_S = 60.0
_WINDOW_SCRIPT = os.path.join(os.path.dirname(__file__), "atspi_window.py")
_PAIR = re.compile(r"\((-?\d+),\s*(-?\d+)\)")


def _box(element: ET.Element) -> Box | None:
    where, size = element.get(f"{CP}screencoord", ""), element.get(f"{CP}size", "")
    a, b = _PAIR.match(where), _PAIR.match(size)
    if not (a and b) or element.get(f"{ST}showing") != "true":
        return None
    box = Box(x=int(a[1]), y=int(a[2]), width=int(b[1]), height=int(b[2]))
    return box if box.width > 0 and box.height > 0 else None


def _label_for(box: Box, labels: list[tuple[str, Box]]) -> str:
    """The label on the field's row to its left (nearest), else the one just above it."""
    centre_y = box.y + box.height / 2
    left = [(box.x - (lb.x + lb.width), text) for text, lb in labels
            if lb.y <= centre_y <= lb.y + lb.height and lb.x + lb.width <= box.x + 4]  # fmt: skip
    if left:
        return min(left)[1]
    above = [(box.y - (lb.y + lb.height), text) for text, lb in labels
             if 0 <= box.y - (lb.y + lb.height) <= 40 and abs(lb.x - box.x) <= 40]  # fmt: skip
    return min(above)[1] if above else ""


def parse_tree(xml: str, *, application: str | None = None) -> FormPage:
    """The form shown by `application` (all applications when None) in an accessibility tree;
    when the application shows a dialog, only the (last) dialog."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise EnvError(f"the accessibility tree is not XML: {exc}") from exc
    apps = [a for a in root.iter("application") if application is None or a.get("name") == application]
    dialogs = [w for app in apps for w in app if w.tag == "dialog" and _box(w) is not None]
    if dialogs:
        apps = dialogs[-1:]  # a dialog in front is the form, not the window behind it
    parents = {child: parent for app in apps for parent in app.iter() for child in parent}
    labels: list[tuple[str, Box]] = []
    for app in apps:
        for element in app.iter("label"):
            box, name = _box(element), (element.get("name") or element.text or "").strip()
            if box is not None and name:
                labels.append((name, box))
    fields: list[FormField] = []
    buttons: list[Button] = []
    groups: dict[int, list[ET.Element]] = {}
    title = ""
    for app in apps:
        for element in app.iter():
            box = _box(element)
            if box is None:
                continue
            role, name = element.tag, (element.get("name") or "").strip()
            if role in ("frame", "dialog") and not title:
                title = name
            if role in TEXT_ROLES and element.get(f"{ST}editable") == "true":
                kind: FieldKind = "number" if TEXT_ROLES[role] == "number" else "text"
                fields.append(FormField(key="", label=name or _label_for(box, labels), kind=kind,
                                        input_type=role, value=(element.text or "").strip(),
                                        box=box))  # fmt: skip
            elif role in ("check-box", "toggle-button"):
                checked = "true" if element.get(f"{ST}checked") == "true" else "false"
                fields.append(FormField(key="", label=name, kind="checkbox", input_type=role,
                                        value=checked, box=box))  # fmt: skip
            elif role == "radio-button":
                groups.setdefault(id(parents.get(element)), []).append(element)
            elif role == "push-button" and name:
                buttons.append(Button(text=name, role=button_role(name), box=box))
    for radios in groups.values():
        options = tuple(Option(value=r.get("name", ""), label=r.get("name", ""), box=_box(r))
                        for r in radios)  # fmt: skip
        first = options[0].box
        assert first is not None
        checked = next((r.get("name", "") for r in radios if r.get(f"{ST}checked") == "true"), "")
        fields.append(FormField(key="", label=_label_for(first, labels), kind="radio",
                                input_type="radio-button", options=options, value=checked,
                                box=first))  # fmt: skip
    fields.sort(key=lambda f: (f.box.y, f.box.x) if f.box else (0, 0))
    keyed: list[FormField] = []
    seen: dict[str, int] = {}
    for field in fields:
        base = f"{field.input_type}:{field.label}"
        seen[base] = seen.get(base, 0) + 1
        keyed.append(field.model_copy(update={"key": f"{base}#{seen[base]}"}))
    return FormPage(title=title, url=application or "", fields=tuple(keyed),
                    buttons=tuple(buttons))  # fmt: skip


def read_window(env: dict[str, str], *args: str) -> str:
    """Run atspi_window.py (an observation): one application's front window, or `--names`."""
    child_env = {**env, "PYTHONPATH": os.pathsep.join([str(SYSTEM_PACKAGES),
                                                       *filter(None, [env.get("PYTHONPATH")])])}  # fmt: skip
    try:
        done = subprocess.run([sys.executable, _WINDOW_SCRIPT, *args], env=child_env,
                              capture_output=True, text=True, timeout=READ_TIMEOUT_S, check=False)  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        raise EnvError(f"reading the accessibility tree took over {READ_TIMEOUT_S:g}s") from exc
    if done.returncode != 0:
        raise EnvError(f"reading the accessibility tree failed: {done.stderr.strip()[-300:]}")
    return done.stdout


def fill_for(field: FormField, value: str) -> Fill | None:
    """The Fill that gives a desktop widget `value` (None: nothing to do or not supported)."""
    if field.box is None:
        return None
    x, y = field.box.centre
    match field.kind:
        case "text":
            return Fill(x=x, y=y, text=value)
        case "number":  # Tab commits a spin button's typed value
            return Fill(x=x, y=y, text=value + "\t")
        case "checkbox":
            return None if field.value == value else Fill(x=x, y=y, text="", replace=False)
        case "radio":
            option = next((o for o in field.options if o.value == value), None)
            if option is None or option.box is None or field.value == value:
                return None
            return Fill(x=option.box.centre[0], y=option.box.centre[1], text="", replace=False)
        case "select" | "date" | "textarea":
            return None


class DesktopForm:
    """A program's window read through the accessibility tree (`read_xml` fetches the XML:
    one window on the sandbox, or a computer's whole tree, such as a VM's /accessibility)."""

    def __init__(self, read_xml: Callable[[], str], *, application: str | None = None) -> None:
        self.read_xml = read_xml
        self.application = application

    def read(self) -> FormPage:
        return parse_tree(self.read_xml(), application=self.application)

    def fill_for(self, field: FormField, value: str) -> Fill | None:
        return fill_for(field, value)

    def wait_for_change(self, before: FormPage, *, timeout: float = 10.0) -> None:
        """Wait until the window shows other fields or values, or is gone (after OK/Save)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.read() != before:
                return
            time.sleep(0.2)


class DesktopSandbox:
    """A sandbox desktop without a browser, with an AT-SPI bus its programs register on."""

    def __init__(self) -> None:
        self.computer = SandboxDesktop(chromium=False)
        self._bus = AccessibilityBus()
        self.env: dict[str, str] = {}

    def __enter__(self) -> DesktopSandbox:
        self.computer.start()
        variables = self._bus.start(self.computer.env)
        if not variables:
            self.computer.close()
            raise ConfigError("no accessibility bus: install at-spi2-core and dbus (scripts/install.sh)")
        self.env = {**self.computer.env, **variables}
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:  # fmt: skip
        self._bus.stop()
        self.computer.close()

    def applications(self) -> set[str]:
        return set(read_window(self.env, "--names").splitlines())

    @contextlib.contextmanager
    def open_app(self, command: str) -> Iterator[DesktopForm]:
        """Start `command` on this desktop; yield its form once its window shows; stop it after."""
        argv = shlex.split(command)
        if not argv:
            raise ConfigError("--app needs a command")
        before = self.applications()
        try:
            proc = subprocess.Popen(argv, env=self.env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    start_new_session=True)  # fmt: skip
        except OSError as exc:
            raise ConfigError(f"cannot start {argv[0]!r}: {exc.strerror or exc}") from exc
        try:
            name = self._wait_for_window(proc, before)
            yield DesktopForm(lambda: read_window(self.env, name), application=name)
        finally:
            stop_process(proc)

    def _wait_for_window(self, proc: subprocess.Popen[bytes], before: set[str]) -> str:
        deadline = time.monotonic() + APP_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise EnvError(f"the program exited with code {proc.returncode} before showing a window")
            for name in sorted(self.applications() - before):
                page = parse_tree(read_window(self.env, name), application=name)
                if page.fields or page.buttons:
                    return name
            time.sleep(0.3)
        raise EnvError(f"no window with a form appeared within {APP_START_TIMEOUT_S:g}s")
