"""Compression: what float16, int8, binary and PCA codes of a collection keep of its neighbours and
its labels, with and without float32 re-scoring; and dot product against cosine on vectors that
are not unit length."""

from __future__ import annotations

import pandas as pd  # noqa: F401  (imported up front; see DESIGN "Testing")
import plotly.graph_objects as go  # noqa: F401
import streamlit as st

from embedlab import demos
from embedlab.analysis import compression as comp
from embedlab.analysis.normalisation import (
    DEFAULT_VOCABULARY,
    DEMO_CANDIDATES,
    most_disagreeing,
    norm_summary,
    word_dot_vs_cosine,
)
from embedlab.corpus import corpora, open_corpus
from embedlab.ui import url_state
from embedlab.ui.compression_view import quality_chart, ranking_frame, report_frame
from embedlab.ui.feedback import plain, progress_reporter, store_or_stop, user_errors
from embedlab.ui.frame import page_frame

BASES = ["float32", "float16", "int8", "binary", *(f"pca-{d}" for d in comp.PCA_DIMS)]
WORD_MODEL = "glove-6b-50d"

EXPLANATION = """
**What is stored.** Every scheme starts from the collection's unit-length vectors, so the
reference is exact cosine search in float32 (4 bytes a dimension). *float16* halves that.
*int8* splits each dimension's range over the collection (its minimum and maximum: the
calibration, 2 × dim float32 kept once) into 256 buckets — the definition of sentence-transformers'
`quantize_embeddings(..., "int8")`, whose codes the tests match exactly. *binary* keeps one bit per
dimension, the sign (32× smaller), and ranks by Hamming distance. *pca-d* keeps the first d
principal components of the collection (exact PCA; the mean and d components are kept once) and
ranks by the cosine of the reconstructed vectors. **Bytes per vector** = code bytes + the
calibration divided by the number of vectors.

**Re-scoring.** Search the small codes for the top F × 10 candidates (F is the re-scoring factor),
then re-rank only those with the float32 vectors. The memory index stays small; the float32 vectors
must still be kept on disk ("on disk" column).

**Recall@10.** A seeded sample of the collection's own rows are the queries; each query's exact
top 10 (float32 cosine over all other rows, itself excluded) is the truth; recall@10 is the share of
it a scheme finds. **Accuracy** is 5-fold cross-validated logistic regression (standardised,
seeded) on what a classifier could read from the compressed store — decoded vectors, the ±1 codes,
the PCA coordinates — on a seeded sample of rows; re-scoring changes only rankings, so a re-scored
row shows its codes' accuracy.

**The published figures** (Shakir, Aarsen & Lee, "Binary and Scalar Embedding Quantization for
Significantly Faster & Cheaper Retrieval", Hugging Face blog, 2024) are MTEB retrieval NDCG@10 on
15 datasets, not the recall@10 of a collection's own neighbours measured here; compare the shape,
not the digits. They report, as a share of float32: binary with float32 re-scoring (top 100 × 4)
**~96%** (mxbai-embed-large-v1 96.45%; 92.53% without re-scoring), int8 **~99.3%** with a
re-scoring factor of 4–5 (97% without, for that model); for **all-MiniLM-L6-v2** — this app's
`minilm` — binary kept 93.79% and int8 (no re-scoring) 90.79%; memory 4× (int8) and 32× (binary)
smaller. Here, with MiniLM on the news articles (3,823; see the README), int8 and float16 lose almost nothing, binary alone
loses a lot of the exact top 10, and re-scoring wins most of it back: the same ordering.
"""

NORMALISATION = """
`dot(q, x) = |q| |x| cos(q, x)`: for one query the two rankings differ only by each candidate's
length |x|. A sentence model's collection is stored unit length, so there they agree exactly. Raw
GloVe vectors are not unit length: pronouns, French function words of an English corpus ("de",
"la", "le"), some numbers and a few odd tokens are long, and the dot product lifts them into the
neighbours of words they barely point towards. Over GloVe's 50,000 most frequent words, length
falls slowly with frequency rank (Spearman ρ shown below), so frequent words are a little longer.
Cosine is what "similar meaning" needs; the dot product is right when length carries a wanted
signal (popularity in a recommender: see the Recommendation page's dot vs cosine).
"""

store = store_or_stop()
infos = {info.name: info for info in corpora(store.collections()) if info.complete and info.count >= 3}
names = list(infos)


def start_demo() -> None:
    """The guided demo: 400 health-news tweets (MiniLM, ingested below with a progress bar), every scheme, re-scored too."""
    st.session_state["_cmp_demo_pending"] = True


frame = page_frame(
    "compression",
    defaults={"cmp_collection": names[0] if names else "", "cmp_schemes": ",".join(BASES), "cmp_rescore_on": True,
              "cmp_rescore": comp.DEFAULT_RESCORE, "cmp_queries": comp.DEFAULT_QUERIES, "cmp_seed": comp.DEFAULT_SEED,
              "cmp_rows": comp.DEFAULT_DOWNSTREAM_ROWS, "cmp_run": False, "cmp_word": "", "cmp_vocab": DEFAULT_VOCABULARY},
    choices={"cmp_collection": names},
    caption="Smaller vectors, and what they cost: bytes per vector against the nearest neighbours and the labels they keep.",
    explanation=EXPLANATION,
    explanation_title="How compression is measured, and what the published figures say",
    on_demo=start_demo,
    demo_help=f"Ingest {demos.COMPRESSION_PER_LABEL} health-news tweets per account with MiniLM (once), then compare every scheme",
)


