"""Fixtures for the OSWorld evaluator tests: a local EvalEnv, LibreOffice PDFs, a CDP Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gui_agent.computers.processes import stop_process
from osworld_eval.getters import LocalEvalEnv
from tests.osworld import builders, shared_osworld
from tests.osworld.acceptance import served_sandbox  # noqa: F401  (the acceptance tests' sandbox)

EXAMPLES = shared_osworld()


@pytest.fixture(scope="session")
def examples() -> Path:
    """The OSWorld task copy (examples/ and the index files); skips if it is absent."""
    if not (EXAMPLES / "examples").is_dir():
        pytest.skip(f"no OSWorld task files at {EXAMPLES} (set OSWORLD_EXAMPLES)")
    return EXAMPLES


@pytest.fixture
def vm(tmp_path: Path) -> LocalEvalEnv:
    """A LocalEvalEnv whose machine paths live under tmp/vm (home is /home/user)."""
    (tmp_path / "vm" / "home" / "user").mkdir(parents=True)
    return LocalEvalEnv(cache_dir=tmp_path / "cache", root=tmp_path / "vm", home="/home/user")


@pytest.fixture(scope="session")
def office_pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Two PDFs LibreOffice Calc printed from .xlsx files (converted once per session).

    Calc, not Writer: the machines here install only libreoffice-calc.
    """
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    folder = tmp_path_factory.mktemp("office")
    sources = {
        "report": ["Quarterly report", "Revenue grew by ten percent."],
        "other": ["Shopping list", "Apples, pears and a loaf of bread."],
    }
    for name, lines in sources.items():
        builders.xlsx(folder / f"{name}.xlsx", {"Sheet1": [[line] for line in lines]})
    profile = folder / "lo-profile"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            *(str(folder / f"{n}.xlsx") for n in sources),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdfs = {name: folder / f"{name}.pdf" for name in sources}
    if not all(p.is_file() for p in pdfs.values()):
        pytest.skip("LibreOffice could not print the test workbooks to PDF")
    return {name: str(p) for name, p in pdfs.items()}


def _chromium() -> str | None:
    return (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )


@pytest.fixture(scope="session")
def chromium_cdp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """http://127.0.0.1:<port> of a headless Chromium started for these tests."""
    binary = _chromium()
    if binary is None:
        pytest.skip("Chromium is not installed")
    profile = tmp_path_factory.mktemp("chromium-profile")
    proc = subprocess.Popen(
        [
            binary,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 30
    while not port_file.exists() or not port_file.read_text().strip():
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            proc.wait()
            pytest.skip("Chromium did not open a remote-debugging port")
        time.sleep(0.1)
    port = port_file.read_text().split()[0]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc)
