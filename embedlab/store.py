"""Chroma behind one small class: embedded PersistentClient by default, HttpClient on request.

- One collection per (dataset, backend), named by ``collection_name`` (readable slug + hash).
- Ids are content hashes: storing the same rows again encodes nothing.
- Embeddings are always passed explicitly; Chroma's own embedding function is never used.
- The embedded store is single-process: a file lock refuses a second process with a message
  that names the owner and the server option.
- A manifest in the collection metadata says whether an ingest finished (``status``).
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import secrets
import sys
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from embedlab import config
from embedlab.errors import (
    CollectionDamagedError,
    CollectionNotFoundError,
    DimensionMismatchError,
    EmbedlabError,
    InputError,
    StoreError,
    StoreLockedError,
)

MetadataValue = str | int | float | bool
Metadata = dict[str, MetadataValue]
ProgressCallback = Callable[[int, int], None]


class Encoder(Protocol):
    """What the store needs of a text model to encode rows on their way in (every
    ``embedlab.backends.TextEncoder`` is one): its name and dimension name the collection."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, progress: ProgressCallback | None = None) -> np.ndarray: ...
Space = Literal["cosine", "ip"]
SPACES: tuple[Space, ...] = ("cosine", "ip")

STATUS_INGESTING = "ingesting"
STATUS_COMPLETE = "complete"
STATUS_DAMAGED = "damaged"  # its index cannot be read: listed, never opened, to be deleted and rebuilt
#: metadata of a collection being written in one go under a temporary name (``write_complete``)
PARTIAL_OF = "x_partial_of"
#: what a collection holds (its ``x_kind``): texts (the default), pictures, or a recommender's item vectors
KIND_TEXTS, KIND_IMAGES, KIND_ITEMS = "texts", "images", "items"
EXACT_SEARCH_MAX_ROWS = 20_000
HNSW_MAX_RESULTS = 2_000  # k + excluded rows asked of HNSW at most; more are ranked exactly
_SLUG_RE = re.compile(r"[^a-zA-Z0-9._-]+")


def content_id(text: str, metadata: Mapping[str, Any] | None = None) -> str:
    """Stable id of a record: a hash of its text and metadata (same row, same id)."""
    payload = json.dumps([text, dict(sorted((metadata or {}).items()))], ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def collection_name(dataset: str, backend: str) -> str:
    """Chroma name for (dataset, backend): readable slug + 8-hex hash, 3-63 safe chars."""
    digest = hashlib.sha256(f"{dataset}\x00{backend}".encode()).hexdigest()[:8]
    slug = _SLUG_RE.sub("-", f"{dataset}-{backend}").strip("._-")[:50].strip("._-")
    name = f"{slug}-{digest}" if slug else f"c-{digest}"
    return name


@dataclass(frozen=True)
class CollectionInfo:
    """What the UI and CLI list about a collection."""

    name: str
    dataset: str
    backend: str
    dim: int
    count: int
    created: str
    status: str
    extra: dict[str, Any] = field(default_factory=dict)
    #: made by another program (a RAG application's store, say): no EmbedLab metadata, so no
    #: model is known and the dimension is read off a stored vector
    foreign: bool = False

    @property
    def complete(self) -> bool:
        return self.status == STATUS_COMPLETE

    @property
    def damaged(self) -> bool:
        return self.status == STATUS_DAMAGED

    @property
    def kind(self) -> str:
        """``texts``, ``images`` or ``items`` (a recommender's item vectors, internal)."""
        return str(self.extra.get("kind", KIND_TEXTS))

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dataset": self.dataset,
            "backend": self.backend,
            "dim": self.dim,
            "count": self.count,
            "created": self.created,
            "status": self.status,
            "foreign": self.foreign,
            **self.extra,
        }


@dataclass(frozen=True)
class StoreReport:
    """What an add did: how many records were new, how many were already stored."""

    collection: str
    added: int
    skipped: int
    seconds: float


@dataclass(frozen=True)
class SearchHit:
    """One search result."""

    id: str
    text: str
    score: float
    metadata: dict[str, Any]


@dataclass(frozen=True)
class SearchResult:
    """Hits for one query and how they were found (``exact`` numpy or ``hnsw``)."""

    hits: list[SearchHit]
    method: str


