"""Recommendations: a user's (or a profile's) vector queried against the item collection in
Chroma with the seen items left out, each result with its score and "because you liked …"."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from embedlab.errors import InputError
from embedlab.recommend.data import Interactions
from embedlab.recommend.explain import because, similar_items
from embedlab.recommend.itemstore import item_collection, query_items
from embedlab.recommend.models import FittedModel, ModelSpec, fitted_model
from embedlab.store import SearchHit, SearchResult, Store
from embedlab.vectors import cosine_scores

MAX_K = 100
#: a user who has seen more items than this is ranked in memory with a mask, not by a Chroma query
SEEN_IN_MEMORY = 1_000
PROFILE_USER = "(your profile)"


@dataclass(frozen=True)
class Recommendation:
    """One recommended item: its id, title, score (dot product or cosine) and the user's items
    nearest to it."""

    item: str
    title: str
    score: float
    because: list[str]
    index: int
    genres: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The CLI's shape: ``{"item", "title", "score", "because"}``."""
        return {"item": self.item, "title": self.title, "score": self.score, "because": self.because}


@dataclass(frozen=True)
class Recommendations:
    """Top-k for one user or profile, and where they came from."""

    user: str
    method: str
    label: str
    space: str
    collection: str
    search: str
    items: list[Recommendation]
    history: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"user": self.user, "method": self.method, "items": [r.as_dict() for r in self.items]}


def _check_k(k: int) -> None:
    if not 1 <= k <= MAX_K:
        raise InputError(f"k must be between 1 and {MAX_K}, got {k}.")


def _liked(data: Interactions, user: int) -> tuple[np.ndarray, np.ndarray]:
    """The user's items and, for "because", the ones they liked (rated at least their mean)."""
    rows = np.flatnonzero(data.user == user)
    items, ratings = data.item[rows], data.rating[rows]
    liked = items[ratings >= ratings.mean()] if data.has_ratings else items
    return np.unique(items), np.unique(liked)


def _ranked_in_memory(data: Interactions, model: FittedModel, vector: np.ndarray, seen: np.ndarray, k: int) -> SearchResult:
    """Every item scored against ``vector`` with the model's own item vectors (the ones stored),
    the seen ones masked: a user who has seen thousands of items would otherwise need a query
    for k + thousands of rows, each read back by id."""
    items = np.asarray(model.item_vectors, dtype=np.float32)
    query = np.asarray(vector, dtype=np.float32).reshape(-1)
    scores = (items @ query).astype(np.float64) if model.space == "ip" else cosine_scores(items, query).astype(np.float64)
    scores[np.asarray(seen, dtype=np.int64)] = -np.inf
    take = min(k, int(np.isfinite(scores).sum()))
    top = np.argpartition(-scores, take - 1)[:take] if take else np.zeros(0, dtype=np.int64)
    order = top[np.argsort(-scores[top], kind="stable")]
    hits = [SearchHit(data.item_ids[i], str(data.items["title"].iat[i]), float(scores[i]), {}) for i in order]
    return SearchResult(hits, f"exact (numpy over all {len(items):,} items, {len(seen):,} seen left out)")


def _from_vector(data: Interactions, model: FittedModel, vector: np.ndarray, user: str, seen: np.ndarray, liked: np.ndarray,
                 k: int, store: Store | None) -> Recommendations:
    from embedlab.store import open_store

    store = store or open_store()
    collection = item_collection(data, model, store)
    if len(seen) > SEEN_IN_MEMORY:
        result = _ranked_in_memory(data, model, vector, seen, k)
    else:
        result = query_items(store, collection, vector, k, exclude={data.item_ids[i] for i in seen})
    items = []
    for hit in result.hits:
        index = data.item_position[hit.id]
        reasons = because(model, liked, index)
        items.append(Recommendation(hit.id, str(data.items["title"].iat[index]), hit.score,
                                    [str(data.items["title"].iat[i]) for i in reasons], index, str(data.items["genres"].iat[index])))
    return Recommendations(user, model.spec.method, model.spec.label(), model.space, collection, result.method, items,
                           [int(i) for i in seen])


def recommend(data: Interactions, spec: ModelSpec, user: str, k: int = 10, store: Store | None = None) -> Recommendations:
    """Top-k unseen items for a user of the data."""
    _check_k(k)
    position = data.user_index(user)
    model = fitted_model(data, spec)
    seen, liked = _liked(data, position)
    return _from_vector(data, model, model.user_vectors[position], data.user_ids[position], seen, liked, k, store)


def recommend_profile(data: Interactions, spec: ModelSpec, items: Sequence[str], k: int = 10,
                      store: Store | None = None) -> Recommendations:
    """The cold start: top-k for someone who is not in the data and likes ``items``."""
    _check_k(k)
    chosen = np.unique([data.item_index(i) for i in items]).astype(np.int64)
    if not len(chosen):
        raise InputError("Choose at least one item you like to build a profile.")
    model = fitted_model(data, spec)
    vector = model.profile(chosen)
    return _from_vector(data, model, vector, PROFILE_USER, chosen, chosen, k, store)


def more_like_this(data: Interactions, spec: ModelSpec, item: str, k: int = 10) -> list[Recommendation]:
    """Items most like ``item`` in the method's item space (cosine of item vectors)."""
    _check_k(k)
    index = data.item_index(item)
    model = fitted_model(data, spec)
    order, scores = similar_items(model, index, k)
    return [Recommendation(data.item_ids[i], str(data.items["title"].iat[i]), float(s), [], int(i), str(data.items["genres"].iat[i]))
            for i, s in zip(order, scores, strict=True)]


def recommend_each(data: Interactions, methods: Sequence[str], user: str, k: int = 5, *, seed: int = 42,
                   store: Store | None = None) -> dict[str, Recommendations]:
    """What each method (with its defaults and ``seed``) recommends to ``user``: the methods side by side."""
    from embedlab.recommend.models import spec_for

    return {method: recommend(data, spec_for(method, seed=seed), user, k, store=store) for method in methods}
