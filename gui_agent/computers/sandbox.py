"""The embedded default computer: a private Xvfb display with Chromium, all cleaned up.

    with SandboxDesktop(start_url="https://example.org") as desktop:
        image = desktop.screenshot()
        desktop.execute(Click(x=640, y=400))

Nothing starts in `__init__`; `start()` (or entering the `with` block) starts Xvfb, then
Chromium as a normal browser window filling the screen (or with `app_mode=True` an `--app`
window without tab strip or omnibox; see chromium.py), and returns once CDP answers. Use it as a context manager: Ctrl+C raises KeyboardInterrupt in our process only (every
child runs in its own session), the `with` block's exit calls `close()`, and `close()` stops
Chromium's whole process group, any `launch`ed program and Xvfb, reaping each. `close()` is also
registered with atexit, and while a sandbox is open SIGTERM is turned into SystemExit (if no
other handler was installed) so a terminated run also unwinds through `close()`.

`run_shell` (and Shell actions) run `bash -lc` with the sandbox display in the environment.
Where bubblewrap works (`shell_boundary`, on there by default) they, and programs `launch`ed on
the desktop, run inside a boundary whose `/home/user` and `/tmp` are private folders and where
nothing else of the host's files is (shell_boundary.py); `read_file` and `write_file` then
reach only those two folders and Chromium's profile. Without it commands run on this machine
as this user: the sandbox isolates the screen, not the file system. Pass `allow_shell=False`
to refuse shell commands altogether.

There is no window manager: windows do not get decorations or focus-on-click, and keyboard input
goes to whichever window took focus last (Chromium takes it when it starts).
"""

from __future__ import annotations

import atexit
import logging
import os
import shlex
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from PIL import Image

from gui_agent.actions import Action, Shell, describe, validate
from gui_agent.computers.base import ExecutionRecord, ShellResult
from gui_agent.computers.chromium import ChromiumProcess
from gui_agent.computers.display import XvfbDisplay
from gui_agent.computers.own_python import python_wrapper_dir
from gui_agent.computers.processes import ChildProcesses
from gui_agent.computers.shell_boundary import SEEN_HOME, ShellBoundary, boundary_available
from gui_agent.computers.xinput import XInputExecutor
from gui_agent.errors import ConfigError, EnvError, PolicyBlocked
from gui_agent.screen import capture_with_retry, capture_x, check_image, forget_display

log = logging.getLogger(__name__)

TERMINAL_NAMES = ("xterm", "x-terminal-emulator")

_sigterm_lock = threading.Lock()
_open_count = 0  # sandboxes started and not closed: SIGTERM becomes SystemExit while > 0


