"""Map interaction in the browser (issue 10): how long the Explore map takes to answer a recolour,
a search, a pick and a box selection, on 3,000 and 60,000 points, in Debian chromium.

Each size gets a collection of unit vectors (384-d, seeded; texts from the health tweets) under a
fresh EMBEDLAB_HOME, mapped with PCA (the map itself is not what is timed). A timing runs from the
user's action to the map (and the panel below it) showing its result. With ``--before DIR`` the
same recolour and search are timed on another checkout of EmbedLab (the plotly page of commit
831e8e7, say) in the same run, and the ratio is printed.

    .venv/bin/python bench/map_interaction.py [--sizes 3000 60000] [--rounds 3] [--before /tmp/oldcode]

Goal: each interaction well under a second on 60,000 points.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import numpy as np
from report import figure  # bench/report.py (scripts run from bench/)

REPO = Path(__file__).resolve().parents[1]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
GOAL = 1.0


def make_collection(home: Path, n: int) -> str:
    """A collection of ``n`` seeded unit vectors stored as a MiniLM collection (so search works)."""
    os.environ["EMBEDLAB_HOME"] = str(home)
    from embedlab.datasets import text_frame
    from embedlab.store import close_all_stores, open_store

    texts = text_frame("healthtweets", limit=n)["text"].tolist()
    labels = text_frame("healthtweets", limit=n)["label"].tolist()
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(n, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store = open_store()
    name = store.create(f"bench-{n}", "minilm", 384, {"source": "bench", "text_column": "text", "label_column": "label",
                                                       "columns": "[]", "chunk_size": 0, "overlap": 0, "text_cleaning": "as-is"})
    ids = [f"r{i}" for i in range(n)]
    metas = [{"doc": str(i + 1), "row": i + 1, "chunk": 0, "chunks": 1, "label": labels[i]} for i in range(n)]
    store.add(name, ids, vectors, texts, metas)
    store.set_status(name, "complete")
    close_all_stores()
    return name


def serve(app_dir: Path, home: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "EMBEDLAB_HOME": str(home), "PYTHONPATH": str(app_dir)}
    env.pop("EMBEDLAB_CHROMA_URL", None)
    process = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(app_dir / "app.py"), "--server.port", str(port),
                                "--server.headless", "true"], cwd=app_dir, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(480):
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            return process, url
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the app did not start")


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the select box ``label`` by typing it, as a keyboard user does."""
    page.get_by_test_id("stSelectbox").filter(has_text=label).first.click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).click()


def timed(action: Callable[[], None], done: Callable[[], bool], timeout: float = 300) -> float:
    started = time.perf_counter()
    action()
    while not done():
        if time.perf_counter() - started > timeout:
            raise TimeoutError("no answer")
        time.sleep(0.02)
    return time.perf_counter() - started


def measure_new(page, url: str, name: str, n: int, rounds: int) -> dict[str, list[float]]:
    canvas = page.locator("canvas.pm-canvas")
    token = lambda: canvas.evaluate("c => c.dataset.token || ''")
    page.goto(f"{url}/explore?explore_collection={name}&explore_method=pca&explore_k=8&explore_colour=label")
    canvas.wait_for(timeout=600_000)
    while int(canvas.evaluate("c => Number(c.dataset.renders || 0)")) == 0:
        time.sleep(0.1)
    page.wait_for_timeout(3000)
    times: dict[str, list[float]] = {"recolour": [], "search": [], "pick": [], "box select": []}
    colours = ["cluster", "label"]
    for round_ in range(rounds):
        before = token()
        def recolour() -> None:
            choose(page, "Colour by", colours[round_ % 2])
        times["recolour"].append(timed(recolour, lambda: token() != before))
        before = token()
        query = page.get_by_role("textbox", name="Semantic search: mark the closest points")
        def search() -> None:
            query.fill(f"vaccines and flu season {round_}")
            query.press("Enter")
        times["search"].append(timed(search, lambda: token() != before))
        page.wait_for_timeout(500)
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        x, y = box["width"] * (0.5 + 0.02 * round_), box["height"] * 0.5  # the dense middle: a point within reach
        before = token()
        times["pick"].append(timed(lambda: page.mouse.click(box["x"] + x, box["y"] + y), lambda: token() != before))
        page.wait_for_timeout(500)
        page.get_by_role("button", name="Box select").click()
        before = token()
        def select() -> None:
            page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.45)
            page.mouse.down()
            page.mouse.move(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.55, steps=4)
            page.mouse.up()
        times["box select"].append(timed(select, lambda: token() != before))
        page.get_by_role("button", name="Pan").click()
        page.get_by_role("button", name="Clear selection").click()
        page.wait_for_timeout(1000)
    return times


