"""Explore: bring a corpus, see its map, find its clusters, take the result away."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go  # noqa: F401  (imported up front; see DESIGN "Testing")
import streamlit as st

from embedlab import config, datasets, demos
from embedlab.analysis.search import foreign_notice, models_of_dimension
from embedlab.backends import BackendKind, backend_names, is_text_model
from embedlab.corpus import (
    corpora,
    corpus_clusters,
    corpus_export_frame,
    corpus_map,
    corpus_trust,
    forget_collection,
    last_view,
    open_corpus,
    remember_view,
)
from embedlab.estimates import announce_encoding, duration
from embedlab.ingest import (
    DEFAULT_CHUNK_WORDS,
    DEFAULT_OVERLAP_WORDS,
    UPLOAD_LIMITS,
    dataset_announcement,
    ingest_dataset,
    ingest_upload,
    parse_upload,
)
from embedlab.maps.clustering import CLUSTER_METHODS, ClusterParams
from embedlab.maps.export import csv_bytes, parquet_bytes, projector_zip
from embedlab.maps.neighborhood import TRUST_MIN_POINTS
from embedlab.maps.projection import (
    LAST_VIEW_RULE,
    METHODS,
    TSNE_MAX_POINTS,
    UMAP_METRICS,
    ProjectionParams,
    estimated_seconds,
    warm_up_status,
)
from embedlab.store import KIND_ITEMS
from embedlab.ui import url_state
from embedlab.ui.explore_view import map_panel
from embedlab.ui.feedback import plain, progress_reporter, store_or_stop, user_errors
from embedlab.ui.frame import page_frame

STAY = "Stay on this page until it finishes: a click elsewhere stops it (ingesting the same data again resumes where it stopped)."
EXPLANATION = """
**What the map shows.** Every point is one text (or one chunk of a long text). UMAP, t-SNE and
PCA squeeze the model's 384 or 512 dimensions into 2 or 3 so you can look at them: texts the
model finds alike tend to land together, so islands are topics, styles or sources.

**What it does not show.** Distances *between* islands, island sizes and the empty space are
mostly artefacts of the projection: UMAP and t-SNE keep local neighbourhoods and bend the rest.
Trustworthiness (1 = every map neighbour is a true neighbour) and a picked point's
neighbours (how many of its nearest in the original space stay near it on the map) tell you how
far the local picture holds. Clusters are computed on the full
vectors, not on the map, so a cluster may look split on the map and still be one group.

