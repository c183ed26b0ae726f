"""The Explore page's map figure: WebGL scatter, colours, hover text, selection.

The corpus, its map and clusters come from the engine (``embedlab.corpus``), kept in memory
while unchanged and on disk across processes, so a rerun or a new server computes nothing.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.colors as plotly_colors
import plotly.graph_objects as go

from embedlab.corpus import HIDDEN_COLUMNS, MAX_COLOUR_GROUPS, Corpus
from embedlab.ui.feedback import plain

PALETTE = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    "#393b79", "#e6550d", "#31a354", "#843c39", "#7b4173", "#3182bd", "#fd8d3c", "#74c476", "#ad494a", "#a55194",
    *plotly_colors.qualitative.Dark24, *plotly_colors.qualitative.Light24, *plotly_colors.qualitative.Alphabet,
]
MAX_HOVER_COLUMNS = 6


def shorten(text: str, limit: int) -> str:
    """One line of at most ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def hover_texts(corpus: Corpus, clusters: np.ndarray | None, limit: int = 140, colour_column: str | None = None) -> list[str]:
    """Escaped hover text per point: the text (shortened), its label, cluster and metadata.

    At most ``MAX_HOVER_COLUMNS`` metadata columns are shown, but the column the map is
    coloured by always is: with more values than a legend holds, hover is how to read it."""
    big = len(corpus) > 20_000
    limit = 90 if big else limit
    columns = [c for c in corpus.metadata.columns if c not in (*HIDDEN_COLUMNS, "label")][: MAX_HOVER_COLUMNS // (2 if big else 1)]
    if colour_column in corpus.metadata.columns and colour_column not in (*columns, "label"):
        columns = [colour_column, *columns[:-1]] if columns else [colour_column]
    labels = corpus.metadata["label"].astype(str).tolist() if "label" in corpus.metadata.columns else None
    extra = {c: corpus.metadata[c].astype(str).tolist() for c in columns}
    names = {c: html.escape(shorten(c, 24)) for c in columns}
    out = []
    for i, text in enumerate(corpus.texts):
        parts = [html.escape(shorten(text, limit))]
        if labels is not None:
            parts.append(f"label: {html.escape(shorten(labels[i], 40))}")
        if clusters is not None:
            parts.append(f"cluster: {int(clusters[i])}")
        parts += [f"{names[c]}: {html.escape(shorten(extra[c][i], 40))}" for c in columns]
        out.append("<br>".join(parts))
    return out


@dataclass(frozen=True)
class Colouring:
    """How the map colours its points: one legend entry per group, one shared colour per group
    without a legend (too many groups), or a continuous scale (numbers)."""

    mode: str  # "none", "groups", "many-groups" or "scale"
    groups: int = 0

    def note(self, name: str) -> str:
        """A caption (markdown, ``name`` escaped) for the modes a legend cannot explain."""
        shown = plain(name)
        if self.mode == "many-groups":
            repeat = " (colours repeat)" if self.groups > len(PALETTE) else ""
            return f"{self.groups:,} values of {shown}: too many for a legend{repeat}; hover a point to read its value."
        if self.mode == "scale":
            return f"{shown} is numeric: coloured on a continuous scale."
        return ""


def colouring(colour: Sequence[object] | None, numeric: bool = False) -> tuple[Colouring, np.ndarray | None]:
    """Decide how to colour; returns the mode and the values as strings (or numbers for a scale)."""
    if colour is None:
        return Colouring("none"), None
    values = np.asarray([str(v) for v in colour], dtype=object)
    groups = len(set(values.tolist()))
    if numeric and groups > MAX_COLOUR_GROUPS:
        numbers = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
        if np.isfinite(numbers).all():
            return Colouring("scale", groups), numbers
    return Colouring("groups" if groups <= MAX_COLOUR_GROUPS else "many-groups", groups), values


def map_figure(
    coords: np.ndarray,
    colour: Sequence[object] | None,
    colour_name: str,
    hover: list[str],
    highlight: Sequence[int] = (),
    picked: int | None = None,
    title: str = "",
    numeric: bool = False,
) -> go.Figure:
    """WebGL scatter of every point (``Scattergl`` 2-D, ``Scatter3d`` 3-D).

    Up to ``MAX_COLOUR_GROUPS`` groups get a trace (and a legend entry) each; more groups share
    one trace with a colour per group; a numeric column with more values gets a colour scale.
    Each point's row index is its ``customdata``, so a selection maps back to rows.
    """
    n = len(coords)
    three = coords.shape[1] == 3
    size = 6 if n < 2_000 else (4 if n < 20_000 else 3)
    opacity = 0.75 if n > 5_000 else 0.85
    index = np.arange(n)
    hover_array = np.asarray(hover, dtype=object)
    mode, values = colouring(colour, numeric)
    groups: list[tuple[str, np.ndarray, dict]] = []
    if mode.mode == "groups":
        assert values is not None
        names, counts = np.unique(values, return_counts=True)
        order = sorted(zip(names, counts), key=lambda item: -item[1])
        groups = [(str(name), index[values == name], {"color": PALETTE[number % len(PALETTE)]}) for number, (name, _) in enumerate(order)]
    elif mode.mode == "many-groups":
        assert values is not None
        _, codes = np.unique(values, return_inverse=True)
        groups = [(colour_name, index, {"color": [PALETTE[c % len(PALETTE)] for c in codes]})]
    elif mode.mode == "scale":
        groups = [(colour_name, index, {"color": values, "colorscale": "Viridis", "showscale": True,
                                        "colorbar": {"title": {"text": html.escape(shorten(colour_name, 20))}}})]
    else:
        groups = [("points", index, {"color": PALETTE[0]})]
    traces = []
    for name, rows, colours in groups:
        marker = {"size": size, "opacity": opacity, **colours}
        common = {
            "mode": "markers", "name": html.escape(shorten(name, 30)), "customdata": rows, "hovertext": hover_array[rows],
            "hovertemplate": "%{hovertext}<extra></extra>", "marker": marker, "showlegend": mode.mode == "groups",
        }
        if three:
            traces.append(go.Scatter3d(x=coords[rows, 0], y=coords[rows, 1], z=coords[rows, 2], **common))
        else:
            traces.append(go.Scattergl(x=coords[rows, 0], y=coords[rows, 1], **common))
    marks: list[tuple[str, list[int], str, int, str]] = [("search hits", list(highlight), "star", 14, "#000000")]
    if picked is not None:
        marks.append(("picked point", [picked], "circle-open", 18, "#d62728"))
    for name, mark_rows, symbol, mark_size, mark_colour in marks:
        if not mark_rows:
            continue
        rows_array = np.asarray(mark_rows, dtype=int)
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
        title={"text": html.escape(title)}, height=680, legend={"title": {"text": html.escape(shorten(colour_name, 30))}, "itemsizing": "constant"},
        margin={"l": 10, "r": 10, "t": 40, "b": 10}, uirevision="explore-map",
        hoverlabel={"align": "left"},
    )
    if not three:
        figure.update_xaxes(showticklabels=False, title=None)
        figure.update_yaxes(showticklabels=False, title=None, scaleanchor="x", scaleratio=1)
        if n >= FOCUS_MIN_POINTS:  # a few far outliers would squeeze the bulk into the middle
            (x0, x1), (y0, y1) = focus_ranges(coords)
            figure.update_xaxes(range=[x0, x1])
            figure.update_yaxes(range=[y0, y1])
    return figure


FOCUS_MIN_POINTS = 2_000
FOCUS_QUANTILE = 0.002


def focus_ranges(coords: np.ndarray, quantile: float = FOCUS_QUANTILE, pad: float = 0.05) -> list[tuple[float, float]]:
    """Axis ranges that hold all but the outermost ``quantile`` of points on each side (plus a
    margin): the initial view of a big map. Autoscale in the toolbar still shows every point."""
    low, high = np.quantile(coords[:, :2], [quantile, 1 - quantile], axis=0)
    margin = (high - low) * pad
    return [(float(low[i] - margin[i]), float(high[i] + margin[i])) for i in range(2)]


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
