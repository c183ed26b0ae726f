"""Labelled data: a built-in dataset (sampled above a stated cap, stratified and seeded), an
upload, or a stored collection (whose vectors are a representation of their own)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from embedlab import cache
from embedlab.errors import CollectionNotFoundError, InputError

if TYPE_CHECKING:
    from embedlab.store import Store
from embedlab.analysis.downstream.classifier import DEFAULT_SEED
from embedlab.analysis.downstream.features import DEFAULT_MAX_ROWS

DataSource = Literal["built-in", "upload", "collection"]


@dataclass(frozen=True, eq=False)
class LabelledData:
    """Texts with one label each (and, for a collection, its stored vectors), ready to compare."""

    name: str
    source: DataSource
    texts: tuple[str, ...]
    labels: tuple[str, ...]
    description: str
    #: what was sampled or dropped, in a sentence ("" when every row is used)
    note: str = ""
    total_rows: int = 0
    vectors: np.ndarray | None = None
    stored_model: str = ""

    @property
    def rows(self) -> int:
        return len(self.texts)

    @functools.cached_property
    def digest(self) -> str:
        """The content key of texts, labels and stored vectors."""
        return cache.content_key("labelled", self.texts, self.labels, self.vectors)

    def label_counts(self) -> dict[str, int]:
        names, counts = np.unique(np.asarray(self.labels, dtype=object), return_counts=True)
        return {str(n): int(c) for n, c in zip(names, counts, strict=True)}


def stratified_sample(labels: Sequence[str] | np.ndarray, max_rows: int | None, seed: int) -> np.ndarray | None:
    """Row positions of a seeded sample of ``max_rows``, stratified by label (in the order drawn),
    or None when all rows fit (or ``max_rows`` is None: no cap)."""
    if max_rows is None:
        return None
    if max_rows < 1:
        raise InputError(f"The row cap must be at least 1, got {max_rows}.")
    if len(labels) <= max_rows:
        return None
    from sklearn.model_selection import train_test_split

    positions = np.arange(len(labels))
    try:
        kept, _ = train_test_split(positions, train_size=max_rows, stratify=np.asarray(labels, dtype=object),
                                   random_state=seed)
    except ValueError as error:  # a label with a single row cannot be stratified
        raise InputError(f"Cannot draw a stratified sample of {max_rows:,} rows: {error}") from error
    return np.asarray(kept)


def _sampled(name: str, source: DataSource, texts: list[str], labels: list[str], description: str,
             max_rows: int | None, seed: int, dropped: str = "", vectors: np.ndarray | None = None, stored_model: str = "") -> LabelledData:
    total = len(texts)
    keep = stratified_sample(labels, max_rows, seed)
    notes = [dropped] if dropped else []
    if keep is not None:
        keep = np.sort(keep)  # file order
        notes.append(f"a stratified sample of {max_rows:,} of {total:,} rows (seed {seed}; every label in proportion;"
                     " raise the row cap to use more)")
        texts, labels = [texts[i] for i in keep], [labels[i] for i in keep]
        vectors = vectors[keep] if vectors is not None else None
    return LabelledData(name, source, tuple(texts), tuple(labels), description, "; ".join(notes), total, vectors,
                        stored_model)


def rare_labels(labels: Sequence[str] | np.ndarray, minimum: int) -> dict[str, int]:
    """The labels with fewer than ``minimum`` rows, with their row counts."""
    names, counts = np.unique(np.asarray(labels, dtype=object), return_counts=True)
    return {str(n): int(c) for n, c in zip(names, counts, strict=True) if c < minimum}


def without_rare_labels(data: LabelledData, folds: int) -> LabelledData:
    """``data`` without the labels that have fewer rows than ``folds`` (stratified k-fold needs at
    least one row of each label in every fold); the note names what was left out."""
    if not data.labels:
        raise InputError(f"{data.name!r} has no rows with both a text and a label: nothing to classify.")
    rare = rare_labels(data.labels, folds)
    if not rare:
        return data
    kept_labels = len(set(data.labels)) - len(rare)
    if kept_labels < 2:
        most = max(rare.values())
        raise InputError(f"{folds}-fold cross-validation needs at least two labels with {folds} rows or more each; in"
                         f" {data.name!r} {len(rare):,} of {len(set(data.labels)):,} labels have fewer (the largest of them"
                         f" has {most:,}). Use fewer folds (at most {max(2, most)}) or data with more rows per label.")
    keep = [i for i, label in enumerate(data.labels) if label not in rare]
    listed = ", ".join(f"{label} ({count})" for label, count in sorted(rare.items(), key=lambda item: item[1]))
    note = f"labels with fewer than {folds} rows left out: {listed}"
    return replace(data, texts=tuple(data.texts[i] for i in keep), labels=tuple(data.labels[i] for i in keep),
                   note="; ".join(n for n in (data.note, note) if n),
                   vectors=data.vectors[keep] if data.vectors is not None else None)


def labelled_datasets() -> list[str]:
    """The built-in text datasets that have a label column."""
    from embedlab import datasets

    return [s.name for s in datasets.CATALOGUE if s.kind == "texts" and s.label_column]


def builtin_data(name: str, *, max_rows: int | None = DEFAULT_MAX_ROWS, seed: int = DEFAULT_SEED) -> LabelledData:
    """A labelled built-in text dataset (news by outlet, healthtweets by account, commons by party);
    above ``max_rows`` rows a seeded stratified sample."""
    from embedlab import datasets

    spec = datasets.dataset(name, "texts")
    if spec.label_column is None:
        raise InputError(f"Dataset {name!r} has no labels; labelled text datasets: {', '.join(labelled_datasets())}.")
    frame = datasets.text_frame(name)
    return _sampled(name, "built-in", frame[spec.text_column].astype(str).tolist(),
                    frame[spec.label_column].astype(str).tolist(), spec.line(), max_rows, seed)


def upload_data(data: bytes, filename: str, label_column: str | None, *, text_column: str | None = None,
                max_rows: int | None = DEFAULT_MAX_ROWS, seed: int = DEFAULT_SEED) -> LabelledData:
    """An uploaded CSV/TSV/JSONL (parsed and validated as every upload is) with a label column;
    rows with an empty text or label are left out and counted."""
    from embedlab.ingest import parse_upload

    table = parse_upload(data, filename)
    if not label_column:
        raise InputError(f"Name the label column of {filename!r} (one of {', '.join(map(repr, table.columns))}).")
    if label_column not in table.columns:
        raise InputError(f"{filename!r} has no label column {label_column!r}; its columns: {', '.join(map(repr, table.columns))}.")
    text = text_column or table.guess_text_column()
    if text not in table.columns:
        raise InputError(f"{filename!r} has no text column {text!r}; its columns: {', '.join(map(repr, table.columns))}.")
    if text == label_column:
        raise InputError(f"The text column and the label column are both {text!r}; choose two different columns.")
    texts = table.frame[text].astype(str)
    labels = table.frame[label_column].astype(str).str.strip()
    usable = (texts.str.strip().str.len() > 0) & (labels.str.len() > 0)
    dropped = int((~usable).sum())
    note = f"{dropped:,} rows with an empty text or label left out" if dropped else ""
    return _sampled(table.name, "upload", texts[usable].tolist(), labels[usable].tolist(),
                    f"{filename}: text column {text!r}, label column {label_column!r}", max_rows, seed, note)


def collection_data(name: str, store: Store | None = None, *, max_rows: int | None = DEFAULT_MAX_ROWS,
                    seed: int = DEFAULT_SEED) -> LabelledData:
    """A stored collection with a label column: its stored vectors are a representation of their
    own. A long document stored as several chunks is one row: the mean of its chunks' vectors,
    its chunks' texts joined (chunks of one document must not sit in both a training and a test fold)."""
    from embedlab.corpus import load_corpus

    corpus = load_corpus(name, store)
    if "label" not in corpus.metadata.columns or corpus.metadata["label"].astype(str).str.strip().eq("").all():
        raise InputError(f"Collection {corpus.info.name!r} has no label column; ingest it with a label column"
                         " (--label-column / the Explore page's label choice) to evaluate classifiers on it.")
    labels = corpus.metadata["label"].astype(str).str.strip()
    documents = corpus.metadata["doc"].astype(str) if "doc" in corpus.metadata.columns else None
    texts, vectors = list(corpus.texts), np.asarray(corpus.vectors, dtype=np.float32)
    notes = []
    if documents is not None and documents.duplicated().any():
        groups: dict[str, list[int]] = {}
        for position, document in enumerate(documents):
            groups.setdefault(document, []).append(position)
        notes.append(f"{len(corpus):,} chunks of {len(groups):,} documents: one row per document (mean of its chunks'"
                     " vectors, chunk texts joined)")
        texts = [" ".join(texts[i] for i in rows) for rows in groups.values()]
        vectors = np.stack([vectors[rows].mean(axis=0) for rows in groups.values()]).astype(np.float32)
        labels_list = [labels.iloc[rows[0]] for rows in groups.values()]
    else:
        labels_list = labels.tolist()
    usable = [i for i, label in enumerate(labels_list) if label]
    if len(usable) < len(labels_list):
        notes.append(f"{len(labels_list) - len(usable):,} rows without a label left out")
    return _sampled(corpus.info.name, "collection", [texts[i] for i in usable], [labels_list[i] for i in usable],
                    f"collection {corpus.info.name} ({corpus.info.backend or '?'}, {corpus.info.dim}-d)", max_rows, seed,
                    "; ".join(notes), vectors[usable], corpus.info.backend or "?")


def labelled_data(dataset: str, *, label_column: str | None = None, text_column: str | None = None,
                  max_rows: int | None = DEFAULT_MAX_ROWS, seed: int = DEFAULT_SEED, store: Store | None = None) -> LabelledData:
    """``dataset`` as the CLI reads it: a built-in name, else a file path, else a stored collection
    (``max_rows=None``: every row)."""
    from embedlab import datasets

    if dataset in datasets.DATASETS:
        if text_column or label_column:
            raise InputError("--text-column and --label-column go with a file, not with a built-in dataset.")
        return builtin_data(dataset, max_rows=max_rows, seed=seed)
    path = Path(dataset)
    if path.suffix and path.is_file():
        if not label_column:
            raise InputError(f"{dataset!r} is a file: say which column holds the labels (--label-column).")
        return upload_data(path.read_bytes(), path.name, label_column, text_column=text_column, max_rows=max_rows,
                           seed=seed)
    try:
        return collection_data(dataset, store, max_rows=max_rows, seed=seed)
    except CollectionNotFoundError as error:
        raise InputError(f"{dataset!r} is neither a built-in labelled dataset ({', '.join(labelled_datasets())}), nor a file,"
                         f" nor a stored collection ({error}).") from error