**In the guided demo** (35 articles from each of the 9 outlets, 315 in all, each read by MiniLM
up to its first ~200 words), colour by *label* (the outlet) and compare with the 9 k-means
clusters. Clusters follow *topics*: Russia, China, Irish courts and police, Israel and Palestine,
Trump's White House, Brexit and government. Outlets with a beat of their own therefore get an
island and nearly a cluster of their own (China Daily, TASS, and RTÉ and Al Jazeera in part),
while CNN, ABC News and HuffPost mix in the US-politics clusters. Measured here with seed 42:
ARI around 0.2 and NMI around 0.3 against the outlets (topics are not outlets), silhouette
below 0.1 (the topics blend into each other), trustworthiness close to 0.9 (local
neighbourhoods mostly hold). The figures beside the map are this run's own.
"""

TEXT_DATASETS = datasets.names("texts")
MAP, CLUSTERS = ProjectionParams(), ClusterParams()  # the defaults, defined once in the engine
VIEW_DEFAULTS: dict[str, str | int | float | bool] = {
    "explore_method": MAP.method, "explore_dims": MAP.dims, "explore_neighbors": MAP.n_neighbors, "explore_min_dist": MAP.min_dist,
    "explore_metric": MAP.metric, "explore_perplexity": MAP.perplexity, "explore_seed": MAP.seed, "explore_parallel": MAP.parallel,
    "explore_cluster_method": CLUSTERS.method, "explore_k": CLUSTERS.k, "explore_min_cluster_size": CLUSTERS.min_cluster_size,
    "explore_colour": "label",
}
PANEL_DEFAULTS: dict[str, str | int | float | bool] = {"explore_query": "", "explore_topk": 10, "explore_filter_column": "text", "explore_filter_mode": "value",
                  "explore_filter_value": "", "explore_filter_low": "", "explore_filter_high": "", "explore_filter_pattern": ""}
text_models = backend_names(BackendKind.TEXT)
store = store_or_stop()


def collection_label(name: str) -> str:
    """How a collection reads in menus."""
    info = infos.get(name) or broken.get(name)
    if info is None:
        return name
    if info.damaged:
        return f"{info.dataset} · damaged: delete it and ingest again"
    flag = "" if info.complete else " · interrupted, ingest again to resume"
    model = info.backend if not info.foreign else f"made elsewhere, {info.dim}-d"
    return f"{info.dataset} · {model} · {info.count:,} rows{flag}"


def view_settings(collection: str) -> dict[str, str | int | float | bool]:
    """The widget values of ``collection``'s last view; the defaults where it has none (a new
    collection starts from the defaults, never from another collection's settings)."""
    view = last_view(collection) or {}
    projection, clustering = view.get("projection", {}), view.get("clusters", {})
    saved = {
        "explore_method": projection.get("method"), "explore_dims": projection.get("dims"),
        "explore_neighbors": projection.get("n_neighbors"), "explore_min_dist": projection.get("min_dist"),
        "explore_metric": projection.get("metric"), "explore_perplexity": projection.get("perplexity"),
        "explore_seed": projection.get("seed"), "explore_parallel": projection.get("parallel"),
        "explore_cluster_method": clustering.get("method"), "explore_k": clustering.get("k"),
        "explore_min_cluster_size": clustering.get("min_cluster_size"), "explore_colour": view.get("colour"),
    }
    return {key: VIEW_DEFAULTS[key] if value is None else value for key, value in saved.items()}


def start_demo() -> None:
    """The guided demo: news articles coloured by outlet, with k-means clusters (ingested below, once)."""
    st.session_state["_explore_demo_pending"] = True


def delete_collection(name: str) -> None:
    """Delete after confirmation (a callback, so the confirmation box can be reset)."""
    with user_errors():
        store.delete(name)
        forget_collection(name)
        st.session_state["_explore_deleted"] = f"Deleted {plain(name)}."
    st.session_state["explore_confirm_delete"] = False


listed_collections = store.collections()  # read once: every row count is a store query
everything = {info.name: info for info in corpora(listed_collections, include_internal=True)}  # images: their own page
corpus_names = [name for name, info in everything.items() if info.kind != KIND_ITEMS]
frame = page_frame(
    "explore",
    defaults={"explore_collection": corpus_names[0] if corpus_names else "", "explore_internal": False, **VIEW_DEFAULTS,
              **PANEL_DEFAULTS},
    choices={"explore_collection": list(everything), "explore_method": list(METHODS), "explore_metric": list(UMAP_METRICS),
             "explore_cluster_method": list(CLUSTER_METHODS), "explore_dims": [2, 3]},
    caption="Bring a corpus, see its map, find its clusters, take the result away. Every point is mapped: no sampling.",
    explanation=EXPLANATION,
    on_demo=start_demo,
    demo_help=f"Ingest {demos.EXPLORE_PER_LABEL} news articles per outlet (once), colour them by outlet, cluster them",
)

# -- the guided demo needs its collection ------------------------------------------------------
if st.session_state.pop("_explore_demo_pending", False):
    with user_errors():
        collection = demos.explore_demo_collection(progress_reporter("Encoding the demo's news articles with MiniLM"))
        remember_view(collection, demos.EXPLORE_VIEW)  # the user asked for the demo's view: it is this collection's view now
        st.session_state["_explore_select"] = collection
        st.session_state["_explore_view_for"] = None
        url_state.remember("explore", explore_query="")
        st.rerun()

