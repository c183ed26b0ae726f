"""Streamlit pieces of the Recommendation page: cached data and models, the evaluation chart,
the joint map of users and items (the Explore point map)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from embedlab.maps.projection import ProjectionParams, project
from embedlab.maps.view import colours_for, hover_lines
from embedlab.recommend.data import Interactions, read_interactions
from embedlab.recommend.evaluate import RankingMetrics
from embedlab.recommend.explain import joint_vectors
from embedlab.recommend.models import FittedModel
from embedlab.ui.pointmap import MapColours, MapMarks, point_map

METHOD_NAMES = {"content": "content (MiniLM)", "als": "ALS (implicit)", "bpr": "BPR (implicit)", "svd": "truncated SVD",
                "hybrid": "hybrid (ALS + content)", "popular": "most popular", "random": "random"}


def uploaded(file_id: str, items_id: str = "") -> tuple[Interactions | None, str, str]:
    """(the interactions of a kept upload, its file name, why there are none): none yet, or the
    file of a link from another server that this one does not have (parsed once per content)."""
    from embedlab.links import kept_file

    if not file_id:
        return None, "", ""
    kept = kept_file(file_id)
    items = kept_file(items_id) if items_id else None
    if kept is None or (items_id and items is None):
        return None, "", ("The interactions file this view rests on is not on this server (a link made on another one?):"
                          " upload it again.")
    data = read_interactions(kept[0], kept[1], items[0] if items else None, items[1] if items else None)
    return data, kept[1], ""


def evaluation_frame(results: dict[str, RankingMetrics]) -> pd.DataFrame:
    """One row per method: HR@10, NDCG@10, coverage, fit seconds and the settings."""
    return pd.DataFrame([{"method": METHOD_NAMES.get(m, m), "HR@10": r.hr, "NDCG@10": r.ndcg, "coverage": r.coverage,
                          "fit s": round(r.fit_seconds, 2), "settings": r.label} for m, r in results.items()])


def evaluation_chart(frame: pd.DataFrame) -> go.Figure:
    """HR@10 and NDCG@10 per method as grouped bars."""
    figure = go.Figure([go.Bar(name="HR@10", x=frame["method"].tolist(), y=frame["HR@10"].tolist()),
                        go.Bar(name="NDCG@10", x=frame["method"].tolist(), y=frame["NDCG@10"].tolist())])
    figure.update_layout(barmode="group", height=340, margin={"t": 30, "b": 10}, title="Leave-last-out, full ranking")
    return figure


def joint_map(data: Interactions, model: FittedModel, user: int | None, profile: np.ndarray | None,
              history: list[int], recommended: list[int], seed: int, highlight: str | None = None) -> None:
    """Users and items in one UMAP map (cosine of their vectors), items coloured by genre, users
    grey; the chosen user (or profile), their history and recommendations marked."""
    vectors = joint_vectors(model, profile)
    projection = project(vectors, ProjectionParams(method="umap", metric="cosine", seed=seed))
    n_users = data.n_users
    by_genre = bool(data.genre_names())
    groups = ["user"] * n_users + (data.main_genre(highlight) if by_genre else [data.noun] * data.n_items) \
        + (["your profile"] if profile is not None else [])
    colours = colours_for(groups)
    titles = data.items["title"].tolist()
    texts = [f"user {u}" for u in data.user_ids] + titles + (["your profile"] if profile is not None else [])
    columns = [c for c in data.item_columns if c not in ("title", "item")]
    hover = hover_lines(texts, {c: [""] * n_users + data.items[c].str.replace("|", ", ").tolist() + ([""] if profile is not None else [])
                                for c in columns})
    chosen = len(vectors) - 1 if profile is not None else user
    marks = MapMarks(hits=[n_users + i for i in recommended], picked=chosen, neighbours=[n_users + i for i in history],
                     labels=[{"x": float(projection.coords[chosen, 0]), "y": float(projection.coords[chosen, 1]),
                              "text": "you" if profile is not None else f"user {data.user_ids[user or 0]}"}] if chosen is not None else [])
    point_map("rec_map", projection.coords, hover, MapColours(codes=colours.codes, palette=_palette(colours.names),
                                                                legend=_legend(colours.names, colours.counts),
                                                                title=(f"genre ({highlight} first)" if highlight else "first listed genre")
                                                                if by_genre else f"user or {data.noun}"),
              marks, height=560,
              caption="Rings: the history; stars: the recommendations; the big dot: the user. Hover for titles.")
    st.caption(f"UMAP (cosine, seed {seed}) of {n_users:,} users and {data.n_items:,} items together, "
               f"{'from the cache' if projection.cached else f'computed in {projection.seconds:.1f} s'}. "
               "Lengths are dropped to map directions: the map shows which way each vector points, not how long it is.")


def _palette(names: tuple[str, ...]) -> tuple[str, ...]:
    from embedlab.maps.view import PALETTE

    return tuple("#c8c8c8" if name == "user" else "#000000" if name == "your profile" else PALETTE[i % len(PALETTE)]
                 for i, name in enumerate(names))


def _legend(names: tuple[str, ...], counts: tuple[int, ...]) -> tuple[tuple[str, str, int], ...]:
    return tuple(zip(names, _palette(names), counts, strict=True))
