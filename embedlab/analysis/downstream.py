"""Downstream (extrinsic) evaluation: how well a linear classifier reads labels off embeddings.

The protocol is MTEB's classification task made exhaustive: logistic regression on the vectors,
stratified k-fold cross-validation with a seeded shuffle, accuracy and macro-F1 per fold, and a
confusion matrix summed over the folds (every row is predicted exactly once, by a model that did
not see it). Features are standardised inside each fold (fitted on the training part only), so
representations with different scales compete on equal terms.

``text_vectors`` encodes texts with any catalogue text model once: the matrix is kept on disk
keyed by the model's revision and the texts' content, so a second comparison, a re-run after a
restart or another page re-uses it.

On top of that core: labelled data (a built-in dataset, sampled above a stated cap; an upload;
a stored collection, whose vectors are a representation of their own), representations side by
side (sentence models, mean word vectors by ``TOKEN_RULE``, the TF-IDF baseline fitted inside
each fold), each one's scores kept on disk by content, and the word-level benchmarks of the same
representations with whether they rank them as the downstream accuracy does.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from embedlab import cache
from embedlab.backends import memoize_models, model_key
from embedlab.backends.base import Progress
from embedlab.errors import CollectionNotFoundError, InputError

if TYPE_CHECKING:
    from embedlab.backends.base import WordVectors
    from embedlab.store import Store

DEFAULT_FOLDS = 5
DEFAULT_SEED = 0
MAX_ITER = 2000
#: logistic regression's inverse regularisation strength (scikit-learn's default)
DEFAULT_C = 1.0


@dataclass(frozen=True)
class ClassifierScores:
    """Cross-validated scores of one representation on one labelled dataset."""

    representation: str
    accuracy: float
    accuracy_std: float
    macro_f1: float
    macro_f1_std: float
    fold_accuracy: tuple[float, ...]
    fold_macro_f1: tuple[float, ...]
    labels: tuple[str, ...]
    #: rows: true label, columns: predicted label, in ``labels`` order; summed over the folds
    confusion: np.ndarray
    folds: int
    seed: int
    rows: int
    dim: int
    seconds: float

    def as_dict(self) -> dict[str, object]:
        """JSON-able figures (the CLI's ``--json`` and the page's table)."""
        return {"accuracy": self.accuracy, "accuracy_std": self.accuracy_std, "macro_f1": self.macro_f1,
                "macro_f1_std": self.macro_f1_std, "folds": self.folds, "seed": self.seed, "rows": self.rows,
                "dim": self.dim, "labels": list(self.labels), "confusion": self.confusion.tolist(),
                "seconds": round(self.seconds, 3)}


def check_labels(labels: Sequence[str], folds: int) -> np.ndarray:
    """The labels as a string array, or an error when k-fold cross-validation cannot run: fewer
    than two classes, or a class with fewer rows than folds (name it and its count)."""
    if folds < 2:
        raise InputError(f"Cross-validation needs at least 2 folds (got {folds}).")
    array = np.asarray([str(label) for label in labels], dtype=object)
    names, counts = np.unique(array, return_counts=True)
    if len(names) < 2:
        raise InputError("Downstream evaluation needs at least two different labels"
                         f" (found {len(names)}{': ' + repr(names[0]) if len(names) else ''}).")
    small = [(str(name), int(count)) for name, count in zip(names, counts, strict=True) if count < folds]
    if small:
        listed = ", ".join(f"{name!r} ({count})" for name, count in small[:5])
        raise InputError(f"Each label needs at least {folds} rows for {folds}-fold cross-validation; too few: {listed}"
                         f"{' and more' if len(small) > 5 else ''}. Use fewer folds or drop those labels.")
    return array


FoldModel = Callable[[], object]


def _logistic() -> object:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=DEFAULT_C, max_iter=MAX_ITER))


def cross_validate(
    features: np.ndarray | Sequence[str],
    labels: Sequence[str],
    *,
    representation: str = "",
    folds: int = DEFAULT_FOLDS,
    seed: int = DEFAULT_SEED,
    model: FoldModel = _logistic,
    progress: Progress | None = None,
) -> ClassifierScores:
    """Stratified ``folds``-fold cross-validation (shuffled with ``seed``) of ``model()`` — by
    default standardisation + logistic regression — on ``features`` (a matrix, or raw texts for
    a pipeline that vectorises them itself, such as the TF-IDF baseline)."""
    from sklearn.base import clone
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
    from sklearn.model_selection import StratifiedKFold

    target = check_labels(labels, folds)
    inputs = np.asarray(features, dtype=object) if not isinstance(features, np.ndarray) else features
    if len(inputs) != len(target):
        raise InputError(f"{len(inputs)} rows of features but {len(target)} labels.")
    classes = np.unique(target)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    template = model()
    accuracies: list[float] = []
    f1s: list[float] = []
    confusion = np.zeros((len(classes), len(classes)), dtype=np.int64)
    started = time.perf_counter()
    for done, (train, test) in enumerate(splitter.split(np.zeros(len(target)), target), start=1):
        fitted = clone(template).fit(inputs[train], target[train])
        predicted = fitted.predict(inputs[test])
        accuracies.append(float(accuracy_score(target[test], predicted)))
        f1s.append(float(f1_score(target[test], predicted, average="macro", labels=classes, zero_division=0)))
        confusion += confusion_matrix(target[test], predicted, labels=classes)
        if progress is not None:
            progress(done, folds)
    dim = int(inputs.shape[1]) if inputs.ndim == 2 else 0
    return ClassifierScores(
        representation=representation, accuracy=float(np.mean(accuracies)), accuracy_std=float(np.std(accuracies)),
        macro_f1=float(np.mean(f1s)), macro_f1_std=float(np.std(f1s)), fold_accuracy=tuple(accuracies),
        fold_macro_f1=tuple(f1s), labels=tuple(str(c) for c in classes), confusion=confusion, folds=folds, seed=seed,
        rows=len(target), dim=dim, seconds=time.perf_counter() - started)


def text_vectors(model: str, texts: Sequence[str], *, progress: Progress | None = None) -> np.ndarray:
    """``model``'s vectors of ``texts`` (a catalogue text model), encoded once: kept on disk
    under the model's revision and the texts' content."""
    from embedlab.backends import get_text_encoder

    items = [str(text) for text in texts]
    key = cache.content_key("text_vectors", model_key(model), items)
    hit = cache.load("encoded", key)
    if hit is not None:
        if progress is not None:
            progress(len(items), len(items))
        return hit[0]["vectors"]
    encoder = get_text_encoder(model)
    started = time.perf_counter()
    vectors = encoder.encode(items, progress=progress)
    cache.save("encoded", key, {"vectors": vectors},
               {"model": model, "rows": len(items), "seconds": time.perf_counter() - started})
    return vectors


# ---------------------------------------------------------------- representations

#: the TF-IDF baseline's name in every table and in ``--json``
TFIDF = "tfidf"
#: a collection's own stored vectors
STORED = "stored"
#: sentence models read each text's first this many words (see ``truncate_words``)
TEXT_MODEL_WORDS = 128
#: built-in datasets larger than this are sampled (stratified, seeded); news (3,823) and commons fit
DEFAULT_MAX_ROWS = 4000
_TOKEN = re.compile(r"[^\W_]+")
TOKEN_RULE = ("Mean word vectors: a text's tokens are its runs of letters and digits (punctuation, apostrophes and"
              " underscores split words: don't → don, t); each is looked up as written, in lower case for a"
              " lower-case vocabulary (GloVe 6B; the word2vec subset holds a few capitalised words, so it is read"
              " as written); the text's vector is the mean of the raw vectors of its known tokens, each occurrence"
              " counted; a text with no known token gets the zero vector and is counted.")


def tokenize(text: str) -> list[str]:
    """The tokens of ``text`` by ``TOKEN_RULE`` (runs of letters and digits)."""
    return _TOKEN.findall(text)


def truncate_words(text: str, words: int = TEXT_MODEL_WORDS) -> str:
    """The first ``words`` whitespace-separated words of ``text``: what a sentence model reads.
    MiniLM stops at 256 word pieces anyway (it was trained on 128); the multilingual USE reads
    everything and takes about a second per long article on this machine, so both get the same cap."""
    return " ".join(text.split()[:words])


@dataclass(frozen=True)
class WordCoverage:
    """How much of a dataset a word model knows."""

    tokens: int
    oov_tokens: int
    rows_without_known_word: int
    lowercased: bool

    @property
    def oov_share(self) -> float:
        """Share of token occurrences outside the vocabulary (0 when there are no tokens)."""
        return self.oov_tokens / self.tokens if self.tokens else 0.0

    def as_dict(self) -> dict[str, object]:
        return {"tokens": self.tokens, "oov_tokens": self.oov_tokens, "oov_share": self.oov_share,
                "rows_without_known_word": self.rows_without_known_word, "lowercased": self.lowercased}


def mean_word_vectors(model: str | WordVectors, texts: Sequence[str]) -> tuple[np.ndarray, WordCoverage]:
    """Each text's mean word vector by ``TOKEN_RULE`` and how many tokens the model knew. Two
    texts with the same words in another order get bit-identical vectors (the Contextual page's
    word-order comparison relies on it)."""
    from scipy.sparse import csr_matrix

    from embedlab.backends import as_word_vectors
    from embedlab.wordrules import lowercase_vocabulary, resolve_words

    backend = as_word_vectors(model)
    lower = lowercase_vocabulary(backend)
    vocabulary: dict[str, int] = {}
    columns: list[int] = []
    pointers = [0]
    for text in texts:
        for token in tokenize(str(text)):
            columns.append(vocabulary.setdefault(token.lower() if lower else token, len(vocabulary)))
        pointers.append(len(columns))
    unique = list(vocabulary)
    kv = backend.kv
    known = list(resolve_words(backend, unique).keys)  # the word rule: as written, lower case for a lower-case vocabulary
    table = np.zeros((len(unique), backend.dim), dtype=np.float64)
    known_rows = np.array([vocabulary[word] for word in known], dtype=np.int64)
    if known:
        table[known_rows] = (np.stack([kv.get_vector(word) for word in known]) if backend.subwords
                             else kv.vectors[[kv.key_to_index[word] for word in known]])
    is_known = np.zeros(len(unique), dtype=np.float64)
    is_known[known_rows] = 1.0
    counts = csr_matrix((np.ones(len(columns)), np.array(columns, dtype=np.int64), np.array(pointers, dtype=np.int64)),
                        shape=(len(texts), len(unique)))
    counts.sum_duplicates()  # columns sorted: a text's words are summed in one order, whatever their order in the text
    known_counts = np.asarray(counts @ is_known).ravel()
    sums = np.asarray(counts @ table)
    means = sums / np.maximum(known_counts, 1.0)[:, None]
    coverage = WordCoverage(tokens=len(columns), oov_tokens=int(len(columns) - known_counts.sum()),
                            rows_without_known_word=int(np.count_nonzero(known_counts == 0)), lowercased=lower)
    return means.astype(np.float32), coverage


def tfidf_model() -> object:
    """The TF-IDF baseline: scikit-learn's TfidfVectorizer (defaults: lower-cased word unigrams,
    sublinear term frequency) and logistic regression, fitted inside each fold on the training
    part only, so the vocabulary and IDF weights never see the test texts."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(TfidfVectorizer(sublinear_tf=True), LogisticRegression(C=DEFAULT_C, max_iter=MAX_ITER))


