"""Small things a new user trips over on the pages (issue 22, defect 8): finished progress bars
left on screen, overlapping chart labels, captions one letter per line, "None" in a table cell,
heatmap rows numbered while their texts are not shown, long texts cut off."""

from __future__ import annotations

import numpy as np
from streamlit.testing.v1 import AppTest


def test_a_progress_bar_appears_when_work_reports_and_goes_when_it_is_done() -> None:
    at = AppTest.from_string('''
import streamlit as st
from embedlab.ui.feedback import progress_reporter

cached = progress_reporter("Encoding (served from the cache)")   # never reports: draws nothing
report = progress_reporter("Encoding 3 texts")
report(1, 3)
if st.session_state.get("finish"):
    report(3, 3)
st.write("results")
''').run()
    shown = [p.proto.text for p in at.get("progress")]
    assert len(shown) == 1 and shown[0].startswith("Encoding 3 texts: 1/3 · "), shown
    at.session_state["finish"] = True
    at.run()
    assert not at.get("progress")


def test_labels_of_close_points_do_not_cover_each_other() -> None:
    """The Analogies picture wrote "king" under "prince" (both labels above their points, the points 26 px
    apart on a plot of equal scales); Compression stacked its re-scored labels. Each label now takes a
    free place around its point."""
    from embedlab.ui.charts import label_positions

    words = ["man", "king", "woman", "queen", "throne", "prince"]  # GloVe 6B 50d's PCA picture of man:king::woman:?
    x = [0.59, -0.32, 0.63, -0.16, -0.45, -0.30]
    y = [0.13, 0.23, -0.16, -0.11, -0.36, 0.28]
    places = dict(zip(words, label_positions(x, y, words, equal_scale=True), strict=True))
    assert places["king"] != "top center" or places["prince"] != "top center", places

    schemes = ["float32", "float16", "int8", "binary", "float16+rescore", "int8+rescore", "binary+rescore"]
    bytes_ = [1536, 768, 384 + 6, 48, 768, 384 + 6, 48]
    recall = [1.0, 0.999, 0.97, 0.62, 1.0, 1.0, 0.98]
    chosen = label_positions(bytes_, recall, schemes, log_x=True)
    same_spot = [(a, b) for i, a in enumerate(schemes) for j, b in enumerate(schemes)
                 if i < j and bytes_[i] == bytes_[j] and abs(recall[i] - recall[j]) < 0.05 and chosen[i] == chosen[j]]
    assert not same_spot, list(zip(schemes, chosen, strict=True))


def test_a_few_long_heatmap_items_are_named_on_the_axes() -> None:
    """Home's heatmap numbered its three sentences 1–3 without showing them anywhere."""
    from embedlab.ui.charts import similarity_heatmap

    sentences = ["A man is playing a guitar on stage.", "Someone performs music with an instrument.", "The stock market fell sharply today."]
    figure = similarity_heatmap(sentences, np.eye(3), "three sentences")
    ticks = list(figure.data[0].y)
    assert ticks[0].startswith("1. A man is playing") and all(str(i + 1) + ". " in t for i, t in enumerate(ticks))


def test_long_result_texts_can_be_read_in_full() -> None:
    """A table cell cut long texts off with no way to read them: results now carry an expander with each
    text whole, numbered as the table (Explore's search hits and neighbours, Cross-lingual's passages)."""
    long = "a passage " * 40
    at = AppTest.from_string(f'''
from embedlab.ui.feedback import full_texts
full_texts(["short", {long!r}])
full_texts(["only short ones"])
''').run()
    assert len(at.expander) == 1 and at.expander[0].label == "Read the texts in full (2)"
    assert at.expander[0].markdown[1].value.replace("\\\\", "").endswith(long.strip())
