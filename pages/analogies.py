"""Analogies: a : b :: c : ? by vector offsets, one at a time or in a batch."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go  # noqa: F401  (imported up front; see DESIGN "Testing")
import streamlit as st

from embedlab.analysis.analogy import (
    MAX_BATCH_ANALOGIES,
    MAX_BATCH_BYTES,
    METHODS,
    SCORE_MEANING,
    analogy_picture,
    batch_accuracy,
    parse_analogies,
    read_analogy_upload,
    solve_analogy,
    worked_analogies,
)
from embedlab.demos import ANALOGY_EXAMPLES, ANALOGY_MODEL
from embedlab.ui import url_state
from embedlab.ui.feedback import plain, user_errors
from embedlab.ui.frame import page_frame
from embedlab.ui.uploads import kept_upload
from embedlab.ui.words_view import analogy_figure, word_models
from embedlab.wordrules import WORD_RULE

EXPLANATION = """
**How it works.** Each word is a vector. If *king − man* points the same way as *queen − woman*,
then *king − man + woman* lands near *queen*. **3CosAdd** ranks every word *d* by
cos(d, b − a + c); **3CosMul** (Levy & Goldberg, 2014) multiplies cos(d, b)·cos(d, c) and divides
by cos(d, a), so one very large similarity cannot dominate: it often fixes answers where 3CosAdd
picks a word close to just one input.

**Why the inputs are excluded.** b − a + c is usually still closest to *b* itself (a and c are
similar words, so the offset is small). Switch **Exclude the inputs** off: *king* often beats
*queen*. Every published analogy score excludes the inputs, which means part of the "magic" is
this rule, not the geometry.

**The guided demo.** *king/queen*, *Paris→Tokyo* and *walk→run* work with GloVe: the two arrows
in the picture are nearly parallel. *finger : hand :: leaf : ?* fails: the part→whole relation is
not one consistent direction (a leaf belongs to a tree, a branch, a plant…), so the model
returns words that are simply near *leaf* — with GloVe *green*, *plants*, *red*, *yellow* — and
the expected *tree* only ranks 7th (13th with 3CosMul; 26th in the word2vec model). Analogies test one kind of regularity; a failure does not mean the vectors are
useless, and a success does not mean the model "understands" the relation.

