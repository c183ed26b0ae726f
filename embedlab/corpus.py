"""A stored collection loaded for exploring: ids, texts, metadata and vectors in one place.

Reading 60k rows with their vectors from Chroma takes seconds, so a finished collection is
also kept as a snapshot on disk (vectors as ``.npy``, the rest as Parquet) keyed by the
collection's name, creation time, row count and status. Reopening a mapped corpus then reads
the snapshot and the cached map and clusters, and computes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from embedlab import cache, config
from embedlab.cache import memoize
from embedlab.errors import InputError
from embedlab.maps.clustering import ClusterParams, ClusterResult, cluster
from embedlab.maps.neighborhood import Trust, map_trustworthiness
from embedlab.maps.projection import Projection, ProjectionParams, project
from embedlab.maps.view import Colours, colours_for, hover_lines
from embedlab.store import (
    KIND_IMAGES,
    KIND_ITEMS,
    STATUS_COMPLETE,
    CollectionInfo,
    Store,
    open_store,
)

HIDDEN_COLUMNS = ("chunk", "chunks", "row")


@dataclass
class Corpus:
    """Everything the Explore page and the CLI need about one collection, row-aligned."""

    info: CollectionInfo
    ids: list[str]
    texts: list[str]
    metadata: pd.DataFrame
    vectors: np.ndarray
    digest: str
    from_snapshot: bool = False

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def labels(self) -> list[str] | None:
        """The label column when the collection has one with at least two values."""
        if "label" not in self.metadata.columns:
            return None
        values = self.metadata["label"].astype(str)
        return values.tolist() if values.nunique() > 1 else None

    def colour_columns(self) -> list[str]:
        """Every metadata column the map can be coloured by, label first (only the bookkeeping
        columns in ``HIDDEN_COLUMNS`` are left out). Up to ``mapview.MAX_LEGEND_GROUPS`` values get a
        legend; more get a colour per value without one, or a scale when they are numbers."""
        columns = [str(c) for c in self.metadata.columns if c not in HIDDEN_COLUMNS]
        return sorted(columns, key=lambda c: (c != "label", c))

    def numeric_columns(self) -> list[str]:
        """Metadata columns whose every value is a number (coloured on a continuous scale when
        they have more values than a legend can hold); ids and positions are left out."""
        columns = []
        for column in self.metadata.columns:
            if column in HIDDEN_COLUMNS or column in ("doc", "label"):
                continue
            values = pd.to_numeric(self.metadata[column], errors="coerce")
            if len(values) and values.notna().all() and values.nunique() > 1:
                columns.append(str(column))
        return columns


def corpora(infos: Sequence[CollectionInfo], *, include_internal: bool = False) -> list[CollectionInfo]:
    """Of a store's collections (``Store.collections()``), those to explore as corpora: texts and
    vectors made elsewhere. Pictures have their own page, a damaged collection is listed apart,
    and a recommender's item vectors (internal) only when asked."""
    return [info for info in infos if info.kind != KIND_IMAGES and not info.damaged and (include_internal or info.kind != KIND_ITEMS)]


def _snapshot_key(info: CollectionInfo) -> str:
    return cache.content_key("corpus", info.name, info.created, info.count, info.status, info.dim)


def _snapshot_paths(key: str) -> tuple[Path, Path, Path]:
    folder = cache.cache_dir("corpus")
    return folder / f"{key}.npy", folder / f"{key}.parquet", folder / f"{key}.json"


def _frame(metadatas: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(metadatas) if metadatas else pd.DataFrame()
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].fillna("").astype(str)
    return frame


def _read_snapshot(info: CollectionInfo) -> Corpus | None:
    vectors_path, table_path, meta_path = _snapshot_paths(_snapshot_key(info))
    if not (vectors_path.exists() and table_path.exists() and meta_path.exists()):
        return None
    try:
        vectors = np.load(vectors_path, allow_pickle=False, mmap_mode=None)
        table = pd.read_parquet(table_path)
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        return None
    cache.touch(vectors_path, table_path, meta_path)
    metadata = table.drop(columns=["__id", "__text"])
    return Corpus(info, table["__id"].tolist(), table["__text"].tolist(), metadata.reset_index(drop=True), vectors, meta["digest"], True)


