"""The Explore page's map panel: colour, search, filter, the point map, picks and selections.

It runs as a fragment (``st.fragment``): recolouring, searching, filtering, picking or selecting
reruns this panel only, never the whole page, and the map in the browser redraws from arrays it
already holds (``embedlab.ui.pointmap``). Every figure comes from the engine: colours and hover
text (``embedlab.maps.view``, ``embedlab.corpus``), search, neighbours, filters, re-projection.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from embedlab.analysis.search import search_vectors
from embedlab.backends import catalogue
from embedlab.corpus import (
    Corpus,
    corpus_colours,
    corpus_export_frame,
    corpus_hover,
    corpus_map,
    isolated,
    remember_view,
    rows_containing,
    shown_columns,
)
from embedlab.maps.clustering import ClusterResult
from embedlab.maps.export import csv_bytes, projector_zip
from embedlab.maps.projection import Projection, ProjectionParams
from embedlab.maps.view import (
    PALETTE,
    FilterMode,
    Neighbours,
    RowFilter,
    cluster_labels,
    neighbours_of,
    shorten,
)
from embedlab.store import CollectionInfo
from embedlab.ui import url_state
from embedlab.ui.feedback import full_texts, plain, user_errors
from embedlab.ui.pointmap import MapColours, MapMarks, point_map

ROW_TABLE_LIMIT = 500
PANEL_KEYS = ["explore_colour", "explore_query", "explore_topk", "explore_filter_column", "explore_filter_mode",
              "explore_filter_value", "explore_filter_low", "explore_filter_high", "explore_filter_pattern"]
FILTER_MODES: dict[FilterMode, str] = {"value": "equals", "range": "in a range", "regex": "matches a pattern"}
FILTER_CHOICES: list[FilterMode] = list(FILTER_MODES)


def rows_table(corpus: Corpus, rows: list[int], clusters: ClusterResult) -> pd.DataFrame:
    """The rows as a reader wants them: text, the shown columns, cluster (no chunk bookkeeping)."""
    columns = shown_columns(corpus)
    table = corpus.metadata.iloc[rows][columns].reset_index(drop=True)
    table.insert(0, "text", [shorten(corpus.texts[i], 160) for i in rows])
    table["cluster"] = clusters.labels[rows]
    return table


def rerun_panel() -> None:
    """Rerun the map panel alone (the whole page when the panel ran within a full run)."""
    try:
        st.rerun(scope="fragment")
    except StreamlitAPIException:
        st.rerun()


def _picked(key: str) -> None:
    """The map's click: the picked point lives in our own key (kept across reruns)."""
    result = st.session_state.get(key)
    picked = getattr(result, "picked", None)
    if picked is not None:
        st.session_state["_explore_picked"] = int(picked)


def _colour_changed(collection: str) -> None:
    remember_view(collection, {"colour": st.session_state.get("explore_colour")})


def _controls(info: CollectionInfo, corpus: Corpus, search_model: str) -> tuple[str, str, int, RowFilter]:
    """The panel's inputs: colour, search query, top-k and the row filter."""
    colour_options = list(dict.fromkeys(["cluster", *corpus.colour_columns(), "none"]))
    if st.session_state.get("explore_colour") not in colour_options:
        st.session_state["explore_colour"] = "label" if "label" in colour_options else "cluster"
    s1, s2, s3 = st.columns([1, 3, 1])
    colour_by = s1.selectbox("Colour by", colour_options, key="explore_colour", on_change=_colour_changed, args=(info.name,))
    if search_model:
        catalogue().preload(search_model)  # the first search then does not wait for the model to load
    query = s2.text_input("Semantic search: mark the closest points", key="explore_query", placeholder="e.g. vaccines and flu season",
                          disabled=not search_model, help=None if search_model else "no text model of this dimension: click a point instead")
    top_k = url_state.number_input(s3, "top-k", 1, 100, key="explore_topk")

    filter_columns = ["text", *shown_columns(corpus)]
    if st.session_state.get("explore_filter_column") not in filter_columns:
        st.session_state["explore_filter_column"] = "text"
    f1, f2, f3, f4 = st.columns([1, 1, 2, 1])
    column = f1.selectbox("Filter by", filter_columns, key="explore_filter_column")
    mode: FilterMode = f2.selectbox("Keep rows whose value", FILTER_CHOICES, format_func=FILTER_MODES.__getitem__,
                                    key="explore_filter_mode")
    if mode == "value":
        f3.text_input("equals", key="explore_filter_value", placeholder="a label, a name…")
    elif mode == "range":
        f3.text_input("from (empty: no lower bound)", key="explore_filter_low", placeholder="e.g. 2017-01 or 3.5")
        f4.text_input("to (empty: no upper bound)", key="explore_filter_high")
    else:
        f3.text_input("pattern (regular expression, any case)", key="explore_filter_pattern", placeholder=r"e.g. \bflu\b|influenza")
    typed = {name: str(st.session_state.get(f"explore_filter_{name}") or "") for name in ("value", "low", "high", "pattern")}
    return colour_by, query, int(top_k), RowFilter(column, mode, **typed)