class _ProcessLock:
    """An exclusive lock file with the owner's pid and command line next to it."""

    def __init__(self, directory: Path) -> None:
        from filelock import FileLock, Timeout

        self._timeout_error = Timeout
        self.lock_path = directory / ".embedlab.lock"
        self.owner_path = directory / ".embedlab.owner"
        self._lock = FileLock(str(self.lock_path), timeout=0)

    def acquire(self) -> None:
        try:
            self._lock.acquire()
        except self._timeout_error:
            owner = self._read_owner()
            raise StoreLockedError(
                f"The embedded store at {self.lock_path.parent} is in use by another process"
                f" ({owner}). Only one process may open an embedded store. Stop that process, or"
                " run a Chroma server (`chroma run --path DIR`) and set EMBEDLAB_CHROMA_URL"
                " (e.g. http://127.0.0.1:8000) for every process."
            ) from None
        self.owner_path.write_text(
            json.dumps({"pid": os.getpid(), "command": " ".join(sys.argv)[:300], "since": _now()})
        )

    def _read_owner(self) -> str:
        try:
            owner = json.loads(self.owner_path.read_text())
            return f"pid {owner['pid']}: {owner['command']}, since {owner['since']}"
        except (OSError, ValueError, KeyError):
            return "owner unknown"

    def release(self) -> None:
        self._lock.release(force=True)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class _Liveness:
    """Between encoder batches of an ingest: stop at once when a write has failed or the Chroma
    server stopped answering (a heartbeat at most every ``every`` seconds), instead of encoding
    the rest of a 1,024-row chunk (a minute on a CPU) for nothing."""

    def __init__(self, store: Store, name: str, failure: list[BaseException], every: float = 2.0) -> None:
        self.store, self.name, self.failure, self.every = store, name, failure, every
        self.last = time.monotonic()

    def check(self) -> None:
        if self.failure:
            raise StoreError(f"Writing to collection {self.name!r} failed: {self.failure[0]}") from self.failure[0]
        if not self.store.is_server or time.monotonic() - self.last < self.every:
            return
        self.last = time.monotonic()
        try:
            self.store.client.heartbeat()
        except Exception as error:  # chromadb raises several types for a dead server
            raise StoreError(f"The Chroma server at {self.store.location} stopped answering during the ingest of"
                             f" {self.name!r}: {error}. Rows written so far are kept; ingest again to resume.") from error


class _Writer:
    """Writes encoded chunks to a collection on a thread of its own, so writing chunk i overlaps
    with encoding chunk i+1; rows stored meanwhile (by another process) are neither written nor
    counted. A failure is kept for the encoding thread to raise."""

    def __init__(self, store: Store, name: str) -> None:
        self.store, self.name = store, name
        self.failure: list[BaseException] = []
        self.added = 0
        self.queue: queue.Queue[tuple[list[str], np.ndarray, list[str], list[Metadata]] | None] = queue.Queue(maxsize=4)
        self.thread = threading.Thread(target=self._run, name="embedlab-store-writer", daemon=True)
        self.thread.start()

    def put(self, item: tuple[list[str], np.ndarray, list[str], list[Metadata]]) -> None:
        self.queue.put(item)

    def close(self) -> None:
        """Finish the writes queued so far and stop the thread."""
        self.queue.put(None)
        self.thread.join()

    def _run(self) -> None:
        while (item := self.queue.get()) is not None:
            if self.failure:
                continue
            try:
                ids, vectors, documents, metadatas = item
                present = self.store.existing_ids(self.name, ids)
                keep = [j for j, record_id in enumerate(ids) if record_id not in present]
                if keep:
                    self.store.add(self.name, [ids[j] for j in keep], vectors[keep], [documents[j] for j in keep],
                                   [metadatas[j] for j in keep])
                self.added += len(keep)
            except BaseException as error:  # re-raised on the encoding thread
                self.failure.append(error)


