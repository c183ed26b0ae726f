"""Records: texts cut into overlapping word chunks, each with its document id, position, label
and kept columns; from an upload's Table or a built-in dataset of the catalogue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from embedlab import datasets
from embedlab.config import (
    DEFAULT_CHUNK_WORDS,
    DEFAULT_OVERLAP_WORDS,
    UPLOAD_LIMITS,
    UploadLimits,
)
from embedlab.errors import BadUploadError, InputError
from embedlab.ingest.uploads import Table, metadata_key
from embedlab.store import Metadata


def chunk_text(text: str, size: int = DEFAULT_CHUNK_WORDS, overlap: int = DEFAULT_OVERLAP_WORDS) -> list[str]:
    """Overlapping windows of ``size`` words, each starting ``size - overlap`` words after the last.

    A text of at most ``size`` words comes back whole (unchanged apart from outer spaces); an
    empty text gives no chunk. ``size=0`` turns chunking off.
    """
    if size < 0 or overlap < 0:
        raise InputError("Chunk size and overlap cannot be negative.")
    stripped = text.strip()
    if not stripped:
        return []
    if size == 0:
        return [stripped]
    if overlap >= size:
        raise InputError(f"The overlap ({overlap} words) must be smaller than the chunk size ({size} words).")
    words = stripped.split()
    if len(words) <= size:
        return [stripped]
    step = size - overlap
    chunks = []
    for start in range(0, len(words), step):
        chunks.append(" ".join(words[start : start + size]))
        if start + size >= len(words):
            break
    return chunks


@dataclass
class Records:
    """What goes into Chroma: one text and one metadata dict per chunk."""

    texts: list[str]
    metadatas: list[Metadata]
    documents: int
    text_column: str
    label_column: str | None
    columns: list[str] = field(default_factory=list)
    text_cleaning: str = "as-is"  # what was done to the texts before chunking (see DatasetSpec)

    def __len__(self) -> int:
        return len(self.texts)


def build_records(
    table: Table,
    text_column: str,
    label_column: str | None = None,
    columns: Sequence[str] = (),
    *,
    chunk_size: int = DEFAULT_CHUNK_WORDS,
    overlap: int = DEFAULT_OVERLAP_WORDS,
    id_column: str | None = None,
    limits: UploadLimits = UPLOAD_LIMITS,
) -> Records:
    """Chunk the text column; every chunk carries its document id, position, label and columns."""
    frame = table.frame
    known = table.columns
    for role, column in (("text", text_column), ("label", label_column), ("id", id_column), *(("extra", c) for c in columns)):
        if column is not None and column not in known:
            raise BadUploadError(f"No {role} column {column!r} in {table.name!r}; its columns are: {', '.join(known)}.")
    texts_in = frame[text_column].astype(str)
    if not texts_in.str.strip().str.len().gt(0).any():
        raise BadUploadError(f"Column {text_column!r} of {table.name!r} is empty in every row: pick the column that holds the text.")
    extra = [c for c in dict.fromkeys(columns) if c not in (text_column, label_column)]
    texts: list[str] = []
    metadatas: list[Metadata] = []
    documents = 0
    ids = frame[id_column].astype(str) if id_column else None
    labels = frame[label_column].astype(str) if label_column else None
    extra_values = {c: frame[c].astype(str).tolist() for c in extra}
    for row, text in enumerate(texts_in.tolist()):
        pieces = chunk_text(text, chunk_size, overlap)
        if not pieces:
            continue
        documents += 1
        doc_id = ids.iloc[row] if ids is not None else str(row + 1)
        for index, piece in enumerate(pieces):
            meta: Metadata = {"doc": doc_id, "row": row + 1, "chunk": index, "chunks": len(pieces)}
            if labels is not None:
                meta["label"] = labels.iloc[row]
            for column in extra:
                meta[metadata_key(column)] = extra_values[column][row]
            texts.append(piece)
            metadatas.append(meta)
        if len(texts) > limits.max_chunks:
            raise BadUploadError(
                f"{table.name!r} makes more than {limits.max_chunks:,} chunks; raise the chunk size or upload fewer rows."
            )
    return Records(texts, metadatas, documents, text_column, label_column, [metadata_key(c) for c in extra])


def load_dataset(name: str, limit: int | None = None, per_label: int | None = None, sample: int | None = None,
                 seed: int = 0) -> Table:
    """A built-in text dataset as a Table (first ``limit`` rows when given; with ``per_label``,
    the first that many rows of each label, for a balanced sample such as the guided demo's; with
    ``sample``, a seeded random sample of that many rows in the dataset's order)."""
    spec = datasets.dataset(name, "texts")
    frame = datasets.text_frame(name, limit, per_label, sample, seed)
    return Table(frame, name=name, format="dataset", text_column=spec.text_column, label_column=spec.label_column,
                 description=spec.line())


def dataset_records(
    name: str, limit: int | None = None, chunk_size: int = DEFAULT_CHUNK_WORDS, overlap: int = DEFAULT_OVERLAP_WORDS,
    per_label: int | None = None, sample: int | None = None, seed: int = 0,
) -> Records:
    """Records of a built-in dataset with its own text, label and id columns."""
    spec = datasets.dataset(name, "texts")
    table = load_dataset(name, limit, per_label, sample, seed)
    records = build_records(table, spec.text_column, spec.label_column, spec.columns, chunk_size=chunk_size,
                            overlap=overlap, id_column=spec.id_column, limits=UploadLimits(max_chunks=10**7))
    records.text_cleaning = spec.text_cleaning
    return records
