"""Bias directions (Bolukbasi et al., 2016) and projections of words onto them.

The gender direction is the first principal component of the definitional pair differences
(she−he, her−his, woman−man, ...): each pair (a, b) of unit vectors contributes its half
difference ±(a − b)/2, whose mean is zero, and the top right singular vector of that matrix is
the direction. This is exactly what the authors' code does (centre each pair, then PCA). The
sign is fixed so that the first word of the pairs (the "she" side) projects positively. The
share of variance the first component explains says how one-dimensional the pairs agree to be.

Any pair of words can define another axis (``pair_direction``): the unit vector of a − b.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from embedlab.backends import as_word_vectors, memoize_models
from embedlab.bias.wordsets import bolukbasi, key_vectors
from embedlab.errors import InputError, OutOfVocabularyError
from embedlab.vectors import l2_normalise
from embedlab.wordrules import resolve_words


@dataclass(frozen=True)
class BiasDirection:
    """A unit axis in a model's space; ``explained_variance_ratio`` is set for PCA directions."""

    model: str
    vector: np.ndarray
    positive_end: str
    negative_end: str
    method: str
    pairs_used: tuple[tuple[str, str], ...] = ()
    pairs_missing: tuple[tuple[str, str], ...] = ()
    explained_variance_ratio: tuple[float, ...] = ()

    @property
    def label(self) -> str:
        """Axis label, e.g. "she – he"."""
        return f"{self.positive_end} – {self.negative_end}"

    @property
    def first_explained(self) -> float | None:
        """Share of variance of the first component (None for a two-word axis)."""
        return self.explained_variance_ratio[0] if self.explained_variance_ratio else None


@dataclass(frozen=True)
class Projection:
    """Words placed on an axis: cosine of each (unit) word vector with the (unit) axis."""

    model: str
    axis: str
    words: tuple[str, ...]
    values: np.ndarray
    missing: tuple[str, ...]

    def sorted(self) -> list[tuple[str, float]]:
        """(word, projection) from the positive end to the negative end."""
        order = np.argsort(-self.values, kind="stable")
        return [(self.words[i], float(self.values[i])) for i in order]



def principal_direction(first: np.ndarray, second: np.ndarray, n_components: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """(direction, explained variance ratios) of paired rows, oriented towards ``first``."""
    a, b = l2_normalise(first).astype(np.float64), l2_normalise(second).astype(np.float64)
    half = (a - b) / 2.0
    matrix = np.vstack([half, -half])
    _, singular, vt = np.linalg.svd(matrix, full_matrices=False)
    variance = singular**2
    ratios = variance / variance.sum() if variance.sum() > 0 else variance
    direction = vt[0]
    if float(np.mean(half @ direction)) < 0:
        direction = -direction
    return direction / np.linalg.norm(direction), ratios[:n_components]


@memoize_models(max_entries=64)
def gender_direction(
    model: Any,
    pairs: Sequence[tuple[str, str]] | None = None,
    *,
    n_components: int = 10,
) -> BiasDirection:
    """First principal component of definitional pair differences (default: Bolukbasi's ten)."""
    backend = as_word_vectors(model)
    chosen = list(pairs) if pairs is not None else list(bolukbasi().definitional_pairs)
    used: list[tuple[str, str]] = []
    keys: list[tuple[str, str]] = []
    missing: list[tuple[str, str]] = []
    for a, b in chosen:
        lookup = resolve_words(backend, [a, b])
        if len(lookup.keys) == 2:
            used.append((a, b))
            keys.append((lookup.keys[0], lookup.keys[1]))
        else:
            missing.append((a, b))
    if len(used) < 2:
        raise InputError(
            f"A PCA direction needs at least two definitional pairs known to {backend.name!r}; "
            f"{len(used)} of {len(chosen)} are known (missing: {', '.join(f'{a}/{b}' for a, b in missing[:10])})."
        )
    first = key_vectors(backend, [k[0] for k in keys])
    second = key_vectors(backend, [k[1] for k in keys])
    direction, ratios = principal_direction(first, second, n_components)
    return BiasDirection(
        model=backend.name,
        vector=direction.astype(np.float32),
        positive_end=used[0][0] if pairs is not None else "she",
        negative_end=used[0][1] if pairs is not None else "he",
        method="pca",
        pairs_used=tuple(used),
        pairs_missing=tuple(missing),
        explained_variance_ratio=tuple(float(r) for r in ratios),
    )


@memoize_models(max_entries=64)
def pair_direction(model: Any, positive: str, negative: str) -> BiasDirection:
    """The axis from ``negative`` to ``positive``: unit(v(positive) − v(negative))."""
    backend = as_word_vectors(model)
    if positive.strip() == negative.strip():
        raise InputError("An axis needs two different words.")
    lookup = resolve_words(backend, [positive, negative])
    if lookup.missing:
        raise OutOfVocabularyError(list(lookup.missing), backend.name)
    if len(lookup.keys) < 2:
        raise InputError(f"{positive!r} and {negative!r} are the same word in {backend.name!r}.")
    vectors = l2_normalise(key_vectors(backend, lookup.keys)).astype(np.float64)
    difference = vectors[0] - vectors[1]
    norm = float(np.linalg.norm(difference))
    if norm == 0:
        raise InputError(f"{positive!r} and {negative!r} have the same vector in {backend.name!r}.")
    return BiasDirection(
        model=backend.name,
        vector=(difference / norm).astype(np.float32),
        positive_end=positive,
        negative_end=negative,
        method="pair",
        pairs_used=((positive, negative),),
    )


@memoize_models(max_entries=256)
def project(model: Any, words: Sequence[str], direction: BiasDirection) -> Projection:
    """Cosine of each known word with the axis; unknown words are listed, not guessed."""
    backend = as_word_vectors(model)
    if backend.dim != direction.vector.shape[0]:
        raise InputError(f"The axis has {direction.vector.shape[0]} dimensions but {backend.name!r} has {backend.dim}.")
    lookup = resolve_words(backend, list(words))
    if not lookup.keys:
        return Projection(backend.name, direction.label, (), np.zeros(0), lookup.missing)
    vectors = key_vectors(backend, lookup.keys).astype(np.float64)
    norms = np.linalg.norm(vectors, axis=1)
    norms[norms == 0] = 1.0
    values = (vectors @ direction.vector.astype(np.float64)) / norms
    return Projection(backend.name, direction.label, lookup.keys, values, lookup.missing)
