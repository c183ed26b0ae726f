"""The Compare page's charts and map panels. Every figure comes from the engine
(``embedlab.analysis.comparison``); this module draws them.

The two-models panel runs as a fragment: selecting, picking or recolouring reruns the maps and
their tables only. The selection is one list of compared rows, whichever map it was made on:
both maps outline it (the linked selection), and it lives in the page's state (``vs_selected``),
so it survives leaving the page, a reload and a shared link.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from functools import partial

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.errors import StreamlitAPIException

from embedlab.analysis.comparison.drift import Drift, Share
from embedlab.analysis.comparison.models import (
    AGREEMENT,
    ModelComparison,
    PairMaps,
    colour_options,
    comparison_colours,
    comparison_hover,
)
from embedlab.corpus import corpus_colours, corpus_hover
from embedlab.maps.clustering import ClusterParams, ClusterResult
from embedlab.maps.projection import Projection
from embedlab.maps.view import PALETTE, Colours, cluster_labels, shorten
from embedlab.ui import url_state
from embedlab.ui.charts import short_label
from embedlab.ui.feedback import plain, user_errors
from embedlab.ui.pointmap import MapColours, MapMarks, point_map

MODELS_PANEL_KEYS = ["vs_colour", "vs_selected", "vs_picked"]
DRIFT_PANEL_KEYS = ["vs_drift_colour", "vs_drift_picked"]
LEAST = 20


# -- charts ------------------------------------------------------------------------------------


def overlap_histogram(comparison: ModelComparison) -> go.Figure:
    """How many rows share 0, 1, ..., k of their k nearest neighbours in the two models."""
    counts = comparison.histogram()
    shared = list(range(comparison.k + 1))
    figure = go.Figure(go.Bar(x=shared, y=counts, marker_color="#1f77b4",
                              hovertemplate="%{y:,} rows share %{x} of their " + str(comparison.k) + " neighbours<extra></extra>"))
    figure.add_vline(x=comparison.mean * comparison.k, line_dash="dash", line_color="#d62728",
                     annotation_text=f"mean {comparison.mean:.2f}", annotation_position="top")
    figure.update_layout(title=f"Neighbourhood agreement of {comparison.rows:,} rows (k = {comparison.k})",
                         xaxis={"title": f"neighbours shared by {comparison.model_a} and {comparison.model_b}", "dtick": 1 if comparison.k <= 20 else None},
                         yaxis={"title": "rows"}, height=360, margin={"t": 50, "b": 40}, bargap=0.1)
    return figure


def per_label_chart(table: pd.DataFrame, k: int) -> go.Figure:
    """Mean agreement per label, least agreeing on top."""
    shown = table.iloc[::-1]
    figure = go.Figure(go.Bar(x=shown["mean overlap"], y=[html.escape(short_label(str(v), 30)) for v in shown["label"]],
                              orientation="h", marker_color="#2ca02c", customdata=shown["rows"],
                              hovertemplate="%{y}: %{x:.3f} (%{customdata:,} rows)<extra></extra>"))
    figure.update_layout(title=f"Mean kNN overlap@{k} per label", xaxis={"title": "mean share of neighbours in common", "range": [0, 1]},
                         height=max(260, 28 * len(table) + 90), margin={"t": 50, "b": 40, "l": 10})
    return figure


def cluster_heatmap(table: pd.DataFrame) -> go.Figure:
    """Where each cluster of model A went in model B: rows in each pair of clusters."""
    figure = go.Figure(go.Heatmap(
        z=table.to_numpy(), x=[html.escape(short_label(str(c), 34)) for c in table.columns],
        y=[html.escape(short_label(str(r), 34)) for r in table.index], colorscale="Blues", colorbar={"title": "rows"},
        text=table.to_numpy(), texttemplate="%{text}", hovertemplate="%{y}<br>%{x}<br>%{z:,} rows<extra></extra>"))
    figure.update_layout(title=html.escape(f"Rows: {table.index.name} · columns: {table.columns.name}"),
                         height=max(320, 34 * len(table) + 160), xaxis={"tickangle": -30, "automargin": True},
                         yaxis={"autorange": "reversed", "automargin": True}, margin={"t": 50, "b": 10, "l": 10})
    return figure


def shares_chart(shares: Sequence[Share], name_a: str, name_b: str, title: str) -> go.Figure:
    """Each group's share of side A and of side B, biggest move on top."""
    shown = list(shares)[::-1]
    names = [html.escape(short_label(s.name + (": " + ", ".join(s.terms[:3]) if s.terms else ""), 44)) for s in shown]
    figure = go.Figure()
    for side, name, colour in ((1, name_b, "#ff7f0e"), (0, name_a, "#1f77b4")):  # horizontal groups draw the last trace on top
        values = [s.share_a if side == 0 else s.share_b for s in shown]
        counts = [s.count_a if side == 0 else s.count_b for s in shown]
        figure.add_trace(go.Bar(x=values, y=names, orientation="h", name=html.escape(short_label(name, 40)), marker_color=colour,
                                customdata=counts, hovertemplate="%{y}<br>%{x:.1%} of the side (%{customdata:,} rows)<extra></extra>"))
    figure.update_layout(title=title, barmode="group", xaxis={"title": "share of the side's rows", "tickformat": ".0%"},
                         height=max(300, 46 * len(shown) + 120), margin={"t": 50, "b": 40, "l": 10},
                         legend={"orientation": "h", "y": -0.15, "traceorder": "reversed"})
    return figure


