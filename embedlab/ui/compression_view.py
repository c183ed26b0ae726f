"""Tables and the chart of the Compression page: quality against memory, and the two rankings of
the normalisation example."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from embedlab.analysis.compression import CompressionReport
from embedlab.analysis.normalisation import DotCosine
from embedlab.ui.charts import label_positions


def report_frame(report: CompressionReport) -> pd.DataFrame:
    """One row per scheme: memory, disk, compression ratio, recall, downstream figures, time."""
    reference = 4 * report.dim
    rows = []
    for r in report.results:
        rows.append({
            "scheme": r.scheme,
            "bytes / vector": round(r.bytes_per_vector, 1),
            "× smaller": round(reference / r.bytes_per_vector, 1),
            "on disk (bytes)": round(r.disk_bytes_per_vector, 1),
            f"recall@{report.k}": round(r.recall, 4),
            "accuracy": None if r.accuracy is None else round(r.accuracy, 4),
            "macro-F1": None if r.macro_f1 is None else round(r.macro_f1, 4),
            "seconds": round(r.seconds, 2),
            "calibration": r.calibration,
        })
    frame = pd.DataFrame(rows)
    if not report.labelled:
        frame = frame.drop(columns=["accuracy", "macro-F1"])
    return frame


def quality_chart(report: CompressionReport) -> go.Figure:
    """Recall@k against bytes per vector (log axis): one point per scheme, re-scored variants
    as open diamonds."""
    figure = go.Figure()
    ordered = [r for rescored in (False, True) for r in report.results if r.rescored == rescored]
    places = dict(zip((r.scheme for r in ordered), label_positions([r.bytes_per_vector for r in ordered], [r.recall for r in ordered],
                                                                  [r.scheme for r in ordered], width_px=900, height_px=330, log_x=True),
                      strict=True))
    for rescored, name, symbol in ((False, "compressed score only", "circle"), (True, "re-scored in float32", "diamond-open")):
        chosen = [r for r in report.results if r.rescored == rescored]
        if not chosen:
            continue
        figure.add_trace(go.Scatter(
            x=[r.bytes_per_vector for r in chosen], y=[r.recall for r in chosen], mode="markers+text", name=name,
            text=[r.scheme for r in chosen], textposition=[places[r.scheme] for r in chosen],
            marker={"symbol": symbol, "size": 12, "line": {"width": 2}},
            hovertemplate="%{text}<br>%{x:.1f} bytes/vector<br>recall@" + str(report.k) + " %{y:.3f}<extra></extra>"))
    figure.update_layout(
        title=f"Quality against memory ({report.collection}, {report.rows:,} × {report.dim})",
        xaxis={"title": "bytes per vector held for search (log scale)", "type": "log"},
        yaxis={"title": f"recall@{report.k} against exact float32 cosine", "range": [0, 1.12], "tickvals": [0, 0.2, 0.4, 0.6, 0.8, 1.0]},
        height=460, margin={"t": 50, "b": 40}, legend={"orientation": "h", "y": -0.2})
    return figure


def ranking_frame(result: DotCosine, by: str) -> pd.DataFrame:
    """One of the two top-k lists (``by``: "dot" or "cosine") with both scores and each length;
    a word the other list lacks is marked."""
    mine = result.by_dot if by == "dot" else result.by_cosine
    other = {r.key for r in (result.by_cosine if by == "dot" else result.by_dot)}
    return pd.DataFrame([{"rank": i + 1, "word": r.key, "length": round(r.norm, 2), "dot": round(r.dot, 2),
                          "cosine": round(r.cosine, 3), "in the other list": r.key in other} for i, r in enumerate(mine)])
