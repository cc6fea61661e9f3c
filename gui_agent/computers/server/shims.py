"""Stand-ins for the programs OSWorld task configs name but this machine lacks or must scope.

The server puts a folder of tiny scripts first on its children's PATH; each one runs this file
(`python -I shims.py <name> <args...>`: standard library only, so it starts fast and imports
nothing of ours), so a command finds the stand-in whether it is an argv list or a shell string.

- `python`, `python3`, `python3.N`: the server's own interpreter (the project's venv; see
  gui_agent/computers/own_python.py), so an OSWorld client's `python -c "import pyautogui;..."`
  finds pyautogui whatever the machine's global python3 has installed.

- `google-chrome`, `google-chrome-stable`, `chromium-browser`: Debian's Chromium with the flags
  it needs here, on the profile `$HOME/.config/google-chrome` (tasks edit its Preferences). The
  requested `--remote-debugging-port` is kept, so `google-chrome --remote-debugging-port=1337`
  answers CDP on 1337 as in an OSWorld VM. If a browser on that profile is already running,
  Chromium hands the new command line to it (new tabs or window) and exits; the stand-in then
  forwards the requested port to the running browser's CDP port (read from the profile's
  DevToolsActivePort) unless something already listens there.
- `socat` (only when the real one is absent): the `tcp-listen:PORT[,opts] tcp:HOST:PORT` form
  the tasks use to expose CDP on 9222; listens on 127.0.0.1 only.
- `gnome-terminal`, `x-terminal-emulator`, `xterm`: the real xterm, logging what it shows to
  `$GUI_AGENT_TERMINAL_LOGS/xterm-<pid>-<cols>x<rows>.log` (the format terminal_text.py reads)
  so GET /terminal can answer; gnome-terminal's --working-directory, --title, --geometry and
  its `--`/-x/-e command forms are translated.
- `pkill`/`killall` asked for chrome: end only the browser on this server's profile, never
  other Chromium processes on the machine; anything else goes to the real program.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

CHROME_NAMES = frozenset({"google-chrome", "google-chrome-stable", "chromium-browser"})
TERMINAL_NAMES = frozenset({"gnome-terminal", "x-terminal-emulator", "xterm"})
SHIM_NAMES = CHROME_NAMES | TERMINAL_NAMES | {"socat", "pkill", "killall"}

ENV_CHROMIUM = "GUI_AGENT_CHROMIUM"
ENV_PROFILE = "GUI_AGENT_CHROME_PROFILE"
ENV_SCREEN = "GUI_AGENT_SCREEN"
ENV_SHIM_DIR = "GUI_AGENT_SHIM_DIR"
ENV_TERMINAL_LOGS = "GUI_AGENT_TERMINAL_LOGS"

CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--test-type",  # no infobar about --no-sandbox
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--password-store=basic",
    "--force-renderer-accessibility",
    "--remote-allow-origins=*",
)
_PORT_FLAG = re.compile(r"^--remote-debugging-port=(\d+)$")


def write_shims(folder: Path) -> None:
    """Write one executable script per stand-in into `folder` (created if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in sorted(SHIM_NAMES):
        if name == "socat" and shutil.which("socat"):
            continue
        script = folder / name
        script.write_text(
            f'#!/bin/sh\nexec "{sys.executable}" -I "{Path(__file__).resolve()}" {name} "$@"\n'
        )
        script.chmod(0o755)
    # Imported here: this file also runs as a standard-library-only script.
    from gui_agent.computers.own_python import write_python_wrappers

    write_python_wrappers(folder)


def chromium_path() -> str | None:
    """Debian's Chromium: $GUI_AGENT_CHROMIUM, then PATH."""
    explicit = os.environ.get(ENV_CHROMIUM)
    if explicit:
        return explicit
    return shutil.which("chromium") or shutil.which("chromium-browser", path=_real_path())


def requested_port(args: Sequence[str]) -> int | None:
    for arg in args:
        match = _PORT_FLAG.match(arg)
        if match:
            return int(match.group(1))
    return None


def devtools_port(profile: Path) -> int | None:
    """The CDP port of a live browser on `profile`, or None.

    Chromium writes DevToolsActivePort into the profile only for --remote-debugging-port=0;
    for a fixed port the browser's own command line (in /proc) says it.
    """
    candidates: list[int] = []
    with contextlib.suppress(OSError, ValueError, IndexError):
        candidates.append(int((profile / "DevToolsActivePort").read_text().split()[0]))
    candidates += [port for port in _ports_on_profile(profile) if port not in candidates]
    return next((port for port in candidates if port and cdp_answers(port)), None)


def _profile_marker(profile: Path) -> re.Pattern[bytes]:
    """Matches a command line that names `profile` as its user data dir (and no longer path)."""
    return re.compile(re.escape(f"--user-data-dir={profile}".encode()) + rb"(\x00|\s|$)")


def _ports_on_profile(profile: Path) -> list[int]:
    marker = _profile_marker(profile)
    ports = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.search(cmdline):
            ports += [
                int(found) for found in re.findall(rb"--remote-debugging-port=(\d+)", cmdline)
            ]
    return ports


def cdp_answers(port: int, *, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/version", timeout=timeout):
            return True
    except OSError:
        return False


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def chrome(args: list[str]) -> int:
    chromium = chromium_path()
    if chromium is None:
        print("no Chromium found: install the 'chromium' package", file=sys.stderr)
        return 127
    profile = Path(
        os.environ.get(ENV_PROFILE) or Path.home() / ".config" / "google-chrome"
    ).expanduser()
    profile.mkdir(parents=True, exist_ok=True)
    argv = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
    screen = os.environ.get(ENV_SCREEN)
    if screen:
        argv += ["--window-position=0,0", f"--window-size={screen.replace('x', ',')}"]
    argv += args
    running = devtools_port(profile)
    if running is None:
        os.execv(chromium, argv)
    # A browser owns this profile: Chromium passes the command line to it and exits.
    subprocess.run(argv, stdin=subprocess.DEVNULL, check=False, timeout=60)
    wanted = requested_port(args)
    if wanted is None or wanted == running or port_in_use(wanted):
        return 0
    print(f"forwarding 127.0.0.1:{wanted} to the running browser's CDP port {running}")
    sys.stdout.flush()
    forward(wanted, "127.0.0.1", running)
    return 0


def socat(args: list[str]) -> int:
    real = shutil.which("socat", path=_real_path())
    if real:
        os.execv(real, [real, *args])
    addresses = [arg for arg in args if not arg.startswith("-")]
    listen = next((a for a in addresses if a.lower().startswith("tcp-listen:")), None)
    target = next((a for a in addresses if re.match(r"(?i)tcp4?:", a)), None)
    if listen is None or target is None:
        print(f"socat stand-in only forwards tcp-listen:PORT to tcp:HOST:PORT, not {args}")
        return 2
    port = int(listen.split(":", 1)[1].split(",")[0])
    _, host, target_port = target.split(",")[0].split(":")
    forward(port, host, int(target_port))
    return 0


def forward(port: int, host: str, target_port: int) -> None:
    """Accept on 127.0.0.1:`port` and pipe each connection to host:target_port, forever."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        server.bind(("127.0.0.1", port))
    except OSError as exc:
        print(f"cannot listen on 127.0.0.1:{port}: {exc}", file=sys.stderr)
        raise SystemExit(1) from exc
    server.listen(64)
    while True:
        client, _ = server.accept()
        threading.Thread(target=_bridge, args=(client, host, target_port), daemon=True).start()


def _bridge(client: socket.socket, host: str, port: int) -> None:
    try:
        upstream = socket.create_connection((host, port), timeout=10)
    except OSError:
        client.close()
        return
    upstream.settimeout(None)
    threading.Thread(target=_pipe, args=(upstream, client), daemon=True).start()
    _pipe(client, upstream)


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    for sock in (source, sink):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()


def kill(name: str, args: list[str]) -> int:
    patterns = [arg for arg in args if not arg.startswith("-")]
    if patterns and all("chrom" in pattern for pattern in patterns):
        return _kill_browser(_signal_from(args))
    real = shutil.which(name, path=_real_path())
    if real is None:
        print(f"{name}: not installed", file=sys.stderr)
        return 127
    os.execv(real, [real, *args])
    return 127  # not reached


def _kill_browser(sig: int) -> int:
    """Signal this session's browser: processes on its profile, and chrome stand-ins that
    forward a port to it (they would hold the port a relaunched browser asks for)."""
    profile = os.environ.get(ENV_PROFILE) or str(Path.home() / ".config" / "google-chrome")
    on_profile = _profile_marker(Path(profile))
    in_session = f"{ENV_PROFILE}={profile}".encode() + b"\x00"
    killed = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            ours = on_profile.search(cmdline) is not None
            if not ours and Path(__file__).name.encode() in cmdline:
                args = cmdline.split(b"\x00")
                stand_in = any(arg.decode(errors="replace") in CHROME_NAMES for arg in args)
                ours = stand_in and in_session in (proc / "environ").read_bytes()
        except OSError:
            continue
        if ours:
            with contextlib.suppress(OSError):
                os.kill(int(proc.name), sig)
                killed += 1
    # Like a real browser's exit, wait a little so a relaunch right after finds the port free.
    deadline = time.monotonic() + 5
    while killed and time.monotonic() < deadline and devtools_port(Path(profile)) is not None:
        time.sleep(0.2)
    return 0 if killed else 1


def _signal_from(args: list[str]) -> int:
    for index, arg in enumerate(args):
        if arg in ("-s", "--signal") and index + 1 < len(args):
            return _parse_signal(args[index + 1])
        if arg.startswith("--signal="):
            return _parse_signal(arg.split("=", 1)[1])
        if arg.startswith("-") and len(arg) > 1 and not arg.startswith("--"):
            with contextlib.suppress(ValueError, AttributeError):
                return _parse_signal(arg[1:])
    return signal.SIGTERM


def _parse_signal(text: str) -> int:
    if text.isdigit():
        return int(text)
    name = text.upper()
    return int(getattr(signal, name if name.startswith("SIG") else "SIG" + name))


_GEOMETRY = re.compile(r"^(\d+)x(\d+)")


def _gnome_terminal_to_xterm(args: list[str]) -> tuple[list[str], str | None]:
    """xterm arguments for a gnome-terminal command line, and the folder to start in."""
    out: list[str] = []
    folder = None
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        name, has_value, value = arg.partition("=")
        if name in ("--working-directory", "--title", "-t", "--geometry") and not has_value:
            value = rest.pop(0) if rest else ""
        if name == "--working-directory":
            folder = value
        elif name in ("--title", "-t"):
            out += ["-T", value]
        elif name == "--geometry":
            out += ["-geometry", value]
        elif arg in ("--", "-x", "--execute"):
            return [*out, "-e", *rest], folder
        elif name in ("-e", "--command"):
            command = value if has_value else (rest.pop(0) if rest else "")
            return [*out, "-e", "sh", "-c", command], folder
        # other gnome-terminal options (--window, --tab, --maximize...) have no xterm meaning
    return out, folder


def terminal(name: str, args: list[str]) -> int:
    real = shutil.which("xterm", path=_real_path())
    if real is None:
        print("no terminal: install the 'xterm' package", file=sys.stderr)
        return 127
    if name == "gnome-terminal":
        args, folder = _gnome_terminal_to_xterm(args)
        if folder:
            os.chdir(os.path.expanduser(folder))
    geometry = next((args[i + 1] for i, a in enumerate(args[:-1]) if a == "-geometry"), None)
    if geometry is None:
        geometry = "80x24"
        args = ["-geometry", geometry, *args]
    size = _GEOMETRY.match(geometry)
    columns, rows = (size.group(1), size.group(2)) if size else ("80", "24")
    logs = os.environ.get(ENV_TERMINAL_LOGS)
    if logs:
        # os.execv keeps this process id, so the name names the xterm itself.
        log_file = Path(logs) / f"xterm-{os.getpid()}-{columns}x{rows}.log"
        args = ["-l", "-lf", str(log_file), *args]
    os.execv(real, [real, *args])
    return 0  # not reached


def _real_path() -> str:
    """PATH without the stand-ins' folder, to find the real programs."""
    shim_dir = os.environ.get(ENV_SHIM_DIR, "")
    parts = os.environ.get("PATH", os.defpath).split(os.pathsep)
    return os.pathsep.join(part for part in parts if part and part != shim_dir)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in SHIM_NAMES:
        print(f"usage: shims {{{','.join(sorted(SHIM_NAMES))}}} [args...]", file=sys.stderr)
        return 2
    name, args = argv[0], argv[1:]
    if name in CHROME_NAMES:
        return chrome(args)
    if name == "socat":
        return socat(args)
    if name in TERMINAL_NAMES:
        return terminal(name, args)
    return kill(name, args)


if __name__ == "__main__":
    raise SystemExit(main())
