"""Streamlit helpers of the Explore page: cached corpus, map and clusters, and the map figure.

Big objects (a 60k × 384 corpus, its map) are shared read-only through ``st.cache_resource``
(``st.cache_data`` would copy them on every rerun); the engine's disk cache sits underneath,
so a new server process reopens a mapped corpus without recomputing anything.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from embedlab.analysis.clustering import ClusterParams, ClusterResult, cluster
from embedlab.analysis.neighborhood import Trust, map_trustworthiness
from embedlab.corpus import Corpus, load_corpus
from embedlab.ingest import Table, parse_upload
from embedlab.projection import Projection, ProjectionParams, project, warm_up_umap
from embedlab.store import CollectionInfo

MAX_CATEGORIES = 40
PALETTE = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    "#393b79", "#e6550d", "#31a354", "#843c39", "#7b4173", "#3182bd", "#fd8d3c", "#74c476", "#ad494a", "#a55194",
]


@st.cache_resource(show_spinner=False)
def start_umap_warm_up() -> bool:
    """Start compiling UMAP's numba code in the background, once per server process."""
    warm_up_umap()
    return True


@st.cache_resource(max_entries=4, show_spinner="Loading the collection…")
def cached_corpus(name: str, created: str, count: int, status: str) -> Corpus:
    """A collection's rows and vectors; the key changes whenever the collection does."""
    return load_corpus(name)


def corpus_for(info: CollectionInfo) -> Corpus:
    """The cached corpus of ``info``."""
    return cached_corpus(info.name, info.created, info.count, info.status)


@st.cache_resource(max_entries=8, show_spinner=False)
def _cached_projection(digest: str, params: ProjectionParams, _vectors: np.ndarray) -> Projection:
    return project(_vectors, params, digest=digest)


_SHOWN: set[str] = set()


def projection_for(corpus: Corpus, params: ProjectionParams) -> Projection:
    """The map of ``corpus`` (memory, then disk cache, then computed); ``cached`` is true
    whenever this call computed nothing."""
    projection = _cached_projection(corpus.digest, params, corpus.vectors)
    if projection.key in _SHOWN and not projection.cached:
        return replace(projection, cached=True)
    _SHOWN.add(projection.key)
    return projection


@st.cache_resource(max_entries=8, show_spinner=False)
def _cached_clusters(digest: str, params: ClusterParams, with_labels: bool, _corpus: Corpus) -> ClusterResult:
    return cluster(_corpus.vectors, _corpus.texts, params, _corpus.labels if with_labels else None, digest=digest)


def clusters_for(corpus: Corpus, params: ClusterParams) -> ClusterResult:
    """Clusters of ``corpus`` (memory, then disk cache, then computed)."""
    return _cached_clusters(corpus.digest, params, corpus.labels is not None, corpus)


@st.cache_resource(max_entries=8, show_spinner="Measuring trustworthiness…")
def _cached_trust(digest: str, projection_key: str, _vectors: np.ndarray, _coords: np.ndarray) -> Trust:
    return map_trustworthiness(_vectors, _coords, digest=digest)


def trust_for(corpus: Corpus, projection: Projection) -> Trust:
    """Trustworthiness of a map (sampled for big maps), cached per map."""
    return _cached_trust(corpus.digest, projection.key, corpus.vectors, projection.coords)


@st.cache_data(max_entries=4, show_spinner="Reading the file…")
def cached_upload(data: bytes, filename: str) -> Table:
    """A parsed upload, keyed by its bytes and name."""
    return parse_upload(data, filename)