# -- data in -----------------------------------------------------------------------------------
with st.expander("➕ Add data: a built-in dataset or your own file", expanded=not everything):
    source_tab, upload_tab = st.tabs(["Built-in dataset", "Upload a file"])
    with source_tab:
        st.session_state.setdefault("explore_dataset_name", st.session_state.get("explore_dataset", TEXT_DATASETS[0]))
        dataset = st.selectbox("Dataset", TEXT_DATASETS, format_func=lambda d: datasets.dataset(d).line(), key="explore_dataset",
                               on_change=lambda: st.session_state.update(explore_dataset_name=st.session_state["explore_dataset"]))
        left, middle, right = st.columns(3)
        limit = left.number_input("First N documents (0 = all)", min_value=0, max_value=datasets.dataset(dataset).size, value=0, step=100,
                                  key="explore_dataset_limit")
        dataset_model = middle.selectbox("Text model", text_models, key="explore_dataset_model")
        dataset_name = right.text_input("Collection name", key="explore_dataset_name")
        d1, d2 = st.columns(2)
        dataset_chunk = d1.number_input("Chunk size (words, 0 = no chunking)", 0, 2000, DEFAULT_CHUNK_WORDS, key="explore_dataset_chunk")
        dataset_overlap = d2.number_input("Chunk overlap (words)", 0, 1000, DEFAULT_OVERLAP_WORDS, key="explore_dataset_overlap")
        with user_errors():
            said = dataset_announcement(dataset, str(dataset_model), int(limit) or None, int(dataset_chunk),
                                        min(int(dataset_overlap), max(int(dataset_chunk) - 1, 0)))
            if said:
                st.caption(plain(said))
        if st.button("Encode and store", key="explore_dataset_go", type="primary"):
            with user_errors():
                st.caption(STAY)
                report = ingest_dataset(dataset, dataset_name, dataset_model, limit=int(limit) or None, chunk_size=int(dataset_chunk),
                                        overlap=int(dataset_overlap), progress=progress_reporter("Encoding rows"), store=store)
                st.session_state["_explore_select"] = report.collection
                st.session_state["_explore_ingested"] = report.as_dict()
                st.rerun()
    with upload_tab:
        st.caption(UPLOAD_LIMITS.describe() + " Nothing is encoded or kept until you press the button (a reload empties"
                   " this form: choose the file again); once stored, the collection and its map survive reloads and links.")
        upload = st.file_uploader("File", type=["csv", "tsv", "tab", "jsonl", "ndjson", "txt"], key="explore_upload")
        if upload is not None:
            with user_errors():
                table = parse_upload(upload.getvalue(), upload.name)
                if st.session_state.get("_explore_upload_for") != upload.file_id:  # a new file: name its collection after it
                    st.session_state["_explore_upload_for"] = upload.file_id
                    st.session_state["explore_upload_name"] = table.name
                st.caption(f"Preview: first rows of {len(table.frame):,} ({table.format}).")
                st.dataframe(table.frame.head(8), hide_index=True, key="explore_preview")
                columns = table.columns
                guess, no_text = table.offer_text_column()
                if no_text:
                    st.warning(plain(no_text))
                u1, u2, u3 = st.columns(3)
                text_column = u1.selectbox("Text column", columns, index=columns.index(guess), key="explore_text_column")
                label_column = u2.selectbox("Label column (optional)", ["(none)"] + columns, key="explore_label_column")
                extra_columns = u3.multiselect("Other columns to keep (colour, hover)", columns, key="explore_extra_columns")
                u4, u5, u6, u7 = st.columns(4)
                chunk = u4.number_input("Chunk size (words, 0 = off)", 0, 2000, DEFAULT_CHUNK_WORDS, key="explore_chunk")
                overlap = u5.number_input("Chunk overlap (words)", 0, 1000, DEFAULT_OVERLAP_WORDS, key="explore_overlap")
                upload_model = u6.selectbox("Text model", text_models, key="explore_upload_model")
                upload_name = u7.text_input("Collection name", key="explore_upload_name")
                said = announce_encoding(upload_model, table.frame[text_column].tolist(), int(chunk),
                                         overlap_words=min(int(overlap), max(int(chunk) - 1, 0)),
                                         cached="rows stored before are skipped")
                if said:
                    st.caption(plain(said))
                if st.button("Encode and store", key="explore_upload_go", type="primary"):
                    st.caption(STAY)
                    report = ingest_upload(upload.getvalue(), upload.name, upload_name, upload_model, text_column,
                                           None if label_column == "(none)" else label_column, extra_columns, chunk_size=int(chunk),
                                           overlap=int(overlap), progress=progress_reporter("Encoding rows"), store=store)
                    st.session_state["_explore_select"] = report.collection
                    st.session_state["_explore_ingested"] = report.as_dict()
                    st.rerun()

