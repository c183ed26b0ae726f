"""Configuration from the environment: paths and limits, never the working directory."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def embedlab_home() -> Path:
    """Root of everything EmbedLab writes (``EMBEDLAB_HOME``, default ``~/.embedlab``)."""
    return Path(os.environ.get("EMBEDLAB_HOME", "~/.embedlab")).expanduser()


def chroma_path() -> Path:
    """Where the embedded Chroma store lives."""
    return embedlab_home() / "chroma"


def chroma_url() -> str | None:
    """``EMBEDLAB_CHROMA_URL`` (e.g. ``http://127.0.0.1:8000``) switches to a Chroma server."""
    url = os.environ.get("EMBEDLAB_CHROMA_URL", "").strip()
    return url or None


@dataclass(frozen=True)
class Limits:
    """Caps on user input, stated in the UI and enforced in the engine."""

    max_words: int = 50
    max_sentences: int = 200
    max_text_chars: int = 10_000
    max_neighbors: int = 100


LIMITS = Limits()
