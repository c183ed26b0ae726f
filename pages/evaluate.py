"""Evaluate: standard analogy and word-similarity benchmarks for any word model."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go  # noqa: F401  (imported up front; see DESIGN "Testing")
import streamlit as st

from embedlab.analysis.analogy import METHODS
from embedlab.analysis.evaluation import (
    ANALOGY_DATASETS,
    DEFAULT_RESTRICT_VOCAB,
    SIMILARITY_DATASETS,
    similarity_benchmarks,
)
from embedlab.ui import url_state
from embedlab.ui.feedback import plain, user_errors
from embedlab.ui.frame import page_frame
from embedlab.ui.words_view import (
    analogy_benchmark,
    sections_figure,
    similarity_figure,
    word_models,
)

EXPLANATION = """
**Analogies.** Google's set has 19,544 questions in 14 sections: 5 *semantic* (capitals,
currencies, cities in states, family) and 9 *syntactic* (`gram…`: plurals, tenses, comparatives…);
MSR has 8,000 syntactic ones. A question counts only when all four words are among the first
**N** words of the model (N = *restrict vocab*, default 30,000; models list frequent words first)
and is correct when the best answer, inputs excluded, is the expected word. Questions with rarer
words are skipped, so a model with a small vocabulary is scored on fewer, easier questions:
always read accuracy together with *n*.

**Word similarity.** Each benchmark pairs words with human scores; we report Spearman ρ between
those scores and the model's cosine similarity, over the pairs whose words are among the model's
first 300,000 words (gensim's default; pairs with other words count as out of vocabulary).
WS353, MEN and MTurk-771 measure *relatedness* (cup–coffee is high); SimLex-999 measures
*similarity* proper (cup–coffee is low), which is why every model scores lower there. RW is made
of rare words, so out-of-vocabulary counts matter. RG has 65 pairs: treat it as noisy.

**Exactly gensim's figures.** Ours are computed in batches with numpy and equal gensim's
`evaluate_word_analogies` (3CosAdd) and `evaluate_word_pairs` on the same vectors and settings
(a test asserts it on GloVe 6B 50d). 3CosMul has no gensim twin. One reading differs on purpose:
the RG file separates most of its fields with two tabs, and gensim's single-tab reader would
keep only 7 of its 65 pairs; we read all 65.

**In the guided demo** GloVe 6B 50d scores about 0.50 on Google analogies (strong on
nationality adjectives and capitals, weak on adjective→adverb and opposites) and ρ ≈ 0.50 on
WS353 but only ≈ 0.26 on SimLex-999: it knows which words go together better than which mean
the same. Try `word2vec-gn-bolukbasi`: higher scores, but its 26k-word vocabulary has no
capitalised names, so the four capital/currency/city sections have no usable question at all.
"""

models = word_models()


def demo() -> dict[str, str | int | bool]:
    """GloVe, Google analogies, 30,000 words, and run it."""
    chosen = {"ev_model": "glove-6b-50d"} if "glove-6b-50d" in models else {}
    return {"ev_dataset": "google", "ev_restrict": DEFAULT_RESTRICT_VOCAB, "ev_method": "3cosadd", "ev_run": True, **chosen}


def run_analogies() -> None:
    st.session_state["ev_run"] = True


frame = page_frame(
    "evaluate",
    defaults={"ev_model": models[0] if models else "", "ev_dataset": "google", "ev_restrict": DEFAULT_RESTRICT_VOCAB,
              "ev_method": "3cosadd", "ev_run": False},
    choices={"ev_model": models, "ev_dataset": list(ANALOGY_DATASETS), "ev_method": list(METHODS)},
    caption="How good are these word vectors? Standard benchmarks, computed exactly as gensim does.",
    explanation=EXPLANATION,
    explanation_title="What these benchmarks measure and how to read them",
    demo=demo,
    demo_help="Evaluate GloVe 6B 50d and explain the figures",
)

model = st.selectbox("Word model", models, key="ev_model", help="Uploaded and trained models appear here too (Train page)")

st.subheader("Word similarity")
with user_errors():
    results, skipped = similarity_benchmarks(model, tuple(SIMILARITY_DATASETS))
    if results:
        table = pd.DataFrame([{"benchmark": r.dataset, "Spearman ρ": round(r.spearman, 4), "pairs used": r.pairs,
                               "pairs out of vocabulary": r.oov, "Pearson r": round(r.pearson, 4),
                               "about": SIMILARITY_DATASETS[r.dataset][2]} for r in results])
        left, right = st.columns([3, 2])
        left.dataframe(table, hide_index=True, key="ev_similarity", placeholder="—")
        right.plotly_chart(similarity_figure(results), key="ev_similarity_chart")
    for name, reason in skipped.items():
        st.warning(plain(f"{name}: {reason}"))

st.subheader("Analogies")
cols = st.columns([1, 1, 1, 1])
cols[0].selectbox("Benchmark", list(ANALOGY_DATASETS), key="ev_dataset",
                  format_func=lambda name: {"google": "Google (19,544)", "msr": "MSR syntactic (8,000)"}[name])
url_state.number_input(cols[1], "Restrict vocab (first N words)", 100, 500_000, step=5_000, key="ev_restrict")
cols[2].radio("Method", list(METHODS), key="ev_method", horizontal=True)
cols[3].button("Run the analogy benchmark", on_click=run_analogies, type="primary")
frame.publish()

if not st.session_state["ev_run"]:
    st.info("Press **Run the analogy benchmark** (a few seconds for 30,000 words; cached afterwards).")
    st.stop()

with user_errors():
    evaluation = analogy_benchmark(model, st.session_state["ev_dataset"], int(st.session_state["ev_restrict"]),
                                   st.session_state["ev_method"])
    metrics = st.columns(4)
    metrics[0].metric("Accuracy", f"{evaluation.accuracy:.3f}" if evaluation.n else "—", help=f"{evaluation.correct:,} of {evaluation.n:,}")
    metrics[1].metric("Questions used", f"{evaluation.n:,}", help=f"of {evaluation.questions:,}; {evaluation.oov:,} skipped (words outside the first N)")
    metrics[2].metric("Semantic", "—" if not evaluation.semantic or not evaluation.semantic.n else f"{evaluation.semantic.accuracy:.3f}")
    metrics[3].metric("Syntactic", "—" if not evaluation.syntactic or not evaluation.syntactic.n else f"{evaluation.syntactic.accuracy:.3f}")
    st.plotly_chart(sections_figure(evaluation), key="ev_sections")
    sections = pd.DataFrame([{"section": s.name, "accuracy": round(s.accuracy, 4) if s.n else None, "correct": s.correct, "n": s.n}
                             for s in evaluation.sections])
    st.dataframe(sections, hide_index=True, key="ev_sections_table")
    empty = [s.name for s in evaluation.sections if not s.n]
    if empty:
        st.warning("No usable question (a word outside the vocabulary or the first N words) in: " + ", ".join(empty)
                   + ". These sections are left out of the accuracy.")
    if evaluation.misses:
        with st.expander(f"Some misses (first {len(evaluation.misses)})"):
            st.dataframe(pd.DataFrame(evaluation.misses, columns=["a", "b", "c", "expected", "predicted"]).map(str.lower),
                         hide_index=True, key="ev_misses")
