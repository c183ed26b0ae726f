"""Start-up benchmark (issue 9): `embedlab --help` and `embedlab models --json` in new processes.

Goal: each well under 2 s, without loading any model or torch. Printed beside the bare
interpreter's start (`python -c pass`) and a bare `import torch` (what the engine no longer pays
at start-up), measured in the same run; each figure is the median of --runs new processes.

    .venv/bin/python bench/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

EMBEDLAB = str(Path(sys.executable).with_name("embedlab"))
GOAL_SECONDS = 2.0


def median_seconds(command: list[str], runs: int) -> float:
    """Median wall time of ``command`` in new processes (its output is discarded)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    bare = median_seconds([sys.executable, "-c", "pass"], args.runs)
    torch = median_seconds([sys.executable, "-c", "import torch"], args.runs)
    rows = [("embedlab --help", median_seconds([EMBEDLAB, "--help"], args.runs)),
            ("embedlab models --json", median_seconds([EMBEDLAB, "models", "--json"], args.runs))]
    print(f"{'command':<26} {'ours':>7} {'python -c pass':>15} {'ratio':>6} {'import torch':>13} {'goal':>7}")
    for name, seconds in rows:
        verdict = "ok" if seconds < GOAL_SECONDS else "MISSED"
        print(f"{name:<26} {seconds:>6.2f}s {bare:>14.2f}s {seconds / bare:>5.1f}x {torch:>12.2f}s  <{GOAL_SECONDS:.0f} s {verdict}")


if __name__ == "__main__":
    main()
