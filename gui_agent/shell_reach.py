"""What a shell command could reach over the network: the hosts it names, the tools it uses.

A lexical reading, not a sandbox: it finds URLs anywhere in the command and the host argument
of the usual network clients (`nc host 80`, `ssh user@host`, `scp f host:`). The policy uses it
for two rules that need no sandbox to hold: with an allowlist set, a command naming a host off
the list is refused; a command carrying a secret placeholder may not use a network client at
all (a secret is typed into the desktop, never sent by a command the model wrote).
"""

from __future__ import annotations

import re
import shlex
import urllib.parse

NETWORK_TOOLS = frozenset({"curl", "wget", "nc", "ncat", "netcat", "telnet", "ssh", "scp", "sftp",
                           "ftp", "rsync", "socat", "http", "https", "xh", "aria2c", "lynx", "links",
                           "w3m", "openssl", "dig", "nslookup", "host", "ping"})  # fmt: skip
VALUE_OPTIONS = frozenset({"-o", "-O", "-d", "-H", "-u", "-T", "-F", "-e", "-A", "-b", "-c",
                           "-K", "-P", "-i", "-l", "-p", "--output", "--data", "--header",
                           "--user", "--upload-file", "--form", "--output-document",
                           "--directory-prefix", "--input-file"})  # fmt: skip
"""Options whose next word is a value (a file, a header, a user), not a host."""
URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"`<>|;&)]+", re.IGNORECASE)
_HOSTISH = re.compile(r"^(?:[\w.-]+@)?(\[[0-9a-f:]+\]|[a-z0-9-]+(?:\.[a-z0-9-]+)+|\d+)(?::.*)?$",
                      re.IGNORECASE)  # fmt: skip


def _words(command: str) -> list[str]:
    try:
        return shlex.split(command, comments=False)
    except ValueError:  # unbalanced quotes: fall back to whitespace
        return command.split()


def network_tools(command: str) -> list[str]:
    """The network clients a command runs (by the program name of each word)."""
    return [w for w in (word.rsplit("/", 1)[-1] for word in _words(command)) if w in NETWORK_TOOLS]


def hosts_named(command: str) -> list[str]:
    """Hosts in the command's URLs and in the arguments of its network clients."""
    hosts = []
    for url in URL.findall(command):
        host = urllib.parse.urlsplit(url).hostname
        if host:
            hosts.append(host)
    words = _words(command)
    for index, word in enumerate(words):
        if word.rsplit("/", 1)[-1] not in NETWORK_TOOLS:
            continue
        skip_next = False
        for argument in words[index + 1:]:
            if argument in ("|", ";", "&&", "||"):
                break
            if skip_next or argument.startswith("-"):
                skip_next = argument.split("=")[0] in VALUE_OPTIONS and "=" not in argument
                continue
            if "://" in argument:
                continue  # counted as a URL above
            match = _HOSTISH.match(argument)
            if match is None:
                continue
            host = match.group(1).strip("[]")
            if "." in host or ":" in host or (host.isdigit() and len(host) >= 8):  # not a port
                hosts.append(host)
    return hosts
