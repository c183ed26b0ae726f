"""Compare: two models on one corpus (where their neighbourhoods agree, CKA, Spearman ρ, two linked
maps, clusters of one on the other) and two corpora or two periods under one model (centroid
distance, MMD with a permutation p-value, a domain classifier's AUC, cluster shares, typical rows)."""

from __future__ import annotations

import pandas as pd  # noqa: F401  (imported up front; see DESIGN "Testing")
import plotly.graph_objects as go  # noqa: F401  (imported up front; see DESIGN "Testing")
import streamlit as st

from embedlab import config, demos
from embedlab.analysis.comparison import settings as cs
from embedlab.analysis.comparison.drift import (
    Sides,
    drift,
    split_collection,
    summarise_column,
    two_collections,
)
from embedlab.analysis.comparison.models import (
    compare_models,
    comparison_maps,
    compressed,
)
from embedlab.corpus import corpora, corpus_map, open_corpus
from embedlab.errors import InputError
from embedlab.estimates import duration
from embedlab.maps.projection import (
    METHODS,
    ProjectionParams,
    estimated_seconds,
)
from embedlab.ui import url_state
from embedlab.ui.compare_view import (
    cluster_heatmap,
    drift_panel,
    models_panel,
    overlap_histogram,
    per_label_chart,
    shares_chart,
    shares_frame,
    typical_frame,
)
from embedlab.ui.feedback import plain, progress_reporter, store_or_stop, user_errors
from embedlab.ui.frame import page_frame

EXPLANATION = f"""
**Two models, one corpus.** The same texts, encoded by two models (or by one model and its own
compressed codes), are matched row by row by their text. For every row, each model's
**k nearest rows** are found exactly (cosine over every other row; a row is never its own
neighbour). **kNN overlap** is the share of those k that both models agree on: 1 means the row
has the same neighbourhood in both spaces, 0 that the two models put entirely different texts
around it. The bar chart shows how many rows share 0, 1, …, k neighbours; the table lists the rows
that differ most, and picking one shows its neighbours in each model side by side, each with its
cosine in both models (a neighbour one model rates 0.8 and the other 0.3 is where they disagree).

- **Linear CKA** (centred kernel alignment) compares the two spaces as wholes, on every row: 1 when
  one is a rotation and rescaling of the other, near 0 when they share no linear structure. It is
  insensitive to the models' different dimensions.
- **Spearman ρ of pairwise similarities** ranks the cosine of every pair of a seeded sample of rows
  in each model and correlates the two rankings: do both models find the same pairs alike?
- **Clusters**: k-means with the same k and seed in each space; **ARI** (adjusted Rand index)
  says how far the two groupings coincide (1: identical, 0: chance). Colour both maps by the
  clusters of A to see where A's groups land in B; the table counts the rows of each pair.
- **The two maps** place the same rows, one per model (UMAP, PCA or t-SNE; B's map is turned to lie
  over A's by a rotation, reflection and scaling, since a map's axes mean nothing). Select with Box or
  Lasso on either map: the same rows are outlined on both, so a tight group in one model can be seen
  scattered in the other. Colour by agreement to see where the models disagree.

**Two corpora, or two periods of one, under one model.** Two collections made by the same model, or
one collection split by a date or number column at a point (or by the values of a column):

- **Centroid distance**: how far apart the two sides' average vectors are (Euclidean; 0 = the same
  average). Simple, but blind to changes that keep the average.
- **MMD** (maximum mean discrepancy, unbiased MMD² with a Gaussian kernel whose width is the median
  distance between rows) measures any difference between the two distributions. Its **p-value**
  comes from shuffling the rows between the sides ({cs.DEFAULT_PERMUTATIONS} times by default,
  seeded): the share of shuffles whose MMD² is at least the observed one. A small p-value says the
  difference is more than the luck of the draw.
- **Domain classifier AUC**: a logistic regression tries to tell which side a row came from, scored
  by cross-validation on rows it did not see. **0.5 = indistinguishable**, 1 = every row gives its
  side away. Unlike the p-value, it says how *big* the difference is.
- **Cluster shares**: both sides are clustered together (k-means); each cluster's share of side A
  and of side B, with its most distinctive words (c-TF-IDF), shows which topics grew, shrank,
  appeared or vanished. The chi-square p-value tests whether the mix of clusters is the same.
- **Most typical rows** of each side are those the classifier, held out, is surest belong there.

MMD and the classifier run on a seeded sample of at most {cs.DEFAULT_MAX_ROWS:,} rows a side
(settable); centroids and clusters use every row. Every result is kept on disk by the vectors and
the settings, so a second look is instant.

**The guided demo** encodes a seeded sample of {demos.COMPARE_SAMPLE} health-news tweets (all 16
accounts, June 2011 to April 2015) with MiniLM and with the multilingual USE. The models share
fewer than half of each tweet's 10 neighbours on average, yet their pairwise similarities correlate
clearly and their spaces are linearly alike (the figures are this run's own; the README lists
them). Select a group on one map to see where the other model puts it; pick a row from the table of
least agreeing rows to read both neighbour lists. Then switch to **Two corpora or two periods**: the
MiniLM tweets split at {demos.COMPARE_SPLIT_AT}. The domain classifier tells the periods apart
better than chance (but far from perfectly), MMD's p-value is small, and a cluster about Ebola (the
2014 outbreak) grows from about 6% of the tweets before the split to about 20% after it. Part of the
drift is the mix of accounts: some stopped tweeting before the split and others started after it
(the label shares say which), so a change of topic and a change of source look alike here.
"""

