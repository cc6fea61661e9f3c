"""Summaries every section reports: median and p90 of samples, min/median/max over repeats."""

from __future__ import annotations

import os
import platform
import statistics
import time
from typing import Any


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(values: list[float], *, digits: int = 1) -> dict[str, float | int]:
    """n, median, p90, min, max of `values`, rounded."""
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "median": round(statistics.median(values), digits),
        "p90": round(percentile(values, 0.9), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
    }


def over_repeats(values: list[float], *, digits: int = 1) -> dict[str, float | int]:
    """min / median / max of one figure measured once per repeat."""
    if not values:
        return {"repeats": 0}
    return {
        "repeats": len(values),
        "min": round(min(values), digits),
        "median": round(statistics.median(values), digits),
        "max": round(max(values), digits),
    }


def machine() -> dict[str, Any]:
    """What the numbers were measured on, including how busy it was."""
    load = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "load_average_1m_at_start": round(load[0], 2),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }
