"""Streamlit helpers for the Train page: which models to offer, uploads, downloads.

Pure results (corpora, tokens, the unseen-word pair, downloads) are cached by the engine. An
upload *adds* a model, so it is never cached: each new file the uploader hands over is read
(the reading is cached by content) and added to the catalogue, even when the same file was
added and removed before.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from embedlab.backends import (
    BackendKind,
    backend_names,
    catalogue,
    get_word_vectors,
    model_status,
)
from embedlab.backends.words import KeyedWordVectors
from embedlab.training import NodeEmbeddingResult
from embedlab.wordvec_upload import (
    UploadReport,
    WordVectorFormat,
    load_word_vectors,
    word2vec_bytes,
)

LEE_PAIR = "the Lee pair (built in)"


def fasttext_models() -> list[str]:
    """FastText word models of this server (trained here, saved with their n-grams)."""
    return [name for name in backend_names(BackendKind.WORDS)
            if not catalogue().is_built_in(name) and get_word_vectors(name).subwords]


def upload_word_vectors(file_id: str, data: bytes, filename: str, fmt: WordVectorFormat) -> UploadReport:
    """Add an uploaded file as a model once per upload (``file_id``): reruns of the page show
    the same report without adding again; a new upload of the same bytes adds it again."""
    done: dict[str, UploadReport] = st.session_state.setdefault("_tr_uploads", {})
    key = f"{file_id}:{fmt}"
    if key not in done:
        done[key] = load_word_vectors(data, filename, fmt=fmt)[1]
    return done[key]


def saved_models_table() -> pd.DataFrame:
    """Uploaded, trained and debiased models known to this server (not the built-in ones)."""
    rows = [{"name": r.name, "dim": r.dim, "origin": r.origin, "description": r.description} for r in model_status()
            if r.kind == "words" and r.origin != "built-in"]
    return pd.DataFrame(rows)


def node_vectors_bytes(result: NodeEmbeddingResult) -> bytes:
    """Node vectors in word2vec text format (one line per node), for a download button."""
    return word2vec_bytes(KeyedWordVectors(f"nodes-{result.method}", result.wv))
