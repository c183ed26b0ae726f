"""Fine-tune: teach the sentence model a labelled dataset's notion of "similar", with
sentence-transformers' own trainer and losses, and judge it on a held-out split."""

from __future__ import annotations

import pandas as pd  # noqa: F401  (imported up front; see DESIGN "Testing")
import plotly.graph_objects as go  # noqa: F401  (imported up front; see DESIGN "Testing")
import streamlit as st

from embedlab.backends import backend_names
from embedlab.ingest.uploads import parse_upload
from embedlab.training.finetune import (
    LOSSES,
    FineTuneSettings,
    default_name,
    saved_result,
)
from embedlab.ui import url_state
from embedlab.ui.feedback import plain, user_errors
from embedlab.ui.finetune_view import (
    finetuned_table,
    labelled_data,
    loss_chart,
    maps,
    remove,
    scores_table,
    train,
)
from embedlab.ui.frame import page_frame
from embedlab.ui.uploads import kept_upload

EXPLANATION = """
**What fine-tuning does.** MiniLM was trained to put paraphrases close together. A labelled dataset
says something else is "similar": articles of the same outlet, speeches of the same party. Fine-tuning
moves the model's weights so that texts of one label come closer and texts of different labels move
apart, using the training part of the data only.

**MultipleNegativesRankingLoss (MNRL).** Each training text is an *anchor* and gets a *positive*:
another training text of the same label, drawn with the seed. In a batch of B pairs, each anchor
must pick its own positive out of all B positives (a softmax over cosine similarities, scale 20):
the other B − 1 positives are its **in-batch negatives**, free negatives that cost no extra
encoding. With few labels, some of those "negatives" share the anchor's label (about 1 in L for L
balanced labels), which blurs the signal; a bigger batch gives more negatives per step.

**Batch-hard triplet.** Each batch holds a few texts of several labels (the `GROUP_BY_LABEL`
sampler). For every text, the loss takes its *hardest positive* (the farthest text of its label) and
its *hardest negative* (the nearest text of another label) and asks that the positive be nearer by a
margin. It uses the labels directly and works on the worst cases, so it can be noisy on small batches.

**Why a held-out split.** A model fine-tuned on some texts will of course place *those* texts well;
the question is whether it learned something that carries over. So a seeded, stratified share of the
rows (20% by default) is set aside before training, and every figure here is computed on it:
same-label **retrieval** (each held-out text queries the other held-out texts: the share of its 10
nearest with its label, precision@10, and the mean reciprocal rank of the first one, MRR) and
**downstream accuracy** (logistic regression, stratified k-fold cross-validation on the held-out
vectors, as on the Downstream page).

**Overfitting on small data.** With a few hundred texts and several epochs the model can memorise
the training texts: the training loss keeps falling while held-out figures stall or drop, and general
sentence similarity (paraphrases, other topics) can get worse, since nothing asks the model to keep
it. Watch the held-out figures, keep epochs low, and compare the two maps: clusters that appear after
fine-tuning are earned only if they are on the held-out texts. The default (batch-hard triplet, 600
rows of which 480 train, 1 epoch, batch 16, learning rate 5e-5, 64 tokens per text while training)
is sized to take a few minutes on a CPU; more rows and epochs help, at a cost that grows with both.
On news by outlet it raised held-out precision@10 from 0.346 to 0.440; MNRL with the same settings
only to 0.355 (its same-label "negatives" cost it), while taking twice as long per step.

**In the guided demo** a tiny configuration (180 news articles, batch-hard triplet, 1 epoch) trains
once, in about half a minute here, and is saved; pressing the demo again shows the saved result. The
model then appears under its `finetuned:` name on Similarity, Explore and every page that takes a text
model, and after a restart.
"""

BUILT_IN = {"news": "news (by outlet)", "commons": "commons (by party)", "healthtweets": "healthtweets (by account)"}
DATASETS = [*BUILT_IN, "upload"]
DEMO: dict[str, str | int | float] = {"ft_dataset": "news", "ft_loss": "batch-hard-triplet", "ft_epochs": 1, "ft_rows": 180, "ft_seed": 0, "ft_batch": 16,
        "ft_lr": 5e-5, "ft_seq": 32}
