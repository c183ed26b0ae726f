"""What every model offers (small Protocols), the catalogue row type, and the one place where
encoder output is batched and checked.

chromadb validates every embedding function's output in one place; ``BatchedEncoder.encode``
does the same here: float32, one row per input, finite, unit-length rows where the metric is
cosine. A backend implements ``_encode_batch`` only.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, runtime_checkable

import numpy as np

from embedlab.errors import EncoderOutputError
from embedlab.vectors import l2_normalise

if TYPE_CHECKING:
    from gensim.models import KeyedVectors

Progress = Callable[[int, int], None]
#: how a model came to be in the catalogue
Origin = Literal["built-in", "upload", "trained", "debiased", "session"]
UNIT_TOLERANCE = 1e-3


class BackendKind(StrEnum):
    """What a backend embeds."""

    TEXT = "text"
    WORDS = "words"
    IMAGE = "image"  # images only (image -> image likeness, image maps)
    IMAGE_TEXT = "image-text"  # images and texts in one space (text -> image search, zero-shot labels)
    ITEMS = "items"  # users and items of a recommender (factor or content vectors)


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

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, progress: Progress | None = None) -> np.ndarray: ...


@runtime_checkable
class WordVectors(Backend, Protocol):
    """A fixed vocabulary of word vectors: what the analysis code uses, and nothing else.

    ``kv`` is the gensim KeyedVectors underneath (analogies, evaluation and debiasing read its
    matrix); ``subwords`` says whether unseen words get vectors from character n-grams.
    """

    vocab_size: int
    subwords: bool
    description: str

    @property
    def kv(self) -> KeyedVectors: ...

    def __contains__(self, word: object) -> bool: ...

    def encode(self, words: Sequence[str]) -> np.ndarray:
        """Unit vectors of ``words``; raises OutOfVocabularyError naming every unknown word."""
        ...

    def raw_vectors(self, words: Sequence[str]) -> np.ndarray: ...

    def split_known(self, words: Sequence[str]) -> tuple[list[str], list[str]]: ...

    def neighbors(self, word: str, k: int = 10) -> list[tuple[str, float]]: ...


@runtime_checkable
class ImageEncoder(Backend, Protocol):
    """Encodes images (PIL images, any mode and size); rows come back L2-normalised float32."""

    def encode(self, images: Sequence[Any], *, batch_size: int = 64, progress: Progress | None = None) -> np.ndarray: ...


@runtime_checkable
class ImageTextEncoder(ImageEncoder, Protocol):
    """Images and texts in one space: ``encode`` takes images, ``encode_text`` texts; both give
    unit rows of the same dimension. ``logit_scale`` turns cosines into zero-shot logits."""

    logit_scale: float

    def encode_text(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray: ...


@dataclass(frozen=True)
class BackendSpec:
    """A catalogue row: everything known about a built-in backend without loading it.

    ``check`` returns None when the library and weights are present here, else the reason they
    are not. ``device_of`` says where it will run (torch models follow resolve_device, numpy
    ones are cpu). ``needs`` names built-in models the loader is given, loaded (ConSE gets the
    process's EfficientNet-Lite0 and MiniLM), so a loader never reaches back into the catalogue.
    A loader that lives above the catalogue is named with ``embedlab.plugins.late``.
    """

    name: str
    kind: BackendKind
    dim: int
    package: str
    description: str
    install_hint: str
    loader: Callable[..., Backend]
    check: Callable[[], str | None]
    device_of: Callable[[], str]
    tags: tuple[str, ...] = field(default_factory=tuple)
    needs: tuple[str, ...] = field(default_factory=tuple)
    #: what the name stands for when it can change at run time (an ``api:`` model's settings)
    identity: str = ""


def cpu() -> str:
    """``device_of`` for numpy models."""
    return "cpu"


def requires(*modules: str) -> Callable[[], str | None]:
    """``check`` of a row whose code and data come from installed packages: None when every one
    of ``modules`` can be imported here (nothing is imported to find out), else which is not."""

    def check() -> str | None:
        for module in modules:
            if importlib.util.find_spec(module) is None:
                return f"{module} is not installed"
        return None

    return check




def check_output(name: str, output: Any, rows: int, dim: int | None, *, unit: bool) -> np.ndarray:
    """The one check every encoder's output passes: a 2-D float32 matrix, ``rows`` rows of
    ``dim`` columns, finite, and unit-length rows when ``unit`` (an all-zero row is allowed: an
    input with nothing to encode, such as a text without a word for the hashing encoder)."""
    try:
        matrix = np.asarray(output, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise EncoderOutputError(f"Model {name!r} returned something that is not a matrix of numbers ({error}).") from error
    if matrix.ndim != 2:
        raise EncoderOutputError(f"Model {name!r} returned an array of shape {matrix.shape}; expected one row per input.")
    if matrix.shape[0] != rows:
        raise EncoderOutputError(f"Model {name!r} returned {matrix.shape[0]} rows for {rows} inputs.")
    if dim and rows and matrix.shape[1] != dim:
        raise EncoderOutputError(f"Model {name!r} returned {matrix.shape[1]}-d rows; it announces {dim}-d.")
    finite = np.isfinite(matrix).all(axis=1)
    if not finite.all():
        bad = np.flatnonzero(~finite)[:5].tolist()
        raise EncoderOutputError(f"Model {name!r} returned NaN or infinite values (inputs {bad}).")
    if unit and rows:
        norms = np.linalg.norm(matrix, axis=1)
        off = (np.abs(norms - 1.0) > UNIT_TOLERANCE) & (norms > 0)
        if off.any():
            raise EncoderOutputError(f"Model {name!r} returned rows that are not unit length (norm {float(norms[off][0]):.4f}).")
    return matrix


class BatchedEncoder:
    """Base of every encoder of inputs (texts, images): batching, progress and the output check
    are written once here; a backend implements ``_encode_batch`` and sets its attributes.

    ``whole_calls``: libraries that sort a call's inputs by length to cut padding
    (sentence-transformers) get calls as large as progress reporting allows; others get one
    call per batch.
    """

    name: str
    kind: BackendKind
    dim: int
    device: str
    normalised: ClassVar[bool] = True
    whole_calls: ClassVar[bool] = False

    def _encode_batch(self, batch: list[Any], batch_size: int) -> np.ndarray:
        raise NotImplementedError

    def encode(self, inputs: Sequence[Any], *, batch_size: int = 64, progress: Progress | None = None) -> np.ndarray:
        """One checked float32 row per input, in order (unit length when ``normalised``)."""
        items = list(inputs)
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.whole_calls:
            step = len(items) if progress is None else batch_size * 4
        else:
            step = batch_size
        chunks: list[np.ndarray] = []
        for start in range(0, len(items), step):
            batch = items[start : start + step]
            chunks.append(check_output(self.name, self._encode_batch(batch, batch_size), len(batch), self.dim, unit=False))
            if progress is not None:
                progress(min(start + step, len(items)), len(items))
        matrix = np.concatenate(chunks)
        if self.normalised:
            matrix = l2_normalise(matrix)
        return check_output(self.name, matrix, len(items), self.dim, unit=self.normalised)


class LockedCall:
    """Serialises calls into a library that is not thread-safe (HF fast tokenizers)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()
