"""Every page keeps the view the user left, in Debian chromium: set inputs, see results, then
leave the page by the sidebar and come back, reload, go back and forward, and open the page's
link in a new browser (a shared link). Each time the inputs and the results must be the same."""

from __future__ import annotations

import pytest

from tests.browser import (
    choose,
    keeps_the_view,
    metric,
    other_browser,
    settled,
    sidebar,
    slide,
    slider_value,
    typed,
    value,
)
from tests.conftest import map_shown

pytestmark = [pytest.mark.browser, pytest.mark.slow]


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
    with other_browser(browser) as fresh:
        fresh.goto(shared)
        assert settled(fresh, check) == seen


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
    page.wait_for_function("() => location.search.includes('sim_sentences=~')")  # the text is kept on the server under its hash
    assert len(page.url) < 2_000
    page.get_by_text("Long inputs are kept on this server").wait_for()
    response = page.reload()
    assert response is not None and response.status == 200
    assert settled(page, lambda p: value(p, "Sentences (one per line, up to 200)")) == sentences
    with other_browser(browser) as fresh:
        fresh.goto(page.url)
        assert settled(fresh, lambda p: value(p, "Sentences (one per line, up to 200)")) == sentences
