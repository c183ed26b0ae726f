"""What every encoder offers, as small Protocols, plus the registry entry type."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol, runtime_checkable

import numpy as np


class BackendKind(str, Enum):
    """What a backend embeds."""

    TEXT = "text"
    WORDS = "words"
    IMAGE = "image"  # images only (image -> image likeness, image maps)
    IMAGE_TEXT = "image-text"  # images and texts in one space (text -> image search, zero-shot labels)
    ITEMS = "items"  # users and items of a recommender (factor or content vectors)

    def __str__(self) -> str:
        return self.value


@runtime_checkable
class Backend(Protocol):
    """Anything with a name, a kind, a dimension and a device."""

    name: str
    kind: BackendKind
    dim: int
    device: str


@runtime_checkable
class TextEncoder(Backend, Protocol):
    """Encodes free text; rows come back L2-normalised float32."""

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 64,
        progress: Callable[[int, int], None] | None = None,
    ) -> np.ndarray: ...


@runtime_checkable
class WordVectors(Backend, Protocol):
    """A fixed vocabulary of word vectors (gensim KeyedVectors underneath)."""

    vocab_size: int

    def __contains__(self, word: object) -> bool: ...

    def encode(self, words: Sequence[str]) -> np.ndarray:
        """Unit vectors of ``words``; raises OutOfVocabularyError naming every unknown word."""
        ...

    def split_known(self, words: Sequence[str]) -> tuple[list[str], list[str]]: ...

    def neighbors(self, word: str, k: int = 10) -> list[tuple[str, float]]: ...


@dataclass(frozen=True)
class BackendSpec:
    """A registry entry: everything known about a backend without loading it.

    ``check`` returns None when the weights are present here, else the reason they are not.
    ``device_of`` says where it will run (torch models follow resolve_device, numpy ones are cpu).
    """

    name: str
    kind: BackendKind
    dim: int
    package: str
    description: str
    install_hint: str
    loader: Callable[[], Backend]
    check: Callable[[], str | None]
    device_of: Callable[[], str]
    tags: tuple[str, ...] = field(default_factory=tuple)


def l2_normalise(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length as float32; all-zero rows stay zero instead of NaN."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


class LockedCall:
    """Serialises calls into a library that is not thread-safe (HF fast tokenizers)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()
