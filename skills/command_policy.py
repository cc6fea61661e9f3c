"""Which shell commands are destructive: the os skill runs none of them unless the user allows it.

Destructive means hard to undo and wider than one named file: recursive or wholesale deletion,
wiping disks or file systems, removing users or packages, powering the machine off, rewriting
system files, throwing away version-control work. Deleting one named file, changing a setting
or killing a user's program is ordinary work and is not on the list. The rules are patterns over
the command text, so they also catch a destructive command inside `sudo`, `bash -c` or a pipe.
"""

from __future__ import annotations

import re

_RULES: tuple[tuple[str, str], ...] = (
    (r"\brm\s+(-[a-zA-Z]*[rR][a-zA-Z]*|--recursive)\b", "deletes recursively"),
    (r"\brm\b[^;&|\n]*\s(/|~|\$HOME|/\*|~/\*|\*)(\s|$)", "deletes a whole tree"),
    (r"\bfind\b[^;&|\n]*\s-delete\b", "deletes every file a search finds"),
    (r"\bfind\b[^;&|\n]*-exec\s+rm\b", "deletes every file a search finds"),
    (r"\b(shred|wipefs)\b", "destroys data beyond recovery"),
    (r"\bmkfs(\.\w+)?\b", "formats a file system"),
    (r"\bdd\b[^;&|\n]*\bof=/dev/", "writes over a device"),
    (r">\s*/dev/(sd|nvme|vd|hd)", "writes over a device"),
    (r"\b(shutdown|reboot|poweroff|halt)\b", "powers the machine off"),
    (r"\bsystemctl\s+(poweroff|reboot|halt|suspend|hibernate)\b", "powers the machine off"),
    (r"\binit\s+[06]\b", "powers the machine off"),
    (r"\b(userdel|deluser|groupdel|delgroup)\b", "removes a user or group"),
    (r"\b(apt|apt-get|aptitude)\s+(-\S+\s+)*(remove|purge|autoremove)\b", "removes packages"),
    (r"\bdpkg\s+(-r|-P|--remove|--purge)\b", "removes packages"),
    (r"\bpip3?\s+uninstall\b", "removes packages"),
    (r"\bsnap\s+remove\b", "removes packages"),
    (r"\b(chmod|chown|chgrp)\s+(-\S*R\S*|--recursive)\s+\S*\s*/(\s|$|etc|usr|bin|lib|var|boot)",
     "changes ownership or modes of system trees"),  # fmt: skip
    (r">\s*/(etc|boot|usr|bin|sbin|lib)/", "overwrites a system file"),
    (r"\bgit\s+(reset\s+--hard|clean\s+-[a-zA-Z]*f)", "throws away version-control work"),
    (r"\bcrontab\s+-r\b", "removes every scheduled job"),
    (r"\bkill\s+(-\S+\s+)*-1\b|\bkillall5\b", "kills every process"),
    (r":\(\)\s*\{", "fork bomb"),
    (r"\bmv\b[^;&|\n]*\s/dev/null\b", "moves files into /dev/null"),
)


def destructive_reason(command: str) -> str | None:
    """Why `command` is destructive (a short phrase), or None when it is not."""
    for pattern, reason in _RULES:
        if re.search(pattern, command):
            return reason
    return None