# ---------------------------------------------------------------- datasets

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
    rare = rare_labels(data.labels, folds)
    if not rare:
        return data
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


# ---------------------------------------------------------------- the comparison

RepresentationKind = Literal["text", "words", "tfidf", "stored"]


def representation_kind(name: str) -> RepresentationKind:
    """What ``name`` is: the TF-IDF baseline, a collection's stored vectors, or a catalogue model."""
    from embedlab.backends import BackendKind, backend_kind

    if name == TFIDF:
        return "tfidf"
    if name == STORED:
        return "stored"
    kind = backend_kind(name)
    if kind == BackendKind.TEXT:
        return "text"
    if kind == BackendKind.WORDS:
        return "words"
    raise InputError(f"{name!r} is a {kind} model; downstream evaluation takes text models, word models, {TFIDF!r}"
                     f" or {STORED!r} (a collection's own vectors).")


def representations(data: LabelledData | None = None) -> list[str]:
    """Every representation that can run here: available text models, available word models, the
    TF-IDF baseline, and the stored vectors when ``data`` is a collection."""
    from embedlab.backends import model_status

    status = model_status()
    names = [s.name for s in status if s.available and s.kind == "text"]
    names += [s.name for s in status if s.available and s.kind == "words"]
    names.append(TFIDF)
    if data is not None and data.vectors is not None:
        names.append(STORED)
    return names