def shares_frame(shares: Sequence[Share]) -> pd.DataFrame:
    return pd.DataFrame([{"group": s.name, "terms": ", ".join(s.terms), "rows A": s.count_a, "rows B": s.count_b,
                          "share A": round(s.share_a, 4), "share B": round(s.share_b, 4), "change (points)": round(100 * s.change, 1),
                          "trend": s.trend} for s in shares])


def typical_frame(result: Drift, side: int) -> pd.DataFrame:
    joint = result.sides.joint
    rows = result.typical(side)
    table = pd.DataFrame({"probability of its side": [round(p, 4) for _, p in rows],
                          "text": [shorten(joint.texts[r] or joint.ids[r], 200) for r, _ in rows]})
    if "label" in joint.metadata.columns:
        table["label"] = [joint.metadata["label"].iloc[r] for r, _ in rows]
    return table


# -- the two-models panel ------------------------------------------------------------------------


def _rerun_panel() -> None:
    try:
        st.rerun(scope="fragment")
    except StreamlitAPIException:
        st.rerun()


def parse_rows(text: object, rows: int) -> list[int]:
    """The selection kept as text (``3,17,42``): the row numbers below ``rows``, in order."""
    found: list[int] = []
    for part in str(text or "").split(","):
        part = part.strip()
        if part.isdigit() and int(part) < rows:
            found.append(int(part))
    return sorted(set(found))


def _map_selected(key: str) -> None:
    """A box or lasso selection on either map becomes the one selection of both."""
    chosen = getattr(st.session_state.get(key), "selection", None)
    if isinstance(chosen, list):
        url_state.remember("compare", vs_selected=",".join(str(int(i)) for i in sorted(set(chosen))))


def _map_picked(key: str, state: str) -> None:
    picked = getattr(st.session_state.get(key), "picked", None)
    if isinstance(picked, (int, float)):
        url_state.remember("compare", **{state: int(picked)})


def _map_colours(colours: Colours, title: str) -> MapColours:
    return MapColours(codes=colours.codes, palette=PALETTE, values=colours.values, legend=colours.legend(), title=title)


