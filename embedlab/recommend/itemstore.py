"""Item vectors in Chroma: one collection per (dataset, model settings), in the inner-product
space for factor vectors (their length carries popularity) and the cosine space for content
vectors. A recommendation is a query there with the user's vector, the seen items left out."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from embedlab.recommend.data import Interactions
from embedlab.recommend.models import FittedModel
from embedlab.store import STATUS_COMPLETE, Metadata, SearchResult, Store, open_store


def item_collection(data: Interactions, model: FittedModel, store: Store | None = None) -> str:
    """The Chroma collection of ``model``'s item vectors on ``data``, written once (the name
    holds the data's digest and the settings, so other data or settings get another one)."""
    store = store or open_store()
    dataset = f"items-{data.name}"
    backend = f"{model.spec.label()} data={data.digest[:12]}"
    name = store.create(dataset, backend, model.dim, extra={"kind": "items", "method": model.spec.method}, space=model.space)
    info = store.info(name)
    if info.complete and info.count == data.n_items:
        return name
    popularity = data.popularity()
    metadatas: list[Metadata] = [
        {"item": item, "title": str(title), "year": str(year), "genres": str(genres), "popularity": int(popularity[i])}
        for i, (item, title, year, genres) in enumerate(zip(data.item_ids, data.items["title"], data.items["year"], data.items["genres"], strict=True))
    ]
    store.set_status(name, "ingesting")
    store.add(name, list(data.item_ids), model.item_vectors, data.items["title"].tolist(), metadatas)
    store.set_status(name, STATUS_COMPLETE)
    return name


def query_items(store: Store, collection: str, vector: np.ndarray, k: int, exclude: Collection[str] = (),
                exact: bool | None = None) -> SearchResult:
    """The ``k`` items nearest ``vector`` in the collection's space, ``exclude`` left out."""
    return store.search(collection, np.asarray(vector, np.float32), k=k, exclude_ids=exclude, exact=exact)