DEFAULTS = FineTuneSettings()


def _settings() -> FineTuneSettings:
    state = st.session_state
    return FineTuneSettings(loss=state["ft_loss"], epochs=int(state["ft_epochs"]), max_rows=int(state["ft_rows"]),
                            batch_size=int(state["ft_batch"]), learning_rate=float(state["ft_lr"]),
                            max_seq_length=int(state["ft_seq"]), seed=int(state["ft_seed"]))


def _demo_settings() -> FineTuneSettings:
    return FineTuneSettings(loss=str(DEMO["ft_loss"]), epochs=int(DEMO["ft_epochs"]), max_rows=int(DEMO["ft_rows"]),
                            batch_size=int(DEMO["ft_batch"]), learning_rate=float(DEMO["ft_lr"]),
                            max_seq_length=int(DEMO["ft_seq"]), seed=int(DEMO["ft_seed"]))


def demo() -> dict[str, str | int | float]:
    """The tiny configuration: trained now if it is not saved yet, else shown from its note."""
    name = default_name("news", _demo_settings())
    if name in backend_names():
        return {**DEMO, "ft_model": name}
    st.session_state["ft_train_now"] = True
    return dict(DEMO)


frame = page_frame(
    "finetune",
    defaults={"ft_dataset": "news", "ft_loss": DEFAULTS.loss, "ft_epochs": DEFAULTS.epochs, "ft_rows": DEFAULTS.max_rows,
              "ft_seed": DEFAULTS.seed, "ft_batch": DEFAULTS.batch_size, "ft_lr": DEFAULTS.learning_rate,
              "ft_seq": DEFAULTS.max_seq_length, "ft_model": "", "ft_file": "", "ft_text_col": "", "ft_label_col": ""},
    choices={"ft_dataset": DATASETS, "ft_loss": list(LOSSES)},
    caption="Fine-tune the sentence model on a labelled dataset (contrastive or triplet loss), then compare it with the"
            " base model on texts neither saw in training.",
    explanation=EXPLANATION,
    explanation_title="What MNRL and batch-hard triplet optimise, and how to read the figures",
    demo=demo,
    demo_help="Train a tiny configuration once (about half a minute) and explain the figures",
)

row = st.columns(5)
dataset = row[0].selectbox("Labelled dataset", DATASETS, key="ft_dataset",
                           format_func=lambda d: BUILT_IN.get(d, "your CSV/TSV/JSONL"))
row[1].selectbox("Loss", list(LOSSES), key="ft_loss", help="\n\n".join(f"**{k}**: {v}" for k, v in LOSSES.items()))
url_state.slider(row[2], "Epochs", 1, 5, key="ft_epochs")
url_state.number_input(row[3], "Rows (train + held out)", 40, 5000, step=100, key="ft_rows",
                       help="drawn from the dataset, stratified by label; 20% are held out")
url_state.number_input(row[4], "Seed", 0, 2**31 - 1, key="ft_seed", help="seeds the sample, the split, the pairs and training")
with st.expander("More settings"):
    more = st.columns(3)
    url_state.number_input(more[0], "Batch size", 4, 64, step=2, key="ft_batch",
                           help="MNRL: more in-batch negatives per step; triplet: must be even")
    url_state.number_input(more[1], "Learning rate", 1e-6, 1e-3, step=1e-5, format="%.6f", key="ft_lr")
    url_state.number_input(more[2], "Tokens per text while training", 16, 256, step=16, key="ft_seq",
                           help="the CPU cost grows with it; the saved model encodes with MiniLM's own length")