store = store_or_stop()
infos = {info.name: info for info in corpora(store.collections()) if info.complete and info.count >= cs.MIN_ROWS}
names = list(infos)
SCHEMES = ("float16", "int8", "binary", "pca-32", "pca-64", "pca-128")
b_options = [*names, *(f"@{scheme}" for scheme in SCHEMES)]
MODES = {"models": "Two models, one corpus", "drift": "Two corpora or two periods, one model"}
SOURCES = {"split": "one collection split by a column", "collections": "two collections"}
SPLIT_SEPARATOR = "|"


def collection_label(name: str) -> str:
    info = infos.get(name)
    if info is None:
        return name
    model = info.backend if not info.foreign else f"made elsewhere, {info.dim}-d"
    return f"{info.dataset} · {model} · {info.count:,} rows"


def b_label(name: str) -> str:
    if name.startswith("@"):
        return f"A's own vectors as {name[1:]} codes (compression)"
    return collection_label(name)


def start_demo() -> None:
    st.session_state["_vs_demo_pending"] = True


# the collections' defaults are blank, not the first stored name: a default that changes as collections
# come and go would put a blank choice into the link of a view made before they existed
defaults: dict[str, str | int | float | bool] = {
    "vs_mode": "models",
    "vs_a": "", "vs_b": "",
    "vs_k": cs.DEFAULT_K, "vs_sample": cs.DEFAULT_SAMPLE, "vs_seed": cs.DEFAULT_SEED, "vs_clusters": cs.DEFAULT_CLUSTERS,
    "vs_method": "umap", "vs_align": True, "vs_colour": "agreement", "vs_selected": "", "vs_picked": -1,
    "vs_source": "split", "vs_split_collection": "", "vs_split_column": "", "vs_split_at": "",
    "vs_split_values": "", "vs_versus": "", "vs_da": "", "vs_db": "",
    "vs_max_rows": cs.DEFAULT_MAX_ROWS, "vs_permutations": cs.DEFAULT_PERMUTATIONS, "vs_folds": cs.DEFAULT_FOLDS,
    "vs_drift_clusters": cs.DEFAULT_CLUSTERS, "vs_drift_method": "umap", "vs_drift_colour": "side", "vs_drift_picked": -1,
}
frame = page_frame(
    "compare",
    defaults=defaults,
    choices={"vs_mode": list(MODES), "vs_a": ["", *names], "vs_b": ["", *b_options], "vs_method": list(METHODS),
             "vs_source": list(SOURCES), "vs_split_collection": ["", *names], "vs_da": ["", *names], "vs_db": ["", *names],
             "vs_drift_method": list(METHODS)},
    caption="Where two models agree on the same texts and where they differ; and how far two corpora, or two periods, drift apart.",
    explanation=EXPLANATION,
    explanation_title="How to read each figure",
    on_demo=start_demo,
    demo_help=f"Encode {demos.COMPARE_SAMPLE} health-news tweets with MiniLM and the multilingual USE (once), compare the two"
              f" models, and split the tweets by date at {demos.COMPARE_SPLIT_AT}",
)

