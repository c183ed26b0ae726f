"""End to end: a real `streamlit run app.py`, Debian chromium, the Similarity guided demo."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_similarity_demo_in_a_real_browser(live_app: str, page) -> None:  # noqa: ANN001
    page.goto(f"{live_app}/similarity")
    page.get_by_role("button", name=re.compile("Guided demo")).click()
    agreement = page.locator('[data-testid="stMetric"]').filter(has_text="Agreement")
    agreement.wait_for()
    value = float(agreement.locator('[data-testid="stMetricValue"]').inner_text())
    assert -1.0 <= value <= 1.0
    best = page.locator('[data-testid="stMetric"]').filter(has_text="Most similar pair").first
    assert 0.3 < float(best.locator('[data-testid="stMetricValue"]').inner_text()) <= 1.0
    # The view is in the URL: reopening it restores the inputs without pressing the demo.
    shared = page.url
    assert "sim_compare=true" in shared and "feline" in shared
    page.goto(shared)
    page.locator('[data-testid="stMetric"]').filter(has_text="Agreement").wait_for()
    assert page.get_by_text("A feline rested on the rug").count() >= 1
    assert not page.locator('[data-testid="stException"]').count()


def test_home_lists_models_in_a_real_browser(live_app: str, page) -> None:  # noqa: ANN001
    page.goto(live_app)
    page.get_by_text("Models on this machine").wait_for()
    page.get_by_text("Device in use for torch models").wait_for()
    table = page.locator('[data-testid="stDataFrame"]')
    table.wait_for()
    assert table.count() == 1
