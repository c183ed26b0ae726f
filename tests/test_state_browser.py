"""Every page keeps the view the user left, in Debian chromium: set inputs, see results, then
leave the page by the sidebar and come back, reload, go back and forward, and open the page's
link in a new browser (a shared link). Each time the inputs and the results must be the same."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import map_shown

pytestmark = [pytest.mark.browser, pytest.mark.slow]

Check = Callable[[object], str]


def sidebar(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()


def settled(page, check: Check, quiet: float = 2.0, timeout: float = 180.0) -> str:
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


def choose(page, box, option: str, typed: str = "") -> None:
    """Open the select ``box`` and click ``option``. A rerun that lands while the list opens
    closes it again, so the click is retried until the option is there (a user clicks twice)."""
    for _ in range(6):
        box.click()
        if typed:
            page.keyboard.type(typed)
        item = page.get_by_role("option", name=option)
        try:
            item.wait_for(timeout=10_000)
        except Exception:
            page.keyboard.press("Escape")
            continue
        item.click()
        return
    raise AssertionError(f"the option {option!r} never showed")


def keeps_the_view(browser, page, title: str, check: Check) -> None:
    """``check(page)`` waits for the view and returns what it shows; every way back must show the same."""
    original = check
    check = lambda p: settled(p, original)
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


def field(page, label: str):
    """A text input or text area by its label (not the help button that shares the label)."""
    return page.get_by_role("textbox", name=label, exact=True)


def value(page, label: str) -> str:
    return field(page, label).input_value()


def typed(page, label: str, text: str) -> None:
    field = page.get_by_role("textbox", name=label, exact=True)
    field.fill(text)
    field.press("Control+Enter" if field.evaluate("e => e.tagName") == "TEXTAREA" else "Enter")


def slide(page, label: str, target: int) -> None:
    """Move a slider to ``target`` with the keyboard, as a user can."""
    thumb = page.locator('[data-testid="stSlider"]').filter(has_text=label).first.get_by_role("slider")
    thumb.focus()
    thumb.press("Home")
    for _ in range(200):
        if float(thumb.input_value()) >= target:
            break
        thumb.press("ArrowRight")
    assert float(thumb.input_value()) == target


def slider_value(page, label: str) -> str:
    return page.locator('[data-testid="stSlider"]').filter(has_text=label).first.get_by_role("slider").input_value()


def metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    box.wait_for()
    return box.locator('[data-testid="stMetricValue"]').inner_text()


def test_similarity_keeps_sentences_models_and_scores(live_app: str, browser, page) -> None:
    page.goto(f"{live_app}/similarity")
    label = "Sentences (one per line, up to 200)"
    typed(page, label, "A cat sat on the mat\nA kitten lay on the rug\nInterest rates rose again")

    def check(p) -> str:
        best = metric(p, "Most similar pair")
        return f"{value(p, label)}|{best}"

    keeps_the_view(browser, page, "Similarity", check)


def test_analogies_keep_words_k_and_the_switch(live_app: str, browser, page) -> None:
    page.goto(f"{live_app}/analogies")
    for label, word in (("a", "man"), ("b", "king"), ("c", "woman")):
        typed(page, label, word)
    slide(page, "Answers (k)", 3)
    page.get_by_text("Exclude the inputs from the answers").click()  # off: the unrestricted ranking

    def check(p) -> str:
        heading = p.locator("h3", has_text="woman :").first
        heading.wait_for()
        answers = p.locator('[data-testid="stDataFrame"]').first
        answers.wait_for()
        switch = p.get_by_role("switch", name="Exclude the inputs from the answers").is_checked()
        rows = answers.locator('[role="row"]').count()
        return f"{value(p, 'a')}|{value(p, 'b')}|{value(p, 'c')}|{slider_value(p, 'Answers (k)')}|{switch}|{heading.inner_text()}|{rows}"

    assert settled(page, check).startswith("man|king|woman|3|False|")
    keeps_the_view(browser, page, "Analogies", check)


def test_evaluate_keeps_the_benchmark_settings_and_the_run(live_app: str, browser, page) -> None:
    page.goto(f"{live_app}/evaluate")
    field = page.get_by_label("Restrict vocab (first N words)")
    field.fill("5000")
    field.press("Enter")
    page.get_by_test_id("stRadioGroup").get_by_text("3cosmul").click()
    page.get_by_role("button", name="Run the analogy benchmark").click()

    def check(p) -> str:
        accuracy = metric(p, "Accuracy")
        method = p.get_by_role("radio", name="3cosmul").is_checked()
        return f"{p.get_by_label('Restrict vocab (first N words)').input_value()}|{method}|{accuracy}"

    assert settled(page, check).startswith("5000|True|")
    keeps_the_view(browser, page, "Evaluate", check)


def test_train_keeps_the_settings_and_its_result(live_app: str, browser, page) -> None:
    """The trained model is saved: a shared link shows its result in another browser too."""
    page.goto(f"{live_app}/train")
    slide(page, "Epochs", 3)
    page.get_by_role("button", name="Train", exact=True).click()

    def check(p) -> str:
        done = p.get_by_text(re_compile(r"Trained trained:word2vec-[0-9a-f]{8}")).first
        done.wait_for()
        return f"{slider_value(p, 'Epochs')}|{done.inner_text()}"

    assert settled(page, check).startswith("3|")
    keeps_the_view(browser, page, "Train", check)


def test_bias_keeps_custom_word_sets(live_app: str, browser, page) -> None:
    page.goto(f"{live_app}/bias")
    choose(page, page.get_by_test_id("stSelectbox").filter(has_text="Test").first, "custom sets…")
    # the list is long and scrolled to the current set: search it
    choose(page, page.get_by_test_id("stSelectbox").filter(has_text="Target X").first, "(typed below)", typed="typed below")
    typed(page, "Target X words (if typed)", "rose, tulip, daisy, lily")

    def check(p) -> str:
        d = metric(p, "effect size d")
        words = value(p, "Target X words (if typed)")
        return f"{words}|{d}|{metric(p, 'words used X/Y/A/B')}"

    assert settled(page, check).startswith("rose, tulip, daisy, lily|")
    keeps_the_view(browser, page, "Bias probes", check)


def test_explore_keeps_the_map_settings_of_the_collection(live_app: str, browser, page) -> None:
    """The page once dropped every number to its minimum after a visit elsewhere, and saved that map."""
    from tests.test_explore_browser import GOOD, open_upload_tab

    page.goto(f"{live_app}/explore")
    open_upload_tab(page)
    page.locator("input[type=file]").set_input_files({"name": "state-headlines.csv", "mimeType": "text/csv", "buffer": GOOD})
    page.locator("button:visible", has_text="Encode and store").click()
    page.get_by_text("Stored 12 rows from 12 documents").wait_for()
    choose(page, page.get_by_test_id("stSelectbox").filter(has_text="Projection").first, "pca")
    k = page.get_by_label("k (k-means)")
    k.fill("3")
    k.press("Tab")
    page.get_by_role("button", name="Draw the map").click()

    def check(p) -> str:
        status = map_shown(p, "12 points · state-headlines ·")
        return (f"{status}|{p.get_by_test_id('stSelectbox').filter(has_text='Projection').first.inner_text()}"
                f"|{p.get_by_label('k (k-means)').input_value()}|{p.get_by_label('UMAP n_neighbors').input_value()}"
                f"|{metric(p, 'Clusters')}")

    assert settled(page, check).endswith("|3|15|3")
    keeps_the_view(browser, page, "Explore maps", check)


def test_home_keeps_its_demo(live_app: str, browser, page) -> None:
    page.goto(live_app)
    page.get_by_role("button", name="Guided demo").click()

    def check(p) -> str:
        heading = p.get_by_text("GloVe: king − man + woman ≈").first
        heading.wait_for()
        return heading.inner_text()

    assert "queen" in settled(page, check)
    seen = settled(page, check)
    shared = page.url
    sidebar(page, "Similarity")
    page.get_by_text("What to compare").wait_for()
    sidebar(page, "Home")
    assert settled(page, check) == seen
    other = browser.new_context()
    try:
        fresh = other.new_page()
        fresh.set_default_timeout(180_000)
        fresh.goto(shared)
        assert settled(fresh, check) == seen
    finally:
        other.close()


def re_compile(pattern: str):
    import re

    return re.compile(pattern)


def test_bias_sections_keep_their_inputs_when_switching_between_them(live_app: str, page) -> None:
    """A section's widgets are not drawn while another section shows: their values must survive."""
    page.goto(f"{live_app}/bias")
    page.get_by_role("radio", name="Direction").click()
    typed(page, "Words to place (empty = the 320 professions of Bolukbasi et al.)", "nurse, engineer, teacher")
    metric(page, "words placed")
    page.get_by_role("radio", name="WEAT").click()
    page.get_by_text("Per-word view of test").wait_for()
    page.get_by_role("radio", name="Direction").click()
    assert settled(page, lambda p: value(p, "Words to place (empty = the 320 professions of Bolukbasi et al.)")) == \
        "nurse, engineer, teacher"
    assert settled(page, lambda p: metric(p, "words placed")) == "3"


def test_a_long_input_keeps_the_link_short_and_the_page_reloadable(live_app: str, browser, page) -> None:
    """190 sentences of ~180 characters once put a 159 KB address in the URL: the reload got HTTP 400."""
    sentences = "\n".join(f"Sentence {i}: " + " ".join(["a fairly long clause about markets, weather and sport"] * 3)
                          for i in range(190))
    page.goto(f"{live_app}/similarity")
    box = page.get_by_role("textbox", name="Sentences (one per line, up to 200)", exact=True)
    box.fill(sentences)
    box.press("Control+Enter")
    metric(page, "Most similar pair")
    page.wait_for_timeout(1500)
    assert len(page.url) < 2_000 and "sim_sentences=~" in page.url  # the text is kept on the server under its hash
    page.get_by_text("Long inputs are kept on this server").wait_for()
    response = page.reload()
    assert response is not None and response.status == 200
    assert settled(page, lambda p: value(p, "Sentences (one per line, up to 200)")) == sentences
    other = browser.new_context()
    try:
        fresh = other.new_page()
        fresh.set_default_timeout(180_000)
        fresh.goto(page.url)
        assert settled(fresh, lambda p: value(p, "Sentences (one per line, up to 200)")) == sentences
    finally:
        other.close()
