"""One record per benchmark figure, so `bench/run_all.py` can print every bench in one table.

A bench script calls ``figure(...)`` beside its own printout: the figure, the bare library's
figure from the same run, and the goal. When ``EMBEDLAB_BENCH_JSON`` names a file (run_all sets
it) each figure is appended there as one JSON line; otherwise nothing is written.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

Better = Literal["lower", "higher"]


def figure(bench: str, name: str, ours: float, unit: str, *, bare: float | None = None, bare_name: str = "",
           goal: float | None = None, better: Better = "lower", goal_on: Literal["value", "ratio"] = "value") -> None:
    """Record one figure. ``ratio`` is bare/ours for times (lower is better) and ours/bare for
    rates (higher is better), so a ratio above 1 always means ours does better. The goal is on
    the value or on that ratio."""
    ratio = None
    if bare is not None and ours:
        ratio = bare / ours if better == "lower" else ours / bare
    checked = ratio if goal_on == "ratio" else ours
    met = None
    if goal is not None and checked is not None:
        met = checked >= goal if (goal_on == "ratio" or better == "higher") else checked <= goal
    row = {"bench": bench, "figure": name, "ours": ours, "unit": unit, "bare": bare, "bare_name": bare_name,
           "ratio": ratio, "goal": goal, "goal_on": goal_on, "better": better, "met": met}
    path = os.environ.get("EMBEDLAB_BENCH_JSON")
    if path:
        with Path(path).open("a", encoding="utf-8") as out:
            out.write(json.dumps(row) + "\n")
