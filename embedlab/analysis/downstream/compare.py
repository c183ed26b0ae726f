"""Representations side by side on the same folds, each one's scores kept on disk by content."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from embedlab import cache
from embedlab.analysis.downstream.classifier import (
    DEFAULT_C,
    DEFAULT_FOLDS,
    DEFAULT_SEED,
    MAX_ITER,
    ClassifierScores,
    _logistic,
    check_labels,
    cross_validate,
)
from embedlab.analysis.downstream.data import LabelledData, without_rare_labels
from embedlab.analysis.downstream.features import (
    STORED,
    TEXT_MODEL_WORDS,
    TFIDF,
    TOKEN_RULE,
    WordCoverage,
    mean_word_vectors,
    tfidf_model,
    truncate_words,
)
from embedlab.backends import encode_texts, model_key
from embedlab.backends.base import Progress
from embedlab.errors import EmbedlabError, InputError

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
    return encode_texts(name, texts, progress=progress).vectors, f"first {max_words} words", None


def _scores_key(name: str, kind: RepresentationKind, max_words: int) -> list[Any]:
    """What identifies a representation's features: its kind, the model's revision and the rule
    that turns texts into its input."""
    which: dict[str, list[Any]] = {"tfidf": ["tfidf", "sublinear"], "stored": ["stored"],
                                   "words": ["words", model_key(name), TOKEN_RULE], "text": ["text", model_key(name), max_words]}
    return which[kind]


def _dump_scores(result: RepresentationResult) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    scores = result.scores
    return ({"confusion": scores.confusion, "fold_accuracy": np.asarray(scores.fold_accuracy),
             "fold_macro_f1": np.asarray(scores.fold_macro_f1)},
            {"accuracy": scores.accuracy, "accuracy_std": scores.accuracy_std, "macro_f1": scores.macro_f1,
             "macro_f1_std": scores.macro_f1_std, "labels": list(scores.labels), "folds": scores.folds, "seed": scores.seed,
             "rows": scores.rows, "dim": scores.dim, "cv_seconds": scores.seconds, "kind": result.kind, "reads": result.reads,
             "feature_seconds": result.feature_seconds, "coverage": result.coverage.__dict__ if result.coverage else None,
             "name": result.name})


def _load_scores(arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> RepresentationResult:
    scores = ClassifierScores(
        representation=meta["name"], accuracy=float(meta["accuracy"]), accuracy_std=float(meta["accuracy_std"]),
        macro_f1=float(meta["macro_f1"]), macro_f1_std=float(meta["macro_f1_std"]),
        fold_accuracy=tuple(float(x) for x in arrays["fold_accuracy"]),
        fold_macro_f1=tuple(float(x) for x in arrays["fold_macro_f1"]), labels=tuple(meta["labels"]),
        confusion=arrays["confusion"], folds=int(meta["folds"]), seed=int(meta["seed"]), rows=int(meta["rows"]),
        dim=int(meta["dim"]), seconds=float(meta["cv_seconds"]))
    coverage = WordCoverage(**meta["coverage"]) if meta.get("coverage") else None
    return RepresentationResult(meta["name"], meta["kind"], scores, meta["reads"], float(meta["feature_seconds"]), coverage, True)


@cache.on_disk("downstream", exclude=("data", "name", "max_words", "progress"), dump=_dump_scores, load=_load_scores)
def _kept_scores(digest: str, features: list[Any], folds: int, seed: int, regularisation: float, iterations: int, *,
                 data: LabelledData, name: str, max_words: int, progress: Progress | None) -> RepresentationResult:
    """One representation's cross-validated scores, kept by the data's content, what makes its
    features, the folds and the seed."""
    kind = representation_kind(name)
    started = time.perf_counter()
    features_of, reads, coverage = _features(data, name, kind, max_words, progress)
    feature_seconds = time.perf_counter() - started
    scores = cross_validate(features_of, data.labels, representation=name, folds=folds, seed=seed,
                            model=tfidf_model if kind == "tfidf" else _logistic)
    if kind == "tfidf":
        scores = replace(scores, dim=0)
    return RepresentationResult(name, kind, scores, reads, feature_seconds, coverage, False)


def evaluate_representation(data: LabelledData, name: str, *, folds: int = DEFAULT_FOLDS, seed: int = DEFAULT_SEED,
                            max_words: int = TEXT_MODEL_WORDS, progress: Progress | None = None) -> RepresentationResult:
    """Cross-validated scores of one representation on ``data``, kept on disk by the data's
    content, the model's revision, the folds and the seed (a second call reads them back)."""
    kind = representation_kind(name)
    check_labels(data.labels, folds)
    result, hit = _kept_scores.call_with_hit(data.digest, _scores_key(name, kind, max_words), folds, seed, DEFAULT_C, MAX_ITER,
                                             data=data, name=name, max_words=max_words, progress=progress)
    return replace(result, name=name, cached=hit)


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


def comparison_announcement(data: LabelledData, names: list[str]) -> str:
    """What encoding ``data`` with each of ``names`` will take here the first time, said before
    the comparison starts (TF-IDF and stored vectors cost nothing worth saying); empty when quick."""
    from embedlab.estimates import announce_models

    models = {}
    for name in names:
        try:
            kind = representation_kind(name)
        except EmbedlabError:
            continue
        if kind in ("text", "words"):
            models[name] = kind
    return announce_models(models, list(data.texts), max_words=TEXT_MODEL_WORDS, cached="the first time; results are cached")
