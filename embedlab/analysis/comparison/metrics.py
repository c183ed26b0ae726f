"""The figures of a comparison, as plain functions of arrays (numpy, scipy, scikit-learn).

Two spaces over the same rows (two models, one corpus):

- ``knn_overlap``: per row, the share of its ``k`` nearest rows in space A (exact cosine, the row
  itself never among them, equal scores to the lower row) that are also among its ``k`` nearest
  in space B: ``|kNN_A(i) ∩ kNN_B(i)| / k``.
- ``linear_cka``: linear centred kernel alignment (Kornblith, Norouzi, Lee & Hinton, 2019,
  "Similarity of Neural Network Representations Revisited"): with X and Y column-centred,
  ``‖YᵀX‖²_F / (‖XᵀX‖_F ‖YᵀY‖_F)``; 1 when one space is a rotation and scaling of the other,
  near 0 when they share no linear structure. The feature-space form needs no n × n matrix, so
  it runs on every row.
- ``similarity_spearman``: Spearman's ρ between the two spaces' cosine similarities of every
  pair of a seeded sample of rows (``sample_rows``).

Two sets of rows in one space (two corpora, or two periods):

- ``centroid_distance``: Euclidean distance between the two sides' mean vectors.
- ``mmd_test``: the unbiased estimate of the squared maximum mean discrepancy (Gretton et al.,
  2012, "A Kernel Two-Sample Test", eq. 3) with a Gaussian kernel
  ``exp(-‖x - y‖² / (2σ²))``, σ the median distance between the pooled rows (the median
  heuristic), and a permutation p-value: the pooled rows are shuffled ``permutations`` times with
  ``numpy.random.default_rng(seed)``, the first ``len(A)`` of each shuffle taken as side A, and
  ``p = (1 + #{shuffled MMD² ≥ observed}) / (1 + permutations)``.
- ``domain_auc``: how well a classifier tells the sides apart: standardised logistic regression
  with strong L2 regularisation (``C = DOMAIN_C``), stratified k-fold (shuffled with the seed),
  ROC AUC on each held-out fold; the mean over the folds, with every row's held-out probability of
  side B. 0.5: indistinguishable; 1: separable. Embeddings have hundreds of dimensions and a side
  often only hundreds of rows: scikit-learn's default C = 1 then separates its training rows
  outright and gives nearly every held-out row a probability of 0 or 1 (the same AUC within about
  0.01 on the health tweets, but "most typical" becomes a tie of 1.000s); C = 0.01 keeps the
  probabilities graded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from embedlab.errors import InputError

DOMAIN_C = 0.01  # the domain classifier's inverse regularisation strength (see the module)

Progress = Callable[[int, int], None]


def knn_overlap(neighbours_a: np.ndarray, neighbours_b: np.ndarray) -> np.ndarray:
    """Per row, ``|A_i ∩ B_i| / k`` of two (n, k) neighbour index arrays (float64 in [0, 1])."""
    a, b = np.asarray(neighbours_a), np.asarray(neighbours_b)
    if a.shape != b.shape:
        raise InputError(f"Neighbour lists of different shapes: {a.shape} and {b.shape}.")
    if a.shape[1] == 0:
        return np.zeros(len(a))
    # a row's two lists hold no repeats, so a member of both shows as two equal neighbours once sorted together
    both = np.sort(np.hstack([a, b]), axis=1)
    return (both[:, 1:] == both[:, :-1]).sum(axis=1) / a.shape[1]


def linear_cka(x: np.ndarray, y: np.ndarray) -> float:
    """Linear CKA of two representations of the same rows (rows aligned; any dimensions)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if len(x) != len(y):
        raise InputError(f"CKA needs the same rows in both spaces: {len(x)} and {len(y)}.")
    if len(x) < 2:
        raise InputError("CKA needs at least two rows.")
    x = x - x.mean(axis=0)
    y = y - y.mean(axis=0)
    cross = float(np.linalg.norm(y.T @ x, "fro") ** 2)
    norms = float(np.linalg.norm(x.T @ x, "fro") * np.linalg.norm(y.T @ y, "fro"))
    return cross / norms if norms > 0 else float("nan")