class SandboxDesktop:
    """A Computer with shell, files (local paths) and CDP, on its own X display."""

    def __init__(
        self,
        *,
        width: int = 1280,
        height: int = 800,
        start_url: str | None = "about:blank",
        chromium: bool = True,
        terminal: bool = False,
        allow_shell: bool = True,
        chromium_path: str | None = None,
        app_mode: bool = False,
        chromium_args: Sequence[str] = (),
        shell_boundary: bool | None = None,
        chromium_prefs: Mapping[str, Any] | None = None,
    ) -> None:
        self._size = (width, height)
        self._want_boundary = shell_boundary
        self._boundary: ShellBoundary | None = None
        self._chromium_args = tuple(chromium_args)
        self._chromium_prefs = dict(chromium_prefs or {})
        self._app_mode = app_mode
        self._start_url = start_url
        self._want_chromium = chromium
        self._want_terminal = terminal
        self._allow_shell = allow_shell
        self._chromium_path = chromium_path
        self._xvfb: XvfbDisplay | None = None
        self._chromium: ChromiumProcess | None = None
        self._children = ChildProcesses()
        self._executor: XInputExecutor | None = None
        self._lock = threading.RLock()
        self._started = False
        self._closed = False

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> SandboxDesktop:
        """Start Xvfb, Chromium (and a terminal if asked); return self. Idempotent."""
        with self._lock:
            if self._closed:
                raise EnvError("this SandboxDesktop is closed; make a new one")
            if self._started:
                return self
            self._started = True
            atexit.register(self.close)
            self._install_sigterm()
            try:
                width, height = self._size
                self._xvfb = XvfbDisplay(width=width, height=height).start()
                self._boundary = self._make_boundary()
                if self._want_chromium:
                    self._chromium = ChromiumProcess(
                        env=self._xvfb.env,
                        size=self._size,
                        start_url=self._start_url,
                        executable=self._chromium_path,
                        app_mode=self._app_mode,
                        extra_args=self._chromium_args,
                        preferences=self._chromium_prefs,
                    )
                    self._chromium.start()
                if self._want_terminal:
                    self._start_terminal()
                if self._want_chromium or self._want_terminal:
                    self._wait_for_paint()
            except BaseException:
                self.close()
                raise
        log.info("sandbox desktop on %s (%dx%d)", self.display, width, height)
        return self

    def _make_boundary(self) -> ShellBoundary | None:
        wanted = self._want_boundary
        if wanted is False or (wanted is None and not boundary_available()):
            return None
        return ShellBoundary(env=self._running_xvfb().env,
                             extra_ro=[str(python_wrapper_dir())])  # fmt: skip

    def _wait_for_paint(self, timeout: float = 30.0) -> None:
        # A new Chromium window is first one flat colour; its UI is drawn a moment later.
        display = self.display
        deadline = time.monotonic() + timeout
        while True:
            try:
                check_image(capture_x(display))
                return
            except EnvError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def _start_terminal(self) -> None:
        terminal = next((found for n in TERMINAL_NAMES if (found := shutil.which(n))), None)
        if terminal is None:
            raise ConfigError("no terminal found: install the 'xterm' package")
        width, height = self._size
        geometry = f"100x30+{width // 4}+{height // 4}"
        self.launch([terminal, "-geometry", geometry])

    def close(self) -> None:
        """Stop and reap every child: Chromium's process group, launched programs, Xvfb.

        A Ctrl+C or SIGTERM arriving meanwhile is held until everything is stopped, then
        delivered, so a second interrupt cannot leave half the children running.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if not self._started:
                return
            atexit.unregister(self.close)
            self._restore_sigterm()  # first: _signals_held puts back what it finds
            with _signals_held():
                failures = self._stop_children()
        if failures:
            first = failures[0]
            raise EnvError(f"closing the sandbox desktop failed: {first}") from first
        log.info("sandbox desktop closed")

    def _stop_children(self) -> list[Exception]:
        xvfb = self._xvfb
        steps = [
            ("input", self._executor.close if self._executor else None),
            ("chromium", self._chromium.stop if self._chromium else None),
            ("launched programs", self._children.close),
            ("shell boundary", self._boundary.close if self._boundary else None),
            ("capture", (lambda: forget_display(xvfb.display)) if xvfb else None),
            ("xvfb", xvfb.stop if xvfb else None),
        ]
        failures: list[Exception] = []
        for name, step in steps:
            if step is None:
                continue
            try:
                step()
            except Exception as exc:  # keep going: every later child still needs stopping
                log.warning("closing the sandbox's %s failed: %s", name, exc)
                failures.append(exc)
        return failures

    def __enter__(self) -> SandboxDesktop:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _install_sigterm(self) -> None:
        global _open_count
        with _sigterm_lock:
            _open_count += 1
            if threading.current_thread() is not threading.main_thread():
                return  # signal handlers can only be set from the main thread
            if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
                signal.signal(signal.SIGTERM, _sigterm_to_exit)

    def _restore_sigterm(self) -> None:
        global _open_count
        with _sigterm_lock:
            _open_count -= 1
            if _open_count > 0 or threading.current_thread() is not threading.main_thread():
                return
            if signal.getsignal(signal.SIGTERM) is _sigterm_to_exit:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)

    # -- properties ----------------------------------------------------------------------------

    def _running_xvfb(self) -> XvfbDisplay:
        if self._xvfb is None or self._closed:
            raise EnvError("the sandbox desktop is not running (call start() or use `with`)")
        return self._xvfb

    @property
    def display(self) -> str:
        return self._running_xvfb().display

    @property
    def env(self) -> dict[str, str]:
        """Environment for programs that should appear on this desktop."""
        return self._running_xvfb().env

    @property
    def size(self) -> tuple[int, int]:
        return self._size

    @property
    def allows_shell(self) -> bool:
        return self._allow_shell

    @property
    def isolated(self) -> bool:
        """Whether commands run inside the boundary (shell_boundary.py)."""
        return self._boundary is not None

    @property
    def home(self) -> str:
        """The desktop user's home as commands see it (a private /home/user in the boundary)."""
        return str(SEEN_HOME) if self._boundary is not None else str(Path.home())

    @property
    def cdp_url(self) -> str:
        if self._chromium is None:
            raise EnvError("this sandbox desktop has no Chromium")
        return self._chromium.cdp_url

    @property
    def chromium_profile(self) -> str:
        """Chromium's --user-data-dir (a temp dir deleted by close())."""
        if self._chromium is None:
            raise EnvError("this sandbox desktop has no Chromium")
        return self._chromium.profile_dir

    @property
    def pids(self) -> list[int]:
        """Process ids of every direct child still tracked (Xvfb, Chromium, launched)."""
        pids = [p for p in (self._xvfb and self._xvfb.pid, self._chromium and self._chromium.pid)]
        return [p for p in pids if p] + self._children.pids

    # -- Computer ------------------------------------------------------------------------------

    def screenshot(self) -> Image.Image:
        display = self.display
        # An empty display (nothing started on it) is legitimately one colour.
        uniform_ok = not (self._want_chromium or self._want_terminal)
        return capture_with_retry(lambda: capture_x(display), allow_uniform=uniform_ok)

    def execute(self, action: Action) -> ExecutionRecord:
        """Validate and perform one action; shell actions run through run_shell."""
        width, height = self._size
        validate(action, width=width, height=height, allow_shell=self._allow_shell)
        if isinstance(action, Shell):
            result = self.run_shell(action.command)
            output = result.output + (f"\n[stderr]\n{result.error}" if result.error else "")
            return ExecutionRecord(
                events=[describe(action), f"exit {result.returncode}"], output=output
            )
        return self._input().execute(action)

    def _input(self) -> XInputExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = XInputExecutor(self.display)
            return self._executor

    # -- capabilities --------------------------------------------------------------------------

    def run_shell(self, command: str, *, timeout: float = 60.0) -> ShellResult:
        """Run `bash -lc command` with this display's environment; kill its group on timeout.

        `python`/`python3` in the command are the project's interpreter (a login shell resets
        PATH, so the wrappers go first after the profile has run).
        """
        if not self._allow_shell:
            raise PolicyBlocked("this sandbox desktop does not allow shell commands")
        wrappers = shlex.quote(str(python_wrapper_dir()))
        argv = ["bash", "-lc", f'PATH={wrappers}:"$PATH"\n{command}']
        proc = subprocess.Popen(
            self._boundary.wrap(argv) if self._boundary else argv,
            env=self._boundary.env if self._boundary else self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            message = err.decode(errors="replace") + f"\n[timed out after {timeout:g}s]"
            return ShellResult(returncode=124, output=out.decode(errors="replace"), error=message)
        return ShellResult(
            returncode=proc.returncode,
            output=out.decode(errors="replace"),
            error=err.decode(errors="replace"),
        )

    def launch(self, argv: Sequence[str]) -> subprocess.Popen[bytes]:
        """Start a GUI program on this desktop (inside the boundary if there is one); it is
        terminated by close()."""
        if self._boundary is not None:
            return self._children.launch(self._boundary.wrap(argv), env=self._boundary.env)
        return self._children.launch(argv, env=self.env)

    def open_url(self, url: str) -> dict[str, Any]:
        """Open `url` in a new Chromium tab (CDP `PUT /json/new`); return the new target."""
        if self._chromium is None:
            raise EnvError("this sandbox desktop has no Chromium")
        return self._chromium.open_url(url)

    def read_file(self, path: str) -> bytes:
        try:
            return self._file(path, reading=True).read_bytes()
        except OSError as exc:
            raise EnvError(f"cannot read {path}: {exc}") from exc

    def write_file(self, path: str, data: bytes) -> None:
        target = self._file(path, reading=False)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        except OSError as exc:
            raise EnvError(f"cannot write {path}: {exc}") from exc

    def host_path(self, path: str) -> Path:
        """Where a file the sandbox's commands see as `path` is on this machine (EnvError if
        it is outside the sandbox's boundary)."""
        return self._file(path, reading=False)

    def _file(self, path: str, *, reading: bool) -> Path:
        """The host file behind `path`: inside the boundary when there is one (Chromium's
        profile readable too); EnvError for anything else."""
        if self._boundary is None:
            return Path(path)
        # Chromium's profile lives under the host's /tmp: check it before /tmp maps inside.
        profile = self._chromium.profile_dir if self._chromium else None
        if reading and profile and Path(path).resolve().is_relative_to(Path(profile).resolve()):
            return Path(path)
        inside = self._boundary.host_path(path)
        if inside is not None:
            return inside
        raise EnvError(f"{path} is outside the sandbox: its files are under {SEEN_HOME} and /tmp")

    def __repr__(self) -> str:
        state = "closed" if self._closed else self._xvfb.display if self._xvfb else "not started"
        return f"SandboxDesktop({state}, {self._size[0]}x{self._size[1]})"


def _sigterm_to_exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def _signals_held() -> Iterator[None]:
    """Record SIGINT/SIGTERM instead of acting on them; re-deliver the first one at the end."""
    if threading.current_thread() is not threading.main_thread():
        yield  # handlers can only be swapped in the main thread
        return
    pending: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    previous = {signum: signal.signal(signum, lambda n, _f: pending.append(n)) for signum in held}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if pending:
            signal.raise_signal(pending[0])
