"""Similarity: how alike are these words or sentences, to one model or two?"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go  # noqa: F401  (imported up front; see DESIGN "Testing")
import streamlit as st

from embedlab.analysis.language import other_languages
from embedlab.analysis.similarity import (
    agreement,
    parse_sentences,
    parse_words,
    ranked_pairs,
    similarity,
    word_neighbors,
)
from embedlab.backends import BackendKind, backend_kind, backend_names, catalogue
from embedlab.config import LIMITS
from embedlab.demos import SIMILARITY_SENTENCES, SIMILARITY_WORDS
from embedlab.ui import url_state
from embedlab.ui.charts import numbered, similarity_heatmap
from embedlab.ui.feedback import plain, user_errors
from embedlab.ui.frame import page_frame
from embedlab.wordrules import WORD_RULE

DEMO_SENTENCES, DEMO_WORDS = SIMILARITY_SENTENCES, SIMILARITY_WORDS
EXPLANATION = """
**What to notice**

- *Sentences*: the two top pairs are the two paraphrase pairs. "The cat sat on the mat" and
  "A feline rested on the rug" share no content word, yet score far above "Dogs are great
  pets": the model compares meaning, not spelling. The two Python sentences pair up too, while
  "Python is a programming language" is far from the cat.
- *Words*: king–queen and man–woman are close; so are cat–dog and car–bicycle. "apple" sits
  apart from all of them. Nearest neighbours show what a model thinks a word is *used like*:
  GloVe's neighbours of *king* include *prince* and *emperor*.
- *Two models*: switch on the comparison. Spearman ρ near 1 means the two models rank the pairs
  the same way even when their raw scores differ (cosine scales are not comparable across
  models; rankings are).
- Cosine similarity is not a probability, and a high score means "used in similar contexts",
  which is not always "means the same" (antonyms such as hot/cold are often close).
