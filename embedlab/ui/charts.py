"""Plotly figures used by several pages. Hover text is escaped; nothing renders raw HTML."""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go


def short_label(text: str, limit: int = 40) -> str:
    """A label short enough for an axis, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def similarity_heatmap(labels: list[str], matrix: np.ndarray, title: str) -> go.Figure:
    """Cosine similarity heatmap with values printed in the cells (for up to 25 items)."""
    shown = [html.escape(short_label(label)) for label in labels]
    # Make axis labels unique so plotly does not merge rows that shorten to the same text.
    seen: dict[str, int] = {}
    unique = []
    for label in shown:
        seen[label] = seen.get(label, 0) + 1
        unique.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    annotate = len(labels) <= 25
    figure = go.Figure(
        go.Heatmap(
            z=np.round(matrix, 3),
            x=unique,
            y=unique,
            # Sentence models rarely go below 0; a stray -0.003 must not rescale the colours.
            zmin=-1 if matrix.size and matrix.min() < -0.05 else 0,
            zmax=1,
            colorscale="Viridis",
            colorbar={"title": "cosine"},
            text=np.round(matrix, 2) if annotate else None,
            texttemplate="%{text}" if annotate else None,
            hovertemplate="%{y}<br>%{x}<br>cosine %{z:.3f}<extra></extra>",
        )
    )
    size = max(360, min(900, 40 * len(labels) + 160))
    figure.update_layout(title=title, height=size, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    figure.update_yaxes(autorange="reversed")
    return figure
