"""Shared fixtures. The first one keeps every test offline: nothing may reach a real provider."""

from __future__ import annotations

import ipaddress
import socket
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.openai_server import FakeOpenAI
from tests.global_python_guard import GlobalPythonGuard, report

# --- No global Python ---------------------------------------------------------------------
# Stubs for python/python3 first on PATH for the whole session: anything the project spawns
# through PATH instead of its own interpreter fails here on every machine (see the module).

_global_python = GlobalPythonGuard()


def pytest_configure(config: pytest.Config) -> None:
    _global_python.install()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    calls = _global_python.calls()
    if calls:
        session.config.get_terminal_writer().line("\n" + report(calls), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config: pytest.Config) -> None:
    _global_python.remove()


# --- Offline guard ----------------------------------------------------------------------
# Dummy keys (so no test needs a real one), no redirect of the SDK to a real endpoint, and
# sockets that refuse anything but loopback and unix sockets. SDKs turn a refused connection
# into a generic "connection error" and may retry it, so every attempt is also recorded and the
# test that made it fails at teardown, naming the address.

_OFFLINE_ENV = {"ANTHROPIC_API_KEY": "test-key-not-real", "OPENAI_API_KEY": "test-key-not-real"}
_UNSET_ENV = ("ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN", "OPENAI_BASE_URL", "GUI_AGENT_PRICES")
_network_attempts: list[str] = []


class NetworkBlocked(RuntimeError):
    """A test tried to leave the machine."""


def _is_loopback(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if host in ("localhost", None):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _refuse(what: str) -> None:
    _network_attempts.append(what)
    raise NetworkBlocked(f"tests are offline: refused {what}")


@pytest.fixture(autouse=True, scope="session")
def offline_guard() -> Iterator[None]:
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            _refuse(f"connect to {address!r}")
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            _refuse(f"connect to {address!r}")
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_loopback(host):
            _refuse(f"name lookup of {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        for name, value in _OFFLINE_ENV.items():
            patch.setenv(name, value)
        for name in _UNSET_ENV:
            patch.delenv(name, raising=False)
        # a user's own stabilized code and learned programs must not change what tests see
        patch.setenv("GUI_AGENT_HOME", tempfile.mkdtemp(prefix="gui-agent-test-home-"))
        patch.setattr(socket.socket, "connect", connect)
        patch.setattr(socket.socket, "connect_ex", connect_ex)
        patch.setattr(socket, "getaddrinfo", getaddrinfo)
        yield


@pytest.fixture(autouse=True)
def _fail_on_network_attempt(offline_guard: None) -> Iterator[None]:
    start = len(_network_attempts)
    yield
    if len(_network_attempts) > start:
        pytest.fail("test tried to reach the network: " + "; ".join(_network_attempts[start:]))


# --- Fake model providers (real HTTP on 127.0.0.1) ----------------------------------------


@pytest.fixture
def fake_anthropic() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake
from tests.fault_cases import pytest_collection_modifyitems, pytest_runtest_makereport  # noqa: F401, E402
from tests.gui_fixtures import *  # noqa
