"""Semantic search over a stored collection with the model it was encoded by."""

from __future__ import annotations

import numpy as np

from embedlab.analysis.similarity import top_k_cosine
from embedlab.backends import get_text_encoder
from embedlab.errors import InputError
from embedlab.store import SearchResult, Store, open_store


def search_collection(collection: str, query: str, k: int = 10, *, model: str | None = None, store: Store | None = None) -> SearchResult:
    """Top-k rows of ``collection`` for a text query, encoded by the collection's own model.

    ``model``, when given, must match the model the collection was built with: vectors from
    different models live in different spaces and cannot be compared.
    """
    if not query.strip():
        raise InputError("Type a query to search for.")
    store = store or open_store()
    info = store.info(store.resolve(collection, backend=model))
    if model is not None and info.backend != model:
        raise InputError(f"Collection {info.name!r} was encoded with {info.backend!r}, not {model!r}; vectors of different models cannot be compared.")
    encoder = get_text_encoder(info.backend)
    return store.search(info.name, encoder.encode([query])[0], k)


def search_vectors(vectors: np.ndarray, model: str, query: str, k: int = 10) -> list[tuple[int, float]]:
    """Top-k rows of an in-memory matrix (a loaded corpus) for a text query: exact cosine,
    no store round trip. Returns (row index, score) pairs, best first."""
    if not query.strip():
        raise InputError("Type a query to search for.")
    if k < 1:
        raise InputError(f"k must be at least 1, got {k}.")
    order, scores = top_k_cosine(get_text_encoder(model).encode([query])[0], vectors, k)
    return [(int(i), float(s)) for i, s in zip(order, scores)]
