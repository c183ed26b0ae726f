"""The Compression page in Debian chromium: the guided demo ingests its tweets and evaluates every
scheme; a changed re-scoring factor and query word are kept on leaving the page and coming back,
a reload, browser back and forward, and a shared link opened in another browser."""

from __future__ import annotations

import re

import pytest

from tests.browser import keeps_the_view, metric, settled, typed, value

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WORD = "Query word (glove-6b-50d, raw vectors; blank: the demo word list's biggest disagreement)"


def check(p) -> str:
    settings = p.get_by_text(re.compile(r"recall@10 of \d+ seeded queries")).first
    settings.wait_for()
    return (f"{p.get_by_label('re-score the top F×10').input_value()}|{value(p, WORD)}|{metric(p, 'Query')}"
            f"|{metric(p, 'Words in both top-10 lists')}|{settings.inner_text()}")


def set_view(page) -> str:
    """Run the demo (ingests 400 tweets once), then re-score 10×10 and ask about "paris"."""
    page.get_by_role("button", name=re.compile("Guided demo")).click()
    page.get_by_text(re.compile(r"re-scoring the top 4×10")).wait_for(timeout=900_000)
    assert metric(page, "Query") == "good"
    factor = page.get_by_label("re-score the top F×10")
    factor.fill("10")
    factor.press("Enter")
    typed(page, WORD, "paris")
    page.get_by_text(re.compile(r"re-scoring the top 10×10")).wait_for(timeout=300_000)
    page.locator('[data-testid="stMetric"]').filter(has_text="Query").filter(has_text="paris").wait_for(timeout=120_000)
    seen = settled(page, check)
    assert seen.startswith("10|paris|paris|4 / 10|") and "re-scoring the top 10×10" in seen
    return seen


def test_compression_view_with_back_and_forward(live_app: str, browser, page) -> None:
    page.goto(f"{live_app}/compression")
    set_view(page)
    keeps_the_view(browser, page, "Compression", check)
