"""Counts as people read them: "1 run", "2 runs", "0 runs" (never "1 runs" or "run(s)")."""

from __future__ import annotations


def plural_noun(count: int, noun: str, many: str | None = None) -> str:
    """`noun` for exactly one, else `many` (default: `noun` + "s")."""
    return noun if count == 1 else many or f"{noun}s"


def counted(count: int, noun: str, many: str | None = None) -> str:
    """`count` and its noun: `counted(1, "run")` is "1 run", `counted(3, "run")` "3 runs"."""
    return f"{count} {plural_noun(count, noun, many)}"
