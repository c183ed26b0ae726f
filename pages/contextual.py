"""Contextual vs static: one word in several sentences (a transformer's vectors against GloVe's
single vector), and word order (mean word vectors against a sentence model)."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from embedlab.analysis.contextual import (
    BANK_SENTENCES,
    DEFAULT_TEXT_MODEL,
    DEFAULT_WORD_MODEL,
    ORDER_PAIRS,
    contextual_word,
    parse_pairs_of_texts,
    static_word,
    word_order,
)
from embedlab.backends import BackendKind, backend_names
from embedlab.errors import EmbedlabError
from embedlab.ui import url_state
from embedlab.ui.charts import short_label, similarity_heatmap
from embedlab.ui.feedback import plain, user_errors
from embedlab.ui.frame import page_frame

EXPLANATION = """
**How a word gets a vector per sentence.** The sentence model (MiniLM) cuts each sentence into
word pieces and gives every piece a vector that depends on the whole sentence (the transformer's
last layer, before the sentence vector is pooled). The word's vector in a sentence is the mean of
its pieces' vectors (the table shows the pieces). The word is found case-insensitively as a whole
word; when it occurs twice in a sentence, its first occurrence is used.

**A static model has one vector per word.** GloVe's *bank* is the same in every sentence, so
every pair of sentences scores 1.0. That single vector is a frequency-weighted blend of the
word's senses, and its nearest neighbours show which sense dominates the training text: for
*bank* in GloVe 6B they are all about money (banks, securities, banking, lender...), with no
river in sight.

**What to notice in the guided demo** (*bank*, four money and four river sentences, tagged
`[money]` and `[river]`): the money uses are closer to each other than to the river uses — the
mean cosine within a sense is above the mean across senses — and the PCA map puts the two senses
on opposite sides of its first axis. The gap is real but not huge (MiniLM's vectors of one word
stay fairly alike), and a sentence that says little about its sense (*the bank closed my
account*) sits nearer the middle.

**Word order.** Mean word vectors are a bag of words: "dog bites man" and "man bites dog" have
the same words, so the same mean, cosine exactly 1.0. A sentence model reads the order and
scores them below 1 — yet still high: it sees that they share almost everything. Pairs whose
words differ ("she gave him" / "he gave her") are not exactly 1 under mean vectors either.
The mean is the Downstream page's (tokens are runs of letters and digits, looked up as written,
in lower case for a lower-case vocabulary); words the model does not know are listed beside the
pair and left out of the mean, never counted as zero vectors.

