"""One navigation, one history entry (issue 22): a page's state goes into the address in place,
so Back and Forward move between pages with one press each, and each page comes back with what
it showed (its guided demo's results, not only its inputs)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def heading(page, text: str) -> None:
    """Wait until the page's title is ``text`` (a page, not an address, is what a user sees)."""
    page.locator("h1", has_text=text).first.wait_for()


def similarity_results(page) -> None:
    page.locator('[data-testid="stMetric"]').filter(has_text="Agreement").wait_for()


def analogy_results(page) -> None:
    page.get_by_text("Guided demo: four analogies on").wait_for()
    page.get_by_text("The last one fails on purpose").wait_for()


def test_back_and_forward_take_one_press_per_page(live_app: str, page) -> None:
    page.goto(live_app)
    heading(page, "EmbedLab")
    nav = page.locator('[data-testid="stSidebarNav"]')
    start = page.evaluate("history.length")

    nav.get_by_role("link", name="Similarity", exact=True).click()
    heading(page, "Similarity")
    page.get_by_role("button", name="▶ Guided demo").click()
    similarity_results(page)
    page.wait_for_function("() => location.search.includes('sim_demo=true')")
    nav.get_by_role("link", name="Analogies", exact=True).click()
    heading(page, "Analogies")
    page.get_by_role("button", name="▶ Guided demo").click()
    analogy_results(page)
    page.wait_for_function("() => location.search.includes('an_demo=true')")
    nav.get_by_role("link", name="Home", exact=True).click()
    heading(page, "EmbedLab")
    assert page.evaluate("history.length") == start + 3  # three pages visited, two demos pressed: three entries

    page.go_back()
    heading(page, "Analogies")
    analogy_results(page)
    assert "an_demo=true" in page.url
    page.go_back()
    heading(page, "Similarity")
    similarity_results(page)
    assert "sim_demo=true" in page.url and "feline" in page.url
    page.go_back()
    heading(page, "EmbedLab")
    page.go_forward()
    heading(page, "Similarity")
    similarity_results(page)
    assert not page.locator('[data-testid="stException"]').count()


def test_a_shared_link_is_left_with_one_back(live_app: str, browser) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        fresh = context.new_page()
        fresh.set_default_timeout(120_000)
        fresh.goto(f"{live_app}/")
        heading(fresh, "EmbedLab")
        fresh.goto(f"{live_app}/analogies?an_a=man&an_b=king&an_c=woman&an_expected=queen&an_demo=true")
        analogy_results(fresh)
        fresh.go_back()
        heading(fresh, "EmbedLab")
    finally:
        context.close()
