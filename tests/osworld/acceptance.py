"""What the acceptance tests on a served sandbox share: skip marks, task files, the sandbox.

Used by test_acceptance.py (the step loop's scripted solutions), test_skills_acceptance.py
(`solve`) and test_chrome_skill_tasks.py (the Chrome skill's own planning call). The
`served_sandbox` fixture reaches them through conftest.py.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from gui_agent.errors import EnvError
from osworld_eval.environments import OSWORLD_HOME, sandbox_environment
from osworld_eval.task_run import TaskEnvironment
from osworld_eval.tasks import Task, load_task
from tests.osworld import shared_osworld

EXAMPLES = shared_osworld()
NEEDS_A_SANDBOX = [
    pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is not installed"),
    pytest.mark.skipif(
        shutil.which("chromium") is None and not os.environ.get("GUI_AGENT_CHROMIUM"),
        reason="Chromium is not installed",
    ),
    pytest.mark.timeout(600),
]
"""The `pytestmark` of a module whose tests run tasks on a served sandbox."""


def load_example(domain: str, task_id: str) -> Task:
    """The OSWorld task file of `task_id`; the test skips when the task copy is absent."""
    path = EXAMPLES / "examples" / domain / f"{task_id}.json"
    if not path.is_file():
        pytest.skip(f"no OSWorld task file {path} (set OSWORLD_EXAMPLES)")
    return load_task(path)


@pytest.fixture
def served_sandbox(tmp_path: Path) -> Iterator[TaskEnvironment]:
    """A sandbox desktop behind our own in-VM server, closed after the test.

    Sandboxes take turns on /home/user (osworld_eval.environments); one held by another user
    of this machine skips the test instead of failing it.
    """
    try:
        env = sandbox_environment(cache_dir=tmp_path / "cache", width=1280, height=800)
    except EnvError as exc:
        if OSWORLD_HOME.exists() and "not empty" in exc.message:
            pytest.skip(f"{OSWORLD_HOME} belongs to someone else: {exc.message}")
        raise
    try:
        yield env
    finally:
        env.close()
