"""Plotly figures used by several pages. Hover text is escaped; nothing renders raw HTML."""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go


def short_label(text: str, limit: int = 40) -> str:
    """A label short enough for an axis, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


NUMBERED_OVER = 14  # items longer than this are numbered on the axes (a key lists them)
LABELLED_ROWS = 8  # up to this many long items, the axes also show each one's first words


def label_positions(x: list[float], y: list[float], texts: list[str], *, width_px: float = 560, height_px: float = 400,
                    log_x: bool = False, equal_scale: bool = False) -> list[str]:
    """Where to write each point's label (plotly ``textposition``) so labels cover neither each
    other nor other points: each label, in order, takes the first place around its point that is
    free (above, below, right, left, then the corners), else the least covered one. Sizes are
    estimated in pixels of a ``width_px`` × ``height_px`` plot (7 px a character, 16 px a line);
    ``equal_scale``: one unit is as long on both axes (a plot with ``scaleanchor``)."""
    xs = np.log10(np.maximum(np.asarray(x, dtype=float), 1e-12)) if log_x else np.asarray(x, dtype=float)
    ys = np.asarray(y, dtype=float)
    if not len(xs):
        return []
    span_x = float(xs.max() - xs.min()) or 1.0
    span_y = float(ys.max() - ys.min()) or 1.0
    scale_x, scale_y = width_px / span_x, height_px / span_y
    if equal_scale:
        scale_x = scale_y = min(scale_x, scale_y)
    px, py = (xs - xs.min()) * scale_x, (ys - ys.min()) * scale_y
    r, h = 8.0, 16.0
    boxes: list[tuple[float, float, float, float]] = [(a - r, b - r, a + r, b + r) for a, b in zip(px, py, strict=True)]

    def covered(box: tuple[float, float, float, float], skip: int) -> float:
        total = 0.0
        for j, other in enumerate(boxes):
            if j == skip:
                continue
            w = min(box[2], other[2]) - max(box[0], other[0])
            t = min(box[3], other[3]) - max(box[1], other[1])
            if w > 0 and t > 0:
                total += w * t
        return total

    positions = []
    for i, text in enumerate(texts):
        w, a, b = 7.0 * len(text) + 4, float(px[i]), float(py[i])
        places = {
            "top center": (a - w / 2, b + r, a + w / 2, b + r + h), "bottom center": (a - w / 2, b - r - h, a + w / 2, b - r),
            "middle right": (a + r, b - h / 2, a + r + w, b + h / 2), "middle left": (a - r - w, b - h / 2, a - r, b + h / 2),
            "top right": (a + r / 2, b + r / 2, a + r / 2 + w, b + r / 2 + h), "top left": (a - r / 2 - w, b + r / 2, a - r / 2, b + r / 2 + h),
            "bottom right": (a + r / 2, b - r / 2 - h, a + r / 2 + w, b - r / 2), "bottom left": (a - r / 2 - w, b - r / 2 - h, a - r / 2, b - r / 2),
        }
        best = min(places, key=lambda place: (covered(places[place], i), list(places).index(place)))
        positions.append(best)
        boxes.append(places[best])
    return positions


def numbered(labels: list[str]) -> bool:
    """Whether a heatmap names its items by number: long sentences would take the axes' space."""
    return any(len(label) > NUMBERED_OVER for label in labels)


def similarity_heatmap(labels: list[str], matrix: np.ndarray, title: str) -> go.Figure:
    """Cosine similarity heatmap with values printed in the cells (for up to 25 items); long
    items (sentences) are numbered on the axes so the cells keep the room, and hover shows them."""
    if numbered(labels):
        # a few sentences: each row says which it is (its number and first words); many: numbers, with a key beside
        axis = [f"{i + 1}. {html.escape(short_label(label, 22))}" if len(labels) <= LABELLED_ROWS else str(i + 1)
                for i, label in enumerate(labels)]
        hover = np.array([[f"{html.escape(short_label(labels[r], 80))}<br>{html.escape(short_label(labels[c], 80))}"
                           for c in range(len(labels))] for r in range(len(labels))])
        figure = _heatmap(axis, matrix, title, hover)
        figure.update_xaxes(title="item", type="category")
        figure.update_yaxes(title="item", type="category")
        return figure
    shown = [html.escape(short_label(label)) for label in labels]
    # Make axis labels unique so plotly does not merge rows that shorten to the same text.
    seen: dict[str, int] = {}
    unique = []
    for label in shown:
        seen[label] = seen.get(label, 0) + 1
        unique.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return _heatmap(unique, matrix, title, None)


