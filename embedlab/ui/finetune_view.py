"""Streamlit helpers for the Fine-tune page: the labelled data, the training run with its
progress, the before/after table and maps, the fine-tuned models kept on this server.

Training *adds* a model, so it is never cached; its figures live in the model's saved note,
from which a link shows the result again.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from embedlab.analysis.downstream import LabelledData, builtin_data, upload_data
from embedlab.backends import catalogue, model_status
from embedlab.training.finetune import FineTuneResult, FineTuneSettings, finetune
from embedlab.ui.charts import label_map
from embedlab.ui.feedback import plain, progress_reporter

SCORES = {"accuracy": "accuracy", "macro_f1": "macro-F1", "precision_at_10": "precision@10", "mrr": "MRR"}


def labelled_data(dataset: str, upload: tuple[bytes, str] | None, text_column: str | None, label_column: str | None) -> LabelledData:
    """The built-in dataset, or the uploaded file (its bytes and name) with its chosen columns,
    every row (the fine-tuning split draws its own stratified sample)."""
    if dataset != "upload" or upload is None:
        return builtin_data(dataset, max_rows=None)
    return upload_data(upload[0], upload[1], label_column, text_column=text_column, max_rows=None)


def train(data: LabelledData, settings: FineTuneSettings, out: str | None = None) -> FineTuneResult:
    """Fine-tune with a status box naming each stage and a bar for the training steps."""
    with st.status(f"Fine-tuning on {plain(data.name)}…", expanded=True) as status:
        def stage(text: str) -> None:
            status.update(label=plain(text[:1].upper() + text[1:]) + "…")
            st.write(plain(text))

        result = finetune(data, settings, out=out, progress=progress_reporter("Training steps"), stage=stage)
        status.update(label=f"Trained {plain(result.name)} in {result.seconds:.0f} s", state="complete", expanded=False)
    return result


def scores_table(result: FineTuneResult) -> pd.DataFrame:
    """Before and after, one row each, and the change."""
    rows = [{"model": scores.model, "": label, **{name: round(getattr(scores, key), 4) for key, name in SCORES.items()}}
            for label, scores in (("before", result.before), ("after", result.after))]
    rows.append({"model": "change", "": "after − before",
                 **{name: round(getattr(result.after, key) - getattr(result.before, key), 4) for key, name in SCORES.items()}})
    return pd.DataFrame(rows)


def maps(result: FineTuneResult) -> tuple[go.Figure, go.Figure]:
    """The held-out texts under the base and the fine-tuned model, coloured alike by label."""
    method = result.settings.map_method.upper()
    order = sorted(set(result.map_labels))
    labels, texts = list(result.map_labels), list(result.map_texts)
    return (label_map(pd.DataFrame(result.map_before).to_numpy(), labels, texts, f"Before: {result.base} ({method})", order),
            label_map(pd.DataFrame(result.map_after).to_numpy(), labels, texts, f"After: {result.name} ({method})", order))


def loss_chart(result: FineTuneResult) -> go.Figure:
    """The training loss as the trainer logged it."""
    figure = go.Figure(go.Scatter(y=list(result.losses), mode="lines+markers", hovertemplate="log %{x}: loss %{y:.4f}<extra></extra>"))
    figure.update_layout(title="Training loss (logged about 20 times)", height=260, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                         xaxis_title="log entry", yaxis_title="loss")
    return figure


def finetuned_table() -> pd.DataFrame:
    """The fine-tuned text models of this server, with their description."""
    from embedlab.training.finetune import PREFIX

    rows = [{"name": r.name, "dim": r.dim, "description": r.description} for r in model_status()
            if r.kind == "text" and r.name.startswith(PREFIX)]
    return pd.DataFrame(rows)


def remove(name: str) -> None:
    """Forget the model and delete its files."""
    catalogue().remove(name)
