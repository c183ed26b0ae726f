"""Item vectors in Chroma: one collection per (dataset, model settings), in the inner-product
space for factor vectors (their length carries popularity) and the cosine space for content
vectors. A recommendation is a query there with the user's vector, the seen items left out."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from embedlab.recommend.data import Interactions
from embedlab.recommend.models import FittedModel
from embedlab.store import KIND_ITEMS, Metadata, SearchResult, Store, open_store

#: item collections kept per dataset (one per model setting seen); the oldest beyond are deleted
MAX_ITEM_COLLECTIONS = 8


def item_collection(data: Interactions, model: FittedModel, store: Store | None = None) -> str:
    """The Chroma collection of ``model``'s item vectors on ``data``, written once and in one go
    (it appears only when complete; the name holds the data's digest and the settings, so other
    data or settings get another one, and at most ``MAX_ITEM_COLLECTIONS`` are kept per dataset)."""
    from embedlab.store import collection_name

    store = store or open_store()
    dataset = f"items-{data.name}"
    backend = f"{model.spec.label()} data={data.digest[:12]}"
    name = collection_name(dataset, backend)
    kept = {other: meta for other, meta in store.listing().items() if meta.get("dataset") == dataset and meta.get("x_kind") == KIND_ITEMS}
    if name in kept:
        info = store.info(name)
        if info.complete and info.count == data.n_items:
            return name
    popularity = data.popularity()
    metadatas: list[Metadata] = [
        {"item": item, "title": str(title), "year": str(year), "genres": str(genres), "popularity": int(popularity[i])}
        for i, (item, title, year, genres) in enumerate(zip(data.item_ids, data.items["title"], data.items["year"], data.items["genres"], strict=True))
    ]
    store.write_complete(dataset, backend, list(data.item_ids), model.item_vectors, data.items["title"].tolist(), metadatas,
                         extra={"kind": KIND_ITEMS, "method": model.spec.method}, space=model.space)
    others = sorted((other for other in kept if other != name), key=lambda other: str(kept[other].get("created", "")), reverse=True)
    for old in others[MAX_ITEM_COLLECTIONS - 1 :]:
        store.delete(old)
    return name


def query_items(store: Store, collection: str, vector: np.ndarray, k: int, exclude: Collection[str] = (),
                exact: bool | None = None) -> SearchResult:
    """The ``k`` items nearest ``vector`` in the collection's space, ``exclude`` left out."""
    return store.search(collection, np.asarray(vector, np.float32), k=k, exclude_ids=exclude, exact=exact)