done = st.session_state.pop("_explore_ingested", None)
if done:
    st.success(f"Stored {done['rows']:,} rows from {done['documents']:,} documents in {plain(done['collection'])}:"
               f" {done['added']:,} encoded, {done['skipped']:,} were already there.")

broken = {info.name: info for info in listed_collections if info.damaged}
for info in broken.values():
    st.warning(plain(info.extra.get("error", f"Collection {info.name} cannot be read.")), icon="🩹")
internal = [name for name, info in everything.items() if info.kind == KIND_ITEMS]
if internal:
    st.toggle(f"Show internal collections ({len(internal)}: a recommender's item vectors)", key="explore_internal")
chosen_now = st.session_state.get("explore_collection")
infos = {name: info for name, info in everything.items()
         if info.kind != KIND_ITEMS or st.session_state.get("explore_internal") or name == chosen_now}
names = list(infos)
# -- collections: list, inspect, delete (damaged ones too) -------------------------------------
if infos or broken:
    with st.expander("🗂️ Collections: list, inspect, delete"):
        listed = {**infos, **broken}
        listing = pd.DataFrame([{"name": i.name, "dataset": i.dataset, "model": i.backend, "rows": i.count, "created": i.created,
                                 "status": i.status} for i in listed.values()])
        st.dataframe(listing, hide_index=True, key="explore_collections")
        inspect = st.selectbox("Inspect or delete", list(listed), format_func=collection_label, key="explore_inspect")
        st.json(listed[inspect].as_dict(), expanded=False)
        confirm = st.checkbox(f"Yes, delete {plain(inspect)} and its {listed[inspect].count:,} rows", key="explore_confirm_delete")
        st.button("Delete collection", disabled=not confirm, key="explore_delete", on_click=delete_collection, args=(inspect,))
        if st.session_state.get("_explore_deleted"):
            st.success(st.session_state.pop("_explore_deleted"))


if not infos:
    st.info("No collections yet: add a dataset or a file above, or press **Guided demo**.")
    frame.publish()
    st.stop()

# -- which collection: each keeps its own view -------------------------------------------------
pending = st.session_state.pop("_explore_select", None)
if pending in infos:
    url_state.remember("explore", explore_collection=pending)
if st.session_state.get("explore_collection") not in infos:
    st.session_state["explore_collection"] = names[0]
collection = st.selectbox("Collection", names, format_func=collection_label, key="explore_collection")
shown_for = st.session_state.get("_explore_view_for")
if shown_for != collection:
    # another collection: its own last view (or the defaults), except what a link just brought
    from_link = set(url_state.link_values(VIEW_DEFAULTS)) if shown_for is None and "_explore_view_for" not in st.session_state else set()
    url_state.remember("explore", **{k: v for k, v in view_settings(collection).items() if k not in from_link})
    st.session_state["_explore_view_for"] = collection
    st.session_state.pop("_explore_picked", None)
    st.session_state.pop("_explore_isolated", None)