@dataclass(frozen=True)
class RepresentationResult:
    """One representation's cross-validated scores and how its features were made."""

    name: str
    kind: RepresentationKind
    scores: ClassifierScores
    #: what the representation reads of each text
    reads: str
    #: seconds to make the features (encoding; 0 when the vectors came from the cache or the store)
    feature_seconds: float
    coverage: WordCoverage | None = None
    cached: bool = False

    @property
    def seconds(self) -> float:
        """Features plus the k fits, as first computed."""
        return self.feature_seconds + self.scores.seconds

    def as_dict(self) -> dict[str, object]:
        document = {**self.scores.as_dict(), "kind": self.kind, "reads": self.reads,
                    "feature_seconds": round(self.feature_seconds, 3), "seconds": round(self.seconds, 3)}
        if self.coverage is not None:
            document["words"] = self.coverage.as_dict()
        return document


def _features(data: LabelledData, name: str, kind: RepresentationKind, max_words: int,
              progress: Progress | None) -> tuple[np.ndarray | list[str], str, WordCoverage | None]:
    if kind == "tfidf":
        return list(data.texts), "all words (TF-IDF fitted on the training folds)", None
    if kind == "stored":
        if data.vectors is None:
            raise InputError(f"{STORED!r} is a collection's own vectors; {data.name!r} is not a collection.")
        return data.vectors, f"the stored vectors ({data.stored_model})", None
    if kind == "words":
        vectors, coverage = mean_word_vectors(name, data.texts)
        return vectors, "all words (mean word vector)", coverage
    texts = [truncate_words(text, max_words) for text in data.texts]
    return text_vectors(name, texts, progress=progress), f"first {max_words} words", None


