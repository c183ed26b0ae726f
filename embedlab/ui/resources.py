"""Process-wide resources shared by every session (models, the store), loaded once."""

from __future__ import annotations

import streamlit as st

from embedlab.analysis.similarity import SimilarityResult
from embedlab.backends import Backend, get_backend, model_status
from embedlab.store import Store, open_store


@st.cache_resource(show_spinner="Loading model…", max_entries=16)
def cached_backend(name: str) -> Backend:
    """A loaded backend; the registry already loads once per process, this adds the spinner."""
    return get_backend(name)


@st.cache_resource(show_spinner=False)
def cached_store() -> Store:
    """The one store this server process owns."""
    return open_store()


@st.cache_data(ttl=30, show_spinner=False)
def cached_model_status() -> list[dict]:
    """Model status rows for the home page (cheap, refreshed every 30 s)."""
    return [row.as_dict() for row in model_status()]


@st.cache_data(max_entries=256, ttl=3600, show_spinner="Encoding…")
def cached_similarity(model: str, items: tuple[str, ...]) -> SimilarityResult:
    """Similarity of ``items`` under ``model``, keyed by content: unchanged inputs are not re-encoded."""
    from embedlab.analysis.similarity import similarity

    return similarity(model, list(items))


@st.cache_data(max_entries=1024, ttl=3600, show_spinner=False)
def cached_word_neighbors(model: str, word: str, k: int) -> list[tuple[str, float]]:
    """Nearest words of ``word`` (cached per model, word and k)."""
    from embedlab.analysis.similarity import word_neighbors

    return word_neighbors(model, word, k).neighbors