info = infos[collection]
if not info.complete:
    st.warning("This ingest was interrupted: its rows so far are kept. Ingest the same data again to resume where it stopped.")
search_model = info.backend
if not info.foreign and not is_text_model(info.backend):  # a recommender's item vectors: no text model made them
    st.info(plain(f"{info.dataset!r} holds vectors of {info.backend!r}, not of a text model: there is no text search;"
                  " click a point to see its nearest rows by its stored vector."))
    search_model = ""
elif info.foreign:
    fitting = models_of_dimension(info.dim)
    st.info(plain(foreign_notice(info, fitting)))
    search_model = st.selectbox(f"Text model for search ({info.dim}-d, as the stored vectors)", fitting, key="explore_foreign_model") \
        if fitting else ""

# -- map and cluster settings ------------------------------------------------------------------
with st.form("explore_settings"):
    st.markdown("**Map and clusters**")
    c1, c2, c3, c4, c5, c6, c7 = st.columns(7)
    method = c1.selectbox("Projection", list(METHODS), key="explore_method", help=f"t-SNE up to {TSNE_MAX_POINTS:,} points")
    dims = c2.selectbox("Dimensions", [2, 3], key="explore_dims")
    n_neighbors = url_state.number_input(c3, "UMAP n_neighbors", 2, 200, key="explore_neighbors")
    min_dist = url_state.number_input(c4, "UMAP min_dist", 0.0, 1.0, step=0.05, key="explore_min_dist")
    metric = c5.selectbox("Metric", list(UMAP_METRICS), key="explore_metric")
    perplexity = url_state.number_input(c6, "t-SNE perplexity", 2.0, 100.0, step=5.0, key="explore_perplexity")
    seed = url_state.number_input(c7, "Seed", 0, 2**31 - 1, key="explore_seed")
    k1, k2, k3, k4 = st.columns([1, 1, 1, 3])
    cluster_method = k1.selectbox("Clustering", list(CLUSTER_METHODS), key="explore_cluster_method")
    k = url_state.number_input(k2, "k (k-means)", 2, 200, key="explore_k")
    min_cluster_size = url_state.number_input(k3, "min_cluster_size (HDBSCAN)", 2, 10_000, key="explore_min_cluster_size")
    parallel = k4.toggle("Parallel UMAP (faster on big corpora, not reproducible)", key="explore_parallel",
                         help="umap-learn uses every core only without a seed; the map is cached, so it stays put once drawn")
    drawn = st.form_submit_button("Draw the map", type="primary")

opened = st.session_state.setdefault("_explore_opened", set())
if info.count > config.auto_map_points() and collection not in opened and not drawn:
    st.info(f"{info.count:,} points: reading them and drawing a {method.upper()} map takes"
            f" {duration(estimated_seconds(method, info.count))} on this machine the first time (a map drawn before opens"
            " in seconds). Nothing starts until you press **Draw the map**.")
    frame.publish()
    st.stop()
