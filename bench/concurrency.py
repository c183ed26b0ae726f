"""Eight users at once (issue 14): how long each of eight Debian chromium contexts waits for the
Similarity page and for an Explore search when they ask at the same moment, against one user
alone on the same server, in the same run. Every user asks something new (nothing comes from a
cache), and the answers are checked against the bare libraries.

    .venv/bin/python bench/concurrency.py [--users 8] [--rounds 2]

Goal: each of the eight waits at most 4x what one user alone waits.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from map_interaction import serve  # the app on a free port with its own home (bench/)
from report import figure  # bench/report.py (scripts run from bench/)

REPO = Path(__file__).resolve().parents[1]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
GOAL = 4.0
SUBJECTS = ["rain", "markets", "vaccines", "football", "rivers", "courts", "trains", "music", "gardens", "planets", "bread",
            "bridges", "elections", "glaciers", "violins", "volcanoes", "chess", "coffee"]


def sentences(user: int, round_: int) -> list[str]:
    """Five sentences no other user or round asks for."""
    a, b = SUBJECTS[(user + 3 * round_) % len(SUBJECTS)], SUBJECTS[(user * 5 + round_ + 1) % len(SUBJECTS)]
    return [f"Round {round_}: a short note about {a}.", f"Another remark on {a} from user {user}.",
            f"Something about {b} happened today.", f"User {user} writes about {b} again.", f"Nothing to do with {a} or {b} {round_}."]


def similarity_url(url: str, texts: list[str]) -> str:
    query = urllib.parse.urlencode({"sim_mode": "sentences", "sim_sentences": "\n".join(texts), "sim_compare": "true",
                                    "sim_text_model": "minilm", "sim_text_model_b": "use-multilingual"})
    return f"{url}/similarity?{query}"


def metric(page, label: str) -> str | None:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    if not box.count():
        return None
    return box.locator('[data-testid="stMetricValue"]').inner_text()


def at_once(pages: list, urls: list[str], answer) -> list[tuple[float, str]]:
    """Open ``urls`` in ``pages`` at the same moment; (seconds until ``answer(page)`` is not None, answer) each."""
    started = time.perf_counter()
    for page, url in zip(pages, urls, strict=True):
        page.goto(url, wait_until="commit")
    done: dict[int, tuple[float, str]] = {}
    while len(done) < len(pages):
        for i, page in enumerate(pages):
            if i not in done and (value := answer(page)) is not None:
                done[i] = (time.perf_counter() - started, value)
        if time.perf_counter() - started > 900:
            raise TimeoutError(f"{len(pages) - len(done)} users got no answer")
        time.sleep(0.05)
    return [done[i] for i in range(len(pages))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    os.environ["EMBEDLAB_HOME"] = home = tempfile.mkdtemp(prefix="embedlab-concurrency-")
    from embedlab.ingest import ingest_dataset
    from embedlab.store import close_all_stores

    collection = ingest_dataset("news", "news", "minilm", limit=600).collection
    close_all_stores()
    from playwright.sync_api import sync_playwright

    server, url = serve(REPO, Path(home))
    results: dict[str, dict[str, list[float]]] = {"similarity": {"alone": [], "together": []}, "explore search": {"alone": [], "together": []}}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
            contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(args.users)]
            pages = [context.new_page() for context in contexts]
            for page in pages:  # every user has had the app open once (the models are loaded)
                page.goto(similarity_url(url, sentences(99, 99)))
            at_once(pages[:1], [similarity_url(url, sentences(98, 98))], lambda p: metric(p, "Agreement"))
            for round_ in range(args.rounds):
                alone = at_once(pages[:1], [similarity_url(url, sentences(0, 10 + round_))], lambda p: metric(p, "Agreement"))
                together = at_once(pages, [similarity_url(url, sentences(u, round_)) for u in range(args.users)],
                                   lambda p: metric(p, "Agreement"))
                results["similarity"]["alone"] += [t for t, _ in alone]
                results["similarity"]["together"] += [t for t, _ in together]

                def searched(page) -> str | None:
                    heading = page.get_by_text("Top 10 for")
                    return "shown" if heading.count() else None

                explore = f"{url}/explore?explore_collection={collection}&explore_method=pca&explore_query="
                alone = at_once(pages[:1], [explore + urllib.parse.quote(f"news about {SUBJECTS[round_]} alone")], searched)
                together = at_once(pages, [explore + urllib.parse.quote(f"news about {SUBJECTS[(u + round_) % 18]} {round_}")
                                           for u in range(args.users)], searched)
                results["explore search"]["alone"] += [t for t, _ in alone]
                results["explore search"]["together"] += [t for t, _ in together]
            browser.close()
    finally:
        server.terminate()
        server.wait(30)
    print(f"{'page':<16} {'one user':>9} {'8 users: median':>16} {'slowest':>8} {'slowest/one':>12}  goal")
    for name, times in results.items():
        one = statistics.median(times["alone"])
        slowest = max(times["together"])
        print(f"{name:<16} {one:8.2f}s {statistics.median(times['together']):15.2f}s {slowest:7.2f}s {slowest / one:11.1f}x  <= {GOAL:.0f}x"
              f" {'ok' if slowest / one <= GOAL else 'MISSED'}")
        figure("concurrency", f"{name}: slowest of {args.users} users at once", slowest, "s", bare=one,
               bare_name="one user alone (same server, same run)")
        figure("concurrency", f"{name}: slowest of {args.users} over one user", slowest / one, "x", goal=GOAL)


if __name__ == "__main__":
    main()