def _scores_key(data: LabelledData, name: str, kind: RepresentationKind, folds: int, seed: int, max_words: int) -> str:
    which = {"tfidf": ["tfidf", "sublinear"], "stored": ["stored"], "words": ["words", model_key(name), TOKEN_RULE],
             "text": ["text", model_key(name), max_words]}[kind]
    return cache.content_key("downstream-scores", data.digest, which, folds, seed, DEFAULT_C, MAX_ITER)


def _scores_from_cache(name: str, entry: tuple[dict[str, np.ndarray], dict[str, Any]]) -> RepresentationResult:
    arrays, meta = entry
    scores = ClassifierScores(
        representation=name, accuracy=float(meta["accuracy"]), accuracy_std=float(meta["accuracy_std"]),
        macro_f1=float(meta["macro_f1"]), macro_f1_std=float(meta["macro_f1_std"]),
        fold_accuracy=tuple(float(x) for x in arrays["fold_accuracy"]),
        fold_macro_f1=tuple(float(x) for x in arrays["fold_macro_f1"]), labels=tuple(meta["labels"]),
        confusion=arrays["confusion"], folds=int(meta["folds"]), seed=int(meta["seed"]), rows=int(meta["rows"]),
        dim=int(meta["dim"]), seconds=float(meta["cv_seconds"]))
    coverage = WordCoverage(**meta["coverage"]) if meta.get("coverage") else None
    return RepresentationResult(name, meta["kind"], scores, meta["reads"], float(meta["feature_seconds"]), coverage, True)


