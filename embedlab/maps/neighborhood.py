"""How far to trust a map: neighbours in the original space versus on the map.

- ``neighbor_overlap``: for one point, its k nearest neighbours by cosine in the original
  space and by Euclidean distance on the map, and how many they share.
- ``map_trustworthiness``: scikit-learn's trustworthiness (1 = every map neighbour is a true
  neighbour). It needs all pairwise distances, so beyond ``TRUST_SAMPLE`` points it is computed
  on a seeded random sample, and the result says so.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from embedlab import cache
from embedlab.errors import InputError
from embedlab.vectors import l2_normalise

TRUST_SAMPLE = 3_000
TRUST_MIN_POINTS = 4  # scikit-learn needs k < n / 2


@dataclass(frozen=True)
class NeighborOverlap:
    """One point's neighbours in both spaces (row indices, nearest first) and their overlap."""

    index: int
    k: int
    original: list[int]
    original_scores: list[float]
    on_map: list[int]
    shared: list[int]

    @property
    def overlap(self) -> float:
        """Fraction of the k original neighbours that are also map neighbours."""
        return len(self.shared) / self.k if self.k else 0.0


def _check(vectors: np.ndarray, coords: np.ndarray) -> None:
    if len(vectors) != len(coords):
        raise InputError(f"{len(vectors)} vectors but {len(coords)} map points.")


def neighbor_overlap(vectors: np.ndarray, coords: np.ndarray, index: int, k: int = 10) -> NeighborOverlap:
    """Neighbours of row ``index`` by cosine in ``vectors`` and by distance in ``coords``."""
    _check(vectors, coords)
    n = len(vectors)
    if not 0 <= index < n:
        raise InputError(f"Point {index} does not exist (there are {n} points).")
    if n < 2:
        raise InputError("Neighbours need at least two points.")
    k = max(1, min(k, n - 1))
    unit = l2_normalise(np.asarray(vectors, dtype=np.float32))
    scores = unit @ unit[index]
    scores[index] = -np.inf
    original = np.argpartition(-scores, k - 1)[:k]
    original = original[np.argsort(-scores[original], kind="stable")]
    distances = np.linalg.norm(np.asarray(coords, dtype=np.float64) - coords[index], axis=1)
    distances[index] = np.inf
    on_map = np.argpartition(distances, k - 1)[:k]
    on_map = on_map[np.argsort(distances[on_map], kind="stable")]
    shared = [int(i) for i in original if i in set(on_map.tolist())]
    return NeighborOverlap(index, k, [int(i) for i in original], [float(scores[i]) for i in original], [int(i) for i in on_map], shared)


@dataclass(frozen=True)
class Trust:
    """Trustworthiness of a map for k neighbours, and the sample it was computed on."""

    score: float
    k: int
    points: int
    sampled: bool
    seed: int


def map_trustworthiness(
    vectors: np.ndarray, coords: np.ndarray, k: int = 10, sample: int = TRUST_SAMPLE, seed: int = 42, *, digest: str | None = None
) -> Trust:
    """scikit-learn trustworthiness (cosine in the original space), sampled for large maps.

    Kept on disk by the vectors (or their ``digest``), the map and the settings, so reopening
    a map shows its figure without recomputing it.
    """
    _check(vectors, coords)
    coords = np.asarray(coords)
    return _kept_trust(digest or cache.array_digest(np.asarray(vectors)), cache.array_digest(coords), k, sample, seed,
                       vectors, coords)


@cache.on_disk("trust", exclude=("vectors", "coords"), dump=lambda trust: ({}, asdict(trust)),
               load=lambda arrays, meta: Trust(float(meta["score"]), int(meta["k"]), int(meta["points"]), bool(meta["sampled"]),
                                               int(meta["seed"])))
def _kept_trust(digest: str, coords_digest: str, k: int, sample: int, seed: int, vectors: np.ndarray, coords: np.ndarray) -> Trust:
    return _trustworthiness(vectors, coords, k, sample, seed)


def _trustworthiness(vectors: np.ndarray, coords: np.ndarray, k: int, sample: int, seed: int) -> Trust:
    """The computation behind ``map_trustworthiness``."""
    from sklearn.manifold import trustworthiness

    n = len(vectors)
    if n < TRUST_MIN_POINTS:
        raise InputError(f"Trustworthiness needs at least {TRUST_MIN_POINTS} points.")
    rows = np.arange(n)
    sampled = n > sample
    if sampled:
        rows = np.sort(np.random.default_rng(seed).choice(n, size=sample, replace=False))
    k = max(1, min(k, len(rows) // 2 - 1))
    score = trustworthiness(np.asarray(vectors)[rows], np.asarray(coords)[rows], n_neighbors=k, metric="cosine")
    return Trust(float(score), k, len(rows), sampled, seed)
