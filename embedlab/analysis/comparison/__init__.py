"""Comparing embedding spaces: two models on one corpus (``models``: where their neighbourhoods
agree, CKA, Spearman ρ of pairwise similarities, clusters of one on the other), and two corpora or
two periods under one model (``drift``: centroid distance, MMD with a permutation p-value, a domain
classifier's AUC, cluster shares, typical rows). ``metrics`` holds the maths as plain functions."""

from __future__ import annotations

from embedlab.analysis.comparison.drift import (
    Drift,
    Sides,
    drift,
    split_collection,
    summarise_column,
    two_collections,
)
from embedlab.analysis.comparison.models import (
    Matched,
    ModelComparison,
    compare_models,
    compressed,
    match_rows,
)

__all__ = [
    "Drift",
    "Matched",
    "ModelComparison",
    "Sides",
    "compare_models",
    "compressed",
    "drift",
    "match_rows",
    "split_collection",
    "summarise_column",
    "two_collections",
]