def evaluate_representation(data: LabelledData, name: str, *, folds: int = DEFAULT_FOLDS, seed: int = DEFAULT_SEED,
                            max_words: int = TEXT_MODEL_WORDS, progress: Progress | None = None) -> RepresentationResult:
    """Cross-validated scores of one representation on ``data``, kept on disk by the data's
    content, the model's revision, the folds and the seed (a second call reads them back)."""
    kind = representation_kind(name)
    check_labels(data.labels, folds)
    key = _scores_key(data, name, kind, folds, seed, max_words)
    hit = cache.load("downstream", key)
    if hit is not None:
        return _scores_from_cache(name, hit)
    started = time.perf_counter()
    features, reads, coverage = _features(data, name, kind, max_words, progress)
    feature_seconds = time.perf_counter() - started
    scores = cross_validate(features, data.labels, representation=name, folds=folds, seed=seed,
                            model=tfidf_model if kind == "tfidf" else _logistic)
    if kind == "tfidf":
        scores = replace(scores, dim=0)
    cache.save("downstream", key,
               {"confusion": scores.confusion, "fold_accuracy": np.asarray(scores.fold_accuracy),
                "fold_macro_f1": np.asarray(scores.fold_macro_f1)},
               {"accuracy": scores.accuracy, "accuracy_std": scores.accuracy_std, "macro_f1": scores.macro_f1,
                "macro_f1_std": scores.macro_f1_std, "labels": list(scores.labels), "folds": folds, "seed": seed,
                "rows": scores.rows, "dim": scores.dim, "cv_seconds": scores.seconds, "kind": kind, "reads": reads,
                "feature_seconds": feature_seconds, "coverage": coverage.__dict__ if coverage else None,
                "dataset": data.name})
    return RepresentationResult(name, kind, scores, reads, feature_seconds, coverage, False)


@dataclass(frozen=True)
class Comparison:
    """Several representations cross-validated on the same folds of one labelled dataset."""

    dataset: str
    description: str
    note: str
    rows: int
    label_counts: dict[str, int]
    folds: int
    seed: int
    results: tuple[RepresentationResult, ...]

    @property
    def majority_rate(self) -> float:
        """Accuracy of always predicting the most frequent label: the floor to beat."""
        return max(self.label_counts.values()) / self.rows if self.rows else 0.0

    def result(self, name: str) -> RepresentationResult:
        for result in self.results:
            if result.name == name:
                return result
        raise InputError(f"{name!r} is not in this comparison ({', '.join(r.name for r in self.results)}).")

    def as_dict(self) -> dict[str, dict[str, object]]:
        """``{representation: {"accuracy", "macro_f1", ...}}`` (the CLI's ``--json``)."""
        return {result.name: result.as_dict() for result in self.results}


def compare(data: LabelledData, names: Sequence[str], *, folds: int = DEFAULT_FOLDS, seed: int = DEFAULT_SEED,
            max_words: int = TEXT_MODEL_WORDS, progress: Progress | None = None,
            stage: Callable[[str], None] | None = None) -> Comparison:
    """Every representation in ``names`` on the same seeded stratified folds of ``data``
    (``stage`` hears which one runs, ``progress`` its encoding)."""
    if not names:
        raise InputError("Choose at least one representation to compare.")
    chosen = list(dict.fromkeys(names))
    for name in chosen:
        representation_kind(name)  # an unknown or wrong-kind name fails before any work
    data = without_rare_labels(data, folds)
    check_labels(data.labels, folds)
    results = []
    for position, name in enumerate(chosen, start=1):
        if stage is not None:
            stage(f"{name} ({position}/{len(chosen)})")
        results.append(evaluate_representation(data, name, folds=folds, seed=seed, max_words=max_words,
                                               progress=progress))
    return Comparison(data.name, data.description, data.note, data.rows, data.label_counts(), folds, seed, tuple(results))


# ---------------------------------------------------------------- intrinsic versus extrinsic

INTRINSIC_BENCHMARKS = ("ws353", "simlex999")


@dataclass(frozen=True)
class IntrinsicScores:
    """Word-level benchmark scores of one representation (None where a benchmark does not apply)."""

    representation: str
    #: Spearman ρ per word-similarity benchmark
    similarity: dict[str, float | None]
    #: Google analogies accuracy (3CosAdd, first 30,000 words); word models only
    google: float | None
    note: str

    def as_dict(self) -> dict[str, object]:
        return {**self.similarity, "google": self.google, "note": self.note}


def _encoded_benchmark_words(model: str, benchmarks: Sequence[str]) -> WordVectors:
    """A sentence model's vectors of every benchmark word (each word encoded alone), as word vectors."""
    from gensim.models import KeyedVectors

    from embedlab.analysis.evaluation import dataset_path, read_pairs_file
    from embedlab.backends.words import KeyedWordVectors

    words = sorted({w for name in benchmarks for pair in read_pairs_file(dataset_path(name)) for w in (pair.a, pair.b)})
    vectors = text_vectors(model, words)
    kv = KeyedVectors(vector_size=vectors.shape[1])
    kv.add_vectors(words, vectors)
    return KeyedWordVectors(model, kv, description=f"{model}: each benchmark word encoded alone")


