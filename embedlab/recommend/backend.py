"""Recommender vectors as catalogue models (kind ``items``): users and items of MovieLens 100k from
ALS and BPR (``implicit``), truncated SVD and MiniLM content vectors. Loading one fits it (about a
second; the content encode is cached on disk). The Recommendation page and CLI fit any settings
and uploaded data through ``embedlab.recommend``; these rows are its defaults, listed with the
other models (availability, dimension, device). The rows in ``embedlab.backends.builtin`` name
``movielens_model`` with ``embedlab.plugins.late``: the catalogue does not import this package."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from embedlab.backends.base import BackendKind
from embedlab.recommend.data import movielens_100k
from embedlab.recommend.models import fitted_model, spec_for


@dataclass
class ItemVectors:
    """A fitted recommender as a model: user and item vectors in one space (``ip`` or ``cosine``)."""

    name: str
    dim: int
    device: str
    space: str
    user_vectors: np.ndarray
    item_vectors: np.ndarray
    description: str
    kind: BackendKind = BackendKind.ITEMS


def movielens_model(method: str) -> ItemVectors:
    """The loader of one row: ``method`` fitted with its defaults on MovieLens 100k."""
    spec = spec_for(method)
    model = fitted_model(movielens_100k(), spec)
    return ItemVectors(f"{method}-movielens-100k", model.dim, model.device, model.space, model.user_vectors,
                       model.item_vectors, spec.label())