def sample_rows(n: int, size: int, seed: int) -> np.ndarray:
    """A seeded sample of ``size`` of ``n`` rows, sorted (every row when ``size >= n``):
    ``numpy.random.default_rng(seed).choice(n, size, replace=False)``."""
    if size >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))


def pair_cosines(vectors: np.ndarray) -> np.ndarray:
    """The cosine of every pair of rows (i < j), in ``numpy.triu_indices`` order."""
    unit = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(unit, axis=1, keepdims=True)
    unit = unit / np.where(norms == 0, 1.0, norms)
    rows, cols = np.triu_indices(len(unit), k=1)
    return (unit @ unit.T)[rows, cols]


def similarity_spearman(x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    """(Spearman ρ between the pairwise cosines of ``x`` and of ``y``, the number of pairs)."""
    from scipy.stats import spearmanr

    if len(x) != len(y):
        raise InputError(f"Spearman ρ needs the same rows in both spaces: {len(x)} and {len(y)}.")
    a, b = pair_cosines(x), pair_cosines(y)
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan"), len(a)
    return float(spearmanr(a, b).statistic), len(a)


# -- two sets of rows in one space -----------------------------------------------------------


def centroid_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between the mean rows of ``a`` and ``b``."""
    return float(np.linalg.norm(np.asarray(a, dtype=np.float64).mean(axis=0) - np.asarray(b, dtype=np.float64).mean(axis=0)))


def centroid_cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of the two sides' mean rows."""
    ma, mb = np.asarray(a, dtype=np.float64).mean(axis=0), np.asarray(b, dtype=np.float64).mean(axis=0)
    denominator = float(np.linalg.norm(ma) * np.linalg.norm(mb))
    return float(ma @ mb / denominator) if denominator > 0 else float("nan")


@dataclass(frozen=True)
class MmdTest:
    """The unbiased MMD² of two samples, its permutation p-value, and how it was computed."""

    mmd2: float
    p_value: float
    bandwidth: float
    permutations: int
    seed: int
    rows_a: int
    rows_b: int


def _squared_distances(pooled: np.ndarray) -> np.ndarray:
    squares = np.einsum("ij,ij->i", pooled, pooled)
    distances = squares[:, None] + squares[None, :] - 2.0 * (pooled @ pooled.T)
    np.maximum(distances, 0.0, out=distances)
    np.fill_diagonal(distances, 0.0)
    return distances


def _mmd2_of_splits(kernel: np.ndarray, sides: np.ndarray, n_a: int) -> np.ndarray:
    """Unbiased MMD² for each column of ``sides`` (1 where a pooled row is on side A), given the
    kernel matrix with a zero diagonal."""
    n_b = len(kernel) - n_a
    in_a = sides.astype(np.float64)
    in_b = 1.0 - in_a
    k_a, k_b = kernel @ in_a, kernel @ in_b
    within_a = np.einsum("ip,ip->p", in_a, k_a) / (n_a * (n_a - 1))
    within_b = np.einsum("ip,ip->p", in_b, k_b) / (n_b * (n_b - 1))
    across = np.einsum("ip,ip->p", in_a, k_b) / (n_a * n_b)
    return np.asarray(within_a + within_b - 2.0 * across)


def mmd_test(a: np.ndarray, b: np.ndarray, permutations: int = 500, seed: int = 0, bandwidth: float | None = None,
             progress: Progress | None = None) -> MmdTest:
    """Unbiased MMD² between ``a`` and ``b`` with a Gaussian kernel (median-heuristic bandwidth
    unless given) and its permutation p-value (see the module)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if len(a) < 2 or len(b) < 2:
        raise InputError(f"MMD needs at least two rows on each side (got {len(a)} and {len(b)}).")
    pooled = np.vstack([a, b])
    distances = _squared_distances(pooled)
    if bandwidth is None:
        upper = distances[np.triu_indices(len(pooled), k=1)]
        bandwidth = float(np.sqrt(np.median(upper)))
    if not bandwidth > 0:
        bandwidth = 1.0  # every row the same: any bandwidth gives MMD² 0
    kernel = np.exp(-distances / (2.0 * bandwidth**2))
    np.fill_diagonal(kernel, 0.0)
    n_a = len(a)
    observed = float(_mmd2_of_splits(kernel, np.arange(len(pooled))[:, None] < n_a, n_a)[0])
    rng = np.random.default_rng(seed)
    exceed, done, batch = 0, 0, 50
    while done < permutations:
        count = min(batch, permutations - done)
        sides = np.zeros((len(pooled), count), dtype=bool)
        for column in range(count):
            sides[rng.permutation(len(pooled))[:n_a], column] = True
        exceed += int((_mmd2_of_splits(kernel, sides, n_a) >= observed).sum())
        done += count
        if progress is not None:
            progress(done, permutations)
    return MmdTest(observed, (1 + exceed) / (1 + permutations), bandwidth, permutations, seed, len(a), len(b))


@dataclass(frozen=True)
class DomainAuc:
    """A domain classifier's cross-validated ROC AUC (side B = the positive class) and each row's
    held-out probability of side B."""

    auc: float
    auc_std: float
    fold_auc: tuple[float, ...]
    probability_b: np.ndarray
    folds: int
    seed: int


def domain_auc(a: np.ndarray, b: np.ndarray, folds: int = 5, seed: int = 0, progress: Progress | None = None,
               c: float = DOMAIN_C) -> DomainAuc:
    """Stratified ``folds``-fold cross-validated ROC AUC of standardised logistic regression
    telling the rows of ``a`` (0) from those of ``b`` (1); rows are the stack ``a`` then ``b``."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if min(len(a), len(b)) < folds:
        raise InputError(f"The domain classifier needs at least {folds} rows on each side for {folds}-fold"
                         f" cross-validation (got {len(a)} and {len(b)}).")
    features = np.vstack([np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)])
    target = np.r_[np.zeros(len(a), dtype=int), np.ones(len(b), dtype=int)]
    probability = np.empty(len(target))
    scores: list[float] = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for done, (train, test) in enumerate(splitter.split(features, target), start=1):
        model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000)).fit(features[train], target[train])
        probability[test] = model.predict_proba(features[test])[:, 1]
        scores.append(float(roc_auc_score(target[test], probability[test])))
        if progress is not None:
            progress(done, folds)
    return DomainAuc(float(np.mean(scores)), float(np.std(scores)), tuple(scores), probability, folds, seed)


def align_map(reference: np.ndarray, coords: np.ndarray) -> np.ndarray:
    """``coords`` turned (rotation or reflection), scaled and moved to lie as close as possible to
    ``reference`` (orthogonal Procrustes, same rows): UMAP's and PCA's axes are arbitrary, so two
    maps of the same rows read side by side only once one is aligned to the other."""
    from scipy.linalg import orthogonal_procrustes

    reference = np.asarray(reference, dtype=np.float64)
    coords = np.asarray(coords, dtype=np.float64)
    if reference.shape != coords.shape:
        raise InputError(f"Two maps of different shapes cannot be aligned: {reference.shape} and {coords.shape}.")
    ref_mean, mean = reference.mean(axis=0), coords.mean(axis=0)
    ref_centred, centred = reference - ref_mean, coords - mean
    ref_scale, scale = np.linalg.norm(ref_centred), np.linalg.norm(centred)
    if ref_scale == 0 or scale == 0:
        return coords.astype(np.float32)
    rotation, _ = orthogonal_procrustes(centred / scale, ref_centred / ref_scale)
    return ((centred / scale) @ rotation * ref_scale + ref_mean).astype(np.float32)