def shorten(text: str, limit: int) -> str:
    """One line of at most ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def hover_texts(corpus: Corpus, clusters: np.ndarray | None, limit: int = 140) -> list[str]:
    """Escaped hover text per point: the text (shortened), its label, cluster and columns."""
    limit = limit if len(corpus) <= 20_000 else 90
    columns = [c for c in corpus.colour_columns() if c != "label"][:3]
    labels = corpus.metadata["label"].astype(str).tolist() if "label" in corpus.metadata.columns else None
    extra = {c: corpus.metadata[c].astype(str).tolist() for c in columns}
    out = []
    for i, text in enumerate(corpus.texts):
        parts = [html.escape(shorten(text, limit))]
        if labels is not None:
            parts.append(f"label: {html.escape(shorten(labels[i], 40))}")
        if clusters is not None:
            parts.append(f"cluster: {int(clusters[i])}")
        parts += [f"{html.escape(c)}: {html.escape(shorten(extra[c][i], 40))}" for c in columns]
        out.append("<br>".join(parts))
    return out


def map_figure(
    coords: np.ndarray,
    colour: Sequence[str] | None,
    colour_name: str,
    hover: list[str],
    highlight: Sequence[int] = (),
    picked: int | None = None,
    title: str = "",
) -> go.Figure:
    """WebGL scatter of every point (``Scattergl`` 2-D, ``Scatter3d`` 3-D), one trace per colour.

    Each point's row index is its ``customdata``, so a selection maps back to rows.
    """
    n = len(coords)
    three = coords.shape[1] == 3
    size = 6 if n < 2_000 else (4 if n < 20_000 else 3)
    index = np.arange(n)
    hover_array = np.asarray(hover, dtype=object)
    traces = []
    groups: list[tuple[str, np.ndarray]]
    if colour is None:
        groups = [("points", index)]
    else:
        values = np.asarray([str(v) for v in colour], dtype=object)
        names, counts = np.unique(values, return_counts=True)
        if len(names) > MAX_CATEGORIES:
            groups = [("points", index)]
        else:
            order = sorted(zip(names, counts), key=lambda item: -item[1])
            groups = [(str(name), index[values == name]) for name, _ in order]
    for number, (name, rows) in enumerate(groups):
        marker = {"size": size, "color": PALETTE[number % len(PALETTE)], "opacity": 0.75 if n > 5_000 else 0.85}
        common = {
            "mode": "markers", "name": html.escape(shorten(name, 30)), "customdata": rows, "hovertext": hover_array[rows],
            "hovertemplate": "%{hovertext}<extra></extra>", "marker": marker,
        }
        if three:
            traces.append(go.Scatter3d(x=coords[rows, 0], y=coords[rows, 1], z=coords[rows, 2], **common))
        else:
            traces.append(go.Scattergl(x=coords[rows, 0], y=coords[rows, 1], **common))
    marks = [("search hits", list(highlight), "star", 14, "#000000")]
    if picked is not None:
        marks.append(("picked point", [picked], "circle-open", 18, "#d62728"))
    for name, rows, symbol, mark_size, mark_colour in marks:
        if not rows:
            continue
        rows_array = np.asarray(rows, dtype=int)
        common = {
            "mode": "markers", "name": name, "customdata": rows_array, "hovertext": hover_array[rows_array],
            "hovertemplate": "%{hovertext}<extra></extra>",
            "marker": {"size": mark_size if not three else mark_size / 2, "symbol": symbol if not three else "diamond", "color": mark_colour,
                       "line": {"width": 2, "color": mark_colour}},
        }
        if three:
            traces.append(go.Scatter3d(x=coords[rows_array, 0], y=coords[rows_array, 1], z=coords[rows_array, 2], **common))
        else:
            traces.append(go.Scattergl(x=coords[rows_array, 0], y=coords[rows_array, 1], **common))
    figure = go.Figure(traces)
    figure.update_layout(
        title=title, height=680, legend={"title": {"text": html.escape(colour_name)}, "itemsizing": "constant"},
        margin={"l": 10, "r": 10, "t": 40, "b": 10}, uirevision="explore-map",
        hoverlabel={"align": "left"},
    )
    if not three:
        figure.update_xaxes(showticklabels=False, title=None)
        figure.update_yaxes(showticklabels=False, title=None, scaleanchor="x", scaleratio=1)
    return figure


def selected_rows(event: object) -> list[int]:
    """Row indices picked on the map (click, box or lasso), from each point's customdata."""
    try:
        points = event.selection.points  # type: ignore[attr-defined]
    except AttributeError:
        return []
    rows: list[int] = []
    for point in points:
        value = point.get("customdata")
        if isinstance(value, list):
            value = value[0] if value else None
        if value is not None:
            rows.append(int(value))
    return list(dict.fromkeys(rows))
