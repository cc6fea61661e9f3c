"""Print one application's front window from the AT-SPI tree, as OSWorld-style XML.

    python atspi_window.py APP        the app's last showing dialog, else all its windows
    python atspi_window.py --names    the names of the applications on the bus, one a line

Run as a child process with the system's pyatspi on PYTHONPATH (as atspi_dump.py is). Reading
one window instead of the whole desktop matters: a spreadsheet window behind a dialog is
hundreds of kilobytes of cells, read again for every look at the dialog.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from typing import Any

from gui_agent.computers.server.atspi_dump import NAMESPACES, Dumper


def _showing(node: Any) -> bool:
    try:
        states = node.getState()
        import pyatspi

        return bool(states.contains(pyatspi.STATE_SHOWING))
    except Exception:  # a window that vanished while we looked
        return False


def main(argv: list[str]) -> int:
    try:
        import pyatspi
    except ImportError as exc:
        print(f"pyatspi is not importable: {exc}", file=sys.stderr)
        return 3
    desktop = pyatspi.Registry.getDesktop(0)
    apps = [a for a in (desktop.getChildAtIndex(i) for i in range(desktop.childCount)) if a]
    if argv[1:] == ["--names"]:
        print("\n".join(str(a.name or "") for a in apps))
        return 0
    for prefix, uri in NAMESPACES.items():
        ET.register_namespace(prefix, uri)
    root = ET.Element("desktop-frame", {"name": "main"})
    dumper = Dumper(pyatspi)
    for app in apps:
        if len(argv) > 1 and app.name != argv[1]:
            continue
        element = ET.SubElement(root, "application", {"name": str(app.name or "")})
        windows = [w for w in (app.getChildAtIndex(j) for j in range(app.childCount)) if w]
        dialogs = [w for w in windows if w.getRoleName() == "dialog" and _showing(w)]
        for window in dialogs[-1:] or windows:
            element.append(dumper.element(window, 2))
    sys.stdout.write(ET.tostring(root, encoding="unicode"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
