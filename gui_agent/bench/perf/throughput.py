"""OSWorld evaluation throughput on the sandbox: tasks per hour with 1 and 2 environments,
sandboxes sharing the machine's one /home/user (taking turns, as before private homes) and
each with a private /home/user inside bubblewrap (side by side).

Each offline task (taken in index order from the shared task files) runs through the real
runner: a fresh sandbox and our OSWorld server, the task's setup, an agent, the evaluator. The
agent is a scripted model that waits once and says done, so what is measured is the harness
(setup, steps, settle, evaluation), not a model. Setup-to-first-action is the time from the
runner handing a task to an environment to the end of the first executed action; OSWorld's own
environment sleeps a fixed 60 s after reset before the first action.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Literal

from gui_agent.bench.perf.stats import summary
from gui_agent.models.base import ModelRequest
from gui_agent.models.scripted import FunctionModel

OSWORLD_RESET_SLEEP_S = 60.0
HomeMode = Literal["shared", "private"]


def bench_model() -> FunctionModel:
    """One short wait, then done: an agent whose time is negligible."""

    def respond(request: ModelRequest) -> dict[str, Any]:
        if "wait 0.2s" in request.prompt:
            return {"observation": "waited", "action": {"kind": "done"}}
        return {"observation": "a desktop", "action": {"kind": "wait", "seconds": 0.2}}

    return FunctionModel(respond, name="bench-throughput")


def measure(examples: Path, *, tasks: int = 8, num_envs: tuple[int, ...] = (1, 2),
            homes: tuple[HomeMode, ...] = ("shared", "private"),
            domains: tuple[str, ...] = ("chrome", "os")) -> dict[str, Any]:  # fmt: skip
    from osworld_eval import task_run
    from osworld_eval.runner import run_benchmark
    from osworld_eval.tasks import load_tasks
    from osworld_eval.vm_config import LocalConfig, environment_factory

    offline = json.loads((examples / "offline_ids.json").read_text())
    allowed = {i for d in domains for i in offline.get(d, {}).get("offline_as_is", [])}
    index = examples / "test_all.json"
    chosen = [t for t in load_tasks(examples, index=index, domains=list(domains))
              if t.id in allowed][:tasks]  # fmt: skip
    by_home: dict[str, dict[str, Any]] = {}
    for envs, home in [(envs, home) for envs in num_envs for home in homes]:  # side by side
        timed = _TimedRunOne(task_run.run_one_task)
        workdir = Path(tempfile.mkdtemp(prefix=f"bench-throughput-{home}-{envs}-"))
        config = LocalConfig(provider="local", home=home)
        factory = environment_factory(config, cache_dir=workdir / "cache")
        started = time.monotonic()
        outcomes = run_benchmark(chosen, environment_factory=factory, model=bench_model(),
                                 results_root=workdir / "results", num_envs=envs,
                                 cache_dir=workdir / "cache", run_one=timed)  # fmt: skip
        timings = timed.timings
        wall = time.monotonic() - started
        statuses: dict[str, int] = {}
        for outcome in outcomes:
            statuses[outcome.status.value] = statuses.get(outcome.status.value, 0) + 1
        by_home.setdefault(home, {})[str(envs)] = {
            "tasks": len(outcomes),
            "wall_s": round(wall, 1),
            "tasks_per_hour": round(len(outcomes) / wall * 3600, 1),
            "statuses": statuses,
            "setup_to_first_action_s": summary([t["setup_to_first_action_s"] for t in timings
                                                if "setup_to_first_action_s" in t], digits=2),
            "where_the_time_goes_s": {key: round(statistics.median([t[key] for t in timings]), 2)
                                      for key in ("setup_s", "steps_s", "settle_s",
                                                  "evaluation_s")} if timings else {},
        }  # fmt: skip
    return {
        "what": f"{len(chosen)} offline OSWorld tasks ({', '.join(domains)}) on sandboxes, "
                "scripted agent (one wait, then done)",
        "osworld_reset_sleep_s": OSWORLD_RESET_SLEEP_S,
        "by_home": by_home,
    }


class _TimedRunOne:
    """Wraps the runner's run_one: the bare loop as agent, and each task's timings kept."""

    def __init__(self, run_one: Any) -> None:
        self.run_one = run_one
        self.timings: list[dict[str, float]] = []
        self._lock = threading.Lock()

    def __call__(self, task: Any, environment: Any, **kwargs: Any) -> Any:
        started = time.time()
        outcome = self.run_one(task, environment, agent="loop", **kwargs)
        record = _timing(Path(kwargs["result_dir"]), started, time.time())
        with self._lock:
            self.timings.append(record)
        return outcome


def _timing(result_dir: Path, started: float, ended: float) -> dict[str, float]:
    try:
        episode = json.loads((result_dir / "result.json").read_text())
    except (OSError, ValueError):
        return {"setup_s": ended - started, "steps_s": 0.0, "settle_s": 0.0, "evaluation_s": 0.0}
    begun, finished = float(episode["started_at"]), float(episode.get("ended_at") or ended)
    executed = [a for a in episode.get("actions", []) if a.get("executed")]
    record = {
        "setup_s": begun - started,
        "steps_s": finished - begun,
        "settle_s": sum(float(a.get("settle_s") or 0) for a in executed),
        "evaluation_s": ended - finished,
    }
    if executed:
        record["setup_to_first_action_s"] = begun - started + float(executed[0]["duration_s"])
    return record