def run() -> None:
    url_state.remember("compression", cmp_run=True)


def label(name: str) -> str:
    info = infos.get(name)
    return name if info is None else f"{info.dataset} · {info.backend if not info.foreign else '?'} · {info.count:,} × {info.dim}"


if st.session_state.pop("_cmp_demo_pending", False):
    with user_errors():
        with st.status("Guided demo: health-news tweets in Chroma, then every scheme", expanded=True):
            collection = demos.compression_demo_collection(progress_reporter("Encoding the demo's tweets with MiniLM (once)"))
        url_state.remember("compression", cmp_collection=collection, cmp_schemes=",".join(BASES), cmp_rescore_on=True,
                           cmp_rescore=comp.DEFAULT_RESCORE, cmp_queries=comp.DEFAULT_QUERIES, cmp_seed=comp.DEFAULT_SEED,
                           cmp_rows=comp.DEFAULT_DOWNSTREAM_ROWS, cmp_run=True, cmp_word="")
        st.rerun()

# -- compression -------------------------------------------------------------------------------
st.header("Quality against memory")
corpus = None
if not names:
    st.info("No collection yet: run the guided demo, or bring a corpus into Chroma on the Explore page.")
else:
    collection = st.selectbox("Collection", names, key="cmp_collection", format_func=label)
    info = infos[collection]
    available = [b for b in BASES if not b.startswith("pca-") or int(b.split("-")[1]) < info.dim]
    picked = url_state.multiselect(st, "Schemes", available, key="cmp_pick", state="cmp_schemes",
                                   help="pca-d: PCA to d dimensions, fitted on this collection")
    c1, c2, c3, c4, c5 = st.columns(5)
    rescore_on = c1.toggle("with re-scoring variants", key="cmp_rescore_on")
    factor = url_state.number_input(c2, "re-score the top F×10", 1, 50, key="cmp_rescore", step=1)
    queries = url_state.number_input(c3, "queries (sampled rows)", 10, 5000, key="cmp_queries", step=50)
    rows = url_state.number_input(c4, "rows for accuracy (0: skip)", 0, 100_000, key="cmp_rows", step=500)
    seed = url_state.number_input(c5, "seed", 0, 2**31 - 1, key="cmp_seed", step=1)
    st.button("Evaluate (cached)", on_click=run, type="primary")
    schemes = [*picked, *(f"{s}{comp.RESCORE}" for s in picked if rescore_on and s != "float32")]
    with user_errors():
        corpus = open_corpus(info, store)
        if st.session_state.get("cmp_run") and schemes:
            report = comp.evaluate_corpus(corpus, schemes, queries=int(queries), rescore=int(factor), seed=int(seed),
                                          downstream_rows=int(rows), progress=progress_reporter("Compressing and searching"))
            st.caption(plain(report.settings()))
            st.dataframe(report_frame(report), hide_index=True, width="stretch", placeholder="—")
            st.plotly_chart(quality_chart(report), width="stretch", key="cmp_chart")
            if not report.labelled and int(rows) > 0:
                st.caption("This collection has no label column with two values or more: no downstream accuracy.")
        elif st.session_state.get("cmp_run"):
            st.info("Pick at least one scheme.")
        else:
            st.info("Choose schemes and press **Evaluate**; results are kept on disk, so a second look is instant.")

# -- normalisation -----------------------------------------------------------------------------
st.header("Normalisation: dot product or cosine")
with st.expander("Why the two rankings can differ", expanded=frame.demo_on):
    st.markdown(NORMALISATION)
if corpus is not None:
    lengths = norm_summary(corpus.vectors)
    same = "unit length, so dot product and cosine rank every query's neighbours the same" if lengths.unit else \
        "not all unit length: dot product and cosine can rank differently (this page compresses the unit vectors)"
    st.caption(plain(f"This collection's {lengths.rows:,} vector lengths: min {lengths.minimum:.4f}, median {lengths.median:.4f},"
                     f" max {lengths.maximum:.4f} — {same}."))
w1, w2 = st.columns([2, 1])
word = w1.text_input(f"Query word ({WORD_MODEL}, raw vectors; blank: the demo word list's biggest disagreement)", key="cmp_word")
vocabulary = url_state.number_input(w2, "search the most frequent words", 100, 400_000, key="cmp_vocab", step=10_000)
frame.publish()
with user_errors():
    with st.spinner(f"Ranking {WORD_MODEL}'s vocabulary both ways…"):
        result = word_dot_vs_cosine(WORD_MODEL, word.strip().lower(), 10, int(vocabulary)) if word.strip() else \
            most_disagreeing(WORD_MODEL, DEMO_CANDIDATES, 10, int(vocabulary))
    if not word.strip():
        st.caption(plain(f"Tried {', '.join(DEMO_CANDIDATES)}: {result.query!r} disagrees most."))
    m1, m2, m3 = st.columns(3)
    m1.metric("Query", result.query)
    m2.metric("Words in both top-10 lists", f"{result.overlap} / {result.k}")
    m3.metric("Spearman ρ (length, frequency rank)", f"{result.norm_rank_rho:.2f}")
    left, right = st.columns(2)
    left.markdown("**Top 10 by dot product**")
    left.dataframe(ranking_frame(result, "dot"), hide_index=True, width="stretch")
    right.markdown("**Top 10 by cosine**")
    right.dataframe(ranking_frame(result, "cosine"), hide_index=True, width="stretch")
    st.markdown(plain(result.explanation()))