class Store:
    """The vector store. Use ``open_store()`` to share one per process."""

    #: encoder batches per Chroma write: small enough that the last, un-overlapped write is short
    write_chunk_batches: int = 16

    def __init__(self, path: Path | None = None, url: str | None = None) -> None:
        import chromadb
        from chromadb.config import Settings

        settings = Settings(anonymized_telemetry=False, allow_reset=False)
        self._lock: _ProcessLock | None = None
        self._write_lock = threading.Lock()
        if url:
            from urllib.parse import urlparse

            parsed = urlparse(url)
            if parsed.scheme not in ("http", "https") or not parsed.hostname:
                raise InputError(f"EMBEDLAB_CHROMA_URL={url!r} is not an http(s) URL.")
            self.location = url
            self.is_server = True
            try:
                self.client = chromadb.HttpClient(
                    host=parsed.hostname,
                    port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                    ssl=parsed.scheme == "https",
                    settings=settings,
                )
                self.client.heartbeat()
            except Exception as error:  # chromadb raises several types for a dead server
                raise StoreError(f"Cannot reach the Chroma server at {url}: {error}") from error
        else:
            directory = Path(path or config.chroma_path())
            directory.mkdir(parents=True, exist_ok=True)
            self.is_server = False
            self._lock = _ProcessLock(directory)
            self._lock.acquire()
            self.location = str(directory)
            self.client = chromadb.PersistentClient(path=str(directory), settings=settings)
        self.max_batch_size = int(self.client.get_max_batch_size())

    # -- collections -----------------------------------------------------------------------

    def collections(self) -> list[CollectionInfo]:
        """Every collection, newest first (a damaged one is listed as such; one being written
        under a temporary name is not listed)."""
        infos = [self._info(c) for c in self._listed()]
        return sorted(infos, key=lambda i: i.created, reverse=True)

    def listing(self) -> dict[str, dict[str, Any]]:
        """Every listed collection's metadata by Chroma name, without reading a row (cheap)."""
        return {c.name: dict(c.metadata or {}) for c in self._listed()}

    def _listed(self) -> list[Any]:
        """The client's collections less the temporaries of writes in progress."""
        return [c for c in self.client.list_collections() if PARTIAL_OF not in (c.metadata or {})]

    @contextmanager
    def _reading(self, name: str) -> Iterator[None]:
        """Reads of one collection: an index that cannot be read is that collection's problem,
        said with its name (``CollectionDamagedError``), never a bare library error."""
        try:
            yield
        except EmbedlabError:
            raise
        except Exception as error:
            text = str(error)
            if any(mark in text.lower() for mark in ("segment reader", "hnsw", "error executing plan")):
                raise CollectionDamagedError(name, text.splitlines()[0]) from error
            raise

    def _info(self, collection: Any) -> CollectionInfo:
        meta = dict(collection.metadata or {})
        extra = {k[len("x_") :]: v for k, v in meta.items() if k.startswith("x_")}
        foreign = "backend" not in meta
        dim = int(meta.get("dim", 0))
        status = str(meta.get("status", STATUS_COMPLETE))
        count = 0
        try:
            with self._reading(collection.name):
                if foreign and not dim:
                    stored = collection.peek(1)
                    embeddings = stored.get("embeddings")
                    dim = len(embeddings[0]) if embeddings is not None and len(embeddings) else 0
                count = int(collection.count())
        except CollectionDamagedError as error:
            status, extra = STATUS_DAMAGED, {**extra, "error": str(error)}
        return CollectionInfo(
            name=collection.name,
            dataset=str(meta.get("dataset", collection.name)),
            backend=str(meta.get("backend", "")),
            dim=dim,
            count=count,
            created=str(meta.get("created", "")),
            status=status,
            extra=extra,
            foreign=foreign,
        )

    def resolve(self, name_or_dataset: str, backend: str | None = None) -> str:
        """The Chroma name for a collection name, or for a dataset name (and backend).
        Reads names and metadata only (no row counts: ``count()`` costs ~0.4 s at 60k rows)."""
        listed = [(c.name, dict(c.metadata or {})) for c in self._listed()]
        if any(name == name_or_dataset for name, _ in listed):
            return name_or_dataset
        matches = [(name, meta) for name, meta in listed
                   if str(meta.get("dataset", name)) == name_or_dataset and (backend is None or meta.get("backend") == backend)]
        if len(matches) == 1:
            return matches[0][0]
        if len(matches) > 1:
            raise InputError(
                f"Dataset {name_or_dataset!r} is stored with several models ("
                + ", ".join(f"{meta.get('backend', '')}: {name}" for name, meta in matches)
                + "); name the collection or the model."
            )
        raise CollectionNotFoundError(name_or_dataset, [name for name, _ in listed])

    def info(self, name: str) -> CollectionInfo:
        """Details of one collection (by collection or dataset name)."""
        return self._info(self._get(self.resolve(name)))

    def _get(self, chroma_name: str) -> Any:
        try:
            return self.client.get_collection(chroma_name, embedding_function=None)
        except Exception as error:
            try:
                known = [c.name for c in self.client.list_collections()]
            except Exception:
                raise StoreError(f"The Chroma store at {self.location} stopped answering: {error}. Everything written"
                                 " so far is kept; try again when it is back.") from error
            if chroma_name not in known:
                raise CollectionNotFoundError(chroma_name, known) from error
            raise StoreError(f"Cannot open collection {chroma_name!r}: {error}") from error

    def create(self, dataset: str, backend: str, dim: int, extra: Mapping[str, MetadataValue] | None = None,
               space: Space = "cosine") -> str:
        """Get or create the collection of (dataset, backend); returns its Chroma name.

        ``space`` is how vectors are compared: ``cosine`` (texts, content vectors) or ``ip``, the
        inner product (matrix-factorisation vectors, whose lengths carry meaning). An existing
        collection with another space is refused: its index cannot change."""
        if space not in SPACES:
            raise InputError(f"Unknown vector space {space!r}: use one of {', '.join(SPACES)}.")
        name = collection_name(dataset, backend)
        existing = {c.name for c in self.client.list_collections()}
        if name in existing:
            collection = self._get(name)
            info = self._info(collection)
            if info.dim and info.dim != dim:
                raise DimensionMismatchError(f"Collection {name!r} holds {info.dim}-d vectors, the model gives {dim}-d.")
            stored = _space_of(collection)
            if stored != space:
                raise StoreError(
                    f"Collection {name!r} compares vectors by {stored}, not {space}; a collection's space cannot change."
                    " Delete it first, or store the vectors under another model name."
                )
            return name
        self.client.create_collection(name, metadata=_metadata(dataset, backend, dim, space, STATUS_INGESTING, extra),
                                      configuration={"hnsw": {"space": space}}, embedding_function=None)
        return name

    def write_complete(self, dataset: str, backend: str, ids: Sequence[str], embeddings: np.ndarray, documents: Sequence[str],
                       metadatas: Sequence[Metadata] | None = None, extra: Mapping[str, MetadataValue] | None = None,
                       space: Space = "cosine") -> str:
        """Write a collection in one go so that it appears only when complete: its rows go under a
        hidden temporary name, renamed to the (dataset, backend) name once the last row is in and
        replacing what was there. A kill mid-write leaves the old collection (or none) and a
        hidden temporary, which the next write of the same collection removes."""
        if space not in SPACES:
            raise InputError(f"Unknown vector space {space!r}: use one of {', '.join(SPACES)}.")
        embeddings = np.asarray(embeddings, dtype=np.float32)
        final = collection_name(dataset, backend)
        temporary = f"{final[:48]}-partial-{secrets.token_hex(4)}"
        with self._write_lock:
            for leftover in [c.name for c in self.client.list_collections() if (c.metadata or {}).get(PARTIAL_OF) == final]:
                self.client.delete_collection(leftover)
            metadata = {**_metadata(dataset, backend, int(embeddings.shape[1]), space, STATUS_COMPLETE, extra), PARTIAL_OF: final}
            self.client.create_collection(temporary, metadata=metadata, configuration={"hnsw": {"space": space}},
                                          embedding_function=None)
        self.add(temporary, ids, embeddings, documents, metadatas)
        with self._write_lock:
            if final in {c.name for c in self.client.list_collections()}:
                self.client.delete_collection(final)
            del metadata[PARTIAL_OF]
            self._get(temporary).modify(name=final, metadata=metadata)
        return final

    def set_status(self, name: str, status: str) -> None:
        """Update the ingest manifest (written last, after the rows)."""
        collection = self._get(name)
        metadata = dict(collection.metadata or {})
        metadata["status"] = status
        metadata["updated"] = _now()
        collection.modify(metadata=metadata)

    def delete(self, name: str) -> None:
        """Delete one collection (by collection or dataset name)."""
        chroma_name = self.resolve(name)
        with self._write_lock:
            self.client.delete_collection(chroma_name)

    # -- rows ------------------------------------------------------------------------------

    def existing_ids(self, name: str, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` are already stored."""
        collection = self._get(name)
        unique = list(dict.fromkeys(ids))
        found: set[str] = set()
        with self._reading(name):
            for start in range(0, len(unique), self.max_batch_size):
                batch = unique[start : start + self.max_batch_size]
                found.update(collection.get(ids=batch, include=[])["ids"])
        return found

    def add(
        self,
        name: str,
        ids: Sequence[str],
        embeddings: np.ndarray,
        documents: Sequence[str],
        metadatas: Sequence[Metadata] | None = None,
    ) -> None:
        """Write rows in batches no larger than the client allows.

        A row whose id is already stored is left as it is: ids are content hashes, so the same id
        holds the same content. (Chroma's ``add`` skips such ids; ``upsert`` would rewrite them and
        costs ~20% more.)"""
        embeddings = np.asarray(embeddings, dtype=np.float32)
        if len(ids) != len(embeddings) or len(ids) != len(documents):
            raise InputError("ids, embeddings and documents must have the same length.")
        collection = self._get(name)
        stored_dim = (collection.metadata or {}).get("dim")
        dim = int(stored_dim) if isinstance(stored_dim, (int, float, str)) else (embeddings.shape[1] if len(embeddings) else 0)
        if len(embeddings) and embeddings.shape[1] != dim:
            raise DimensionMismatchError(f"Collection {name!r} holds {dim}-d vectors, got {embeddings.shape[1]}-d.")
        with self._write_lock:
            for start in range(0, len(ids), self.max_batch_size):
                stop = start + self.max_batch_size
                collection.add(
                    ids=list(ids[start:stop]),
                    embeddings=embeddings[start:stop],
                    documents=list(documents[start:stop]),
                    metadatas=list(metadatas[start:stop]) if metadatas is not None else None,
                )

    def add_texts(
        self,
        dataset: str,
        encoder: Encoder,
        texts: Sequence[str],
        metadatas: Sequence[Metadata] | None = None,
        *,
        batch_size: int = 64,
        progress: ProgressCallback | None = None,
        extra: Mapping[str, MetadataValue] | None = None,
    ) -> StoreReport:
        """Encode and store ``texts`` in the (dataset, encoder) collection.

        Rows already stored (same content id) are not encoded again, so a repeat is nearly
        free and an interrupted ingest resumes where it stopped. Writing batch i overlaps
        with encoding batch i+1 on a writer thread.
        """
        started = time.perf_counter()
        if metadatas is not None and len(metadatas) != len(texts):
            raise InputError("texts and metadatas must have the same length.")
        name = self.create(dataset, encoder.name, encoder.dim, extra)
        user_metas = list(metadatas) if metadatas is not None else [{} for _ in texts]
        ids = [content_id(t, m) for t, m in zip(texts, user_metas, strict=True)]
        # The source row goes into the stored metadata (never empty, which Chroma rejects),
        # not into the id: the same row content is the same record wherever it appears.
        metas: list[Metadata] = [{"row": index, **meta} for index, meta in enumerate(user_metas)]
        seen: set[str] = self.existing_ids(name, ids)
        todo: list[int] = []
        for index, record_id in enumerate(ids):
            if record_id not in seen:
                seen.add(record_id)  # also drops duplicate rows within this call
                todo.append(index)
        # Longest first, as sentence-transformers does inside one call: similar lengths share
        # a batch (less padding) and the time-left estimate starts pessimistic.
        todo.sort(key=lambda index: -len(texts[index]))
        total = len(todo)
        if progress is not None:
            progress(0, total)
        if total:
            self.set_status(name, STATUS_INGESTING)
            added = self._encode_and_write(name, encoder, texts, metas, ids, todo, batch_size, progress)
        else:
            added = 0
        self.set_status(name, STATUS_COMPLETE)
        return StoreReport(name, added, len(ids) - added, time.perf_counter() - started)

    def _encode_and_write(
        self,
        name: str,
        encoder: Encoder,
        texts: Sequence[str],
        metas: list[Metadata],
        ids: list[str],
        todo: list[int],
        batch_size: int,
        progress: ProgressCallback | None,
    ) -> int:
        """Encode the ``todo`` rows chunk by chunk and write them on a thread; returns how many
        rows this call added. Another process may ingest the same rows at the same time (a shared
        Chroma server): each chunk is checked again before it is encoded and before it is
        written, so neither ingest encodes or counts rows the other already stored."""
        writer = _Writer(self, name)
        # Encode in chunks a few batches long, so each write is a healthy size.
        chunk = max(batch_size, min(self.max_batch_size, batch_size * self.write_chunk_batches))
        done = 0
        alive = _Liveness(self, name, writer.failure)
        try:
            for start in range(0, len(todo), chunk):
                if writer.failure:
                    break
                rows = todo[start : start + chunk]
                if start:  # written meanwhile by another process: neither encoded nor counted again
                    present = self.existing_ids(name, [ids[i] for i in rows])
                    rows = [i for i in rows if ids[i] not in present]

                def report(d: int, t: int, base: int = done) -> None:
                    alive.check()  # between encoder batches: a dead server stops the ingest at once
                    if progress is not None:
                        progress(base + d, len(todo))

                if rows:
                    vectors = encoder.encode([texts[i] for i in rows], batch_size=batch_size, progress=report)
                    writer.put(([ids[i] for i in rows], vectors, [texts[i] for i in rows], [metas[i] for i in rows]))
                done = min(start + chunk, len(todo))
                if progress is not None:
                    progress(done, len(todo))
        finally:
            writer.close()
        if writer.failure:
            raise StoreError(f"Writing to collection {name!r} failed: {writer.failure[0]}") from writer.failure[0]
        return writer.added

    def get_all(self, name: str, include_embeddings: bool = True) -> dict[str, Any]:
        """Every row of a collection: ids, documents, metadatas (and embeddings)."""
        chroma_name = self.resolve(name)
        collection = self._get(chroma_name)
        include = ["documents", "metadatas"] + (["embeddings"] if include_embeddings else [])
        ids: list[str] = []
        documents: list[str] = []
        metadatas: list[dict[str, Any]] = []
        embeddings: list[np.ndarray] = []
        page = max(1, self.max_batch_size)
        with self._reading(chroma_name):
            for offset in range(0, collection.count(), page):
                part = collection.get(include=include, limit=page, offset=offset)
                ids += part["ids"]
                documents += part["documents"]
                metadatas += [dict(m or {}) for m in part["metadatas"]]
                if include_embeddings:
                    embeddings.append(np.asarray(part["embeddings"], dtype=np.float32))
        out: dict[str, Any] = {"ids": ids, "documents": documents, "metadatas": metadatas}
        if include_embeddings:
            dim = self._info(collection).dim
            out["embeddings"] = np.concatenate(embeddings) if embeddings else np.zeros((0, dim), np.float32)
        return out

    def vector_of(self, name: str, item_id: str) -> np.ndarray:
        """The stored vector of row ``item_id`` in collection ``name``."""
        with self._reading(name):
            found = self._get(name).get(ids=[item_id], include=["embeddings"])
        if not found["ids"]:
            raise InputError(f"Collection {name!r} has no row with id {item_id!r}.")
        return np.asarray(found["embeddings"][0], dtype=np.float32)

    def space(self, name: str) -> Space:
        """How a collection compares vectors: ``cosine`` or ``ip`` (inner product)."""
        return _space_of(self._get(self.resolve(name)))

    def search(self, name: str, query_vector: np.ndarray, k: int = 10, exact: bool | None = None,
               exclude_ids: Collection[str] = ()) -> SearchResult:
        """Top-k rows by the collection's similarity (cosine, or the inner product in an ``ip``
        collection), leaving out ``exclude_ids``: exact numpy for small collections, HNSW beyond."""
        if k < 1:
            raise InputError(f"k must be at least 1, got {k}.")
        chroma_name = self.resolve(name)
        collection = self._get(chroma_name)
        info = self._info(collection)
        if info.damaged:
            raise CollectionDamagedError(chroma_name, str(info.extra.get("error", "")))
        count, dim = info.count, info.dim
        query_vector = np.asarray(query_vector, dtype=np.float32).reshape(-1)
        if dim and query_vector.shape[0] != dim:
            raise DimensionMismatchError(f"Collection {chroma_name!r} holds {dim}-d vectors, the query is {query_vector.shape[0]}-d.")
        if count == 0:
            return SearchResult([], "exact")
        space = _space_of(collection)
        excluded = set(exclude_ids)
        use_exact = count <= EXACT_SEARCH_MAX_ROWS if exact is None else exact
        # HNSW returns k + |excluded| rows and reads each one's metadata with one SQL variable:
        # past a few thousand excluded rows, rank exactly and mask instead
        use_exact = use_exact or k + len(excluded) > HNSW_MAX_RESULTS
        if use_exact:
            from embedlab.vectors import top_k_cosine

            rows = self.get_all(chroma_name)
            keep = np.array([i for i, row_id in enumerate(rows["ids"]) if row_id not in excluded], dtype=np.int64)
            if not len(keep):
                return SearchResult([], "exact")
            matrix = rows["embeddings"][keep]
            if space == "ip":
                values = matrix @ query_vector
                top = np.argsort(-values, kind="stable")[:k]
                order, scores = top, values[top]
            else:
                order, scores = top_k_cosine(query_vector, matrix, k)
            hits = [SearchHit(rows["ids"][keep[i]], rows["documents"][keep[i]], float(s), rows["metadatas"][keep[i]])
                    for i, s in zip(order, scores, strict=True)]
            return SearchResult(hits, "exact")
        # HNSW: ask for enough neighbours that k remain after the excluded ones are dropped.
        # Chroma's distances are 1 - cosine and 1 - inner product, so 1 - distance is the score.
        with self._reading(chroma_name):
            result = collection.query(
                query_embeddings=[query_vector], n_results=min(k + len(excluded), count), include=["documents", "metadatas", "distances"]
            )
        hits = [
            SearchHit(i, d, 1.0 - float(dist), dict(m or {}))
            for i, d, m, dist in zip(result["ids"][0], result["documents"][0], result["metadatas"][0], result["distances"][0], strict=True)
            if i not in excluded
        ]
        return SearchResult(hits[:k], "hnsw")

    def close(self) -> None:
        """Release the process lock (the client itself has no close)."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None


def _metadata(dataset: str, backend: str, dim: int, space: Space, status: str,
              extra: Mapping[str, MetadataValue] | None) -> dict[str, MetadataValue]:
    """A collection's EmbedLab metadata: what it holds, how it compares vectors, its status, and
    ``extra`` (as ``x_`` keys)."""
    metadata: dict[str, MetadataValue] = {"dataset": dataset, "backend": backend, "dim": int(dim), "created": _now(),
                                          "status": status, "space": space}
    for key, value in (extra or {}).items():
        metadata[f"x_{key}"] = value
    return metadata


def _space_of(collection: Any) -> Space:
    """The space a collection was created with (collections made before spaces: cosine)."""
    space = str((collection.metadata or {}).get("space", "cosine"))
    return "ip" if space == "ip" else "cosine"


_STORES: dict[str, Store] = {}
_STORES_LOCK = threading.Lock()


def open_store(path: Path | None = None, url: str | None = None) -> Store:
    """The process-wide Store for the configured location (one per path or URL)."""
    url = url if url is not None else (None if path is not None else config.chroma_url())
    key = url or str(Path(path or config.chroma_path()).resolve())
    with _STORES_LOCK:
        if key not in _STORES:
            _STORES[key] = Store(path=None if url else Path(key), url=url)
        return _STORES[key]


def close_all_stores() -> None:
    """Close every store this process opened (tests and shutdown)."""
    with _STORES_LOCK:
        for store in _STORES.values():
            store.close()
        _STORES.clear()


