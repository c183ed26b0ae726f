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
DEFAULT_CACHE_MB = 4096


def cache_limit_bytes() -> int:
    """Size cap of the whole cache (``EMBEDLAB_CACHE_MB``, default 4 GiB)."""
    try:
        megabytes = int(os.environ.get("EMBEDLAB_CACHE_MB", DEFAULT_CACHE_MB))
    except ValueError:
        megabytes = DEFAULT_CACHE_MB
    return max(megabytes, 1) * 1024 * 1024


def prune(limit_bytes: int | None = None) -> int:
    """Delete the least recently used entries until the cache is under its cap; returns the
    bytes freed. An entry is every file of one key (``KEY.npz`` + ``KEY.json``, ...)."""
    limit = cache_limit_bytes() if limit_bytes is None else limit_bytes
    root = config.embedlab_home() / "cache"
    entries: dict[Path, list[Path]] = {}
    for path in root.glob("*/*"):
        if path.is_file() and path.suffix != ".tmp" and not path.name.startswith("tmp"):  # not writes in flight
            entries.setdefault(path.with_suffix(""), []).append(path)
    sizes = {stem: sum(_size(f) for f in files) for stem, files in entries.items()}
    total = sum(sizes.values())
    if total <= limit:
        return 0
    freed = 0
    by_age = sorted(entries, key=lambda stem: max(_mtime(f) for f in entries[stem]))
    for stem in by_age[:-1]:  # never the newest entry: it was just written
        if total - freed <= limit:
            break
        for file in entries[stem]:
            file.unlink(missing_ok=True)
        freed += sizes[stem]
    return freed


def touch(*paths: Path) -> None:
    """Mark entries as just used (the cache is pruned least recently used first)."""
    for path in paths:
        try:
            os.utime(path)
        except OSError:
            pass


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


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
    touch(arrays_path, meta_path)
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
    prune()
