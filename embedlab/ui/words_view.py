"""Streamlit helpers for the word-vector pages (Analogies, Evaluate, Train): plotly figures and
progress around engine calls, so the pages stay thin and do no maths."""

from __future__ import annotations

import html

import plotly.graph_objects as go
import streamlit as st

from embedlab.analysis.analogy import AnalogyPicture
from embedlab.analysis.evaluation import (
    AnalogyEvaluation,
    SimilarityEvaluation,
    evaluate_analogies,
)
from embedlab.backends import BackendKind, backend_names
from embedlab.training import NodeEmbeddingResult
from embedlab.ui.charts import label_positions

ROLE_COLOURS = {"a": "#6baed6", "b": "#08519c", "c": "#fdae6b", "answer": "#2ca02c", "expected": "#d62728"}


def word_models() -> list[str]:
    """Every word backend: built-ins, then uploaded and trained ones, including those saved by
    an earlier run or by the CLI (the registry discovers them)."""
    return backend_names(BackendKind.WORDS)


def analogy_benchmark(model: str, dataset: str, restrict_vocab: int, method: str) -> AnalogyEvaluation:
    """The benchmark (cached by the engine); the first run shows a status box while it works."""
    with st.status(f"Running {dataset} analogies on {model} (first {restrict_vocab:,} words)…", expanded=False) as status:
        result = evaluate_analogies(model, dataset, restrict_vocab=restrict_vocab, method=method)
        status.update(label=f"{dataset} analogies: {result.n:,} questions in {result.seconds:.1f} s (cached after the first run)",
                      state="complete")
    return result


def analogy_figure(picture: AnalogyPicture, title: str) -> go.Figure:
    """Scatter of the words with arrows a→b and c→d: parallel arrows mean a consistent offset."""
    figure = go.Figure()
    places = label_positions(list(picture.x), list(picture.y), list(picture.words), width_px=420, height_px=300, equal_scale=True)  # "king" no longer under "prince"
    for role in ("a", "b", "c", "answer", "expected"):
        index = [i for i, r in enumerate(picture.roles) if r == role]
        if not index:
            continue
        figure.add_trace(go.Scatter(
            x=[picture.x[i] for i in index], y=[picture.y[i] for i in index], mode="markers+text",
            text=[html.escape(picture.words[i]) for i in index], textposition=[places[i] for i in index], name=role,
            marker={"size": 12, "color": ROLE_COLOURS[role]},
            hovertemplate="%{text}<extra>" + role + "</extra>",
        ))
    position = {w: (x, y) for w, x, y in zip(picture.words, picture.x, picture.y, strict=True)}
    for (start, end), colour in zip(picture.arrows, ("#08519c", "#e6550d"), strict=True):
        (x0, y0), (x1, y1) = position[start], position[end]
        figure.add_annotation(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", showarrow=True,
                              arrowhead=3, arrowsize=1.5, arrowwidth=2, arrowcolor=colour, text="")
    figure.update_layout(title=title, height=460, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                         xaxis_title="PC 1", yaxis_title="PC 2")
    figure.update_yaxes(scaleanchor="x", scaleratio=1)
    return figure


def sections_figure(result: AnalogyEvaluation) -> go.Figure:
    """Accuracy per section, semantic and syntactic coloured apart."""
    from embedlab.analysis.evaluation import is_syntactic

    sections = [s for s in result.sections if s.n]
    figure = go.Figure(go.Bar(
        x=[s.accuracy for s in sections], y=[s.name for s in sections], orientation="h",
        marker={"color": ["#ff7f0e" if is_syntactic(s.name) else "#1f77b4" for s in sections]},
        text=[f"{s.accuracy:.2f} ({s.correct}/{s.n})" for s in sections], textposition="auto",
        hovertemplate="%{y}: %{x:.3f}<extra></extra>",
    ))
    figure.update_layout(title=f"{result.dataset} accuracy per section · blue semantic, orange syntactic",
                         height=max(260, 28 * len(sections) + 80), margin={"l": 10, "r": 10, "t": 40, "b": 10},
                         xaxis={"range": [0, 1], "title": "accuracy"})
    figure.update_yaxes(autorange="reversed")
    return figure


def node_map_figure(result: NodeEmbeddingResult, edges: list[tuple[str, str]], title: str) -> go.Figure:
    """The 2-D map of node vectors, edges as faint lines, nodes coloured by known group."""
    position = {n: (x, y) for n, x, y in zip(result.nodes, result.x, result.y, strict=True)}
    xs: list[float | None] = []
    ys: list[float | None] = []
    for u, v in edges:
        if u in position and v in position:
            xs += [position[u][0], position[v][0], None]
            ys += [position[u][1], position[v][1], None]
    figure = go.Figure(go.Scatter(x=xs, y=ys, mode="lines", line={"width": 0.5, "color": "#bbbbbb"},
                                  hoverinfo="skip", showlegend=False))
    for group in sorted(set(result.groups)):
        index = [i for i, g in enumerate(result.groups) if g == group]
        figure.add_trace(go.Scatter(
            x=[result.x[i] for i in index], y=[result.y[i] for i in index], mode="markers+text" if len(result.nodes) <= 80 else "markers",
            text=[html.escape(result.nodes[i]) for i in index], textposition="top center", textfont={"size": 9},
            name=html.escape(group or "(no group)"), marker={"size": 10},
            hovertemplate="%{text}<extra>" + html.escape(group or "") + "</extra>",
        ))
    figure.update_layout(title=title, height=520, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                         xaxis_title="PC 1", yaxis_title="PC 2")
    return figure


def similarity_figure(results: list[SimilarityEvaluation]) -> go.Figure:
    """Spearman ρ per benchmark."""
    figure = go.Figure(go.Bar(
        x=[r.dataset for r in results], y=[r.spearman for r in results],
        text=[f"{r.spearman:.3f}" for r in results], textposition="auto",
        hovertemplate="%{x}: ρ %{y:.3f}<extra></extra>",
    ))
    figure.update_layout(title="Spearman ρ with human judgements", height=320, yaxis={"range": [min(0.0, *(r.spearman for r in results)), 1]},
                         margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return figure

