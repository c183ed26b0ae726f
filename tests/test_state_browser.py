"""Every page keeps the view the user left, in Debian chromium: set inputs, see results, then
leave the page by the sidebar and come back, reload, go back and forward, and open the page's
link in a new browser (a shared link). Each time the inputs and the results must be the same."""

from __future__ import annotations

from collections.abc import Callable

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

Check = Callable[[object], str]


def sidebar(page, title: str) -> None:  # noqa: ANN001
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()


def settled(page, check: Check, quiet: float = 2.0, timeout: float = 180.0) -> str:  # noqa: ANN001
    """What ``check`` reads once the page has stopped changing for ``quiet`` seconds (Streamlit
    may rerun a page once more after it first draws)."""
    import time

    started = time.time()
    last, since = check(page), time.time()
    while time.time() - since < quiet:
        assert time.time() - started < timeout, "the page never settled"
        page.wait_for_timeout(300)
        now = check(page)
        if now != last:
            last, since = now, time.time()
    return last


def keeps_the_view(browser, page, title: str, check: Check) -> None:  # noqa: ANN001
    """``check(page)`` waits for the view and returns what it shows; every way back must show the same."""
    original = check
    check = lambda p: settled(p, original)  # noqa: E731
    seen = check(page)
    shared = page.url
    assert "?" in shared, "the view is not in the URL"
    sidebar(page, "Home")
    page.get_by_text("Models on this machine").wait_for()
    sidebar(page, title)
    assert check(page) == seen, "leaving the page and coming back changed the view"
    page.reload()
    assert check(page) == seen, "a reload changed the view"
    sidebar(page, "Home")
    page.get_by_text("Models on this machine").wait_for()
    page.go_back()
    assert check(page) == seen, "browser back changed the view"
    page.go_forward()
    page.get_by_text("Models on this machine").wait_for()
    page.go_back()
    assert check(page) == seen, "back after forward changed the view"
    other = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        fresh = other.new_page()
        fresh.set_default_timeout(180_000)
        fresh.goto(shared)
        assert check(fresh) == seen, "the shared link shows another view"
    finally:
        other.close()
    assert not page.locator('[data-testid="stException"]').count()


def value(page, label: str) -> str:  # noqa: ANN001
    return page.get_by_label(label, exact=True).input_value()


def typed(page, label: str, text: str) -> None:  # noqa: ANN001
    field = page.get_by_label(label, exact=True)
    field.fill(text)
    field.press("Control+Enter" if field.evaluate("e => e.tagName") == "TEXTAREA" else "Enter")


def slide(page, label: str, target: int) -> None:  # noqa: ANN001
    """Move a slider to ``target`` with the keyboard, as a user can."""
    thumb = page.locator('[data-testid="stSlider"]').filter(has_text=label).get_by_role("slider")
    thumb.focus()
    thumb.press("Home")
    for _ in range(100):
        if int(thumb.get_attribute("aria-valuenow") or 0) >= target:
            break
        thumb.press("ArrowRight")


def slider_value(page, label: str) -> str:  # noqa: ANN001
    return page.locator('[data-testid="stSlider"]').filter(has_text=label).get_by_role("slider").get_attribute("aria-valuenow") or ""


def metric(page, label: str) -> str:  # noqa: ANN001
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    box.wait_for()
    return box.locator('[data-testid="stMetricValue"]').inner_text()


def test_similarity_keeps_sentences_models_and_scores(live_app: str, browser, page) -> None:  # noqa: ANN001
    page.goto(f"{live_app}/similarity")
    label = "Sentences (one per line, up to 200)"
    typed(page, label, "A cat sat on the mat\nA kitten lay on the rug\nInterest rates rose again")

    def check(p) -> str:  # noqa: ANN001
        best = metric(p, "Most similar pair")
        return f"{value(p, label)}|{best}"

    keeps_the_view(browser, page, "Similarity", check)


def test_analogies_keep_words_k_and_the_switch(live_app: str, browser, page) -> None:  # noqa: ANN001
    page.goto(f"{live_app}/analogies")
    for label, word in (("a", "man"), ("b", "king"), ("c", "woman")):
        typed(page, label, word)
    slide(page, "Answers (k)", 3)
    page.get_by_text("Exclude the inputs from the answers").click()  # off: the unrestricted ranking

    def check(p) -> str:  # noqa: ANN001
        heading = p.locator("h3", has_text="woman :").first
        heading.wait_for()
        answers = p.locator('[data-testid="stDataFrame"]').first
        answers.wait_for()
        switch = p.get_by_role("switch", name="Exclude the inputs from the answers").is_checked()
        rows = answers.locator('[role="row"]').count()
        return f"{value(p, 'a')}|{value(p, 'b')}|{value(p, 'c')}|{slider_value(p, 'Answers (k)')}|{switch}|{heading.inner_text()}|{rows}"

    assert "False" in check(page)
    keeps_the_view(browser, page, "Analogies", check)
