"""A deterministic hashing text encoder: no model, no download, same vector every run.

Used by unit tests of logic (store, ingest, projections) and handy as a baseline: texts that
share words get similar vectors, nothing more. Not registered by default.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence

import numpy as np

from embedlab.backends.base import BackendKind, l2_normalise

_TOKEN = re.compile(r"\w+", re.UNICODE)


class HashingEncoder:
    """Bag of hashed word unigrams, signed, L2-normalised."""

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

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 64,
        progress: Callable[[int, int], None] | None = None,
    ) -> np.ndarray:
        """One unit row per text (an empty text gives a zero row)."""
        texts = list(texts)
        self.calls += len(texts)
        if progress is not None:
            progress(len(texts), len(texts))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return l2_normalise(np.stack([self._vector(t) for t in texts]))
