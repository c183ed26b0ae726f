"""The classifier core: logistic regression on features, stratified k-fold cross-validation with a
seeded shuffle, accuracy and macro-F1 per fold and a confusion matrix summed over the folds (every
row predicted once, by a model that did not see it); features standardised inside each fold."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from embedlab.backends.base import Progress
from embedlab.errors import InputError

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
