"""When two URLs name the same page, as the browser tasks judge it.

A URL typed or clicked by the agent rarely matches the task's text byte for byte. Two URLs
are the same page when, after normalising, they are equal:
- a missing scheme means http; scheme and host compare case-insensitively;
- a `www` subdomain is no subdomain; a port or user part of the host is ignored;
- the public suffix (`com`, `co.uk`, `k12.ca.us`, ...) is ignored, so example.com and
  example.org compare equal, as OSWorld's comparison (tldextract) has it; the suffix comes
  from the Public Suffix List as shipped inside the `publicsuffixlist` package (ICANN section,
  never fetched at run time); a name under no listed suffix (`foo.internal`) keeps all its labels;
- a path of "/" is no path; with `full=False` parameters, query and fragment are ignored.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from typing import Any
from urllib.parse import ParseResult, urlparse, urlunparse

_HAS_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+\-.]*://")


@functools.cache
def _suffix_list() -> Any:
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList(only_icann=True, accept_unknown=False)


def site_name(host: str) -> str:
    """The host without `www.` and without its public suffix ("maps.google" for maps.google.co.uk)."""
    host = host.rpartition("@")[2].partition(":")[0].strip(".").lower()
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    suffix = _suffix_list().publicsuffix(host) if "." in host else None
    if suffix and host != suffix:
        host = host[: -len(suffix) - 1]
    labels = host.split(".")
    return labels[1] if len(labels) == 2 and labels[0] == "www" else host


def normalize_url(url: str, *, full: bool = True) -> str:
    parsed = urlparse(url if _HAS_SCHEME.match(url) else f"http://{url}")
    return urlunparse(
        ParseResult(
            scheme=parsed.scheme.lower(),
            netloc=site_name(parsed.netloc),
            path="" if parsed.path == "/" else parsed.path,
            params=parsed.params if full else "",
            query=parsed.query if full else "",
            fragment=parsed.fragment if full else "",
        )
    )


def compare_urls(url1: str | None, url2: str | None, *, full: bool = True) -> bool:
    """True if the URLs name the same page (see the module docstring)."""
    if url1 is None or url2 is None:
        return url1 == url2
    return normalize_url(url1, full=full) == normalize_url(url2, full=full)
