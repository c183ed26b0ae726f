"""Downstream: how well a linear classifier reads labels off each representation, side by side,
with the TF-IDF baseline and the word-level benchmarks of the same representations."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go  # noqa: F401  (imported up front; see DESIGN "Testing")
import streamlit as st

from embedlab.analysis.downstream import (
    DEFAULT_FOLDS,
    DEFAULT_MAX_ROWS,
    DEFAULT_SEED,
    INTRINSIC_BENCHMARKS,
    TEXT_MODEL_WORDS,
    TFIDF,
    TOKEN_RULE,
    LabelledData,
    builtin_data,
    collection_data,
    comparison_announcement,
    rank_agreement,
    representations,
    upload_data,
)
from embedlab.ingest import parse_upload
from embedlab.ui import url_state
from embedlab.ui.charts import confusion_heatmap
from embedlab.ui.downstream_view import (
    intrinsic_frame,
    run_comparison,
    scores_chart,
    scores_frame,
    text_collections,
)
from embedlab.ui.feedback import plain, user_errors
from embedlab.ui.frame import page_frame
from embedlab.ui.uploads import kept_upload

BUILT_IN = {"news": "News articles by outlet (3,823, 9 outlets)", "healthtweets": "Health tweets by account (63,326, 16)",
            "commons": "House of Commons speeches by party (1,000)"}
SOURCES = [*BUILT_IN, "upload", "collection"]
DEMO_ROWS = 300
DEFAULT_MODELS = "minilm,glove-6b-50d,tfidf"

EXPLANATION = f"""
**What is measured.** Each representation turns every text into a vector; a logistic regression
learns the labels from those vectors. **Stratified k-fold cross-validation** splits the rows into
k folds with the same label mix (shuffled with the seed shown), trains on k − 1 folds and predicts
the one left out, k times, so every row is predicted once by a model that never saw it. Every
representation gets *the same folds*. Features are standardised inside each fold (fitted on its
training part only). Accuracy is the share predicted right; **macro-F1** averages the F1 of each
label with equal weight, so a small label counts as much as a big one (accuracy can be high by
always guessing the biggest label: the dashed line is that majority-class rate). The confusion
matrix sums the k folds: rows are the true labels, columns the predicted ones.

**Why TF-IDF is a strong baseline here.** An outlet is recognisable by its words: its name, its
bylines, its house style and recurring phrases ("Reuters", "Getty Images", "Fox News"). TF-IDF
keeps every word as its own feature and logistic regression can pick exactly those, while a
sentence model is trained to map texts with the same *meaning* close together and throws much of
that surface evidence away. So the baseline often wins on outlet or account prediction; the
embeddings pay off when the label is about meaning (topic, intent) and training data is small.
The TF-IDF vocabulary and weights are fitted on the training folds only, never on the test fold.

**What each representation reads.** Sentence models read each text's first
{TEXT_MODEL_WORDS} words (MiniLM stops at 256 word pieces anyway; the multilingual USE reads
everything and would take about a second per long article here). {TOKEN_RULE} TF-IDF reads all
words.

**Intrinsic versus extrinsic.** Word-similarity benchmarks (WS353: relatedness; SimLex-999:
similarity proper) and analogies judge single words; the downstream task judges whole texts for
one purpose. The table puts them side by side and says whether they rank the representations
alike. Sentence models are scored on the benchmarks by encoding each word alone.

**The reference protocol.** MTEB's classification tasks do this with logistic regression on
frozen embeddings (a fixed train/test split, accuracy as the main score, macro-F1 beside it).
Here every row is a test row once (k-fold), which suits datasets of a few thousand rows.
Results are cached on disk by the data's content, the model, the folds and the seed.

