"""Into the store: encode records with a text model into the (dataset, model) collection.

Rows already stored are skipped (ids are content hashes), so re-ingesting encodes nothing and
an interrupted ingest resumes where it stopped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from embedlab.cache import memoize
from embedlab.errors import BadUploadError, CollectionNotFoundError, InputError
from embedlab.estimates import announce_encoding, learn, text_units
from embedlab.ingest.records import (
    DEFAULT_CHUNK_WORDS,
    DEFAULT_OVERLAP_WORDS,
    Records,
    build_records,
    dataset_records,
)
from embedlab.ingest.uploads import parse_upload

if TYPE_CHECKING:
    from embedlab.store import MetadataValue, Store

ProgressCallback = Callable[[int, int], None]
StageCallback = Callable[[str], None]


@dataclass(frozen=True)
class IngestReport:
    """What an ingest did."""

    collection: str
    dataset: str
    model: str
    documents: int
    rows: int
    added: int
    skipped: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "collection": self.collection, "dataset": self.dataset, "model": self.model, "documents": self.documents,
            "rows": self.rows, "added": self.added, "skipped": self.skipped, "seconds": round(self.seconds, 3),
        }


def check_dataset_name(name: str) -> str:
    """A collection (dataset) name as the user typed it: 1-100 printable characters."""
    cleaned = name.strip()
    if not cleaned:
        raise InputError("Give the collection a name.")
    if len(cleaned) > 100 or not cleaned.isprintable():
        raise InputError("A collection name is 1 to 100 printable characters.")
    return cleaned


INGEST_SETTINGS = ("text_column", "label_column", "columns", "chunk_size", "overlap", "text_cleaning")
#: what a collection stored before a setting was recorded had (no cleaning was ever done then)
_SETTING_BEFORE_RECORDED = {"text_cleaning": "as-is"}


def _refuse_other_settings(store: Store, dataset: str, model: str, settings: dict[str, Any]) -> None:
    """Adding rows to a collection is fine; adding the same texts chunked or labelled another
    way is not: their ids differ, so they would sit beside the old rows as near-duplicates."""
    from embedlab.store import collection_name

    name = collection_name(dataset, model)
    try:
        stored = store.info(name).extra
    except CollectionNotFoundError:
        return
    before = {**_SETTING_BEFORE_RECORDED, **stored}
    differ = [
        f"{key} {before[key]!r} (now {settings[key]!r})"
        for key in INGEST_SETTINGS
        if key in before and str(before[key]) != str(settings[key])
    ]
    if differ:
        raise InputError(
            f"Collection {dataset!r} ({model}) was stored with other settings: {'; '.join(differ)}."
            " Its rows and these would sit side by side as duplicates. Use another collection name,"
            " or delete the collection first."
        )


def ingest_records(
    dataset: str,
    model: str,
    records: Records,
    *,
    source: str = "upload",
    chunk_size: int = DEFAULT_CHUNK_WORDS,
    overlap: int = DEFAULT_OVERLAP_WORDS,
    progress: ProgressCallback | None = None,
    batch_size: int = 64,
    store: Store | None = None,
    stage: StageCallback | None = None,
    kept: bool = False,
) -> IngestReport:
    """Encode ``records`` with ``model`` into the (dataset, model) collection (``kept``: through
    the content-keyed encode cache, as the guided demos do, so the model may never load).

    Rows already stored are skipped (so re-ingesting encodes nothing and an interrupted ingest
    resumes); ``progress(done, total)`` counts the rows that need encoding, ``stage(text)``
    names the steps before it (opening the store, loading the model). The store is opened
    first: a store another process holds is said at once, before a model loads for nothing.
    """
    from embedlab.backends import KeptTextEncoder, get_text_encoder
    from embedlab.store import open_store

    dataset = check_dataset_name(dataset)
    if not records.texts:
        raise BadUploadError("Nothing to ingest: every text is empty.")
    tell = stage or (lambda text: None)
    tell("opening the store")
    store = store or open_store()
    tell(f"loading the model {model}")
    encoder = KeptTextEncoder(model) if kept else get_text_encoder(model)
    tell("checking what is already stored")
    extra: dict[str, MetadataValue] = {
        "source": source,
        "text_column": records.text_column,
        "label_column": records.label_column or "",
        "columns": json.dumps(records.columns),
        "chunk_size": int(chunk_size),
        "overlap": int(overlap),
        "text_cleaning": records.text_cleaning,
    }
    _refuse_other_settings(store, dataset, encoder.name, extra)
    # Encode in order of length: each batch then pads to similar lengths, as sentence-transformers
    # does when it gets the whole list at once. The corpus is put back in file order on loading.
    order = sorted(range(len(records.texts)), key=lambda i: len(records.texts[i]))
    texts = [records.texts[i] for i in order]
    metadatas = [records.metadatas[i] for i in order]
    report = store.add_texts(dataset, encoder, texts, metadatas, batch_size=batch_size, progress=progress, extra=extra)
    if report.added:  # this machine's own rate, for the next estimate ("about 40 s on this machine")
        mean_units = sum(text_units(len(text.split())) for text in texts) / len(texts)
        learn(encoder.name, report.added * mean_units, report.seconds)
    return IngestReport(report.collection, dataset, encoder.name, records.documents, len(records.texts), report.added, report.skipped, report.seconds)


def ingest_upload(
    data: bytes,
    filename: str,
    dataset: str,
    model: str,
    text_column: str | None = None,
    label_column: str | None = None,
    columns: Sequence[str] = (),
    *,
    chunk_size: int = DEFAULT_CHUNK_WORDS,
    overlap: int = DEFAULT_OVERLAP_WORDS,
    progress: ProgressCallback | None = None,
    store: Store | None = None,
    stage: StageCallback | None = None,
) -> IngestReport:
    """Parse, validate, chunk and store an uploaded file in one call (the CLI's ``ingest``)."""
    table = parse_upload(data, filename)
    column = text_column or table.guess_text_column()
    records = build_records(table, column, label_column, columns, chunk_size=chunk_size, overlap=overlap)
    return ingest_records(dataset, model, records, source=f"upload:{Path(filename).name}", chunk_size=chunk_size,
                          overlap=overlap, progress=progress, store=store, stage=stage)


@memoize(max_entries=32)
def dataset_announcement(name: str, model: str, limit: int | None, chunk_size: int, overlap: int = 0) -> str:
    """What encoding a built-in dataset will take here, said before it starts (empty when quick);
    the dataset is read once per process."""
    from embedlab import datasets

    texts = datasets.text_frame(name, limit)[datasets.dataset(name, "texts").text_column].tolist()
    return announce_encoding(model, texts, chunk_size, overlap_words=overlap, cached="rows stored before are skipped")


def ingest_dataset(
    name: str,
    dataset: str | None = None,
    model: str = "minilm",
    *,
    limit: int | None = None,
    chunk_size: int = DEFAULT_CHUNK_WORDS,
    overlap: int = DEFAULT_OVERLAP_WORDS,
    progress: ProgressCallback | None = None,
    store: Store | None = None,
    stage: StageCallback | None = None,
    sample: int | None = None,
    seed: int = 0,
) -> IngestReport:
    """Store a built-in dataset (its first ``limit`` rows, or a random ``sample`` of them drawn
    with ``seed``) under the collection ``dataset``."""
    records = dataset_records(name, limit, chunk_size, overlap, sample=sample, seed=seed)
    return ingest_records(dataset or name, model, records, source=f"dataset:{name}", chunk_size=chunk_size,
                          overlap=overlap, progress=progress, store=store, stage=stage)
