"""Streamlit pieces of the Downstream page: the comparison run with progress, its table and
charts, and the labelled collections of the store (the figures come from the engine)."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from embedlab.analysis.downstream import (
    INTRINSIC_BENCHMARKS,
    Comparison,
    IntrinsicScores,
    LabelledData,
    compare,
    intrinsic_scores,
)
from embedlab.ui.feedback import plain, progress_reporter, store_or_stop


def text_collections() -> list[str]:
    """Names of the stored corpora (pictures, item vectors and damaged collections left out); a
    store another process holds stops the page with a message naming it."""
    from embedlab.corpus import corpora

    return [info.name for info in corpora(store_or_stop().collections())]


def run_comparison(data: LabelledData, names: list[str], folds: int, seed: int, cost: str = "") -> Comparison:
    """The comparison, with a status box naming the representation under way and a bar for its
    encoding (cached results come back at once); ``cost`` says beforehand what it may take."""
    with st.status(f"Cross-validating {len(names)} representations on {data.rows:,} rows…", expanded=True) as status:
        if cost:
            st.caption(plain(cost))
        report = progress_reporter("encoding")
        comparison = compare(data, names, folds=folds, seed=seed, progress=report,
                             stage=lambda text: status.update(label=f"Cross-validating {text}…"))
        fresh = sum(not r.cached for r in comparison.results)
        status.update(label=f"{len(comparison.results)} representations, {folds} folds, seed {seed}"
                            f" ({fresh} computed now, {len(comparison.results) - fresh} from the cache)",
                      state="complete", expanded=False)
    return comparison


def scores_frame(comparison: Comparison) -> pd.DataFrame:
    """One row per representation: accuracy ± std, macro-F1 ± std, dim, seconds, what it reads."""
    rows = []
    for result in comparison.results:
        s = result.scores
        rows.append({"representation": result.name, "accuracy": round(s.accuracy, 4), "± std": round(s.accuracy_std, 4),
                     "macro-F1": round(s.macro_f1, 4), "F1 ± std": round(s.macro_f1_std, 4),
                     "dim": s.dim if s.dim else None, "seconds": round(result.seconds, 1),
                     "unknown tokens": f"{result.coverage.oov_share:.1%}" if result.coverage else "",
                     "texts with no known word": result.coverage.rows_without_known_word if result.coverage else None,
                     "reads": result.reads, "cached": result.cached})
    return pd.DataFrame(rows)


def scores_chart(comparison: Comparison) -> go.Figure:
    """Accuracy and macro-F1 per representation with fold standard deviations, and the
    majority-class rate as the floor."""
    names = [html.escape(r.name) for r in comparison.results]
    figure = go.Figure([
        go.Bar(name="accuracy", x=names, y=[r.scores.accuracy for r in comparison.results],
               error_y={"type": "data", "array": [r.scores.accuracy_std for r in comparison.results]}),
        go.Bar(name="macro-F1", x=names, y=[r.scores.macro_f1 for r in comparison.results],
               error_y={"type": "data", "array": [r.scores.macro_f1_std for r in comparison.results]}),
    ])
    figure.add_hline(y=comparison.majority_rate, line_dash="dash", line_color="grey",
                     annotation_text=f"majority class {comparison.majority_rate:.3f}", annotation_position="top left")
    figure.update_layout(barmode="group", height=380, yaxis={"range": [0, 1]}, margin={"t": 40, "b": 10},
                         title=f"{comparison.folds}-fold cross-validation, seed {comparison.seed} (error bars: std over folds)")
    return figure


def intrinsic_frame(comparison: Comparison) -> tuple[pd.DataFrame, list[IntrinsicScores]]:
    """Word-level scores beside downstream accuracy, one row per representation."""
    with st.spinner("Word-level benchmarks (sentence models encode the ~1,400 benchmark words once)…"):
        scores = [intrinsic_scores(result.name) for result in comparison.results]
    rows = []
    for result, intrinsic in zip(comparison.results, scores, strict=True):
        row: dict[str, object] = {"representation": result.name}
        for name in INTRINSIC_BENCHMARKS:
            value = intrinsic.similarity.get(name)
            row[f"{name} ρ"] = round(value, 4) if value is not None else None
        row["Google analogies"] = round(intrinsic.google, 4) if intrinsic.google is not None else None
        row["accuracy"] = round(result.scores.accuracy, 4)
        row["macro-F1"] = round(result.scores.macro_f1, 4)
        row["note"] = intrinsic.note
        rows.append(row)
    return pd.DataFrame(rows), scores
