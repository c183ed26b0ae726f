"""The Compare page in Debian chromium: the guided demo encodes its tweets with two models and
compares them; a box drawn on model A's map outlines the same rows on model B's map; the figures
and the selection survive leaving the page, a reload and the link opened in a new browser; the
demo's second half (the tweets split by date) shows the drift and the Ebola cluster."""

from __future__ import annotations

import re

import pytest

from tests.browser import metric, other_browser, settled, sidebar

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIGURES = ("Rows compared", "Mean overlap@10", "Median overlap@10", "Linear CKA", "Spearman ρ", "ARI of the clusters")


def check(p) -> str:
    """The figures and what both maps say they show (points, selection, model)."""
    figures = "|".join(metric(p, label) for label in FIGURES)
    statuses = p.locator(".pm-status").all_inner_texts()  # inside the maps' shadow roots: locators pierce them
    return f"{figures}|{' / '.join(statuses)}"


def two_maps(page, first: str, second: str, timeout: float = 300.0) -> None:
    """Wait until the page shows exactly the two maps, A's status holding ``first`` and B's ``second``."""
    import time

    started = time.time()
    while True:
        lines = page.locator(".pm-status").all_inner_texts()
        if len(lines) == 2 and first in lines[0] and second in lines[1]:
            return
        assert time.time() - started < timeout, f"the two maps never showed: {lines}"
        page.wait_for_timeout(300)


def select_on_map_a(page) -> int:
    """Box-select the middle of model A's map; returns how many rows the page says are selected."""
    page.get_by_role("button", name="Box select").first.click()
    canvas = page.locator("canvas.pm-canvas").first
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 0.25 * box["width"], box["y"] + 0.25 * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.5 * box["height"], steps=5)
    page.mouse.move(box["x"] + 0.75 * box["width"], box["y"] + 0.75 * box["height"], steps=5)
    page.mouse.up()
    line = page.get_by_text(re.compile(r"selected \(outlined on both maps\)")).first
    line.wait_for(timeout=120_000)
    return int(re.search(r"([\d,]+) selected", line.inner_text()).group(1).replace(",", ""))


def test_compare_demo_linked_maps_and_its_view(live_app: str, browser, page) -> None:
    page.goto(f"{live_app}/compare")
    page.get_by_role("button", name=re.compile("Guided demo")).click()
    page.locator('[data-testid="stMetric"]').filter(has_text="Mean overlap@10").wait_for(timeout=900_000)
    two_maps(page, "300 points · minilm", "300 points · use-multilingual")
    assert metric(page, "Rows compared") == "300"

    chosen = select_on_map_a(page)
    assert 0 < chosen < 300
    statuses = settled(page, lambda p: " / ".join(p.locator(".pm-status").all_inner_texts()))
    assert statuses.count(f"300 points · {chosen} selected") == 2, statuses  # outlined on A's map and on B's
    page.wait_for_function("() => location.search.includes('vs_selected=')")
    seen = settled(page, check)
    shared = page.url

    sidebar(page, "Home")
    page.get_by_text("Models on this machine").wait_for()
    sidebar(page, "Compare")
    assert settled(page, check) == seen, "leaving the page and coming back changed the view"
    page.reload()
    assert settled(page, check) == seen, "a reload changed the view"
    with other_browser(browser) as fresh:
        fresh.goto(shared)
        assert settled(fresh, check) == seen, "the shared link shows another view"
        assert not fresh.locator('[data-testid="stAlertContentWarning"]').count(), "the link carried something this server lacks"

    # the demo's other half: the same MiniLM tweets split by date (the demo set the column and the point)
    page.get_by_text("Two corpora or two periods, one model").click()
    page.locator('[data-testid="stMetric"]').filter(has_text="Domain classifier AUC").wait_for(timeout=300_000)
    assert metric(page, "Rows A / B") == "159 / 141"
    page.locator('[data-testid="stDataFrame"]').filter(has_text="ebola").first.wait_for()
    page.wait_for_function("() => location.search.includes('vs_mode=drift')")
    assert not page.locator('[data-testid="stException"]').count()
