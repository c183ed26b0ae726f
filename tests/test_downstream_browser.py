"""The Downstream page in Debian chromium: a comparison on a news sample, a representation
chosen for the confusion matrix, and the view kept on leaving, reload, back/forward and a shared link."""

from __future__ import annotations

import pytest

from tests.browser import choose, keeps_the_view

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_downstream_keeps_the_comparison_and_the_confusion_choice(live_app: str, browser, page) -> None:
    page.goto(f"{live_app}/downstream?ds_source=news&ds_max_rows=300&ds_models=glove-6b-50d,tfidf&ds_folds=3&ds_run=true")
    page.get_by_text("a stratified sample of 300 of 3,823 rows").wait_for(timeout=240_000)
    page.get_by_text("a ranking needs at least 3").wait_for(timeout=240_000)  # the last thing the page draws
    choose(page, page.get_by_test_id("stSelectbox").filter(has_text="Representation").first, "tfidf")
    page.locator(".gtitle", has_text="tfidf: true (rows)").wait_for(timeout=60_000)
    page.screenshot(path="/tmp/downstream-browser.png", full_page=True)

    def check(p) -> str:
        p.locator(".gtitle", has_text="true (rows)").first.wait_for(timeout=180_000)
        chosen = p.get_by_test_id("stSelectbox").filter(has_text="Representation").first.inner_text()
        title = p.locator(".gtitle", has_text="true (rows)").first.text_content() or ""
        sample = p.get_by_text("a stratified sample of").first.inner_text()
        return f"{chosen}|{title}|{sample}"

    keeps_the_view(browser, page, "Downstream", check)
