"""Semantic search over a stored collection with the model it was encoded by."""

from __future__ import annotations

import numpy as np

from embedlab.backends import get_text_encoder
from embedlab.errors import InputError
from embedlab.store import CollectionInfo, SearchResult, Store, open_store
from embedlab.vectors import top_k_cosine


def search_collection(collection: str, query: str, k: int = 10, *, model: str | None = None, store: Store | None = None) -> SearchResult:
    """Top-k rows of ``collection`` for a text query, encoded by the collection's own model.

    ``model``, when given, must match the model the collection was built with: vectors from
    different models live in different spaces and cannot be compared. A collection another
    program made names no model: ``model`` is then required and must have its dimension.
    """
    if not query.strip():
        raise InputError("Type a query to search for.")
    store = store or open_store()
    info = store.info(store.resolve(collection, backend=None if model is None else model))
    if info.foreign:
        encoder = get_text_encoder(foreign_search_model(info, model))
    else:
        if model is not None and info.backend != model:
            raise InputError(f"Collection {info.name!r} was encoded with {info.backend!r}, not {model!r}; vectors of different models cannot be compared.")
        encoder = get_text_encoder(info.backend)
    return store.search(info.name, encoder.encode([query])[0], k)


def models_of_dimension(dim: int) -> list[str]:
    """Catalogue text models whose vectors have ``dim`` dimensions."""
    from embedlab.backends import BackendKind, catalogue

    return [name for name in catalogue().names(BackendKind.TEXT) if catalogue().dim(name) == dim]


def foreign_search_model(info: CollectionInfo, model: str | None) -> str:
    """The model to encode a text query for a collection another program made: the one asked
    for, when its dimension fits (whether it is the model that made the vectors, only the
    user can know)."""
    fits = models_of_dimension(info.dim)
    if model is None:
        hint = f" ({', '.join(fits)} {'has' if len(fits) == 1 else 'have'} {info.dim} dimensions)" if fits else \
            f" (no catalogue text model has {info.dim} dimensions; add one with st:<hub id or path>)"
        raise InputError(f"Collection {info.name!r} was made by another program and does not say which model made its"
                         f" {info.dim}-d vectors: name a text model of the same dimension{hint}, or search by a stored"
                         " item's vector instead.")
    dim = get_text_encoder(model).dim
    if dim != info.dim:
        raise InputError(f"{model!r} makes {dim}-d vectors; collection {info.name!r} holds {info.dim}-d vectors.")
    return model


def foreign_notice(info: CollectionInfo, fitting: list[str]) -> str:
    """What a collection another program made lacks, said once where it is shown."""
    model = (f"A text search encodes your query with a catalogue model of {info.dim} dimensions ({', '.join(fitting)}):"
             " its results mean something only if that is the model that made the vectors." if fitting else
             f"No catalogue text model makes {info.dim}-d vectors, so there is no text search; click a point to see its"
             " nearest rows by its stored vector.")
    return (f"{info.dataset!r} was made by another program: it does not say which model made its {info.dim}-d vectors,"
            " and has none of EmbedLab's labels or settings. The map, the clusters and each point's neighbours come from"
            f" the stored vectors alone. {model}")


def search_like(collection: str, item_id: str, k: int = 10, *, store: Store | None = None) -> SearchResult:
    """Top-k rows of ``collection`` nearest to its own row ``item_id`` (by that row's stored
    vector: no model needed, so it works on any collection); the row itself is left out."""
    store = store or open_store()
    name = store.resolve(collection)
    vector = store.vector_of(name, item_id)
    return store.search(name, vector, k, exclude_ids=[item_id])


def search_vectors(vectors: np.ndarray, model: str, query: str, k: int = 10) -> list[tuple[int, float]]:
    """Top-k rows of an in-memory matrix (a loaded corpus) for a text query: exact cosine,
    no store round trip. Returns (row index, score) pairs, best first."""
    if not query.strip():
        raise InputError("Type a query to search for.")
    if k < 1:
        raise InputError(f"k must be at least 1, got {k}.")
    order, scores = top_k_cosine(get_text_encoder(model).encode([query])[0], vectors, k)
    return [(int(i), float(s)) for i, s in zip(order, scores, strict=True)]
