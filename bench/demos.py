"""Guided demos' first and second press (issue 21: under 15 s first, under 3 s after): each page
opened under Streamlit's AppTest in a new process on a fresh EMBEDLAB_HOME, its demo pressed
(first: models and shipped results read from scratch), then opened and pressed again in the same
process (second). ``--cold`` also times the first press with the shipped results off (what a demo
costs without them; slow: minutes per page).

    .venv/bin/python bench/demos.py [--pages explore downstream ...] [--cold]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from report import figure

PRESS = """
import json, sys, time
from streamlit.testing.v1 import AppTest
times = []
for _ in range(2):
    at = AppTest.from_file(sys.argv[1], default_timeout=3600).run()
    started = time.perf_counter()
    next(b for b in at.button if "Guided demo" in b.label).click().run()
    times.append(time.perf_counter() - started)
    problems = [e.value for e in at.exception] + [e.value for e in at.error]
    if problems:
        sys.exit(f"the demo failed: {problems}")
print(json.dumps(times))
"""


def press(page_file: str, shipped: bool) -> list[float]:
    """(first, second) seconds of the demo's press, in a new process on a fresh home."""
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as home:
        env = {**os.environ, "EMBEDLAB_HOME": home, "EMBEDLAB_SHIPPED_RESULTS": "1" if shipped else "0"}
        env.pop("EMBEDLAB_CHROMA_URL", None)
        done = subprocess.run([sys.executable, "-c", PRESS, str(HERE.parent / page_file)], env=env, capture_output=True,
                              text=True, check=True, cwd=HERE.parent)
        return [float(x) for x in json.loads(done.stdout.strip().splitlines()[-1])]


def main() -> int:
    sys.path.insert(0, str(HERE.parent))
    from embedlab.ui.pages import PAGES

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", nargs="*", default=None, help="url paths (default: every page)")
    parser.add_argument("--cold", action="store_true", help="also the first press with the shipped results off")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    print(f"{'page':<14} {'first':>8} {'second':>8} {'cold':>8}")
    for spec in PAGES:
        if args.pages and spec.url_path not in args.pages:
            continue
        first, second = press(spec.file, shipped=True)
        cold = press(spec.file, shipped=False)[0] if args.cold else None
        print(f"{spec.url_path:<14} {first:8.1f} {second:8.1f} {'' if cold is None else f'{cold:8.1f}':>8}", flush=True)
        figure("demos", f"{spec.url_path}: first press (fresh process and home)", first, " s", goal=15.0,
               bare=cold, bare_name="the same press computed cold (shipped results off)")
        figure("demos", f"{spec.url_path}: second press", second, " s", goal=3.0)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