opened.add(collection)
with user_errors():
    corpus = open_corpus(info, store)
    if len(corpus) < 3:
        st.warning("This collection has fewer than 3 rows: nothing to map.")
        frame.publish()
        st.stop()
    params = ProjectionParams(method, int(dims), int(n_neighbors), float(min_dist), metric, float(perplexity), seed=int(seed),
                              parallel=bool(parallel))
    asked = ClusterParams(cluster_method, int(k), int(min_cluster_size), int(seed))
    cparams = asked.fitted(len(corpus))
    if cparams != asked:
        st.caption(f"{len(corpus):,} points: clustering with k = {cparams.k}, min_cluster_size = {cparams.min_cluster_size}.")
    warm = "" if warm_up_status() == "done" else " (the map library is still compiling its code: the first map of a session takes longer)"
    with st.status(f"Mapping {len(corpus):,} points with {method.upper()}{warm}…", expanded=False) as status:
        projection = corpus_map(corpus, params)
        status.update(label=f"Clustering {len(corpus):,} points with {cluster_method}…")
        clusters = corpus_clusters(corpus, cparams)
        how = "loaded from the cache" if projection.cached else f"computed in {projection.seconds:.1f} s"
        status.update(label=f"Map of {len(corpus):,} points {how} · {projection.params.randomness}", state="complete")
    if drawn:
        # only a view the user made (or the demo) becomes the collection's last view: never one a
        # passing visit happened to show
        remember_view(collection, {"projection": projection.as_dict()["params"],
                                   "clusters": cparams.relevant() | {"method": cluster_method},
                                   "colour": st.session_state.get("explore_colour")})

    trust = corpus_trust(corpus, projection) if len(corpus) >= TRUST_MIN_POINTS else None
    m = st.columns(6)
    m[0].metric("Points", f"{len(corpus):,}")
    m[1].metric("Clusters", f"{len(clusters.clusters)}" + (f" + {clusters.noise:,} noise" if clusters.noise else ""))
    m[2].metric("Silhouette", "n/a" if clusters.silhouette is None else f"{clusters.silhouette:.3f}",
                help="cosine, on the full vectors" + (f"; seeded sample of {clusters.silhouette_sample:,}" if clusters.silhouette_sample else ""))
    on_points = (f"; on the {clusters.agreement_points:,} clustered points, the {clusters.noise:,} noise points left out as for silhouette"
                 if clusters.noise and clusters.agreement_points else "")
    m[3].metric("ARI vs labels", "n/a" if clusters.ari is None else f"{clusters.ari:.3f}",
                help="adjusted Rand index of clusters against the label column" + on_points)
    m[4].metric("NMI vs labels", "n/a" if clusters.nmi is None else f"{clusters.nmi:.3f}",
                help="normalised mutual information against the labels" + on_points)
    if trust is None:
        m[5].metric("Trustworthiness", "n/a", help=f"needs at least {TRUST_MIN_POINTS} points")
    else:
        m[5].metric("Trustworthiness", f"{trust.score:.3f}",
                    help=f"scikit-learn, k={trust.k}" + (f", on a seeded sample of {trust.points:,} points (seed {trust.seed})" if trust.sampled else ""))

    map_panel(info, corpus, projection, clusters, params, search_model, frame.publish_part)

    st.subheader("Clusters")
    space = f"the full {info.dim}-d vectors" if clusters.space == "full" else f"a seeded {clusters.space.upper()} reduction (HDBSCAN on more than 10,000 points)"
    noise = (f" {clusters.noise:,} points are noise (in no cluster): silhouette, ARI and NMI leave them out." if clusters.noise else "")
    st.caption(f"{cluster_method} on {space}; terms by class-based TF-IDF; seed {cparams.seed}.{noise}")
    st.dataframe(pd.DataFrame([{"cluster": c.id, "size": c.size, "top terms": ", ".join(c.terms)} for c in clusters.clusters]),
                 hide_index=True, key="explore_clusters")

    st.subheader("Export")
    export_table = corpus_export_frame(corpus, projection, clusters)
    size = f"k{cparams.k}" if cparams.method == "kmeans" else f"mcs{cparams.min_cluster_size}"
    stem = f"{info.dataset}-{projection.params.method}-{projection.params.dims}d-{cparams.method}-{size}"
    st.caption("The export holds this map and these clusters, which are now this collection's last view. " + LAST_VIEW_RULE
               + " The projector zip opens in TensorBoard.")
    e1, e2, e3 = st.columns(3)
    e1.download_button("CSV (formula cells escaped)", lambda: csv_bytes(export_table), f"{stem}.csv", "text/csv", key="explore_csv")
    e2.download_button("Parquet", lambda: parquet_bytes(export_table), f"{stem}.parquet", "application/octet-stream", key="explore_parquet")
    e3.download_button("TensorBoard projector (zip)", lambda: projector_zip(corpus.vectors, export_table, info.dataset), f"{stem}-projector.zip",
                       "application/zip", key="explore_projector")

frame.publish()