upload = text_column = label_column = None
if dataset == "upload":
    file = st.file_uploader("A labelled file (CSV, TSV or JSONL)", type=["csv", "tsv", "jsonl"], key="ft_upload")
    upload = kept_upload("finetune", file, "ft_file", what="labelled file")
    if upload is not None:
        with user_errors():
            table = parse_upload(*upload)
            guess, _ = table.offer_text_column()
            if st.session_state.get("ft_text_col") not in table.columns:
                st.session_state["ft_text_col"] = guess
            cols = st.columns(2)
            text_column = cols[0].selectbox("Text column", table.columns, key="ft_text_col")
            others = [c for c in table.columns if c != text_column]
            if others and st.session_state.get("ft_label_col") not in others:
                st.session_state["ft_label_col"] = next((c for c in others if c.lower() in ("label", "class", "category")), others[0])
            label_column = cols[1].selectbox("Label column", others, key="ft_label_col") if others else None

train_now = st.button("Train", type="primary", key="ft_train") or st.session_state.pop("ft_train_now", False)
if train_now:
    with user_errors():
        if dataset == "upload" and upload is None:
            st.error("Upload a labelled file first, or pick a built-in dataset.")
            st.stop()
        result = train(labelled_data(dataset, upload, text_column, label_column), _settings())
        url_state.remember("finetune", ft_model=result.name)

shown = st.session_state.get("ft_model", "")
if shown:
    with user_errors():
        saved = saved_result(shown) if shown in backend_names() else None
        if saved is None:
            st.warning(plain(f"The model {shown} of this link is not on this server (removed, or trained elsewhere)."))
        else:
            s = saved.settings
            st.success(plain(f"{saved.name}: {saved.base} fine-tuned on {saved.dataset}") +
                       f" with **{s.loss}**, {s.epochs} epoch(s), seed {s.seed}, batch {s.batch_size}, learning rate {s.learning_rate:g},"
                       f" {s.max_seq_length} tokens per text; {saved.train_rows:,} training rows, {saved.steps} steps,"
                       f" {saved.train_seconds:.0f} s of training on {saved.device}. It is now a text model on every page.")
            st.subheader(f"Held-out split: {saved.held_out_rows:,} texts, {len(saved.labels)} labels")
            st.dataframe(scores_table(saved), hide_index=True, key="ft_scores")
            st.caption(f"Accuracy and macro-F1: logistic regression, {saved.after.folds}-fold stratified cross-validation on the"
                       " held-out vectors (seeded). Precision@10 and MRR: each held-out text ranks the other held-out texts by"
                       " cosine; a hit shares its label.")
            if saved.dropped_labels:
                st.caption(plain("Left out (fewer than 10 rows): " + ", ".join(f"{k} ({v})" for k, v in saved.dropped_labels.items())))
            before_map, after_map = maps(saved)
            left, right = st.columns(2)
            left.plotly_chart(before_map, key="ft_map_before")
            right.plotly_chart(after_map, key="ft_map_after")
            if saved.losses:
                st.plotly_chart(loss_chart(saved), key="ft_loss_chart")
else:
    st.info("Pick a dataset and press **Train** (the default takes a few minutes on a CPU), or press the guided demo.")

table = finetuned_table()
if not table.empty:
    st.subheader("Fine-tuned models on this server")
    st.dataframe(table, hide_index=True, key="ft_models")
    pick = st.columns([2, 2, 1])
    chosen = pick[0].selectbox("Model", table["name"].tolist(), key="ft_pick")
    if pick[1].button("Show its result", key="ft_show"):
        url_state.remember("finetune", ft_model=chosen)
        st.rerun()
    sure = st.checkbox(plain(f"Yes, remove {chosen} from this server and delete its saved files"), key="ft_remove_sure")
    if st.button("Remove model", disabled=not sure, key="ft_remove"):
        with user_errors():
            remove(chosen)
            if st.session_state.get("ft_model") == chosen:
                url_state.remember("finetune", ft_model="")
            st.session_state["ft_removed"] = chosen
            st.rerun()
if removed := st.session_state.pop("ft_removed", None):
    st.success(plain(f"Removed {removed}."))

frame.publish()
