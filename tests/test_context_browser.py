"""The Contextual vs static and Cross-lingual search pages keep their view in Debian chromium:
set inputs, see results, leave and come back, reload, back/forward, and a shared link."""

from __future__ import annotations

import re

import pytest

from tests.browser import (
    field,
    keeps_the_view,
    metric,
    settled,
    slide,
    slider_value,
    typed,
    value,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAIRS_LABEL = "Pairs of texts (one pair per line, the two texts separated by |)"
TRANSLATIONS_LABEL = "Pairs, one per line: source ⇥ target (a tab or | also separates)"


def test_contextual_keeps_neighbours_pairs_and_the_senses(live_app: str, browser, page) -> None:
    page.goto(f"{live_app}/contextual")
    slide(page, "Static neighbours", 5)
    typed(page, PAIRS_LABEL, "dog bites man | man bites dog")

    def check(p) -> str:
        within = metric(p, "Mean cosine within a sense")
        across = metric(p, "Mean cosine across senses")
        return f"{value(p, 'Word')}|{slider_value(p, 'Static neighbours')}|{value(p, PAIRS_LABEL)}|{within}|{across}"

    seen = settled(page, check)
    assert seen.startswith("bank|5|dog bites man | man bites dog|"), seen
    within, across = (float(x) for x in seen.split("|")[-2:])
    assert within > across
    keeps_the_view(browser, page, "Contextual vs static", check)


def number(page, label: str, target: int) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(str(target))
    box.press("Enter")


def test_crosslingual_keeps_the_query_corpus_and_pairs(live_app: str, browser, page) -> None:
    page.goto(f"{live_app}/crosslingual")
    number(page, "Speeches per language", 10)
    number(page, "Words per passage", 20)
    typed(page, TRANSLATIONS_LABEL, "The cat sleeps. ⇥ Die Katze schläft.\nI like tea. ⇥ Me gusta el té.\nIt is raining. ⇥ Het regent.")
    typed(page, "Query (any language)", "Bildung und Schulen")

    def check(p) -> str:
        caption = p.get_by_text(re.compile(r"passages; query language")).first
        caption.wait_for()
        verdict = p.get_by_text(re.compile(r": \d+ misses$|every text found its translation first"))
        verdict.first.wait_for()
        verdicts = verdict.all_inner_texts()
        return "|".join([value(p, "Query (any language)"), field(p, TRANSLATIONS_LABEL).input_value(),
                         p.get_by_label("Speeches per language", exact=True).input_value(), caption.inner_text(), *sorted(verdicts)])

    seen = settled(page, check)
    assert seen.startswith("Bildung und Schulen|The cat sleeps."), seen
    assert "|10|40 passages; query language (guessed): German|" in seen, seen
    assert len(seen.split("|")) == 6, seen  # query, pairs, count, caption and one verdict per model
    keeps_the_view(browser, page, "Cross-lingual search", check)
