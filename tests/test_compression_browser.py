"""The Compression page in Debian chromium: the guided demo ingests its tweets and
evaluates every scheme; a changed re-scoring factor and query word survive leaving the page,
reload, back/forward and a shared link."""

from __future__ import annotations

import re

import pytest

from tests.test_state_browser import keeps_the_view, metric, settled, typed, value

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_compression_demo_and_its_view(live_app: str, browser, page) -> None:  # noqa: ANN001
    page.goto(f"{live_app}/compression")
    page.get_by_role("button", name=re.compile("Guided demo")).click()
    page.get_by_text(re.compile(r"re-scoring the top 4×10")).wait_for(timeout=900_000)  # the demo ingests, then evaluates
    assert metric(page, "Query") == "good"
    factor = page.get_by_label("re-score the top F×10")
    factor.fill("10")
    factor.press("Enter")
    typed(page, "Query word (glove-6b-50d, raw vectors; blank: the demo word list's biggest disagreement)", "paris")

    def check(p) -> str:  # noqa: ANN001
        settings = p.get_by_text(re.compile(r"recall@10 of \d+ seeded queries")).first
        settings.wait_for()
        word = value(p, "Query word (glove-6b-50d, raw vectors; blank: the demo word list's biggest disagreement)")
        return (f"{p.get_by_label('re-score the top F×10').input_value()}|{word}|{metric(p, 'Query')}"
                f"|{metric(p, 'Words in both top-10 lists')}|{settings.inner_text()}")

    page.get_by_text(re.compile(r"re-scoring the top 10×10")).wait_for(timeout=300_000)
    page.locator('[data-testid="stMetric"]').filter(has_text="Query").filter(has_text="paris").wait_for(timeout=120_000)
    seen = settled(page, check, quiet=4.0)
    assert seen.startswith("10|paris|paris|4 / 10|") and "re-scoring the top 10×10" in seen
    keeps_the_view(browser, page, "Compression", check)