**In the guided demo** all representations run on a stratified {DEMO_ROWS}-row sample of the news
(seed 0), so it finishes in minutes the first time; set the row cap to 4,000 for all 3,823 articles.
Look at how far each one is above the majority line, which outlets are confused with which, and
whether the word benchmarks predict the order.
"""



def demo() -> dict[str, str | int | bool]:
    """News by outlet, every representation on a stratified sample of DEMO_ROWS rows, and run it."""
    return {"ds_source": "news", "ds_models": ",".join(representations()), "ds_folds": DEFAULT_FOLDS, "ds_seed": DEFAULT_SEED,
            "ds_max_rows": DEMO_ROWS, "ds_run": True, "ds_confusion": TFIDF, "ds_benchmark": "ws353"}


def run() -> None:
    st.session_state["ds_run"] = True


frame = page_frame(
    "downstream",
    defaults={"ds_source": "news", "ds_file": "", "ds_collection": "", "ds_label_column": "", "ds_text_column": "",
              "ds_models": DEFAULT_MODELS, "ds_folds": DEFAULT_FOLDS, "ds_seed": DEFAULT_SEED,
              "ds_max_rows": DEFAULT_MAX_ROWS, "ds_run": False, "ds_confusion": "", "ds_benchmark": "ws353"},
    choices={"ds_source": SOURCES, "ds_benchmark": list(INTRINSIC_BENCHMARKS)},
    caption="How well does each representation serve a task? Logistic regression on the vectors, stratified k-fold"
            " cross-validation, a TF-IDF baseline beside them, and the word benchmarks of the same representations.",
    explanation=EXPLANATION,
    explanation_title="What cross-validation, macro-F1 and the TF-IDF baseline mean",
    demo=demo,
    demo_help="News by outlet with every representation, and what to notice",
)

c1, c2, c3, c4 = st.columns([3, 1, 1, 1])
source = c1.selectbox("Labelled data", SOURCES, key="ds_source",
                      format_func=lambda s: BUILT_IN.get(s, {"upload": "your labelled file (CSV/TSV/JSONL)",
                                                             "collection": "a stored collection with labels"}.get(s, s)))
folds = url_state.number_input(c2, "folds (k)", 2, 10, key="ds_folds", step=1)
seed = url_state.number_input(c3, "seed", 0, 2**31 - 1, key="ds_seed", step=1)
max_rows = url_state.number_input(c4, "row cap", 100, 100_000, key="ds_max_rows", step=500,
                                  help="Larger datasets are sampled to this many rows, stratified by label, with the seed")

data: LabelledData | None = None
with user_errors():
    if source in BUILT_IN:
        data = builtin_data(source, max_rows=int(max_rows), seed=int(seed))
    elif source == "upload":
        file = st.file_uploader("Labelled file: one text column and one label column", type=["csv", "tsv", "jsonl"],
                                key="ds_upload_file")
        kept = kept_upload("downstream", file, "ds_file", what="labelled file")
        if kept is not None:
            content, name = kept
            table = parse_upload(content, name)
            guessed, _ = table.offer_text_column()
            if st.session_state.get("ds_text_column") not in table.columns:
                st.session_state["ds_text_column"] = guessed
            if st.session_state.get("ds_label_column") not in table.columns:
                st.session_state["ds_label_column"] = next((c for c in table.columns if c.lower() in ("label", "class", "category")),
                                                           next(c for c in table.columns if c != guessed) if len(table.columns) > 1
                                                           else table.columns[0])
            u1, u2 = st.columns(2)
            text_column = u1.selectbox("Text column", table.columns, key="ds_text_column")
            label_column = u2.selectbox("Label column", table.columns, key="ds_label_column")
            data = upload_data(content, name, str(label_column), text_column=str(text_column), max_rows=int(max_rows),
                               seed=int(seed))
        elif not st.session_state.get("ds_file"):
            st.info("Upload a CSV, TSV or JSONL file with a text column and a label column.")
    else:
        names = text_collections()
        if not names:
            st.info("No stored collections yet: bring a labelled corpus in on the Explore maps page first.")
        else:
            if st.session_state.get("ds_collection") not in names:
                st.session_state["ds_collection"] = names[0]
            chosen = st.selectbox("Collection", names, key="ds_collection")
            data = collection_data(str(chosen), max_rows=int(max_rows), seed=int(seed))

options = representations(data) if data is not None else representations()
picked = url_state.multiselect(st, "Representations", options, key="ds_models_pick", state="ds_models",
                               help="Text models of the catalogue (fine-tuned ones too), word models as mean word vectors,"
                                    " the TF-IDF baseline, and a collection's own stored vectors")
st.button("Run the comparison (cached)", on_click=run, type="primary")

if data is None:
    frame.publish()
    st.stop()
assert data is not None
counts = data.label_counts()
st.caption(plain(f"{data.description} — {data.rows:,} rows, {len(counts)} labels"
                 + (f"; {data.note}" if data.note else "") + "."))
cost = comparison_announcement(data, list(picked))
if not st.session_state["ds_run"] or not picked:
    st.info("Pick representations and press **Run the comparison**." + (f" {plain(cost)}" if cost else ""))
    frame.publish()
    st.stop()

with user_errors():
    comparison = run_comparison(data, list(picked), int(folds), int(seed), cost)
    if comparison.note and comparison.note != data.note:
        st.caption(plain(f"Compared on {comparison.rows:,} rows: {comparison.note}."))
    st.subheader("Scores")
    st.dataframe(scores_frame(comparison), hide_index=True, key="ds_table", placeholder="—")
    st.plotly_chart(scores_chart(comparison), key="ds_chart")

    st.subheader("Confusion matrix")
    names_run = [r.name for r in comparison.results]
    if st.session_state.get("ds_confusion") not in names_run:
        st.session_state["ds_confusion"] = names_run[0]
    which = st.selectbox("Representation", names_run, key="ds_confusion")
    result = comparison.result(str(which))
    st.plotly_chart(confusion_heatmap(list(result.scores.labels), result.scores.confusion,
                                      f"{result.name}: true (rows) against predicted (columns), {comparison.folds} folds summed",
                                      unit="texts"), key="ds_confusion_chart")

    st.subheader("Intrinsic versus extrinsic")
    intrinsic_table, intrinsic = intrinsic_frame(comparison)
    st.dataframe(intrinsic_table, hide_index=True, key="ds_intrinsic", placeholder="—")
    benchmark = st.radio("Rank by", list(INTRINSIC_BENCHMARKS), key="ds_benchmark", horizontal=True,
                         format_func={"ws353": "WS353 (relatedness)", "simlex999": "SimLex-999 (similarity)"}.get)
    agreement = rank_agreement(comparison, intrinsic, str(benchmark))
    if agreement.spearman is not None:
        m1, m2 = st.columns(2)
        m1.metric("Spearman ρ of the two rankings", f"{agreement.spearman:+.2f}")
        m2.metric("Kendall τ", f"{agreement.kendall:+.2f}")
    st.info(plain(agreement.verdict))
    st.dataframe(pd.DataFrame({"representation": agreement.representations, f"{benchmark} ρ": agreement.intrinsic,
                               "accuracy": agreement.extrinsic}), hide_index=True, key="ds_agreement", placeholder="—")
frame.publish()