def _write_snapshot(corpus: Corpus) -> None:
    vectors_path, table_path, meta_path = _snapshot_paths(_snapshot_key(corpus.info))
    table = corpus.metadata.copy()
    table.insert(0, "__text", corpus.texts)
    table.insert(0, "__id", corpus.ids)
    cache.atomic_write(vectors_path, lambda temporary: cache.write_npy(temporary, corpus.vectors))
    cache.atomic_write(table_path, lambda temporary: table.to_parquet(temporary, index=False))
    cache.atomic_write(meta_path, json.dumps({"digest": corpus.digest, "collection": corpus.info.name}))  # last: the entry is whole
    cache.prune()


def load_corpus(collection: str, store: Store | None = None, *, use_snapshot: bool = True) -> Corpus:
    """The rows of ``collection`` (a collection or dataset name), from the snapshot when fresh."""
    store = store or open_store()
    info = store.info(collection)
    if use_snapshot and info.status == STATUS_COMPLETE:
        snapshot = _read_snapshot(info)
        if snapshot is not None:
            return snapshot
    rows = store.get_all(info.name)
    metadata = _frame(rows["metadatas"])
    ids, vectors = rows["ids"], rows["embeddings"]
    texts = [str(d or "") for d in rows["documents"]]  # another program's collection may hold no documents
    if {"row", "chunk"} <= set(metadata.columns) and metadata[["row", "chunk"]].notna().all().all():
        # Rows are stored in the order they were encoded (by length); show them in file order.
        order = np.lexsort((metadata["chunk"].to_numpy(), metadata["row"].to_numpy()))
        metadata = metadata.iloc[order].reset_index(drop=True)
        ids, texts, vectors = [ids[i] for i in order], [texts[i] for i in order], vectors[order]
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    corpus = Corpus(info, ids, texts, metadata, vectors, cache.array_digest(vectors))
    if use_snapshot and info.status == STATUS_COMPLETE and len(corpus):
        _write_snapshot(corpus)
    return corpus


@memoize(max_entries=4, exclude=("store",))
def _corpus_at(location: str, info: CollectionInfo, store: Store) -> Corpus:
    return load_corpus(info.name, store)


def open_corpus(info: CollectionInfo, store: Store | None = None) -> Corpus:
    """The corpus of ``info``, kept in memory while the collection is unchanged (its name,
    creation time, row count and status are in the key): a page rerun reads nothing."""
    store = store or open_store()
    return _corpus_at(store.location, info, store)


@memoize(max_entries=8, exclude=("corpus",))
def _map(digest: str, params: ProjectionParams, corpus: Corpus) -> Projection:
    return project(corpus.vectors, params, digest=digest)


def corpus_map(corpus: Corpus, params: ProjectionParams) -> Projection:
    """The map of ``corpus`` (memory, then disk cache, then computed); ``cached`` is true
    whenever this call computed nothing."""
    projection, hit = _map.call_with_hit(corpus.digest, params, corpus)
    return replace(projection, cached=True) if hit and not projection.cached else projection


@memoize(max_entries=8, exclude=("corpus",))
def _clusters(digest: str, params: ClusterParams, labels: Sequence[str] | None, corpus: Corpus) -> ClusterResult:
    return cluster(corpus.vectors, corpus.texts, params, labels, digest=digest)


def corpus_clusters(corpus: Corpus, params: ClusterParams) -> ClusterResult:
    """Clusters of ``corpus`` scored against its labels (memory, then disk cache, then computed)."""
    return _clusters(corpus.digest, params, corpus.labels, corpus)


@memoize(max_entries=8, exclude=("corpus", "coords"))
def _trust(digest: str, map_key: str, corpus: Corpus, coords: np.ndarray) -> Trust:
    return map_trustworthiness(corpus.vectors, coords, digest=digest)


def corpus_trust(corpus: Corpus, projection: Projection) -> Trust:
    """Trustworthiness of a map of ``corpus`` (sampled for big maps), kept per map."""
    return _trust(corpus.digest, projection.key, corpus, projection.coords)