def _rows_frame(comparison: ModelComparison, rows: Sequence[int]) -> pd.DataFrame:
    corpus = comparison.matched.a
    table = pd.DataFrame({"row": list(rows), f"shared of {comparison.k}": [int(round(comparison.overlap[r] * comparison.k)) for r in rows],
                          "text": [shorten(corpus.texts[r] or corpus.ids[r], 160) for r in rows]})
    if "label" in corpus.metadata.columns:
        table["label"] = [corpus.metadata["label"].iloc[r] for r in rows]
    if comparison.clusters_a is not None and comparison.clusters_b is not None:
        table[f"{comparison.model_a} cluster"] = [int(comparison.clusters_a.labels[r]) for r in rows]
        table[f"{comparison.model_b} cluster"] = [int(comparison.clusters_b.labels[r]) for r in rows]
    return table


def _side_by_side(comparison: ModelComparison, row: int) -> None:
    text = comparison.matched.a.texts[row] or comparison.matched.a.ids[row]
    shared = int(round(comparison.overlap[row] * comparison.k))
    st.markdown(f"**Picked:** “{plain(shorten(text, 160))}” — {shared} of its {comparison.k} nearest rows are the same in both"
                " models (rings on the maps: each model's own neighbours).")
    first, second = comparison.side_by_side(row)
    left, right = st.columns(2)
    left.markdown(f"**Its {comparison.k} nearest in {plain(comparison.model_a)}**")
    left.dataframe(first, hide_index=True, key="vs_neighbours_a")
    right.markdown(f"**Its {comparison.k} nearest in {plain(comparison.model_b)}**")
    right.dataframe(second, hide_index=True, key="vs_neighbours_b")


def _least_agreeing(comparison: ModelComparison) -> None:
    rows = comparison.least_agreeing(LEAST)
    st.markdown(f"**The {len(rows)} rows whose neighbourhoods differ most** (fewest shared neighbours; among equals, the rows"
                " whose neighbours the other model puts farthest away). Pick one to see its neighbours in each model.")
    chosen = st.dataframe(_rows_frame(comparison, rows), hide_index=True, on_select="rerun", selection_mode="single-row",
                          key="vs_least")
    if chosen is not None and chosen.selection.rows:
        row = rows[chosen.selection.rows[0]]
        if st.session_state.get("vs_picked") != row:
            url_state.remember("compare", vs_picked=row)
            _rerun_panel()


def _clear_selection() -> None:
    url_state.remember("compare", vs_selected="")


