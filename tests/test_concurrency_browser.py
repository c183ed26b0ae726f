"""Eight browser users at once on one server (issue 14): each asks the Similarity page and an
Explore search something of their own at the same moment; nobody sees an error, and each gets
what the bare libraries give for their input (what they would get alone). The latency figures
are in bench/concurrency.py."""

from __future__ import annotations

import time
import urllib.parse

import numpy as np
import pytest

from tests.browser import new_page
from tests.conftest import LIVE_HEADLINES, LIVE_SUBJECTS, LiveApp, bare_agreement

pytestmark = [pytest.mark.browser, pytest.mark.slow]
USERS = 8
SUBJECTS = LIVE_SUBJECTS
HEADLINES = LIVE_HEADLINES  # stored (MiniLM) in the live server's store before it started


def sentences(user: int) -> list[str]:
    a, b = SUBJECTS[user], SUBJECTS[(user + 3) % USERS]
    return [f"A short note about {a}.", f"User {user} writes about {a}.", f"Something about {b} happened today.",
            f"Another remark on {b}."]


def all_answered(pages: list, answer, timeout: float = 900) -> list[str]:
    done: dict[int, str] = {}
    started = time.time()
    while len(done) < len(pages):
        for i, page in enumerate(pages):
            assert not page.locator('[data-testid="stException"]').count(), f"user {i} got an exception"
            if i not in done and (value := answer(page)) is not None:
                done[i] = value
        assert time.time() - started < timeout, f"{USERS - len(done)} users got no answer"
        time.sleep(0.1)
    return [done[i] for i in range(len(pages))]


def test_eight_users_at_once_get_what_each_would_get_alone(browser, live_server: LiveApp) -> None:
    from embedlab.backends import get_text_encoder

    url, collection = live_server.url, live_server.headlines
    pages = [new_page(browser) for _ in range(USERS)]
    try:
        for user, page in enumerate(pages):
            query = urllib.parse.urlencode({"sim_mode": "sentences", "sim_sentences": "\n".join(sentences(user)), "sim_compare": "true",
                                            "sim_text_model": "minilm", "sim_text_model_b": "use-multilingual"})
            page.goto(f"{url}/similarity?{query}", wait_until="commit")

        def agreement(page) -> str | None:
            box = page.locator('[data-testid="stMetric"]').filter(has_text="Agreement").first
            return box.locator('[data-testid="stMetricValue"]').inner_text() if box.count() else None

        for user, shown in enumerate(all_answered(pages, agreement)):
            rho, _ = bare_agreement(sentences(user))
            assert float(shown) == pytest.approx(rho, abs=2e-3), user

        queries = [f"news about {subject}" for subject in SUBJECTS]
        for page, query in zip(pages, queries, strict=True):
            page.goto(f"{url}/explore?explore_collection={collection}&explore_method=pca&explore_query={urllib.parse.quote(query)}",
                      wait_until="commit")

        def top_hit(page) -> str | None:
            if not page.get_by_text("Top 10 for").count():
                return None
            cell = page.locator(".st-key-explore_hits_box #glide-cell-1-0")
            return cell.text_content() if cell.count() else None

        vectors = get_text_encoder("minilm").encode(HEADLINES)
        for query, shown in zip(queries, all_answered(pages, top_hit), strict=True):
            expected = HEADLINES[int(np.argmax(vectors @ get_text_encoder("minilm").encode([query])[0]))]
            assert shown == expected, query
    finally:
        for page in pages:
            page.context.close()