def measure_before(page, url: str, name: str, rounds: int) -> dict[str, list[float]]:
    """The plotly page of an older checkout: recolour and search, until plotly has drawn the new figure."""
    page.goto(f"{url}/explore?explore_collection={name}&explore_method=pca&explore_k=8&explore_colour=label")
    page.wait_for_function("() => { const g = document.querySelector('.js-plotly-plot'); return g && g._fullData && g._fullData.length }",
                           timeout=900_000)
    page.wait_for_timeout(3000)
    signature = lambda: page.evaluate(
        """() => { const g = document.querySelector('.js-plotly-plot');
                   if (!g || !g._fullData) return '';
                   return g._fullData.map(t => t.name + ':' + (t.name === 'search hits' ? Array.from(t.customdata || []).join(',') : t.x.length)).join('|'); }""")
    times: dict[str, list[float]] = {"recolour": [], "search": []}
    colours = ["cluster", "label"]
    for round_ in range(rounds):
        start = signature()
        def recolour() -> None:
            choose(page, "Colour by", colours[round_ % 2])
        times["recolour"].append(timed(recolour, lambda: signature() not in ("", start)))
        page.wait_for_timeout(1500)
        start = signature()
        query = page.get_by_role("textbox", name="Semantic search: highlight the closest points")
        def search() -> None:
            query.fill(f"vaccines and flu season {round_}")
            query.press("Enter")
        times["search"].append(timed(search, lambda: signature() not in ("", start)))
        page.wait_for_timeout(1500)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[3000, 60000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", type=Path, help="another EmbedLab checkout to time in the same run")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
        for n in args.sizes:
            home = Path(tempfile.mkdtemp(prefix="embedlab-mapbench-"))
            name = make_collection(home, n)
            targets = [("ours", REPO)] + ([("before", args.before)] if args.before else [])
            results: dict[str, dict[str, list[float]]] = {}
            for label, app_dir in targets:
                server, url = serve(app_dir, home)
                try:
                    page = browser.new_page(viewport={"width": 1400, "height": 1000})
                    page.set_default_timeout(600_000)
                    results[label] = (measure_new(page, url, name, n, args.rounds) if label == "ours"
                                      else measure_before(page, url, name, args.rounds))
                    page.close()
                finally:
                    server.terminate()
                    server.wait(30)
            for action, values in results["ours"].items():
                print(f"{n:,} points, {action}: ours {', '.join(f'{v:.2f}' for v in values)} s"
                      + (f"; before {', '.join(f'{v:.2f}' for v in results['before'].get(action, []))} s" if "before" in results else ""),
                      flush=True)
                ours = statistics.median(values)
                old = statistics.median(results["before"][action]) if "before" in results and action in results["before"] else None
                rows.append((n, action, ours, old))
        browser.close()
    print(f"{'points':>7} {'action':<11} {'ours':>8} {'before':>9} {'ratio':>7}  goal")
    for n, action, ours, old in rows:
        figure("map_interaction", f"{action} on {n:,} points", ours, "s", bare=old, bare_name=f"plotly page of {args.before}" if old else "",
               goal=GOAL)
        ratio = f"{old / ours:6.1f}x" if old else "      -"
        before = f"{old:8.2f}s" if old else "        -"
        print(f"{n:>7,} {action:<11} {ours:7.2f}s {before} {ratio}  <{GOAL:.0f} s {'ok' if ours < GOAL else 'MISSED'}")


if __name__ == "__main__":
    main()