if st.session_state.pop("_vs_demo_pending", False):
    with user_errors():
        with st.status("Guided demo: the same tweets encoded by two models (once)", expanded=True):
            first, second = demos.compare_demo_collections(
                lambda model: progress_reporter(f"Encoding {demos.COMPARE_SAMPLE} tweets with {model}"))
        url_state.remember("compare", vs_mode="models", vs_a=first, vs_b=second, vs_k=cs.DEFAULT_K, vs_sample=cs.DEFAULT_SAMPLE,
                           vs_seed=cs.DEFAULT_SEED, vs_clusters=cs.DEFAULT_CLUSTERS, vs_method="umap", vs_align=True,
                           vs_colour="agreement", vs_selected="", vs_picked=-1, vs_source="split", vs_split_collection=first,
                           vs_split_column=demos.COMPARE_SPLIT_COLUMN, vs_split_at=demos.COMPARE_SPLIT_AT, vs_split_values="",
                           vs_versus="", vs_drift_colour="side", vs_drift_picked=-1)
        st.rerun()

if not names:
    st.info("No collection yet: run the guided demo, or bring a corpus into Chroma on the Explore page (ingest the same data"
            " with two models to compare them).")
    frame.publish()
    st.stop()

mode = st.radio("Compare", list(MODES), format_func=MODES.__getitem__, key="vs_mode", horizontal=True)
opened: set[str] = st.session_state.setdefault("_vs_opened", set())


def big_and_unopened(key: str, rows: int, what: str) -> bool:
    """Above ``EMBEDLAB_AUTO_MAP_POINTS`` rows, wait for a button press (once per comparison)."""
    if rows <= config.auto_map_points() or key in opened:
        return False
    if st.button(f"Compare {rows:,} rows", key="vs_go", type="primary"):
        opened.add(key)
        return False
    st.info(f"{rows:,} rows: {what} and the maps take about {duration(2 * estimated_seconds('umap', rows))} here the first time"
            " (results are kept, so later looks are quick). Nothing starts until you press the button.")
    return True


def pick_default(key: str, options: list[str], default: str) -> None:
    """A blank or stale choice of ``key`` becomes ``default`` (one of ``options``)."""
    if st.session_state.get(key) not in options:
        st.session_state[key] = default


def show_models() -> None:
    """Two models, one corpus."""
    pick_default("vs_a", names, names[0])
    pick_default("vs_b", b_options, names[1] if len(names) > 1 else "@int8")
    c1, c2 = st.columns(2)
    first_name = c1.selectbox("A: a collection", names, key="vs_a", format_func=collection_label)
    second_name = c2.selectbox("B: the same texts from another model", b_options, key="vs_b", format_func=b_label,
                               help="a collection holding the same texts made by another model (rows are matched by their text),"
                                    " or A's own vectors after compression")
    s1, s2, s3, s4, s5, s6 = st.columns(6)
    k = url_state.number_input(s1, "k (neighbours)", 1, cs.MAX_K, key="vs_k", step=1)
    sample = url_state.number_input(s2, "rows for Spearman ρ", cs.MIN_SAMPLE, cs.MAX_SAMPLE, key="vs_sample", step=100)
    seed = url_state.number_input(s3, "seed", 0, 2**31 - 1, key="vs_seed", step=1)
    clusters = url_state.number_input(s4, "clusters (0: none)", 0, cs.MAX_CLUSTERS, key="vs_clusters", step=1,
                                      help="k-means clusters of each model's space, the same k and seed in both")
    method = s5.selectbox("map", list(METHODS), key="vs_method")
    align = s6.toggle("align maps", key="vs_align", help="rotate, reflect and scale B's map to lie over A's (a map's axes mean nothing)")
    first = open_corpus(infos[first_name], store)
    second = compressed(first, second_name[1:]) if second_name.startswith("@") else open_corpus(infos[second_name], store)
    if big_and_unopened(f"{first.digest}|{second.digest}", min(len(first), len(second)), "finding every row's neighbours in both"):
        return
    with st.status(f"Comparing {first.info.backend} with {second.info.backend}…", expanded=True) as status:
        comparison = compare_models(first, second, int(k), sample=int(sample), seed=int(seed), clusters=int(clusters),
                                    progress=progress_reporter("Nearest neighbours of every row in each model"))
        status.update(label="Mapping the rows in each model…")
        maps = comparison_maps(comparison, ProjectionParams(method, seed=42), bool(align))
        status.update(label=f"{comparison.rows:,} rows compared · maps {maps.a.params.randomness}", state="complete", expanded=False)
    for note in comparison.notes:
        st.caption(plain(note))
    m = st.columns(6)
    m[0].metric("Rows compared", f"{comparison.rows:,}")
    m[1].metric(f"Mean overlap@{comparison.k}", f"{comparison.mean:.3f}",
                help="the mean over rows of |kNN in A ∩ kNN in B| / k; exact cosine, a row never its own neighbour")
    m[2].metric(f"Median overlap@{comparison.k}", f"{comparison.median:.3f}")
    m[3].metric("Linear CKA", f"{comparison.cka:.3f}", help=f"on all {comparison.rows:,} rows")
    m[4].metric("Spearman ρ", f"{comparison.spearman:.3f}",
                help=f"of the cosines of {comparison.spearman_pairs:,} pairs of {comparison.spearman_rows:,} rows (seed {comparison.seed})")
    m[5].metric("ARI of the clusters", "n/a" if comparison.cluster_ari is None else f"{comparison.cluster_ari:.3f}",
                help="k-means in each space with the same k and seed: adjusted Rand index between the two groupings")
    left, right = st.columns(2)
    left.plotly_chart(overlap_histogram(comparison), key="vs_histogram", width="stretch")
    per_label = comparison.per_label()
    if per_label is not None:
        right.plotly_chart(per_label_chart(per_label, comparison.k), key="vs_per_label", width="stretch")
    else:
        right.caption("These rows have no labels: no agreement per label.")
    models_panel(comparison, maps, frame.publish_part)
    table = comparison.cluster_table()
    if table is not None:
        st.subheader("Clusters of one model on the other")
        st.caption(plain(f"k-means, k = {comparison.clusters_a.params.k if comparison.clusters_a else ''}, seed {comparison.seed},"
                         f" in each space: ARI {comparison.cluster_ari:.3f}, NMI {comparison.cluster_nmi:.3f}."
                         " A row of the table is a cluster of A; its cells count where its rows went among B's clusters."))
        st.plotly_chart(cluster_heatmap(table), key="vs_clusters_chart", width="stretch")