def corpus_subset(corpus: Corpus, rows: Sequence[int]) -> Corpus:
    """The rows ``rows`` of ``corpus`` as a corpus of their own (to map a selection alone)."""
    index = np.asarray(sorted(set(int(r) for r in rows)), dtype=np.int64)
    if len(index) and (index[0] < 0 or index[-1] >= len(corpus)):
        raise InputError(f"Rows outside the collection's {len(corpus):,} rows.")
    vectors = np.ascontiguousarray(corpus.vectors[index])
    return Corpus(corpus.info, [corpus.ids[i] for i in index], [corpus.texts[i] for i in index],
                  corpus.metadata.iloc[index].reset_index(drop=True), vectors, cache.array_digest(vectors))


def isolated(corpus: Corpus, clusters: ClusterResult, rows: Sequence[int]) -> tuple[Corpus, ClusterResult]:
    """A selection of ``corpus`` as a corpus of its own, with its rows' clusters (to map it alone)."""
    subset = corpus_subset(corpus, rows)
    index = np.asarray(sorted(set(int(r) for r in rows)), dtype=np.int64)
    return subset, ClusterResult(clusters.labels[index], clusters.params, clusters.clusters)


def corpus_colours(corpus: Corpus, clusters: ClusterResult, colour_by: str) -> Colours:
    """The map's colours by ``colour_by``: ``cluster``, a metadata column (a scale when it holds
    numbers), or ``none``."""
    if colour_by == "none":
        return colours_for(None)
    values = clusters.labels if colour_by == "cluster" else corpus.metadata[colour_by].tolist()
    return colours_for(values, numeric=colour_by in corpus.numeric_columns())


def corpus_export_frame(corpus: Corpus, projection: Projection | None, clusters: ClusterResult | None,
                        rows: Sequence[int] | None = None) -> pd.DataFrame:
    """The export table of ``corpus`` (or of ``rows``): id, text, metadata, x/y(/z), cluster;
    the page and ``embedlab export`` write this same table, its columns in one fixed order (label,
    document, the columns in the order given at ingest, then the others by name), whether the
    corpus was read from the store (which returns metadata keys in no fixed order) or its snapshot."""
    from embedlab.maps.export import export_frame

    index = list(range(len(corpus))) if rows is None else [int(r) for r in rows]
    order = _column_order(corpus)
    columns = sorted((str(c) for c in corpus.metadata.columns), key=order.__getitem__)
    return export_frame([corpus.ids[i] for i in index], [corpus.texts[i] for i in index],
                        corpus.metadata[columns].iloc[index].reset_index(drop=True),
                        projection.coords[index] if projection is not None else None,
                        clusters.labels[index] if clusters is not None else None)


def shown_columns(corpus: Corpus) -> list[str]:
    """Metadata columns worth a reader's eye: not the bookkeeping of chunks, and ``doc`` only
    when some document was cut into chunks (otherwise it repeats the row number)."""
    chunked = "chunks" in corpus.metadata.columns and bool((pd.to_numeric(corpus.metadata["chunks"], errors="coerce") > 1).any())
    present = [str(c) for c in corpus.metadata.columns if c not in HIDDEN_COLUMNS and (c != "doc" or chunked)]
    return sorted(present, key=_column_order(corpus).__getitem__)


def _column_order(corpus: Corpus) -> dict[str, tuple[int, int, str]]:
    """Label first, then the document, then the columns in the order the user gave them at
    ingest, then any others by name (a store returns metadata keys in no fixed order)."""
    try:
        given = [str(c) for c in json.loads(str(corpus.info.extra.get("columns", "[]")))]
    except ValueError:
        given = []
    place = {name: i for i, name in enumerate(given)}
    return {str(c): (0 if c == "label" else 1 if c == "doc" else 2 if c in place else 3, place.get(str(c), 0), str(c))
            for c in corpus.metadata.columns}


