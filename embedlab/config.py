"""Configuration from the environment: paths and limits, never the working directory."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from embedlab.errors import InputError


def embedlab_home() -> Path:
    """Root of everything EmbedLab writes (``EMBEDLAB_HOME``, default ``~/.embedlab``)."""
    return Path(os.environ.get("EMBEDLAB_HOME", "~/.embedlab")).expanduser()


def chroma_path() -> Path:
    """Where the embedded Chroma store lives."""
    return embedlab_home() / "chroma"


def chroma_url() -> str | None:
    """``EMBEDLAB_CHROMA_URL`` (e.g. ``http://127.0.0.1:8000``) switches to a Chroma server; a
    value that is not an http(s) URL with a host is a configuration error that says so."""
    url = os.environ.get("EMBEDLAB_CHROMA_URL", "").strip()
    if not url:
        return None
    try:
        parsed = urlparse(url)
        port = parsed.port
    except ValueError as error:
        raise InputError(f"EMBEDLAB_CHROMA_URL={url!r} is not a valid URL ({error}); use e.g. http://127.0.0.1:8000.") from None
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InputError(f"EMBEDLAB_CHROMA_URL={url!r} is not an http(s) URL with a host; use e.g. http://127.0.0.1:8000.")
    del port
    return url


def setting_int(name: str, default: int, minimum: int = 0) -> int:
    """An integer setting from the environment (``default`` when unset); a value that is not a
    whole number of at least ``minimum`` is a configuration error that names the variable."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InputError(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise InputError(f"{name}={value} is below {minimum}.")
    return value


def auto_map_points() -> int:
    """Above this many points a page maps a collection only when asked (``EMBEDLAB_AUTO_MAP_POINTS``,
    default 20,000: UMAP takes about 6 s there on 2 cores, minutes beyond)."""
    return setting_int("EMBEDLAB_AUTO_MAP_POINTS", 20_000)


@dataclass(frozen=True)
class Limits:
    """Caps on user input, stated in the UI and enforced in the engine."""

    max_words: int = 50
    max_sentences: int = 200
    max_text_chars: int = 10_000
    max_neighbors: int = 100


LIMITS = Limits()


@dataclass(frozen=True)
class UploadLimits:
    """Caps on one upload, stated in the UI and enforced here."""

    max_megabytes: int = 50  # same as server.maxUploadSize in .streamlit/config.toml
    max_rows: int = 100_000
    max_columns: int = 200
    max_cell_chars: int = 200_000
    max_jsonl_line_bytes: int = 1_000_000
    max_chunks: int = 200_000

    @property
    def max_bytes(self) -> int:
        return self.max_megabytes * 1024 * 1024

    def describe(self) -> str:
        """One line for the UI and the CLI help."""
        return (
            f"CSV, TSV, JSONL or plain text (one document per line), UTF-8, up to {self.max_megabytes} MB,"
            f" {self.max_rows:,} rows, {self.max_columns} columns and {self.max_cell_chars:,} characters per cell."
        )


UPLOAD_LIMITS = UploadLimits()
DEFAULT_CHUNK_WORDS = 128  # long texts are cut into chunks of this many words...
DEFAULT_OVERLAP_WORDS = 32  # ...that share this many words with the next