def split_inputs(corpus_name: str) -> Sides:
    """The column, and the point or the values, that split one collection in two."""
    corpus = open_corpus(infos[corpus_name], store)
    columns = [c for c in corpus.colour_columns() if c != "doc"]
    if not columns:
        raise InputError(f"{corpus_name!r} has no column to split by: compare it with another collection instead.")
    if st.session_state.get("vs_split_column") not in columns:
        dated = [c for c in columns if c in ("date", "publish_date", "time", "year")]
        st.session_state["vs_split_column"] = dated[0] if dated else columns[0]
    d1, d2 = st.columns([1, 3])
    column = d1.selectbox("Split by the column", columns, key="vs_split_column")
    summary = summarise_column(corpus, column)
    d2.caption(plain(summary.describe()))
    if summary.kind == "values":
        known = [value for value, _ in summary.values]
        given = [v for v in str(st.session_state.get("vs_split_values") or "").split(SPLIT_SEPARATOR) if v in known]
        versus = [v for v in str(st.session_state.get("vs_versus") or "").split(SPLIT_SEPARATOR) if v in known]
        v1, v2 = d2.columns(2)
        chosen = v1.multiselect("Side A: rows whose value is", known, default=given or known[:1], key="vs_values_pick")
        other = v2.multiselect("Side B: rows whose value is (empty: every other row)", [v for v in known if v not in chosen],
                               default=[v for v in versus if v not in chosen], key="vs_versus_pick")
        st.session_state["vs_split_values"] = SPLIT_SEPARATOR.join(chosen)
        st.session_state["vs_versus"] = SPLIT_SEPARATOR.join(other)
        return split_collection(corpus, column, values=chosen, versus=other)
    at = d2.text_input(f"Split at (a {summary.kind}; side A before it, side B from it on; blank: the median, {summary.median})",
                       key="vs_split_at")
    return split_collection(corpus, column, at=at.strip() or summary.median)