def _heatmap(axis: list[str], matrix: np.ndarray, title: str, hover: np.ndarray | None) -> go.Figure:
    annotate = len(axis) <= 25
    figure = go.Figure(
        go.Heatmap(
            z=np.round(matrix, 3),
            x=axis,
            y=axis,
            # Sentence models rarely go below 0; a stray -0.003 must not rescale the colours.
            zmin=-1 if matrix.size and matrix.min() < -0.05 else 0,
            zmax=1,
            colorscale="Viridis",
            colorbar={"title": "cosine"},
            text=np.round(matrix, 2) if annotate else None,
            texttemplate="%{text}" if annotate else None,
            customdata=hover,
            hovertemplate=("%{customdata}" if hover is not None else "%{y}<br>%{x}") + "<br>cosine %{z:.3f}<extra></extra>",
        )
    )
    size = max(360, min(900, 40 * len(axis) + 160))
    figure.update_layout(title=title, height=size, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    figure.update_yaxes(autorange="reversed")
    return figure


def probability_bars(labels: list[str], probabilities: np.ndarray, title: str) -> go.Figure:
    """Horizontal bars, one per label, highest first (zero-shot probabilities)."""
    order = np.argsort(-np.asarray(probabilities))
    figure = go.Figure(go.Bar(
        x=[float(probabilities[i]) for i in order][::-1], y=[html.escape(short_label(labels[i])) for i in order][::-1],
        orientation="h", text=[f"{float(probabilities[i]):.3f}" for i in order][::-1], textposition="auto",
        hovertemplate="%{y}: %{x:.4f}<extra></extra>",
    ))
    figure.update_layout(title=title, height=max(220, 36 * len(labels) + 90), xaxis={"range": [0, 1], "title": "probability"},
                         margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return figure


def confusion_heatmap(labels: list[str], matrix: np.ndarray, title: str, unit: str = "images") -> go.Figure:
    """A confusion matrix: rows are the true labels, columns the predicted ones, counts printed."""
    axis = [html.escape(short_label(label, 24)) for label in labels]
    figure = go.Figure(go.Heatmap(
        z=np.asarray(matrix), x=axis, y=axis, colorscale="Blues", colorbar={"title": unit},
        text=np.asarray(matrix), texttemplate="%{text}" if len(labels) <= 25 else None,
        hovertemplate="true %{y}<br>predicted %{x}<br>%{z} " + unit + "<extra></extra>",
    ))
    size = max(320, min(800, 40 * len(labels) + 160))
    figure.update_layout(title=title, height=size, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    figure.update_xaxes(title="predicted", type="category")
    figure.update_yaxes(title="true", type="category", autorange="reversed")
    return figure


def label_map(coords: np.ndarray, labels: list[str], hover: list[str], title: str, order: list[str] | None = None) -> go.Figure:
    """A 2-D map of points coloured by label, one legend entry per label (``order`` fixes the
    colours, so two maps of the same points colour each label alike); hover shows the text."""
    import plotly.express as px

    points = np.asarray(coords, dtype=np.float32)
    names = order or sorted(set(labels))
    palette = px.colors.qualitative.Plotly + px.colors.qualitative.D3 + px.colors.qualitative.Dark24
    figure = go.Figure()
    for number, name in enumerate(names):
        index = [i for i, label in enumerate(labels) if label == name]
        if not index:
            continue
        figure.add_trace(go.Scattergl(
            x=points[index, 0], y=points[index, 1], mode="markers", name=html.escape(short_label(name, 30)),
            marker={"size": 6, "color": palette[number % len(palette)], "opacity": 0.8},
            customdata=[html.escape(short_label(hover[i], 120)) for i in index],
            hovertemplate="%{customdata}<extra>" + html.escape(short_label(name, 30)) + "</extra>",
        ))
    figure.update_layout(title=title, height=460, margin={"l": 10, "r": 10, "t": 40, "b": 10}, legend={"font": {"size": 10}})
    return figure
