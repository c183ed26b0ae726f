"""Streamlit helpers for the Train page: cached corpora, cached demo models, uploads."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from embedlab.backends import BackendKind, backend_names, get_word_vectors, is_built_in, model_status
from embedlab.backends.words import KeyedWordVectors
from embedlab.training import (
    NodeEmbeddingResult,
    OOVReport,
    WordEmbeddingTrainer,
    builtin_corpus,
    builtin_graph,
    embed_graph,
    oov_vector_demo,
    parse_edge_list,
    parse_uploaded_text,
    tokenize_corpus,
)
from embedlab.wordvec_upload import UploadReport, load_word_vectors, word2vec_bytes


@st.cache_data(max_entries=8, ttl=3600, show_spinner="Reading and tokenising the corpus…")
def cached_corpus_tokens(name: str, max_documents: int) -> list[list[str]]:
    """Token lists of a built-in corpus (first N documents)."""
    return tokenize_corpus(builtin_corpus(name, max_documents))


@st.cache_data(max_entries=4, ttl=3600, show_spinner="Tokenising your text…")
def cached_uploaded_tokens(data: bytes, max_documents: int) -> list[list[str]]:
    """Token lists of an uploaded text file, keyed by its content."""
    return tokenize_corpus(parse_uploaded_text(data, max_documents=max_documents))


@st.cache_resource(max_entries=2, show_spinner="Training FastText and Word2Vec on the Lee corpus (once)…")
def cached_oov_models() -> tuple[object, object]:
    """FastText and Word2Vec KeyedVectors on Lee with the same settings, shared by all sessions."""
    documents = tokenize_corpus(builtin_corpus("lee"))
    settings = dict(vector_size=50, epochs=10, seed=0, workers=1)
    fasttext = WordEmbeddingTrainer("fasttext", **settings).fit(documents)  # type: ignore[arg-type]
    word2vec = WordEmbeddingTrainer("word2vec", **settings).fit(documents)  # type: ignore[arg-type]
    return fasttext.wv_, word2vec.wv_


LEE_PAIR = "the Lee pair (built in)"


def fasttext_models() -> list[str]:
    """FastText word models of this server (trained here, saved with their n-grams)."""
    return [name for name in backend_names(BackendKind.WORDS) if not is_built_in(name) and getattr(get_word_vectors(name), "subwords", False)]


@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def cached_oov(word: str, fasttext_model: str = LEE_PAIR) -> tuple[OOVReport, OOVReport]:
    """(FastText report, Word2Vec report) for one word; FastText from the Lee pair or a trained model."""
    fasttext, word2vec = cached_oov_models()
    if fasttext_model != LEE_PAIR:
        fasttext = get_word_vectors(fasttext_model).kv
    return oov_vector_demo(fasttext, word), oov_vector_demo(word2vec, word)


@st.cache_data(max_entries=8, ttl=3600, show_spinner="Preparing the download…")
def cached_download(name: str) -> bytes:
    """A trained or uploaded model in word2vec text format (names carry a content hash)."""
    return word2vec_bytes(get_word_vectors(name))  # type: ignore[arg-type]


@st.cache_resource(max_entries=8, show_spinner=False)
def cached_graph(name: str, data: bytes):  # type: ignore[no-untyped-def]
    """A built-in graph, or an uploaded edge list (keyed by content)."""
    return parse_edge_list(data) if name == "upload" else builtin_graph(name)


def run_node_embedding(graph, held_out: float, progress: Callable[[int, int], None], params: dict) -> NodeEmbeddingResult:  # type: ignore[no-untyped-def]
    """Node vectors, map and link-prediction AUC (a few seconds on the built-in graphs)."""
    return embed_graph(graph, held_out=held_out, progress=progress, **params)


@st.cache_resource(max_entries=16, show_spinner="Checking and loading the word vectors…")
def _cached_upload(data: bytes, filename: str, fmt: str) -> UploadReport:
    _, report = load_word_vectors(data, filename, fmt=fmt)
    return report


def upload_word_vectors(data: bytes, filename: str, fmt: str) -> UploadReport:
    """Load an upload once per content (reruns of the page do not parse it again)."""
    return _cached_upload(data, filename, fmt)


def saved_models_table() -> pd.DataFrame:
    """Uploaded, trained and debiased models known to this server (not the built-in ones)."""
    rows = [{"name": r.name, "dim": r.dim, "description": r.description} for r in model_status()
            if r.kind == "words" and not is_built_in(r.name)]
    return pd.DataFrame(rows)


def node_vectors_bytes(result: NodeEmbeddingResult) -> bytes:
    """Node vectors in word2vec text format (one line per node), for a download button."""
    return word2vec_bytes(KeyedWordVectors(f"nodes-{result.method}", result.wv))

