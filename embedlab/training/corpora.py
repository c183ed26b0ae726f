"""Training input: corpora from the dataset catalogue or an uploaded text file, tokenised;
the caps on training input; and the epoch progress callback every trainer shares."""

from __future__ import annotations

import hashlib
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from embedlab import datasets
from embedlab.cache import memoize
from embedlab.errors import BadUploadError, InputError
from embedlab.userjson import check_text_bytes

Progress = Callable[[int, int], None]


def corpus_names() -> dict[str, str]:
    """Built-in corpora to train on (every text dataset of the catalogue), with a line each."""
    return {name: datasets.dataset(name).line() for name in datasets.names("texts")}


@dataclass(frozen=True)
class TrainingLimits:
    """Caps on training input, stated in the UI and enforced here."""

    max_upload_bytes: int = 20 * 1024 * 1024
    max_documents: int = 100_000
    max_tokens: int = 3_000_000
    max_dim: int = 300
    max_epochs: int = 50
    max_nodes: int = 5_000
    max_edges: int = 50_000
    max_walks_tokens: int = 2_000_000


TRAIN_LIMITS = TrainingLimits()


def stable_hash(text: str) -> int:
    """A string hash that is the same in every process (Python's ``hash`` is salted)."""
    return zlib.crc32(text.encode("utf8"))


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens (gensim's simple_preprocess, 1-30 characters, accents kept)."""
    from gensim.utils import simple_preprocess

    return simple_preprocess(text, min_len=1, max_len=30)


def check_max_documents(max_documents: int | None, limits: TrainingLimits = TRAIN_LIMITS) -> int:
    """How many documents to read: all (up to the cap) when None, else 1 to the cap; 0 is refused,
    not read as "all"."""
    if max_documents is None:
        return limits.max_documents
    if isinstance(max_documents, bool) or not isinstance(max_documents, (int, np.integer)) \
            or not 1 <= max_documents <= limits.max_documents:
        raise InputError(f"max_documents must be an integer from 1 to {limits.max_documents:,}, got {max_documents!r}.")
    return int(max_documents)


@memoize(max_entries=8)
def builtin_corpus(name: str, max_documents: int | None = None) -> list[str]:
    """Raw texts of a built-in corpus (a text dataset of the catalogue), the first
    ``max_documents`` of them (all, up to the cap, when None)."""
    limit = check_max_documents(max_documents)
    spec = datasets.dataset(name, "texts")
    return datasets.text_frame(name, limit)[spec.text_column].str.strip().tolist()


@memoize(max_entries=4)
def parse_uploaded_text(data: bytes, limits: TrainingLimits = TRAIN_LIMITS, max_documents: int | None = None) -> list[str]:
    """Uploaded plain text: one document per non-empty line (UTF-8; bad bytes replaced).
    With ``max_documents``, only the first that many lines are used (a longer file is fine)."""
    if max_documents is not None:
        max_documents = check_max_documents(max_documents, limits)
    check_text_bytes(data, "The text file", limits.max_upload_bytes, expected="plain text (one document per line)")
    text = data.decode("utf8", errors="replace")
    documents = [line.strip() for line in text.split("\n") if line.strip()]
    if not documents:
        raise BadUploadError("The text file has no non-empty lines.")
    if max_documents is not None:
        documents = documents[:max_documents]
    if len(documents) > limits.max_documents:
        raise BadUploadError(f"The text has {len(documents):,} lines (documents); the limit is {limits.max_documents:,}.")
    return documents


@memoize(max_entries=8)
def tokenize_corpus(texts: Sequence[str], limits: TrainingLimits = TRAIN_LIMITS) -> list[list[str]]:
    """Token lists, empty ones dropped; an error when there is too little or too much text."""
    documents = [tokens for tokens in (tokenize(t) for t in texts) if tokens]
    total = sum(len(d) for d in documents)
    if total < 20:
        raise InputError(f"Only {total} word tokens: too little text to train on.")
    if total > limits.max_tokens:
        raise InputError(f"The corpus has {total:,} tokens; the limit is {limits.max_tokens:,}. Use fewer documents.")
    return documents


def corpus_digest(documents: Sequence[Sequence[str]]) -> str:
    """Content hash of tokenised documents (part of trained model names and cache keys)."""
    digest = hashlib.sha256()
    for doc in documents:
        digest.update(" ".join(doc).encode("utf8"))
        digest.update(b"\n")
    return digest.hexdigest()


# ---------------------------------------------------------------- progress


def epoch_callback(progress: Progress | None, epochs: int) -> Any:
    """A gensim callback that reports (epoch done, epochs) and times each epoch."""
    from gensim.models.callbacks import CallbackAny2Vec

    class EpochProgress(CallbackAny2Vec):
        def __init__(self) -> None:
            self.epoch = 0
            self.seconds: list[float] = []
            self._started = 0.0

        def on_epoch_begin(self, model: object) -> None:
            self._started = time.perf_counter()

        def on_epoch_end(self, model: object) -> None:
            self.epoch += 1
            self.seconds.append(time.perf_counter() - self._started)
            if progress:
                progress(self.epoch, epochs)

    return EpochProgress()