**The picture** is a PCA of only the words shown (fitted on them), so it is faithful to their
offsets but says nothing about the rest of the space.
"""

models = word_models()


def demo() -> dict[str, str | bool]:
    """The first worked analogy on GloVe, inputs excluded (the demo table shows all four)."""
    a, b, c, d, _ = ANALOGY_EXAMPLES[0]
    chosen = {"an_model": ANALOGY_MODEL} if ANALOGY_MODEL in models else {}
    return {"an_a": a, "an_b": b, "an_c": c, "an_expected": d, "an_mode": "one analogy", "an_exclude": True, **chosen}


frame = page_frame(
    "analogies",
    defaults={"an_model": models[0] if models else "", "an_a": "", "an_b": "", "an_c": "", "an_expected": "",
              "an_method": "3cosadd", "an_k": 10, "an_exclude": True, "an_mode": "one analogy",
              "an_batch": "", "an_file": ""},
    choices={"an_model": models, "an_method": list(METHODS), "an_mode": ["one analogy", "batch"]},
    caption="a : b :: c : ? — the answer d is the word whose vector is nearest to b − a + c.",
    explanation=EXPLANATION,
    explanation_title="How this works and what to notice",
    demo=demo,
    demo_help="Four worked analogies, one of which fails, with an explanation",
)

top = st.columns([2, 1, 1, 1])
model = top[0].selectbox("Word model", models, key="an_model", help="Uploaded and trained models appear here too (Train page)")
top[1].radio("Method", list(METHODS), key="an_method", horizontal=True)
url_state.slider(top[2], "Answers (k)", 1, 30, key="an_k")
mode = top[3].segmented_control("Mode", ["one analogy", "batch"], key="an_mode", required=True)

if mode == "batch":
    st.markdown(f"One analogy per line, **a b c d** (d = the expected answer). Up to {MAX_BATCH_ANALOGIES:,} lines;"
                " lines starting with `:` or `#` are skipped.")
    text = st.text_area("Analogies", key="an_batch", height=160,
                        placeholder="man king woman queen\nparis france tokyo japan\nwalk walked run ran")
    file = st.file_uploader(f"…or upload a text file (UTF-8, ≤ {MAX_BATCH_BYTES // 2**20} MB)", type=["txt"], key="an_batch_file")
    upload = kept_upload("analogies", file, "an_file", what="file of analogies")
    frame.publish()
    with user_errors():
        if upload is not None:
            text = read_analogy_upload(upload[0])
        if not text.strip():
            st.info("Paste analogies or upload a file.")
            st.stop()
        batch = batch_accuracy(model, parse_analogies(text), method=st.session_state["an_method"])
        cols = st.columns(3)
        cols[0].metric("Accuracy (top-1, inputs excluded)", "—" if batch.accuracy is None else f"{batch.accuracy:.3f}")
        cols[1].metric("Analogies scored", f"{batch.n:,}", help=f"{batch.correct:,} correct")
        cols[2].metric("Skipped (unknown words)", f"{len(batch.skipped):,}")
        if batch.misses:
            st.subheader(f"Misses ({len(batch.misses):,})")
            st.dataframe(pd.DataFrame([m.__dict__ for m in batch.misses]), hide_index=True, key="an_misses")
        if batch.skipped:
            st.caption("Skipped lines: " + ", ".join(str(q.line) for q in batch.skipped[:30])
                       + (" …" if len(batch.skipped) > 30 else ""))
    st.stop()

inputs = st.columns(4)
inputs[0].text_input("a", key="an_a", placeholder="man", help=WORD_RULE)
inputs[1].text_input("b", key="an_b", placeholder="king")
inputs[2].text_input("c", key="an_c", placeholder="woman")
inputs[3].text_input("expected d (optional)", key="an_expected", placeholder="queen")
st.toggle("Exclude the inputs from the answers", key="an_exclude",
          help="Benchmarks exclude a, b and c; switch off to see the unrestricted ranking")
frame.publish()

a, b, c = (st.session_state[k].strip() for k in ("an_a", "an_b", "an_c"))
if not (a and b and c):
    st.info("Type three words a, b and c, or press **Guided demo**.")
    st.stop()

with user_errors():
    result = solve_analogy(model, a, b, c, k=st.session_state["an_k"], method=st.session_state["an_method"],
                           exclude_inputs=st.session_state["an_exclude"], expected=st.session_state["an_expected"].strip() or None)
    left, right = st.columns([2, 3])
    with left:
        st.subheader(f"{plain(result.a)} : {plain(result.b)} :: {plain(result.c)} : **{plain(result.best or '?')}**")
        st.dataframe(pd.DataFrame([{"rank": i + 1, "word": x.word, "score": round(x.score, 4)}
                                   for i, x in enumerate(result.answers)]), hide_index=True, key="an_answers")
        st.caption(SCORE_MEANING[result.method])
        if result.expected:
            if result.expected_rank is None:
                st.info(f"Expected answer **{plain(result.expected)}**: {plain(result.note)}.")
            else:
                rank, score = st.columns(2)
                rank.metric(f"Rank of '{plain(result.expected)}'", result.expected_rank, help="rank of the expected answer")
                score.metric(f"Score of '{plain(result.expected)}'", f"{result.expected_score:.4f}",
                             help=f"{result.method}, the score the answers are ranked by")
        if result.note and not (result.expected and result.expected_rank is None):
            st.warning(plain(result.note.capitalize() + "."))
    with right:
        picture = analogy_picture(model, result)
        st.plotly_chart(analogy_figure(picture, f"PCA of the words involved ({picture.explained_variance:.0%} of their variance)"),
                        key="an_picture")
        st.caption("Arrows: a→b (blue) and c→d (orange). Parallel arrows of similar length mean the same offset.")

    if frame.demo_on:
        st.subheader("Guided demo: four analogies on " + model)
        worked = worked_analogies(model, ANALOGY_EXAMPLES, method=st.session_state["an_method"])
        st.dataframe(pd.DataFrame([row.as_row() for row in worked]), hide_index=True, key="an_demo_table")
        st.caption("The last one fails on purpose: see the explanation above.")
