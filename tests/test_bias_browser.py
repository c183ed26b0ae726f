"""End to end: the Bias probes page in a real `streamlit run app.py` and Debian chromium."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_all_ten_weat_tests_then_the_guided_demo_in_a_real_browser(live_app: str, page) -> None:
    page.goto(f"{live_app}/bias")
    summary = page.get_by_text(re.compile(r"10 of 10 computable tests have the paper's sign"))
    summary.first.wait_for()
    assert "glove-6b-50d" in summary.first.inner_text()
    assert page.get_by_text(re.compile(r"8 of 8 computable tests have the paper's sign \(2 of 10 not computable\)")).count() == 1
    page.locator('[data-testid="stDataFrame"]').first.wait_for()
    page.locator(".js-plotly-plot").first.wait_for()

    page.get_by_role("button", name=re.compile("Guided demo")).click()
    page.get_by_text("Step 2 — test 6 on glove-6b-50d").wait_for()
    d_metrics = page.locator('[data-testid="stMetric"]').filter(has_text="effect size d")
    assert d_metrics.count() == 2
    values = [float(d_metrics.nth(i).locator('[data-testid="stMetricValue"]').inner_text()) for i in range(2)]
    assert all(value > 0.5 for value in values)
    assert "bias_test=1" in page.url
    assert not page.locator('[data-testid="stException"]').count()