def _shown(info: CollectionInfo, corpus: Corpus, projection: Projection, clusters: ClusterResult,
           params: ProjectionParams) -> tuple[Corpus, Projection, ClusterResult, bool]:
    """What the map shows: the whole corpus, or an isolated selection re-projected alone."""
    chosen = st.session_state.get("_explore_isolated")
    if not (chosen and chosen.get("collection") == info.name):
        return corpus, projection, clusters, False
    shown, shown_clusters = isolated(corpus, clusters, chosen["rows"])
    st.info(f"Showing the {len(shown):,} selected points alone, re-projected with the same settings.")
    if st.button("Back to the whole map", key="explore_unisolate"):
        st.session_state.pop("_explore_isolated", None)
        st.session_state.pop("_explore_picked", None)
        rerun_panel()
    return shown, corpus_map(shown, params), shown_clusters, True


def _hits_table(shown: Corpus, clusters: ClusterResult, hits: list[tuple[int, float]], query: str) -> None:
    table = rows_table(shown, [h[0] for h in hits], clusters)
    table.insert(0, "score", [round(h[1], 4) for h in hits])
    with st.container(key="explore_hits_box"):  # its key marks it in the page (for tests and styling)
        st.markdown(f"**Top {len(hits)} for “{plain(shorten(query, 60))}”** (black stars on the map)")
        st.dataframe(table, hide_index=True, key="explore_hits")
        full_texts([shown.texts[h[0]] for h in hits])


def _neighbours_table(shown: Corpus, picked: int, near: Neighbours) -> None:
    st.markdown(f"**Picked:** “{plain(shorten(shown.texts[picked], 140))}” — its {near.k} nearest in the original space"
                f" ({near.kept_on_map} of them also among its {near.k} nearest on the map; orange rings on the map).")
    st.dataframe(pd.DataFrame({
        "text": [shorten(shown.texts[n.index], 110) for n in near.items],
        "cosine": [round(n.cosine, 4) for n in near.items],
        "euclidean": [round(n.euclidean, 4) for n in near.items],
        "near on the map too": [n.on_map for n in near.items],
    }), hide_index=True, key="explore_neighbours")
    full_texts([shown.texts[n.index] for n in near.items])


def _selection(info: CollectionInfo, shown: Corpus, shown_map: Projection, clusters: ClusterResult, selection: list[int],
               is_isolated: bool) -> None:
    """The selected rows, with isolate and export."""
    st.markdown(f"**{len(selection):,} selected on the map**")
    st.dataframe(rows_table(shown, selection[:ROW_TABLE_LIMIT], clusters), hide_index=True, key="explore_selected")
    b1, b2, b3 = st.columns(3)
    if not is_isolated and b1.button("Isolate and re-project the selection", key="explore_isolate", disabled=len(selection) < 5,
                                     help="map only these points (at least 5), with the same settings"):
        st.session_state["_explore_isolated"] = {"collection": info.name, "rows": [int(i) for i in selection]}
        st.session_state.pop("_explore_picked", None)
        rerun_panel()
    frame = corpus_export_frame(shown, shown_map, clusters, selection)
    b2.download_button("Selection as CSV", lambda: csv_bytes(frame), f"{info.dataset}-selection.csv", "text/csv",
                       key="explore_selection_csv")
    b3.download_button("Selection for TensorBoard's projector", lambda: projector_zip(shown.vectors[selection], frame, f"{info.dataset} selection"),
                       f"{info.dataset}-selection-projector.zip", "application/zip", key="explore_selection_projector")