Tag a sentence's sense by starting the line with a word in brackets, `[river]`, to get the
within/across figures and a coloured map.
"""

text_models = backend_names(BackendKind.TEXT)
word_models = backend_names(BackendKind.WORDS)
DEMO = {"ctx_word": "bank", "ctx_sentences": "\n".join(BANK_SENTENCES),
        "ctx_pairs": "\n".join(f"{a} | {b}" for a, b in ORDER_PAIRS)}



def demo() -> dict[str, str]:
    """"bank" in money and river senses, the four word-order pairs, MiniLM against GloVe."""
    return {**DEMO, "ctx_model": DEFAULT_TEXT_MODEL, "ctx_static": DEFAULT_WORD_MODEL}


frame = page_frame(
    "contextual",
    defaults={**DEMO,
              "ctx_model": DEFAULT_TEXT_MODEL if DEFAULT_TEXT_MODEL in text_models else (text_models[0] if text_models else ""),
              "ctx_static": DEFAULT_WORD_MODEL if DEFAULT_WORD_MODEL in word_models else (word_models[0] if word_models else ""),
              "ctx_k": 10},
    choices={"ctx_model": text_models, "ctx_static": word_models},
    caption="One word, many sentences: a transformer gives the word a vector per sentence; GloVe gives it one vector, always.",
    explanation=EXPLANATION,
    explanation_title="How this works and what to notice",
    demo=demo,
    demo_help="'bank' as money and as a river's edge, and 'dog bites man'",
)

st.subheader("Polysemy: one word in several sentences")
left, right = st.columns([3, 2])
left.text_input("Word", key="ctx_word", help="matched case-insensitively as a whole word in every sentence")
left.text_area("Sentences that use the word (one per line; optional sense tag: [river] We sat on the bank)",
               key="ctx_sentences", height=220)
right.selectbox("Sentence model (token vectors)", text_models, key="ctx_model",
                help="a sentence-transformers model: its word pieces' vectors are read before pooling")
right.selectbox("Static word model", word_models, key="ctx_static")
url_state.slider(right, "Static neighbours", 3, 30, key="ctx_k")

st.subheader("Word order")
st.text_area("Pairs of texts (one pair per line, the two texts separated by |)", key="ctx_pairs", height=130)
frame.publish()

polysemy = st.container()
with polysemy, user_errors():
    result = contextual_word(st.session_state["ctx_word"], st.session_state["ctx_sentences"], st.session_state["ctx_model"])
    labels = [f"{i}. {'[' + u.sense + '] ' if u.sense else ''}{u.sentence}" for i, u in enumerate(result.uses, 1)]
    columns = st.columns(3)
    columns[0].metric("Sentences", len(result.uses))
    if result.senses is not None:
        columns[1].metric("Mean cosine within a sense", f"{result.senses.within:.3f}",
                          help=f"{result.senses.within_pairs} pairs of uses with the same tag")
        columns[2].metric("Mean cosine across senses", f"{result.senses.across:.3f}",
                          help=f"{result.senses.across_pairs} pairs of uses with different tags")
    else:
        columns[1].caption("Tag the senses ([money], [river]) to see the mean cosine within and across senses.")
    heat, where = st.columns([3, 2])
    heat.plotly_chart(similarity_heatmap(labels, result.matrix, f"'{html.escape(result.word)}' in context · {result.model}"),
                      key="ctx_heatmap")
    senses = [u.sense or "untagged" for u in result.uses]
    figure = go.Figure()
    for sense in dict.fromkeys(senses):
        rows = [i for i, s in enumerate(senses) if s == sense]
        figure.add_trace(go.Scatter(
            x=result.coords[rows, 0], y=result.coords[rows, 1], mode="markers+text", name=html.escape(sense),
            text=[str(i + 1) for i in rows], textposition="top center", marker={"size": 12},
            hovertext=[html.escape(short_label(result.uses[i].sentence, 90)) for i in rows], hoverinfo="text"))
    first, second = result.explained_variance
    figure.update_layout(title=f"senses of '{html.escape(result.word)}' (PCA)", height=420,
                         margin={"l": 10, "r": 10, "t": 40, "b": 10}, xaxis_title=f"PC 1 ({first:.0%} of the variance)",
                         yaxis_title=f"PC 2 ({second:.0%})")
    where.plotly_chart(figure, key="ctx_map")
    st.dataframe(pd.DataFrame({"#": range(1, len(result.uses) + 1), "sense": [u.sense for u in result.uses],
                               "sentence": [u.sentence for u in result.uses],
                               "word pieces pooled": [" ".join(u.pieces) for u in result.uses],
                               "occurrences": [u.occurrences for u in result.uses]}),
                 hide_index=True, key="ctx_uses")
    try:
        static = static_word(result.word, st.session_state["ctx_static"], int(st.session_state["ctx_k"]))
    except EmbedlabError as error:
        st.warning(plain(error))
    else:
        st.markdown(plain(f"{static.model} has one vector for '{static.key}': the same in all {len(result.uses)} sentences, so"
                          " every pair of them scores 1.0. Its nearest words show which senses that one vector blends:"))
        st.dataframe(pd.DataFrame([{"neighbour": w, "cosine": round(s, 4)} for w, s in static.neighbors]), hide_index=True,
                     key="ctx_static_neighbors")

with user_errors():
    pairs = word_order(parse_pairs_of_texts(st.session_state["ctx_pairs"]), st.session_state["ctx_static"],
                      st.session_state["ctx_model"])
    st.markdown(plain(f"Word order: cosine of each pair under the mean of {st.session_state['ctx_static']}'s word vectors"
                      f" and under {st.session_state['ctx_model']}'s sentence vectors"))
    st.dataframe(pd.DataFrame([{"first": r.first, "second": r.second,
                                f"mean {st.session_state['ctx_static']}": None if r.word_cosine is None else round(r.word_cosine, 4),
                                st.session_state["ctx_model"]: round(r.sentence_cosine, 4),
                                "same words": r.same_words, "unknown words": ", ".join(r.unknown)} for r in pairs]),
                 hide_index=True, key="ctx_order")
