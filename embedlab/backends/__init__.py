"""Models: the catalogue (``catalogue()``) and short names for what pages and commands ask of it.

``catalogue()`` is the process-wide ``Catalogue`` (tests swap in a fresh one with
``use_catalogue``). Adding a model is one row in ``builtin.BUILT_IN`` plus its module;
models made at run time join through ``catalogue().add(backend, origin, persist=...)``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, ParamSpec, TypeVar

import numpy as np

from embedlab.backends.base import (
    Backend,
    BackendKind,
    BackendSpec,
    BatchedEncoder,
    ImageEncoder,
    ImageTextEncoder,
    Origin,
    Progress,
    TextEncoder,
    WordVectors,
)
from embedlab.backends.catalogue import BackendStatus, Catalogue
from embedlab.cache import Memoized, Unkeyable, memoize, on_disk
from embedlab.errors import EmbedlabError

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
    "encode_texts",
    "EncodedTexts",
    "encode_texts",
    "get_backend",
    "get_text_encoder",
    "get_word_vectors",
    "is_text_model",
    "memoize_models",
    "model_key",
    "model_status",
    "use_catalogue",
]

P = ParamSpec("P")
R = TypeVar("R")

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


def is_text_model(name: str) -> bool:
    """Whether ``name`` is a text model of the catalogue (``api:`` and ``st:`` names included),
    without loading it: a collection of a recommender's item vectors is not, for one."""
    try:
        return catalogue().kind(name) == BackendKind.TEXT
    except EmbedlabError:
        return False


def backend_kind(name: str) -> BackendKind:
    """The kind of a model, without loading it."""
    return catalogue().kind(name)


def model_status() -> list[BackendStatus]:
    """Status of every model without loading any."""
    return catalogue().status()


def model_key(model: Any) -> str | None:
    """The cache key of a model: ``name@revision`` for a name (a name not in the catalogue is
    itself) or for the very object the catalogue holds; None for None. A model name is a key only
    together with what the name holds now (a debiased copy made again under the same name is
    another model). Any other object raises ``Unkeyable``: the call runs uncached."""
    if model is None:
        return None
    if isinstance(model, str):
        return catalogue().revision(model)
    revision = catalogue().revision_of_object(model)
    if revision is None:
        raise Unkeyable(f"a {type(model).__name__} that the catalogue does not hold has no cache key")
    return revision


def memoize_models(
    max_entries: int = 128, *, models: tuple[str, ...] = ("model",), exclude: tuple[str, ...] = ()
) -> Callable[[Callable[P, R]], Memoized[P, R]]:
    """``embedlab.cache.memoize`` for functions of models: each argument named in ``models`` (a
    model name or a loaded model) is keyed by ``model_key``."""
    return memoize(max_entries, keys=dict.fromkeys(models, model_key), exclude=exclude)


@dataclass(frozen=True)
class EncodedTexts:
    """A text model's vectors of some texts, how long encoding took, and whether they were read
    back from disk (nothing encoded this time)."""

    vectors: np.ndarray
    seconds: float
    cached: bool = False


@on_disk("encoded", keys={"model": model_key}, exclude=("progress",),
         dump=lambda result: ({"vectors": result.vectors}, {"seconds": result.seconds}),
         load=lambda arrays, meta: EncodedTexts(arrays["vectors"], float(meta["seconds"]), True))
def _encoded(model: str, texts: list[str], progress: Progress | None) -> EncodedTexts:
    started = time.perf_counter()
    vectors = get_text_encoder(model).encode(texts, progress=progress)
    return EncodedTexts(vectors, time.perf_counter() - started)


class KeptTextEncoder:
    """A text model whose encodes go through ``encode_texts``: kept on disk by content (or read
    from the shipped demo results), so the model loads only when a batch is not kept. The guided
    demos' collections are ingested with it: a first demo reads its vectors instead of encoding."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.dim = catalogue().dim(name) or get_text_encoder(name).dim

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, progress: Progress | None = None) -> np.ndarray:
        return encode_texts(self.name, texts, progress=progress).vectors


def encode_texts(model: str, texts: Sequence[str], *, progress: Progress | None = None) -> EncodedTexts:
    """The one cached encode: ``model``'s vectors of ``texts``, encoded once and kept on disk under
    the model's revision and the texts' content (Downstream, Cross-lingual, Fine-tune's before
    figures and the recommender's content vectors read them back). ``progress(done, total)`` is
    called as rows are encoded, and once at the end when they were read from disk."""
    from embedlab.estimates import learn, text_units

    items = [str(text) for text in texts]
    result, hit = _encoded.call_with_hit(model, items, progress)
    if hit and progress is not None:
        progress(len(items), len(items))
    if not hit and items:  # this machine's own rate, for the next "about 40 s on this machine"
        learn(model, sum(text_units(len(text.split())) for text in items), result.seconds)
    return replace(result, cached=hit)


def encoding_announcement(model: str, texts: Sequence[str], *, cached: str = "once; kept on disk") -> str:
    """What ``encode_texts(model, texts)`` will take here, said before it starts; empty when the
    vectors are kept already or the work is quick."""
    from embedlab.estimates import announce_encoding

    items = [str(text) for text in texts]
    if _encoded.cached(model, items, None) is not None:
        return ""
    return announce_encoding(model, items, kind=str(backend_kind(model)), cached=cached)
