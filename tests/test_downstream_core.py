"""The downstream core: cross-validated logistic regression, checked against scikit-learn's own
``cross_val_score`` on the same folds, and its refusals."""

from __future__ import annotations

import numpy as np
import pytest

from embedlab.analysis.downstream import check_labels, cross_validate
from embedlab.errors import InputError


def _blobs(seed: int = 3) -> tuple[np.ndarray, list[str]]:
    from sklearn.datasets import make_blobs

    points, classes = make_blobs(n_samples=120, centers=3, n_features=6, cluster_std=9.0, random_state=seed)
    return points.astype(np.float32), [f"class-{c}" for c in classes]


def test_scores_equal_scikit_learns_cross_val_score_on_the_same_folds() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    points, labels = _blobs()
    ours = cross_validate(points, labels, folds=4, seed=7)
    folds = StratifiedKFold(n_splits=4, shuffle=True, random_state=7)
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    accuracy = cross_val_score(pipeline, points, np.array(labels), cv=folds, scoring="accuracy")
    macro_f1 = cross_val_score(pipeline, points, np.array(labels), cv=folds, scoring="f1_macro")
    assert ours.fold_accuracy == pytest.approx(tuple(accuracy))
    assert ours.macro_f1 == pytest.approx(float(np.mean(macro_f1)))
    assert ours.accuracy < 1.0  # overlapping blobs: the test can tell a right figure from a perfect one
    assert ours.confusion.sum() == 120
    assert np.trace(ours.confusion) == pytest.approx(ours.accuracy * 120)  # equal folds of 30


def test_the_seed_changes_the_folds_and_the_same_seed_repeats_them() -> None:
    points, labels = _blobs()
    first, again, other = (cross_validate(points, labels, folds=5, seed=s) for s in (0, 0, 1))
    assert first.fold_accuracy == again.fold_accuracy
    assert first.fold_accuracy != other.fold_accuracy


def test_a_label_with_fewer_rows_than_folds_is_named() -> None:
    with pytest.raises(InputError, match=r"'rare' \(2\)"):
        check_labels(["a"] * 10 + ["b"] * 10 + ["rare"] * 2, folds=5)
    with pytest.raises(InputError, match="at least two different labels"):
        check_labels(["a"] * 10, folds=5)