def _rows(shown: Corpus, clusters: ClusterResult) -> None:
    """Every row, findable by its text; picking one shows its neighbours."""
    st.markdown("**Rows** (find any row by its text; pick one to see its neighbours)")
    needle = st.text_input("Find rows whose text contains", key="explore_row_filter", placeholder="a word or phrase")
    rows = rows_containing(shown.texts, needle, ROW_TABLE_LIMIT)
    if len(rows) == ROW_TABLE_LIMIT:
        st.caption(f"The first {ROW_TABLE_LIMIT:,} matching rows; narrow the filter to reach others.")
    chosen = st.dataframe(rows_table(shown, rows, clusters), hide_index=True, on_select="rerun",
                          selection_mode="single-row", key="explore_rows")
    if chosen is not None and chosen.selection.rows:
        row = rows[chosen.selection.rows[0]]
        if st.session_state.get("_explore_picked") != row:
            st.session_state["_explore_picked"] = row
            rerun_panel()


@st.fragment
def map_panel(info: CollectionInfo, corpus: Corpus, projection: Projection, clusters: ClusterResult,
              params: ProjectionParams, search_model: str, publish: Callable[[list[str]], None]) -> None:
    """Colour, search, filter and the map of ``corpus``, with the picked point's neighbours and
    the selection's rows; isolates and re-projects a selection on request. ``publish`` writes
    the panel's keys into the link (the page frame's ``publish_part``)."""
    colour_by, query, top_k, row_filter = _controls(info, corpus, search_model)
    publish(PANEL_KEYS)
    shown, shown_map, shown_clusters, is_isolated = _shown(info, corpus, projection, clusters, params)

    with user_errors():
        hits = search_vectors(shown.vectors, search_model, query, top_k) if query.strip() and search_model else []
        match = row_filter.apply(shown.texts, shown.metadata)
        if match is not None:
            st.caption(plain(f"{match.count:,} of {len(shown):,} points where {match.description}"
                             " (the others are faint on the map)."))
        colours = corpus_colours(shown, shown_clusters, colour_by)
        hover, hover_id = corpus_hover(shown, shown_clusters, colour_by if colour_by in corpus.metadata.columns else None)
        picked = st.session_state.get("_explore_picked")
        picked = picked if isinstance(picked, int) and picked < len(shown) else None
        near = neighbours_of(shown.vectors, shown_map.coords, picked, k=10) if picked is not None else None
        labels = cluster_labels(shown_map.coords, shown_clusters.labels, {c.id: c.terms for c in shown_clusters.clusters}) \
            if colour_by == "cluster" and len(shown_clusters.clusters) <= 60 else []
        events = point_map(
            "explore_map", shown_map.coords, hover,
            MapColours(codes=colours.codes, palette=PALETTE, values=colours.values, legend=colours.legend(), title=colour_by),
            MapMarks(hits=[h[0] for h in hits], picked=picked, neighbours=[n.index for n in near.items] if near else [],
                     selected=(st.session_state.get("explore_map") and getattr(st.session_state["explore_map"], "selection", None)) or [],
                     focus=match.rows.tolist() if match is not None else None, labels=labels),
            hover_id=hover_id, caption=f"{info.dataset} · {info.backend} · {shown_map.params.method.upper()} {shown_map.params.dims}-D",
            on_pick=lambda: _picked("explore_map"),
        )
        if note := colours.note(colour_by):
            st.caption(plain(note))
        st.caption("Hover a point to read it; click one to see its nearest neighbours; Box or Lasso select in the map's bar;"
                   " wheel to zoom, drag to pan, double-click (or Fit) to see the bulk of the map again.")
        if hits:
            _hits_table(shown, shown_clusters, hits, query)
        if near is not None and picked is not None:
            _neighbours_table(shown, picked, near)
        if events.selection:
            _selection(info, shown, shown_map, shown_clusters, list(events.selection), is_isolated)
        else:
            _rows(shown, shown_clusters)


__all__ = ["PANEL_KEYS", "map_panel", "rows_table"]