"""

word_capable = backend_names(BackendKind.WORDS) + backend_names(BackendKind.TEXT)
text_models = backend_names(BackendKind.TEXT)
word_models = backend_names(BackendKind.WORDS)

def demo() -> dict[str, str | bool]:
    """Both inputs filled with the worked example, the comparison on."""
    return {"sim_sentences": "\n".join(DEMO_SENTENCES), "sim_words": ", ".join(DEMO_WORDS), "sim_compare": True}


frame = page_frame(
    "similarity",
    defaults={
        "sim_mode": "sentences",
        "sim_words": "",
        "sim_sentences": "",
        "sim_word_model": word_models[0] if word_models else "",
        "sim_word_model_b": word_models[1] if len(word_models) > 1 else (text_models[0] if text_models else ""),
        "sim_text_model": text_models[0] if text_models else "",
        "sim_text_model_b": text_models[1] if len(text_models) > 1 else (text_models[0] if text_models else ""),
        "sim_compare": False,
        "sim_k": 8,
    },
    choices={
        "sim_mode": ["sentences", "words"],
        "sim_word_model": word_capable,
        "sim_word_model_b": word_capable,
        "sim_text_model": text_models,
        "sim_text_model_b": text_models,
    },
    caption="Cosine similarity between words or sentences: 1 means the same direction, 0 unrelated.",
    explanation=EXPLANATION,
    demo=demo,
    demo_help="Load worked examples and explain them",
)

mode = st.segmented_control("What to compare", ["sentences", "words"], key="sim_mode", required=True)
words_mode = mode == "words"
left, right = st.columns([3, 2])
with left:
    if words_mode:
        st.text_area(
            f"Words (up to {LIMITS.max_words}, separated by commas, spaces or new lines)",
            key="sim_words",
            height=120,
            placeholder="king, queen, man, woman",
            help=WORD_RULE,
        )
    else:
        st.text_area(
            f"Sentences (one per line, up to {LIMITS.max_sentences})",
            key="sim_sentences",
            height=180,
            placeholder="The cat sat on the mat\nA feline rested on the rug",
        )
with right:
    model_key, model_b_key = ("sim_word_model", "sim_word_model_b") if words_mode else ("sim_text_model", "sim_text_model_b")
    choices = word_capable if words_mode else text_models
    model = st.selectbox("Model", choices, key=model_key)
    compare = st.toggle("Compare with a second model", key="sim_compare")
    model_b = st.selectbox("Second model", choices, key=model_b_key, disabled=not compare)
    if words_mode:
        k = url_state.slider(st, "Nearest neighbours per word", 1, 20, key="sim_k")

frame.publish()

raw = st.session_state["sim_words"] if words_mode else st.session_state["sim_sentences"]
if not raw.strip():
    st.info("Type some " + ("words" if words_mode else "sentences") + " above, or press **Guided demo**.")
    st.stop()

with user_errors():
    items = parse_words(raw) if words_mode else parse_sentences(raw)
    models = [model] + ([model_b] if compare else [])
    if not words_mode:
        foreign = other_languages(items)
        english_only = [name for name in models if "english-only" in catalogue().tags(name)]
        if foreign and english_only:
            found = ", ".join(f"{count} in {language}" for language, count in foreign.most_common())
            st.warning(plain(f"{' and '.join(english_only)} read English only, and some sentences look like another language"
                             f" ({found}). Its similarities there are unreliable: compare with use-multilingual."))
    results = [similarity(name, items) for name in models]

    columns = st.columns(len(results))
    for column, result in zip(columns, results, strict=True):
        with column:
            st.subheader(result.model)
            if result.unknown:
                st.warning(plain(f"Not in {result.model}'s vocabulary (left out): " + ", ".join(result.unknown)))
            if not result.labels:
                st.error("None of the inputs are known to this model.")
                continue
            st.plotly_chart(similarity_heatmap(result.labels, result.matrix, f"cosine similarity · {result.model}"), key=f"heat_{result.model}")
            most, least = ranked_pairs(result, n=5)
            if most:
                st.metric("Most similar pair", f"{most[0].score:.3f}", help=plain(f"{most[0].first} ↔ {most[0].second}"))
                pairs = pd.DataFrame(
                    [{"rank": "most", "cosine": round(p.score, 4), "first": p.first, "second": p.second} for p in most]
                    + [{"rank": "least", "cosine": round(p.score, 4), "first": p.first, "second": p.second} for p in least]
                )
                st.dataframe(pairs, hide_index=True, key=f"pairs_{result.model}", width="stretch",
                             column_config={"rank": st.column_config.TextColumn(width="small"),
                                            "cosine": st.column_config.NumberColumn(width="small", format="%.4f")})
            if words_mode:
                if backend_kind(result.model) == BackendKind.WORDS:
                    table = pd.DataFrame(
                        [
                            {"word": word, "nearest neighbours": ", ".join(f"{n} ({s:.2f})" for n, s in word_neighbors(result.model, word, k).neighbors)}
                            for word in result.labels
                        ]
                    )
                    st.dataframe(table, hide_index=True, key=f"nn_{result.model}")
                else:
                    st.caption(f"{result.model} is a text model: it embeds any word but has no vocabulary to list neighbours from.")

    if numbered(results[0].labels):
        st.caption("Items on the heatmaps' axes (hover a cell to read both):")
        st.dataframe(pd.DataFrame({"item": range(1, len(results[0].labels) + 1), "text": results[0].labels}), hide_index=True,
                     key="sim_items")

    if compare:
        verdict = agreement(results[0], results[1])
        if verdict.spearman is None:
            st.info(plain(f"Agreement between {verdict.model_a} and {verdict.model_b} not computed: {verdict.reason}."))
        else:
            st.metric(
                f"Agreement: Spearman ρ of pairwise similarities ({verdict.model_a} vs {verdict.model_b})",
                f"{verdict.spearman:.3f}",
                help=f"over {verdict.pairs} pairs of {len(verdict.labels)} items both models know",
            )
