"""What the open terminal shows, for GET /terminal.

OSWorld's server reads gnome-terminal's text through the accessibility tree; xterm has no
accessible text, so the session's terminals log instead: the `gnome-terminal`,
`x-terminal-emulator` and `xterm` stand-ins (shims.py) start the real xterm with its own
logging on (`-l -lf FILE`), one file per terminal in the session's terminal folder, named
`xterm-<pid>-<columns>x<rows>.log`. The log holds everything the terminal was sent (escape
sequences included); replaying it through a VT100 emulator (pyte) at the terminal's size gives
the text a person sees, scrollback first, trailing blanks removed.

The terminal read is the most recently written one whose xterm still runs (else the most recent
of all): the one the user or the agent typed into last.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

LOG_NAME = re.compile(r"^xterm-(\d+)-(\d+)x(\d+)\.log$")
HISTORY_LINES = 5000


@dataclass(frozen=True)
class TerminalLog:
    path: Path
    pid: int
    columns: int
    rows: int

    @property
    def alive(self) -> bool:
        return Path(f"/proc/{self.pid}").exists()


def terminal_logs(folder: Path) -> list[TerminalLog]:
    """The terminal logs in `folder`, most recently written first."""
    found = []
    for path in folder.glob("xterm-*.log") if folder.is_dir() else []:
        match = LOG_NAME.match(path.name)
        if match:
            pid, columns, rows = (int(g) for g in match.groups())
            found.append(TerminalLog(path, pid, columns, rows))
    return sorted(found, key=lambda t: t.path.stat().st_mtime_ns, reverse=True)


def render(raw: bytes, *, columns: int, rows: int) -> str:
    """The text a terminal of this size shows after receiving `raw`, scrollback included."""
    import pyte

    screen = pyte.HistoryScreen(columns, rows, history=HISTORY_LINES, ratio=0.5)
    stream = pyte.ByteStream(screen)
    stream.feed(raw)
    scrolled = ["".join(line[x].data for x in range(columns)) for line in screen.history.top]
    lines = [line.rstrip() for line in [*scrolled, *screen.display]]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def terminal_text(*folders: Path) -> str | None:
    """The text of the current terminal (see the module docstring), None when none was opened."""
    logs = sorted(
        (t for folder in folders for t in terminal_logs(folder)),
        key=lambda t: (t.alive, t.path.stat().st_mtime_ns),
        reverse=True,
    )
    if not logs:
        return None
    chosen = logs[0]
    log.debug("reading terminal %s (alive: %s)", chosen.path, chosen.alive)
    return render(chosen.path.read_bytes(), columns=chosen.columns, rows=chosen.rows)


def log_file_for(folder: Path, *, columns: int, rows: int, pid: int | None = None) -> Path:
    """Where a terminal started by process `pid` (default: this one) logs."""
    return folder / f"xterm-{os.getpid() if pid is None else pid}-{columns}x{rows}.log"
