"""Why an item is recommended, and what the choice of similarity changes.

- ``because``: the user's own items nearest to a recommended item (cosine of item vectors);
- ``dot_vs_cosine``: one user's top-k by inner product and by cosine side by side: factor
  models give popular items longer vectors, so the dot product favours them and cosine (the
  angle only) does not;
- ``joint_vectors``: users and items in one matrix, for one map of both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from embedlab.recommend.data import Interactions
from embedlab.recommend.models import FittedModel
from embedlab.vectors import l2_normalise


def because(model: FittedModel, history: np.ndarray, item: int, n: int = 3) -> list[int]:
    """The ``n`` items of ``history`` most similar (cosine) to ``item``, most similar first."""
    history = np.asarray(history, dtype=np.int64)
    history = history[history != item]
    if not len(history) or model.spec.method in ("popular", "random"):
        return []
    vectors = l2_normalise(model.item_vectors[history])
    target = l2_normalise(model.item_vectors[[item]])[0]
    order = np.argsort(-(vectors @ target), kind="stable")[:n]
    return [int(history[i]) for i in order]


def similar_items(model: FittedModel, item: int, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """"More like this": the ``k`` items whose vectors point the same way as ``item``'s (cosine,
    so a popular item's long vector does not pull every other item towards the charts)."""
    vectors = l2_normalise(model.item_vectors)
    scores = vectors @ vectors[item]
    scores[item] = -np.inf
    order = np.argsort(-scores, kind="stable")[:k]
    return order, scores[order]


@dataclass(frozen=True)
class DotCosine:
    """One user's top-k by inner product and by cosine, and what differs between them."""

    dot_items: list[int]
    cosine_items: list[int]
    dot_popularity: float  # mean interactions per recommended item
    cosine_popularity: float
    dot_norm: float  # mean item-vector length
    cosine_norm: float
    overlap: int
    norm_popularity_rho: float | None  # Spearman ρ between item-vector length and popularity (None: one is constant)

    def explanation(self) -> str:
        """What changes and why, in two sentences with the figures (equal figures said as equal)."""
        popular, (a, b) = _compared(self.dot_popularity, self.cosine_popularity, ",.0f", ("more popular", "less popular", "as popular"))
        popularity = f"mean {a} interactions per item in both lists" if a == b else f"mean {a} vs {b} interactions per item"
        longer, (x, y) = _compared(self.dot_norm, self.cosine_norm, ".2f", ("longer", "shorter", "as long"))
        lengths = f"mean length {x} in both" if x == y else f"mean length {x} vs {y}"
        rho = ("vector length and popularity have Spearman ρ = " + format(self.norm_popularity_rho, ".2f")
               if self.norm_popularity_rho is not None else
               "vector length and popularity have no rank correlation to speak of (one of them is the same for every item)")
        return (
            f"{self.overlap} of the {len(self.dot_items)} items are in both lists. The dot-product list is {popular}"
            f" ({popularity}) and its item vectors are {longer} ({lengths}). Across all"
            f" items, {rho}: matrix factorisation gives items seen by many users long vectors, so the dot product"
            " (length × angle) favours them, while cosine (the angle only) finds items that match the taste whatever their"
            " popularity — more niche, and usually a lower hit rate."
        )


def _compared(first: float, second: float, spec: str, words: tuple[str, str, str]) -> tuple[str, tuple[str, str]]:
    """(word, both figures as shown): the third word when they print the same, else the first
    or second as the first figure is larger or smaller."""
    a, b = format(first, spec), format(second, spec)
    return (words[2] if a == b else words[0] if first > second else words[1]), (a, b)


def dot_vs_cosine(data: Interactions, model: FittedModel, user_vector: np.ndarray, seen: np.ndarray, k: int = 10) -> DotCosine:
    """Top-k of one user by dot product and by cosine, with the seen items left out."""
    from scipy.stats import spearmanr

    items = model.item_vectors
    norms = np.linalg.norm(items, axis=1)
    dot = items @ user_vector
    cosine = (items / np.where(norms == 0, 1, norms)[:, None]) @ (user_vector / (np.linalg.norm(user_vector) or 1.0))
    mask = np.zeros(len(items), bool)
    mask[np.asarray(seen, dtype=np.int64)] = True
    dot[mask] = -np.inf
    cosine[mask] = -np.inf
    top_dot = np.argsort(-dot, kind="stable")[:k]
    top_cos = np.argsort(-cosine, kind="stable")[:k]
    popularity = data.popularity()
    rho = float(spearmanr(norms, popularity).statistic) if np.ptp(norms) > 0 and np.ptp(popularity) > 0 else None
    return DotCosine([int(i) for i in top_dot], [int(i) for i in top_cos], float(popularity[top_dot].mean()),
                     float(popularity[top_cos].mean()), float(norms[top_dot].mean()), float(norms[top_cos].mean()),
                     len(set(top_dot.tolist()) & set(top_cos.tolist())), rho)


def joint_vectors(model: FittedModel, extra_users: np.ndarray | None = None) -> np.ndarray:
    """Users then items (then any profile vectors), scaled to unit length: one map of both
    shows which way each points, the part of a dot product that a 2-D map can keep."""
    parts = [model.user_vectors, model.item_vectors]
    if extra_users is not None:
        parts.append(np.atleast_2d(extra_users))
    return l2_normalise(np.vstack(parts))
