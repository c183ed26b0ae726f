"""Start-up benchmark (issues 9 and 10): `embedlab --help` and `embedlab models --json` in new
processes, and the app's first page after `streamlit run` starts (what a first visitor waits for).

Goals: the commands well under 2 s without loading any model or torch; the first page drawn in
a few seconds, not after a blank ~10 s. Printed beside the bare interpreter's start (`python -c
pass`) and a bare `import torch` (what the engine no longer pays at start-up), measured in the
same run; each command figure is the median of --runs new processes. With ``--before DIR`` the
first page is also timed for another checkout (say commit 831e8e7).

    .venv/bin/python bench/startup.py [--runs 5] [--before /tmp/oldcode]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from report import figure  # bench/report.py (scripts run from bench/)

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


def first_page_seconds(app_dir: Path) -> tuple[float, float]:
    """(seconds until the server answers its health check, seconds until a browser shows the
    Home page's model table) after starting ``streamlit run app.py`` of ``app_dir``."""
    import os
    import socket
    import tempfile
    import urllib.request

    from playwright.sync_api import sync_playwright

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "EMBEDLAB_HOME": tempfile.mkdtemp(prefix="embedlab-startbench-"), "PYTHONPATH": str(app_dir)}
    args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=args, headless=True)
        started = time.perf_counter()
        server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(app_dir / "app.py"), "--server.port", str(port),
                                   "--server.headless", "true"], cwd=app_dir, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                    break
                except OSError:
                    time.sleep(0.05)
            healthy = time.perf_counter() - started
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            page.get_by_text("Models on this machine").wait_for(timeout=300_000)
            shown = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(30)
            browser.close()
    return healthy, shown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--before", type=Path, help="another EmbedLab checkout: time its first page too")
    args = parser.parse_args()
    bare = median_seconds([sys.executable, "-c", "pass"], args.runs)
    torch = median_seconds([sys.executable, "-c", "import torch"], args.runs)
    rows = [("embedlab --help", median_seconds([EMBEDLAB, "--help"], args.runs)),
            ("embedlab models --json", median_seconds([EMBEDLAB, "models", "--json"], args.runs))]
    print(f"{'command':<26} {'ours':>7} {'python -c pass':>15} {'ratio':>6} {'import torch':>13} {'goal':>7}")
    for name, seconds in rows:
        verdict = "ok" if seconds < GOAL_SECONDS else "MISSED"
        figure("startup", name, seconds, "s", bare=bare, bare_name="python -c pass", goal=GOAL_SECONDS)
        print(f"{name:<26} {seconds:>6.2f}s {bare:>14.2f}s {seconds / bare:>5.1f}x {torch:>12.2f}s  <{GOAL_SECONDS:.0f} s {verdict}")
    print()
    print(f"{'first page after start':<26} {'health':>8} {'page shown':>11}")
    pages = {}
    for label, app_dir in [("ours", Path(__file__).resolve().parents[1])] + ([("before", args.before)] if args.before else []):
        healthy, shown = first_page_seconds(app_dir)
        pages[label] = shown
        print(f"{label:<26} {healthy:>7.2f}s {shown:>10.2f}s")
    figure("startup", "first page shown after start", pages["ours"], "s", bare=pages.get("before"), bare_name=str(args.before or ""))


if __name__ == "__main__":
    main()
