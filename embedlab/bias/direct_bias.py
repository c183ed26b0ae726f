"""Direct bias (Bolukbasi et al., 2016): how far gender-neutral words lean along a direction.

    DirectBias_c = (1 / |N|) · sum_{w in N} |cos(w, g)|^c

N is a set of words that should be neutral (default: the professions of ``bolukbasi.json``
that are not gender-specific), g the bias direction, c ≥ 0 the strictness: c = 0 counts every
word with any projection at all, c = 1 (the default) averages the absolute projections, larger
c weighs strongly biased words more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from embedlab.backends import memoize_models
from embedlab.bias.direction import BiasDirection, gender_direction, project
from embedlab.bias.wordsets import bolukbasi
from embedlab.errors import InputError


@dataclass(frozen=True)
class DirectBiasResult:
    """DirectBias_c with the words it was computed over and their projections."""

    model: str
    c: float
    value: float
    axis: str
    words: tuple[str, ...]
    projections: np.ndarray
    missing: tuple[str, ...]

    @property
    def n_words(self) -> int:
        return len(self.words)

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "c": self.c,
            "direct_bias": self.value,
            "axis": self.axis,
            "n_words": self.n_words,
            "missing": list(self.missing),
        }


def direct_bias_value(projections: np.ndarray, c: float = 1.0) -> float:
    """Mean of |projection|^c (with 0^0 counted as 0: a word exactly on the neutral plane)."""
    values = np.abs(np.asarray(projections, dtype=np.float64))
    if values.size == 0:
        raise InputError("Direct bias needs at least one word known to the model.")
    if c == 0:
        return float(np.mean(values > 0))
    return float(np.mean(values**c))


@memoize_models(max_entries=256)
def direct_bias(
    model: Any,
    words: Sequence[str] | None = None,
    *,
    c: float = 1.0,
    direction: BiasDirection | None = None,
) -> DirectBiasResult:
    """DirectBias_c of ``words`` (default: neutral professions) on ``direction`` (default: the
    gender direction of this model)."""
    if not np.isfinite(c) or c < 0:
        raise InputError(f"c must be a number ≥ 0, got {c}.")
    if c > 10:
        raise InputError(f"c above 10 makes every value vanish; got {c}.")
    axis = direction if direction is not None else gender_direction(model)
    chosen = list(words) if words is not None else bolukbasi().neutral_professions()
    if not chosen:
        raise InputError("Give at least one gender-neutral word.")
    placed = project(model, chosen, axis)
    return DirectBiasResult(
        model=placed.model,
        c=float(c),
        value=direct_bias_value(placed.values, c),
        axis=axis.label,
        words=placed.words,
        projections=placed.values,
        missing=placed.missing,
    )
