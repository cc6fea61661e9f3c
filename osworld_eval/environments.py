"""Desktops to run OSWorld tasks on: our local sandbox behind our server, or a VM already running.

`sandbox_environment` starts, in this process, a SandboxDesktop (its own Xvfb, no browser of its
own) and our OSWorld-compatible server on a thread at 127.0.0.1:<free port>, then connects a
VMComputer to it, so tasks run through exactly the HTTP protocol a real OSWorld VM speaks.
Measured on a 2-core machine: about 0.4 s from nothing to a server answering screenshots.

The sandbox user's home is OSWorld's `/home/user`, because task files name `/home/user/...`
literally (Desktop files, the Chrome profile, scripts). Where bubblewrap can make namespaces
(`private_home`, the default there), every sandbox gets a private one: its commands and
programs run inside a boundary (gui_agent/computers/server/isolation.py) where a fresh
temporary folder of its own is mounted at /home/user and another at /tmp, so sandboxes run
side by side and none touches the machine's real /home/user. Elsewhere (`private_home=False`)
the sandbox uses the machine's one real `home` and holds it for its lifetime
(sandbox_home.HomeLock): a second sandbox waits its turn (up to `home_wait_s`, then EnvError),
so sandbox tasks run one at a time; that home is emptied when the sandbox starts and again
when it closes, and a folder not made by a sandbox is never touched (EnvError). Either way a
runner closes a sandbox after each task (one fresh sandbox per task: clean state). The ports
task configs use (CDP 1337, socat 9222) are machine-wide, so each sandbox maps them to free
ports of its own (`TaskEnvironment.port_map`, applied by setup) and finds its CDP endpoint
there.

`remote_environment` connects to a server someone else runs (an OSWorld VM, or `gui-agent
serve`); its CDP URL is OSWorld's `http://<vm host>:9222`.
"""

from __future__ import annotations

import logging
import shutil
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from gui_agent.computers.vm import VMComputer
from gui_agent.errors import EnvError
from osworld_eval.sandbox_home import HomeLock, empty_home
from osworld_eval.server_api import ServerAPI
from osworld_eval.task_run import TaskEnvironment
from osworld_eval.vm_env import OSWORLD_CDP_PORT, VMEvalEnv

log = logging.getLogger(__name__)

OSWORLD_HOME = Path("/home/user")
OSWORLD_PORTS = (1337, OSWORLD_CDP_PORT)
"""Ports OSWorld task configs name: Chrome's CDP (1337) and the socat forward to it (9222)."""
READY_TIMEOUT_S = 120.0


def sandbox_environment(
    *,
    width: int = 1280,
    height: int = 800,
    cache_dir: Path,
    home: Path = OSWORLD_HOME,
    home_wait_s: float = 3600.0,
    allow_shell: bool = True,
    private_home: bool | None = None,
) -> TaskEnvironment:
    """A fresh sandbox desktop behind our server; `close()` stops and reaps everything.

    `private_home`: None chooses a private home wherever bubblewrap works (see the module doc).
    """
    from gui_agent.computers.sandbox import SandboxDesktop
    from gui_agent.computers.server import DesktopServer

    started = time.monotonic()
    private = private_home_available() if private_home is None else private_home
    closers: list[Callable[[], None]] = []
    try:
        if private:
            host_home = Path(tempfile.mkdtemp(prefix="gui-agent-home-"))
            closers.append(lambda: shutil.rmtree(host_home, ignore_errors=True))
            where = f"{home} private at {host_home}"
        else:
            lock = HomeLock(Path(home), wait_s=home_wait_s)
            lock.acquire()
            closers.append(lock.release)
            empty_home(lock.home)
            closers.append(lambda: empty_home(lock.home))
            host_home, where = lock.home, f"{lock.home}, shared"
        desktop = SandboxDesktop(width=width, height=height, chromium=False, shell_boundary=False).start()
        closers.append(desktop.close)
        server = DesktopServer(desktop, host="127.0.0.1", port=0, home=host_home,
                               isolate=private, home_inside=Path(home) if private else None)
        closers.append(server.stop)
        server.start()
        port_map = {port: free_port() for port in OSWORLD_PORTS}
        environment = _connect(server.url, token=None, cache_dir=cache_dir, cdp_url=None,
                               find_cdp=True, cdp_port=port_map[OSWORLD_CDP_PORT],
                               allow_shell=allow_shell, screen_size=(width, height))  # fmt: skip
        environment.port_map = port_map
        environment.home_on_host = host_home
    except BaseException:
        for closer in reversed(closers):
            _quietly(closer)
        raise
    environment.closers[:0] = closers
    log.info("sandbox environment at %s (home %s) ready in %.2fs", environment.base_url,
             where, time.monotonic() - started)  # fmt: skip
    return environment


def private_home_available() -> bool:
    """Whether sandboxes here can each have a private /home/user (bubblewrap works)."""
    from gui_agent.computers.server.isolation import bwrap_problem

    return bwrap_problem() is None


def remote_environment(
    vm_url: str,
    *,
    token: str | None = None,
    cache_dir: Path,
    cdp_url: str | None = None,
    allow_shell: bool = True,
) -> TaskEnvironment:
    """An environment over a server already running at `vm_url`; close() only disconnects."""
    if cdp_url is None:
        host = urlsplit(vm_url).hostname or "127.0.0.1"
        host = f"[{host}]" if ":" in host else host
        cdp_url = f"http://{host}:{OSWORLD_CDP_PORT}"
    return _connect(vm_url, token=token, cache_dir=cache_dir, cdp_url=cdp_url, find_cdp=False,
                    cdp_port=OSWORLD_CDP_PORT, allow_shell=allow_shell,
                    screen_size=None)  # fmt: skip


class SandboxVMComputer(VMComputer):
    """Our sandbox behind its server: its Chromium starts during a task's setup, so the CDP
    address (HasCDP, for skills) is found when asked, the way the eval env finds it."""

    find_cdp: Callable[[], str | None] = staticmethod(lambda: None)

    @property
    def cdp_url(self) -> str:
        url = self.find_cdp()
        if not url:
            raise EnvError("no browser with remote debugging is running on this sandbox")
        return url


def _connect(
    base_url: str,
    *,
    token: str | None,
    cache_dir: Path,
    cdp_url: str | None,
    find_cdp: bool,
    cdp_port: int,
    allow_shell: bool,
    screen_size: tuple[int, int] | None,
) -> TaskEnvironment:
    if find_cdp:
        computer: VMComputer = SandboxVMComputer(base_url, token=token, allow_shell=allow_shell,
                                                 screen_size=screen_size)  # fmt: skip
    else:
        computer = VMComputer(base_url, token=token, allow_shell=allow_shell,
                              screen_size=screen_size, cdp_url=cdp_url)  # fmt: skip
    api = ServerAPI(base_url, token=token)
    try:
        computer.wait_ready(timeout=READY_TIMEOUT_S)
    except BaseException:
        computer.close()
        api.close()
        raise
    eval_env = VMEvalEnv(computer, api=api, cache_dir=Path(cache_dir), cdp_url=cdp_url,
                         find_cdp=find_cdp, cdp_port=cdp_port)  # fmt: skip
    if isinstance(computer, SandboxVMComputer):
        computer.find_cdp = lambda: eval_env.cdp_url
    return TaskEnvironment(computer=computer, eval_env=eval_env, base_url=computer.base_url,
                           token=token, api=api)  # fmt: skip


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _quietly(closer: Callable[[], None]) -> None:
    try:
        closer()
    except Exception:
        log.exception("cleaning up a sandbox that failed to start")