@st.fragment
def models_panel(comparison: ModelComparison, maps: PairMaps, publish: Callable[[list[str]], None]) -> None:
    """The two maps with the linked selection, the picked row's neighbours side by side, the
    selected rows, and the least agreeing rows."""
    options = colour_options(comparison)
    if st.session_state.get("vs_colour") not in options:
        st.session_state["vs_colour"] = AGREEMENT
    colour_by = st.selectbox("Colour both maps by", options, key="vs_colour",
                             help="agreement: each row's share of neighbours the two models have in common (dark 0, yellow 1);"
                                  " clusters of A on B's map show where one model's groups went in the other")
    n = comparison.rows
    selected = parse_rows(st.session_state.get("vs_selected"), n)
    picked = st.session_state.get("vs_picked")
    picked = picked if isinstance(picked, int) and 0 <= picked < n else None
    publish(MODELS_PANEL_KEYS)
    with user_errors():
        colours = comparison_colours(comparison, colour_by)
        hover, hover_id = comparison_hover(comparison)
        labels_a = labels_b = []
        if colour_by == "clusters of A" and comparison.clusters_a is not None:
            terms = {c.id: c.terms for c in comparison.clusters_a.clusters}
            labels_a = cluster_labels(maps.a.coords, comparison.clusters_a.labels, terms)
            labels_b = cluster_labels(maps.coords_b, comparison.clusters_a.labels, terms)
        elif colour_by == "clusters of B" and comparison.clusters_b is not None:
            terms = {c.id: c.terms for c in comparison.clusters_b.clusters}
            labels_a = cluster_labels(maps.a.coords, comparison.clusters_b.labels, terms)
            labels_b = cluster_labels(maps.coords_b, comparison.clusters_b.labels, terms)
        method = f"{maps.a.params.method.upper()} {maps.a.params.dims}-D"
        left, right = st.columns(2)
        for column, key, coords, model, near, labels, extra in (
                (left, "vs_map_a", maps.a.coords, comparison.model_a, comparison.neighbours_a, labels_a, ""),
                (right, "vs_map_b", maps.coords_b, comparison.model_b, comparison.neighbours_b, labels_b,
                 " · aligned to A" if maps.aligned else "")):
            with column:
                st.markdown(f"**{'A' if key.endswith('a') else 'B'}: {plain(model)}**")
                point_map(key, coords, hover, _map_colours(colours, colour_by),
                          MapMarks(picked=picked, neighbours=near[picked].tolist() if picked is not None else [], selected=selected,
                                   labels=labels),
                          height=520, hover_id=hover_id, caption=f"{model} · {method}{extra}",
                          on_pick=partial(_map_picked, key, "vs_picked"), on_select=partial(_map_selected, key))
        if colour_by == AGREEMENT:
            st.caption(f"Agreement: each row's share of its {comparison.k} neighbours that both models have, from"
                       f" {comparison.overlap.min():.1f} (dark) to {comparison.overlap.max():.1f} (yellow, the highest of any row here).")
        elif note := colours.note(colour_by):
            st.caption(plain(note))
        st.caption("The two maps show the same rows, one per model. Box or Lasso select on either map: the selection is outlined"
                   " on both. Click a point to see its neighbours in each model; hover to read it.")
        if selected:
            mean = float(np.mean(comparison.overlap[selected]))
            st.markdown(f"**{len(selected):,} selected** (outlined on both maps) — their mean agreement {mean:.2f}"
                        f" against {comparison.mean:.2f} over all rows.")
            st.dataframe(_rows_frame(comparison, selected[:500]), hide_index=True, key="vs_selected_rows")
            st.button("Clear the selection", key="vs_clear", on_click=_clear_selection)
        if picked is not None:
            _side_by_side(comparison, picked)
        _least_agreeing(comparison)


# -- the drift map -----------------------------------------------------------------------------


@st.fragment
def drift_panel(result: Drift, projection: Projection, publish: Callable[[list[str]], None]) -> None:
    """The joint map of both sides, coloured by side, cluster, label or a column; a click reads a row."""
    joint = result.sides.joint
    options = ["side", *(["cluster"] if result.clusters is not None else []), *[c for c in joint.colour_columns() if c != "side"]]
    if st.session_state.get("vs_drift_colour") not in options:
        st.session_state["vs_drift_colour"] = "side"
    colour_by = st.selectbox("Colour the joint map by", options, key="vs_drift_colour")
    publish(DRIFT_PANEL_KEYS)
    picked = st.session_state.get("vs_drift_picked")
    picked = picked if isinstance(picked, int) and 0 <= picked < len(joint) else None
    with user_errors():
        clusters = result.clusters or ClusterResult(np.zeros(len(joint), dtype=np.int32), ClusterParams())
        colours = corpus_colours(joint, clusters, colour_by)
        hover, hover_id = corpus_hover(joint, result.clusters, "side")
        labels = cluster_labels(projection.coords, clusters.labels, {c.id: c.terms for c in clusters.clusters}) \
            if colour_by == "cluster" else []
        point_map("vs_drift_map", projection.coords, hover, _map_colours(colours, colour_by), MapMarks(picked=picked, labels=labels),
                  height=600, hover_id=hover_id,
                  caption=f"{result.sides.model} · {projection.params.method.upper()} {projection.params.dims}-D of both sides",
                  on_pick=partial(_map_picked, "vs_drift_map", "vs_drift_picked"))
        if note := colours.note(colour_by):
            st.caption(plain(note))
        if picked is not None:
            side = result.sides.name_a if result.sides.side[picked] == 0 else result.sides.name_b
            st.markdown(f"**Picked** ({plain(side)}): “{plain(shorten(joint.texts[picked] or joint.ids[picked], 300))}”")
