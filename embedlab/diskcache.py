"""Heavy results on disk under ``EMBEDLAB_HOME/cache``, keyed by content.

Arrays are written as ``.npz`` and read back with ``allow_pickle=False``; a JSON sidecar holds
the parameters. A key is a hash of the input arrays and the parameters, so changed data or
changed settings never hit a stale entry. Writes go to a temporary file and are renamed, so a
crash leaves either the old entry or the new one.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from embedlab import config

CACHE_VERSION = "1"


def cache_dir(kind: str) -> Path:
    """``EMBEDLAB_HOME/cache/<kind>``, created on demand."""
    path = config.embedlab_home() / "cache" / kind
    path.mkdir(parents=True, exist_ok=True)
    return path


def array_digest(array: np.ndarray) -> str:
    """A hash of an array's dtype, shape and bytes."""
    array = np.ascontiguousarray(array)
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{array.dtype.str}{array.shape}".encode())
    digest.update(memoryview(array).cast("B"))
    return digest.hexdigest()


def make_key(*parts: Any) -> str:
    """A key from digests and JSON-able parameters."""
    text = json.dumps([CACHE_VERSION, *parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def load(kind: str, key: str) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
    """The arrays and metadata stored under ``key``, or None."""
    folder = cache_dir(kind)
    arrays_path, meta_path = folder / f"{key}.npz", folder / f"{key}.json"
    if not arrays_path.exists() or not meta_path.exists():
        return None
    try:
        with np.load(arrays_path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError, KeyError):
        return None  # a damaged entry is recomputed
    return arrays, meta


def save(kind: str, key: str, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> None:
    """Store ``arrays`` and ``meta`` under ``key`` (atomically)."""
    folder = cache_dir(kind)
    for suffix, writer in ((".npz", lambda f: np.savez(f, **dict(arrays))), (".json", lambda f: f.write(json.dumps(dict(meta), default=str).encode()))):
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as stream:
                writer(stream)
            os.replace(temporary, folder / f"{key}{suffix}")
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
