"""Models: the catalogue (``catalogue()``) and short names for what pages and commands ask of it.

``catalogue()`` is the process-wide ``Catalogue`` (tests swap in a fresh one with
``use_catalogue``). Adding a model is one row in ``builtin.BUILT_IN`` plus its module;
models made at run time join through ``catalogue().add(backend, origin, persist=...)``.
"""

from __future__ import annotations

import threading

from embedlab.backends.base import (
    Backend,
    BackendKind,
    BackendSpec,
    BatchedEncoder,
    ImageEncoder,
    ImageTextEncoder,
    Origin,
    TextEncoder,
    WordVectors,
    l2_normalise,
)
from embedlab.backends.catalogue import BackendStatus, Catalogue

__all__ = [
    "Backend",
    "BackendKind",
    "BackendSpec",
    "BackendStatus",
    "BatchedEncoder",
    "Catalogue",
    "ImageEncoder",
    "ImageTextEncoder",
    "Origin",
    "TextEncoder",
    "WordVectors",
    "as_word_vectors",
    "backend_kind",
    "backend_names",
    "catalogue",
    "get_backend",
    "get_text_encoder",
    "get_word_vectors",
    "l2_normalise",
    "model_status",
    "use_catalogue",
]

_CURRENT: list[Catalogue] = []
_GUARD = threading.Lock()


def catalogue() -> Catalogue:
    """The process-wide model catalogue (made on first use)."""
    if not _CURRENT:
        with _GUARD:
            if not _CURRENT:
                _CURRENT.append(Catalogue())
    return _CURRENT[0]


def use_catalogue(new: Catalogue) -> Catalogue:
    """Make ``new`` the process-wide catalogue; returns the one it replaces (tests)."""
    with _GUARD:
        old = _CURRENT[0] if _CURRENT else Catalogue()
        _CURRENT[:] = [new]
    return old


def get_backend(name: str) -> Backend:
    """The loaded model ``name``."""
    return catalogue().get(name)


def get_text_encoder(name: str) -> TextEncoder:
    """A model that encodes free text, or a WrongBackendKindError that says what to pick."""
    return catalogue().text_encoder(name)


def get_word_vectors(name: str) -> WordVectors:
    """A word-vector model, or a WrongBackendKindError that says what to pick."""
    return catalogue().word_vectors(name)


def as_word_vectors(model: str | WordVectors) -> WordVectors:
    """A word model given by name or as the model itself (analysis functions take either)."""
    return get_word_vectors(model) if isinstance(model, str) else model


def backend_names(kind: BackendKind | None = None) -> list[str]:
    """Names of every model (optionally of one kind), built-ins first."""
    return catalogue().names(kind)


def backend_kind(name: str) -> BackendKind:
    """The kind of a model, without loading it."""
    return catalogue().kind(name)


def model_status() -> list[BackendStatus]:
    """Status of every model without loading any."""
    return catalogue().status()
