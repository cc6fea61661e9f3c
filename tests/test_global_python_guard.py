"""The suite's own guard: during tests, "python3" through PATH is a stub that fails loudly."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from tests.conftest import _global_python
from tests.global_python_guard import EXIT_CODE, GlobalPythonGuard


def test_the_global_python_is_a_loud_stub_during_tests() -> None:
    for name in ("python", "python3"):
        assert Path(shutil.which(name) or "").parent == _global_python.folder
    guard = GlobalPythonGuard()  # a second one, so this deliberate call fails nothing
    try:
        guard.write_stubs()
        stub = guard.folder / "python3"
        done = subprocess.run(
            [str(stub), "-c", "pass"], capture_output=True, text=True, timeout=30
        )
        assert done.returncode == EXIT_CODE and "global Python" in done.stderr
        assert guard.calls() == [f"{stub} -c pass"]
    finally:
        guard.remove()


def test_the_readme_names_exactly_the_system_packages_install_sh_installs() -> None:
    root = Path(__file__).resolve().parents[1]
    script = (root / "scripts" / "install.sh").read_text()
    listed = re.search(r"packages=\(([^)]*)\)", script)
    assert listed is not None
    installed = set(listed.group(1).split())
    readme = (root / "README.md").read_text()
    section = readme[readme.index("- **System packages**") : readme.index("- **Shared data")]
    named = {word for group in re.findall(r"`([^`]+)`", section) for word in group.split()}
    named -= {"scripts/install.sh", "pyatspi", "gi", "/usr/lib/python3/dist-packages", ".venv"}
    assert named == installed, (
        "README.md's 'What the test suite uses' must name exactly install.sh's packages: "
        f"missing {sorted(installed - named)}, not installed {sorted(named - installed)}"
    )