@memoize(max_entries=8, exclude=("corpus", "cluster_labels"))
def _hover(digest: str, clusters_key: str, extra: tuple[str, ...], corpus: Corpus, cluster_labels: np.ndarray | None) -> list[str]:
    columns: dict[str, Sequence[object]] = {}
    if "label" in corpus.metadata.columns:
        columns["label"] = corpus.metadata["label"].tolist()
    if cluster_labels is not None:
        columns["cluster"] = cluster_labels.tolist()
    for column in extra:
        columns[column] = corpus.metadata[column].tolist()
    texts = [text or f"[{row_id}]" for text, row_id in zip(corpus.texts, corpus.ids, strict=True)]  # no document: its id
    return hover_lines(texts, columns, limit=100 if len(corpus) > 20_000 else 160)


def _hover_columns(corpus: Corpus, colour_column: str | None) -> tuple[str, ...]:
    """The metadata columns a hover shows besides label and cluster: the first few, and the
    colour column in front when it is not among them. Colouring by label, cluster or one of
    those few keeps the same hover, so a recolour sends the browser no new hover text."""
    limit = 3 if len(corpus) > 20_000 else 6
    extra = [c for c in shown_columns(corpus) if c != "label"]
    chosen = extra[:limit]
    if colour_column in extra and colour_column not in chosen:
        chosen = [colour_column, *chosen[: limit - 1]]
    return tuple(chosen)


def corpus_hover(corpus: Corpus, clusters: ClusterResult | None, colour_column: str | None = None) -> tuple[list[str], str]:
    """Hover text per point (the text, label, cluster and a few columns, the colour column
    among them), and a content id for it, kept in memory per corpus and clustering."""
    clusters_key = cache.content_key(clusters.params) if clusters is not None else "none"
    labels = clusters.labels if clusters is not None else None
    extra = _hover_columns(corpus, colour_column)
    hover = _hover(corpus.digest, clusters_key, extra, corpus, labels)
    return hover, cache.content_key(corpus.digest, clusters_key, extra)


# -- the last view of each collection (so reopening shows the last map) -------------------------



def _views_path() -> Path:
    return config.embedlab_home() / "explore" / "last_views.json"


def last_view(collection: str) -> dict[str, Any] | None:
    """The settings of the last map drawn for ``collection``, if any."""
    try:
        return json.loads(_views_path().read_text()).get(collection)
    except (OSError, ValueError):
        return None


def remember_view(collection: str, view: dict[str, Any]) -> None:
    """Record settings of ``collection``'s view: the keys given (``projection``, ``clusters``,
    ``colour``) replace those of the last view, the others stay (``embedlab project`` changes
    the map and keeps the clusters)."""
    path = _views_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        views = json.loads(path.read_text())
    except (OSError, ValueError):
        views = {}
    merged = {**(views.get(collection) or {}), **view}
    if views.get(collection) == merged:
        return
    views[collection] = merged
    cache.atomic_write(path, json.dumps(views))


def forget_collection(collection: str) -> None:
    """Drop what was kept on disk for a deleted collection: its last view and its snapshots.
    (Maps and clusters are keyed by the vectors, not the name, and stay until pruned.)"""
    path = _views_path()
    try:
        views = json.loads(path.read_text())
    except (OSError, ValueError):
        views = None
    if views is not None and views.pop(collection, None) is not None:
        cache.atomic_write(path, json.dumps(views))
    folder = cache.cache_dir("corpus")
    for meta_path in folder.glob("*.json"):
        try:
            owner = json.loads(meta_path.read_text()).get("collection")
        except (OSError, ValueError):
            continue
        if owner == collection:
            for suffix in (".npy", ".parquet", ".json"):
                meta_path.with_suffix(suffix).unlink(missing_ok=True)


def rows_containing(texts: list[str], needle: str, limit: int) -> list[int]:
    """Indices of the first ``limit`` texts that contain ``needle`` (case-insensitive; all rows
    when it is blank), so any row of a big corpus can be found and picked."""
    needle = needle.strip().casefold()
    found: list[int] = []
    for index, text in enumerate(texts):
        if not needle or needle in text.casefold():
            found.append(index)
            if len(found) >= limit:
                break
    return found
