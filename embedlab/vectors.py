"""Vector maths every layer shares (numpy only): unit rows, cosine scores and matrices, top-k.

It sits at the bottom of the house, so the store's exact search, the encoders' output check and
the analysis pages all use the same definitions.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def l2_normalise(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length as float32; all-zero rows stay zero instead of NaN."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


def cosine_scores(matrix: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Cosine of each row of ``matrix`` with ``query`` (0 for an all-zero row), without the
    normalised copy of ``matrix`` that ``l2_normalise`` makes: at 60,000 x 384 that copy costs
    five times the product itself."""
    matrix = np.asarray(matrix, dtype=np.float32)
    query = np.asarray(query, dtype=np.float32).reshape(-1)
    norms = np.sqrt(np.einsum("ij,ij->i", matrix, matrix))
    norms[norms == 0] = 1.0
    query_norm = float(np.linalg.norm(query)) or 1.0
    return (matrix @ query) / norms / query_norm


def cosine_matrix(vectors: np.ndarray) -> np.ndarray:
    """Pairwise cosine similarity of the rows (any scale), as float64, diagonal exactly 1."""
    unit = l2_normalise(vectors).astype(np.float64)
    matrix = np.clip(unit @ unit.T, -1.0, 1.0)
    nonzero = np.linalg.norm(unit, axis=1) > 0
    np.fill_diagonal(matrix, np.where(nonzero, 1.0, 0.0))
    return matrix


def top_k_cosine(query: np.ndarray, matrix: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and scores of the ``k`` rows of ``matrix`` most similar to ``query``, best first."""
    if len(matrix) == 0:
        return np.zeros(0, dtype=int), np.zeros(0)
    scores = cosine_scores(matrix, query)
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    order = top[np.argsort(-scores[top], kind="stable")]
    return order, scores[order]


def top_k_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the ``k`` highest scores of each row of ``scores``, highest first; equal
    scores go to the lower column (duplicate rows and Hamming distances tie often), so the
    answer never depends on how a partition happened to order them."""
    scores = np.asarray(scores)
    k = min(int(k), scores.shape[1])
    if k <= 0:
        return np.zeros((scores.shape[0], 0), dtype=np.int64)
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    picked = np.take_along_axis(scores, part, axis=1)
    found = np.take_along_axis(part, np.lexsort((part, -picked), axis=1), axis=1).astype(np.int64)
    threshold = picked.min(axis=1)
    # rows where more than k scores reach the k-th: the partition chose among equals; choose by column
    for row in np.flatnonzero((scores >= threshold[:, None]).sum(axis=1) > k):
        values = scores[row]
        candidates = np.flatnonzero(values >= threshold[row])
        found[row] = candidates[np.lexsort((candidates, -values[candidates]))[:k]]
    return found


def knn_cosine(vectors: np.ndarray, k: int, progress: Callable[[int, int], None] | None = None,
               block_bytes: int = 64 << 20) -> np.ndarray:
    """The ``k`` nearest rows of every row of ``vectors`` by exact cosine, nearest first, as an
    (n, k) int32 array: brute force in blocks of rows (``block_bytes`` of scores at a time), a row
    never its own neighbour, equal scores to the lower row. ``k`` is capped at n - 1."""
    unit = l2_normalise(vectors)
    n = len(unit)
    k = max(0, min(int(k), n - 1))
    found = np.empty((n, k), dtype=np.int32)
    step = max(1, block_bytes // (4 * max(n, 1)))
    for start in range(0, n, step):
        stop = min(n, start + step)
        scores = unit[start:stop] @ unit.T
        scores[np.arange(stop - start), np.arange(start, stop)] = -np.inf
        found[start:stop] = top_k_rows(scores, k)
        if progress is not None:
            progress(stop, n)
    return found