@memoize_models(max_entries=32)
def intrinsic_scores(model: str) -> IntrinsicScores:
    """WS353 and SimLex-999 Spearman ρ (the Evaluate page's figures, equal to gensim's) and, for a
    word model, Google analogies; a sentence model encodes each benchmark word alone."""
    from embedlab.analysis.evaluation import evaluate_analogies, evaluate_similarity

    kind = representation_kind(model)
    if kind in ("tfidf", "stored"):
        why = ("TF-IDF gives two different words orthogonal vectors: no word-similarity score" if kind == "tfidf"
               else "a collection's stored vectors have no vectors for single words")
        return IntrinsicScores(model, {name: None for name in INTRINSIC_BENCHMARKS}, None, why)
    words: str | WordVectors = model if kind == "words" else _encoded_benchmark_words(model, INTRINSIC_BENCHMARKS)
    similarity: dict[str, float | None] = {}
    for name in INTRINSIC_BENCHMARKS:
        try:
            similarity[name] = evaluate_similarity(words, name).spearman
        except InputError:
            similarity[name] = None  # too few known pairs
    if kind == "words":
        analogies = evaluate_analogies(model, "google")
        return IntrinsicScores(model, similarity, analogies.accuracy if analogies.n else None,
                               f"word model; Google analogies over {analogies.n:,} questions in its first 30,000 words")
    return IntrinsicScores(model, similarity, None, "sentence model: each benchmark word encoded alone; no analogies")


@dataclass(frozen=True)
class RankAgreement:
    """Do a word-level benchmark and the downstream accuracy order the representations alike?"""

    benchmark: str
    representations: tuple[str, ...]
    intrinsic: tuple[float, ...]
    extrinsic: tuple[float, ...]
    spearman: float | None
    kendall: float | None
    verdict: str

    def as_dict(self) -> dict[str, object]:
        return {"benchmark": self.benchmark, "representations": list(self.representations),
                "intrinsic": list(self.intrinsic), "accuracy": list(self.extrinsic), "spearman": self.spearman,
                "kendall": self.kendall, "verdict": self.verdict}


def _order(names: Sequence[str], values: Sequence[float]) -> str:
    ranked = sorted(zip(names, values, strict=True), key=lambda item: -item[1])
    return " > ".join(name for name, _ in ranked)


def rank_agreement(comparison: Comparison, intrinsic: Sequence[IntrinsicScores], benchmark: str = "ws353") -> RankAgreement:
    """Spearman ρ and Kendall τ between the ``benchmark`` ranking and the accuracy ranking of the
    representations that have both, and a plain sentence saying whether they agree."""
    from scipy.stats import kendalltau, spearmanr

    accuracy = {result.name: result.scores.accuracy for result in comparison.results}
    pairs = [(s.representation, s.similarity.get(benchmark), accuracy[s.representation]) for s in intrinsic
             if s.representation in accuracy and s.similarity.get(benchmark) is not None]
    names = tuple(name for name, _, _ in pairs)
    inner = tuple(float(value) for _, value, _ in pairs if value is not None)
    outer = tuple(float(acc) for _, _, acc in pairs)
    if len(pairs) < 3:
        return RankAgreement(benchmark, names, inner, outer, None, None,
                             f"Only {len(pairs)} representation(s) have both a {benchmark} score and an accuracy; a ranking"
                             " needs at least 3 (TF-IDF and stored vectors have no word-level score).")
    rho = float(spearmanr(inner, outer).statistic)
    tau = float(kendalltau(inner, outer).statistic)
    by_inner, by_outer = _order(names, inner), _order(names, outer)
    if by_inner == by_outer:
        verdict = f"They agree: {benchmark} and downstream accuracy rank the {len(names)} representations the same way"
    elif tau > 0:
        verdict = f"They partly agree (Kendall τ = {tau:+.2f})"
    else:
        verdict = f"They disagree (Kendall τ = {tau:+.2f})"
    verdict += (f". By {benchmark}: {by_inner}; by accuracy: {by_outer}. With {len(names)} representations a rank"
                " correlation is a description, not evidence: no p-value at this size means much.")
    return RankAgreement(benchmark, names, inner, outer, rho, tau, verdict)