def show_drift() -> None:
    """Two corpora, or two periods of one, under one model."""
    source = st.radio("The two sides", list(SOURCES), format_func=SOURCES.__getitem__, key="vs_source", horizontal=True)
    if source == "split":
        pick_default("vs_split_collection", names, names[0])
        name = st.selectbox("Collection", names, key="vs_split_collection", format_func=collection_label)
        sides = split_inputs(name)
    else:
        pick_default("vs_da", names, names[0])
        pick_default("vs_db", names, names[-1])
        c1, c2 = st.columns(2)
        first = c1.selectbox("Side A", names, key="vs_da", format_func=collection_label)
        second = c2.selectbox("Side B (made by the same model)", names, key="vs_db", format_func=collection_label)
        sides = two_collections(open_corpus(infos[first], store), open_corpus(infos[second], store))
    s1, s2, s3, s4, s5, s6 = st.columns(6)
    max_rows = url_state.number_input(s1, "rows per side", cs.MIN_MAX_ROWS, cs.MAX_ROWS, key="vs_max_rows", step=100,
                                      help="a seeded sample of at most this many rows of each side for MMD and the classifier")
    permutations = url_state.number_input(s2, "permutations", cs.MIN_PERMUTATIONS, cs.MAX_PERMUTATIONS, key="vs_permutations", step=100)
    folds = url_state.number_input(s3, "folds", 2, cs.MAX_FOLDS, key="vs_folds", step=1)
    seed = url_state.number_input(s4, "seed", 0, 2**31 - 1, key="vs_seed", step=1)
    clusters = url_state.number_input(s5, "clusters (0: none)", 0, cs.MAX_CLUSTERS, key="vs_drift_clusters", step=1)
    method = s6.selectbox("map", list(METHODS), key="vs_drift_method")
    st.caption(plain(sides.description + f" · {sides.model}"))
    if big_and_unopened(f"{sides.joint.digest}|{sides.joint.info.name}", len(sides.joint), "the tests, the clusters"):
        return
    with st.status("Measuring the drift…", expanded=True) as status:
        result = drift(sides, max_rows=int(max_rows), permutations=int(permutations), folds=int(folds), seed=int(seed),
                       clusters=int(clusters), progress=progress_reporter("Permutations and folds"))
        status.update(label="Mapping both sides together…")
        projection = corpus_map(sides.joint, ProjectionParams(method, seed=42))
        status.update(label=f"Drift of {len(sides.joint):,} rows{' (from the cache)' if result.cached else ''}", state="complete",
                      expanded=False)
    m = st.columns(5)
    m[0].metric("Rows A / B", f"{sides.rows_a:,} / {sides.rows_b:,}", help=plain(f"A: {sides.name_a}; B: {sides.name_b}"))
    m[1].metric("Centroid distance", f"{result.centroid_distance:.4f}", help=f"cosine of the two centroids {result.centroid_cosine:.4f}")
    m[2].metric("MMD²", f"{result.mmd:.5f}", help=f"unbiased, Gaussian kernel, bandwidth {result.bandwidth:.3f} (median distance)")
    m[3].metric("p-value (permutations)", f"{result.p_value:.4f}",
                help=f"{result.permutations} permutations of {result.sample_a:,} + {result.sample_b:,} rows, seed {result.seed};"
                     f" the smallest possible is {1 / (result.permutations + 1):.4f}")
    m[4].metric("Domain classifier AUC", f"{result.auc:.3f}",
                help=f"{result.folds}-fold cross-validated logistic regression, ± {result.auc_std:.3f} across the folds;"
                     " 0.5 = the sides cannot be told apart, 1 = every row gives its side away")
    drift_panel(result, projection, frame.publish_part)
    if result.clusters is not None:
        st.subheader("Which topics grew, and which vanished")
        mix = "" if result.cluster_p_value is None else f" Chi-square test of the same mix on both sides: p = {result.cluster_p_value:.3g}."
        st.caption(plain(f"k-means (k = {result.clusters.params.k}, seed {result.clusters.params.seed}) on both sides together;"
                         f" terms by class-based TF-IDF; biggest move first.{mix}"))
        st.plotly_chart(shares_chart(result.cluster_shares, sides.name_a, sides.name_b, "Share of each side in each cluster"),
                        key="vs_shares_chart", width="stretch")
        st.dataframe(shares_frame(result.cluster_shares), hide_index=True, key="vs_shares")
    if result.label_shares:
        mix = "" if result.label_p_value is None else f" (chi-square p = {result.label_p_value:.3g})"
        st.markdown(f"**Labels on each side**{plain(mix)}: a change of source can look like a change of topic.")
        st.dataframe(shares_frame(result.label_shares).drop(columns=["terms"]), hide_index=True, key="vs_label_shares")
    st.markdown(f"**Most typical of A** ({plain(sides.name_a)}): the rows the held-out classifier is surest come from A")
    st.dataframe(typical_frame(result, 0), hide_index=True, key="vs_typical_a")
    st.markdown(f"**Most typical of B** ({plain(sides.name_b)})")
    st.dataframe(typical_frame(result, 1), hide_index=True, key="vs_typical_b")


with user_errors():
    if mode == "models":
        show_models()
    else:
        show_drift()
frame.publish()

