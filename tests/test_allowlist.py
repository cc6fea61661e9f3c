"""The allowlist's verdict on one URL: hosts compared the way a browser resolves them."""

from __future__ import annotations

import pytest

from gui_agent.allowlist import Allowlist, canonical_host, parse_ipv4
from gui_agent.errors import ConfigError


@pytest.mark.parametrize(
    "spelling",
    ["127.0.0.1", "2130706433", "0x7f000001", "0x7F.0.0.1", "0177.0.0.1", "127.1", "127.0.1",
     "0x7f.1", "127.0.0.1."],
)  # fmt: skip
def test_every_ipv4_spelling_is_the_address_it_denotes(spelling: str) -> None:
    assert str(parse_ipv4(spelling)) == "127.0.0.1"
    assert canonical_host(spelling) == "127.0.0.1"


@pytest.mark.parametrize("host", ["example.org", "1.2.3.4.5", "256.1.1.1", "0x1g", "4294967296"])
def test_non_addresses_stay_names(host: str) -> None:
    assert parse_ipv4(host) is None


ALLOW = Allowlist.of(["example.org", "10.0.0.5"])


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://example.org/a", True),
        ("https://WWW.Example.ORG./a", True),
        ("https://example.org.evil.test/", False),
        ("https://notexample.org/", False),
        ("http://evil.test/?next=https://example.org", False),
        ("https://user:pw@evil.test@example.org/", True),  # the host is example.org
        ("https://example.org@evil.test/", False),
        ("http://10.0.0.5:8080/", True),
        ("http://167772165/", True),  # 10.0.0.5 in decimal
        ("http://0xa000005/", True),
        ("http://5.0.0.10.example.org.evil.test/", False),
        ("http://127.0.0.1/", False),
        ("http://2130706433/", False),
        ("http://[::1]/", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("javascript:fetch('https://evil.test')", False),
        ("JavaScript:alert(1)", False),
        ("file:///etc/passwd", False),
        ("blob:https://example.org/123e4567", True),
        ("blob:https://evil.test/123e4567", False),
        ("about:blank", True),
        ("chrome://settings", True),
        ("gopher://example.org/", False),
    ],
)
def test_verdicts(url: str, allowed: bool) -> None:
    assert ALLOW.check(url).allowed is allowed, ALLOW.check(url).reason


def test_no_entries_allow_everything() -> None:
    assert Allowlist.of([]).check("http://anything.test/").allowed


def test_ip_entries_do_not_allow_names_ending_in_them() -> None:
    assert not Allowlist.of(["1.2.3.4"]).check("http://x.1.2.3.4/").allowed


def test_entries_are_canonical_too() -> None:
    allow = Allowlist.of(["https://Docs.Example.org/path", "*.test.org", "0x7f000001"])
    assert allow.hosts == {"docs.example.org", "test.org", "127.0.0.1"}


@pytest.mark.parametrize("entry", ["", "exa mple.org", "http://"])
def test_a_bad_entry_is_a_config_error(entry: str) -> None:
    with pytest.raises(ConfigError, match="--allow-domain"):
        Allowlist.of([entry])
