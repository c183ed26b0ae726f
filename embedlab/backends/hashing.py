"""A deterministic hashing text encoder: no model, no download, same vector every run.

Used by unit tests of logic (store, ingest, projections) and handy as a baseline: texts that
share words get similar vectors, nothing more. Not registered by default.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

from embedlab.backends.base import BackendKind, BatchedEncoder

_TOKEN = re.compile(r"\w+", re.UNICODE)


class HashingEncoder(BatchedEncoder):
    """Bag of hashed word unigrams, signed, L2-normalised (a text without a word: a zero row)."""

    kind = BackendKind.TEXT
    device = "cpu"

    def __init__(self, name: str = "hashing", dim: int = 64) -> None:
        self.name = name
        self.dim = dim
        self.calls = 0  # how many texts were encoded (tests use it to prove caching)

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        for token in _TOKEN.findall(text.lower()):
            digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
            value = int.from_bytes(digest, "little")
            vector[value % self.dim] += 1.0 if (value >> 32) & 1 else -1.0
        return vector

    def _encode_batch(self, batch: list[str], batch_size: int) -> np.ndarray:
        self.calls += len(batch)
        return np.stack([self._vector(t) for t in batch])
