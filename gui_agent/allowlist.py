"""Which URLs a browser may load when `--allow-domain` is given: a pure decision on one URL.

A domain entry allows itself and its subdomains (`example.org` allows `www.example.org`); an IP
entry allows that address only. Hosts are compared in canonical form, the way a browser resolves
them: case and a trailing dot do not matter, and IPv4 literals written in decimal, hex, octal or
shortened dotted forms (`2130706433`, `0x7f000001`, `0177.1`, `127.1`) are the address they
denote, so such a spelling neither sneaks past the list nor fails to match an allowed address.

Schemes without a network fetch of their own are decided by rule: `about:`/`chrome:` pages and
DevTools are the browser's own and allowed; `data:` and `javascript:` documents are refused
(their content was not served by an allowed site); a `blob:` URL is judged by the origin it
names; `file:` is refused (the agent's files are not a web site).
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from dataclasses import dataclass

from gui_agent.errors import ConfigError

INTERNAL_SCHEMES = frozenset({"about", "chrome", "chrome-untrusted", "devtools", "chrome-error"})
NETWORK_SCHEMES = frozenset({"http", "https", "ws", "wss", "ftp"})


def parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a host string denotes in any of the forms browsers accept, or None.

    Up to four dot-separated parts, each decimal, `0x` hex or `0`-led octal; the last part fills
    the remaining bytes (so `127.1` is 127.0.0.1 and `2130706433` is one 32-bit number).
    """
    parts = host.split(".")
    if parts and parts[-1] == "":
        parts = parts[:-1]
    if not 1 <= len(parts) <= 4:
        return None
    numbers = []
    for part in parts:
        try:
            if part[:2].lower() == "0x":
                numbers.append(int(part[2:] or "0", 16))
            elif len(part) > 1 and part.startswith("0"):
                numbers.append(int(part[1:], 8))
            else:
                if not part.isdigit():
                    return None
                numbers.append(int(part, 10))
        except ValueError:
            return None
    *leading, last = numbers
    if any(n > 255 for n in leading) or last >= 256 ** (5 - len(numbers)):
        return None
    value = last
    for index, number in enumerate(leading):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def canonical_host(host: str) -> str:
    """Lower-case, no trailing dot, IDNA-encoded; IP literals in their standard form."""
    host = host.strip().lower().rstrip(".")
    if ":" in host:
        try:
            return str(ipaddress.IPv6Address(host.removeprefix("[").removesuffix("]")))
        except ValueError:
            return host
    address = parse_ipv4(host)
    if address is not None:
        return str(address)
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str


@dataclass(frozen=True)
class Allowlist:
    """Canonical allowed hosts; empty means every URL is allowed (no `--allow-domain`)."""

    hosts: frozenset[str] = frozenset()

    @classmethod
    def of(cls, entries: list[str] | tuple[str, ...]) -> Allowlist:
        hosts = set()
        for entry in entries:
            text = entry.strip()
            if "://" in text:
                text = urllib.parse.urlsplit(text).hostname or ""
            host = canonical_host(text.removeprefix("*."))
            if not host or "/" in host or " " in host:
                raise ConfigError(f"--allow-domain {entry!r} is not a domain or IP address")
            hosts.add(host)
        return cls(frozenset(hosts))

    @property
    def active(self) -> bool:
        return bool(self.hosts)

    def host_allowed(self, host: str) -> bool:
        host = canonical_host(host)
        return any(host == allowed or host.endswith("." + allowed) for allowed in self.hosts
                   if not _is_ip(allowed)) or host in self.hosts  # fmt: skip

    def check(self, url: str) -> Verdict:
        """Whether a browser may load `url`, and why (for the record)."""
        if not self.active:
            return Verdict(True, "no allowlist")
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme in INTERNAL_SCHEMES:
            return Verdict(True, f"{scheme}: is the browser's own page")
        if scheme in ("data", "javascript", "file", "filesystem"):
            return Verdict(False, f"{scheme}: URLs are not allowed while an allowlist is set")
        if scheme == "blob":
            return self.check(url[len("blob:"):])
        if scheme not in NETWORK_SCHEMES:
            return Verdict(False, f"the scheme {scheme or '(none)'!r} is not allowed")
        try:
            host = urllib.parse.urlsplit(url).hostname
        except ValueError:
            host = None
        if not host:
            return Verdict(False, "the URL names no host")
        if self.host_allowed(host):
            return Verdict(True, f"{canonical_host(host)} is allowed")
        return Verdict(False, f"{canonical_host(host)} is not on the allowlist")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
