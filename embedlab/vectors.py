"""Vector maths every layer shares (numpy only): unit rows, cosine scores and matrices, top-k.

It sits at the bottom of the house, so the store's exact search, the encoders' output check and
the analysis pages all use the same definitions.
"""

from __future__ import annotations

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
