"""One cache for heavy results, keyed by content: in memory per process, on disk across processes.

- ``atomic_write``: the one way EmbedLab writes a file others may read (a temporary file in the
  same folder, then ``os.replace``): a crash leaves the old file or the new one, never half.
- ``content_key``: a hash of arrays (their bytes), dataclasses (their fields) and JSON-able
  parameters. Changed data or settings never hit a stale entry.
- ``memoize``: a bounded LRU in memory for *pure* functions, keyed by ``content_key`` of the
  arguments; an argument that is not plain data (a model) is keyed by a function the caller
  gives (``keys``: the model catalogue gives ``name@revision``), so this module knows nothing
  above it. Never memoize a function that registers, writes or reads state the key does not
  hold: a cached call would skip the side effect (a model "added" but never saved).
- ``on_disk``: the same for results worth keeping across processes (maps, clusters, encoded
  texts, scores): the decorated function's result is written as arrays (``.npz``, read back with
  ``allow_pickle=False``) and a JSON sidecar under ``EMBEDLAB_HOME/cache/<kind>``, by ``dump``
  and read back by ``load``; size-capped, least recently used pruned first.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from enum import Enum
from pathlib import Path
from typing import Any, Generic, ParamSpec, TypeVar

import numpy as np

from embedlab import config

CACHE_VERSION = "1"
DEFAULT_CACHE_MB = 4096

P = ParamSpec("P")
R = TypeVar("R")


# -- files ---------------------------------------------------------------------------------------


def atomic_write(path: Path, content: bytes | str | Callable[[Path], None]) -> Path:
    """Write ``content`` (bytes, text, or a function that writes the file at the path it is
    given) to ``path`` through a temporary file in the same folder and a rename, so a crash
    leaves the old file or the new one. Returns ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as stream:
            if isinstance(content, bytes):
                stream.write(content)
            elif isinstance(content, str):
                stream.write(content.encode("utf-8"))
        if callable(content):
            content(Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


# -- keys ----------------------------------------------------------------------------------------


def array_digest(array: np.ndarray) -> str:
    """A hash of an array's dtype, shape and bytes."""
    array = np.ascontiguousarray(array)
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{array.dtype.str}{array.shape}".encode())
    digest.update(array.data)
    return digest.hexdigest()


class Unkeyable(TypeError):
    """An argument whose content cannot be turned into a key (the call is then not cached)."""


def _canonical(value: Any) -> Any:
    """A JSON-able stand-in for ``value`` that changes whenever its content does."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return repr(value)  # keeps nan, inf and -0.0 apart
    if isinstance(value, Enum):
        return ["enum", type(value).__name__, _canonical(value.value)]
    if isinstance(value, np.generic):
        return _canonical(value.item())
    if isinstance(value, np.ndarray):
        return ["array", array_digest(value)]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return ["bytes", hashlib.blake2b(bytes(value), digest_size=16).hexdigest()]
    if isinstance(value, Path):
        return ["path", str(value)]
    if isinstance(value, Mapping):
        return ["map", sorted(([_canonical(k), _canonical(v)] for k, v in value.items()), key=json.dumps)]
    if isinstance(value, (list, tuple)):
        return [type(value).__name__, [_canonical(v) for v in value]]
    if isinstance(value, (set, frozenset)):
        return ["set", sorted((_canonical(v) for v in value), key=json.dumps)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return ["dataclass", type(value).__qualname__, fields]
    raise Unkeyable(f"cannot key a {type(value).__name__} by its content")


def content_key(*parts: Any) -> str:
    """A 40-hex key of ``parts`` by content (see ``_canonical``)."""
    text = json.dumps([CACHE_VERSION, *(_canonical(p) for p in parts)], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:40]


# -- memory --------------------------------------------------------------------------------------


class _Memo:
    """A thread-safe LRU of one function's results; one computation per key at a time."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self.entries: OrderedDict[str, Any] = OrderedDict()
        self.lock = threading.Lock()
        self.in_flight: dict[str, threading.Lock] = {}
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, key: str, compute: Callable[[], Any]) -> Any:
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                self.hits += 1
                return self.entries[key]
            gate = self.in_flight.setdefault(key, threading.Lock())
        with gate:  # a second caller with the same key waits for the first, then reads its result
            with self.lock:
                if key in self.entries:
                    self.hits += 1
                    return self.entries[key]
            result = compute()
            with self.lock:
                self.misses += 1
                self.entries[key] = result
                self.entries.move_to_end(key)
                while len(self.entries) > self.max_entries:
                    self.entries.popitem(last=False)
                self.in_flight.pop(key, None)
        return result

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.hits = self.misses = 0


_MEMOS: list[_Memo] = []


class Memoized(Generic[P, R]):
    """A pure function with an in-memory LRU keyed by the content of its arguments."""

    def __init__(self, function: Callable[P, R], max_entries: int, keys: Mapping[str, Callable[[Any], Any]],
                 exclude: tuple[str, ...]) -> None:
        import inspect

        self.function = function
        self.memo = _Memo(max_entries)
        self.keys = dict(keys)
        self.exclude = exclude
        self.signature = inspect.signature(function)
        functools.update_wrapper(self, function, updated=())  # not __dict__: a wrapped OnDisk's own fields would replace these
        _MEMOS.append(self.memo)

    def _key(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        parts: dict[str, Any] = {}
        for name, value in bound.arguments.items():
            if name in self.exclude:
                continue
            parts[name] = self.keys[name](value) if name in self.keys else value
        return content_key(self.function.__module__, self.function.__qualname__, parts)

    def call_with_hit(self, *args: P.args, **kwargs: P.kwargs) -> tuple[R, bool]:
        """(result, True when it came from memory and nothing was computed)."""
        try:
            key = self._key(args, kwargs)
        except Unkeyable:
            return self.function(*args, **kwargs), False
        computed: list[bool] = []

        def compute() -> R:
            computed.append(True)
            return self.function(*args, **kwargs)

        result = self.memo.get_or_compute(key, compute)
        return result, not computed

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.call_with_hit(*args, **kwargs)[0]


def memoize(
    max_entries: int = 128, *, keys: Mapping[str, Callable[[Any], Any]] | None = None, exclude: tuple[str, ...] = ()
) -> Callable[[Callable[P, R]], Memoized[P, R]]:
    """Cache a pure function's results in memory, keyed by the content of its arguments.

    Arguments named in ``keys`` are keyed by what that function returns for them (a model by
    ``name@revision``: ``embedlab.backends.memoize_models``); it may raise ``Unkeyable``.
    Arguments in ``exclude`` are left out of the key because another argument identifies them
    (the digest of a big array passed beside it). A call whose arguments cannot be keyed runs
    uncached.
    """

    def decorate(function: Callable[P, R]) -> Memoized[P, R]:
        return Memoized(function, max_entries, keys or {}, exclude)

    return decorate


def clear_memory() -> None:
    """Forget every in-memory result (tests; a new EMBEDLAB_HOME)."""
    for memo in _MEMOS:
        memo.clear()


# -- disk ----------------------------------------------------------------------------------------


def cache_limit_bytes() -> int:
    """Size cap of the disk cache (``EMBEDLAB_CACHE_MB``, default 4 GiB)."""
    try:
        megabytes = int(os.environ.get("EMBEDLAB_CACHE_MB", DEFAULT_CACHE_MB))
    except ValueError:
        megabytes = DEFAULT_CACHE_MB
    return max(megabytes, 1) * 1024 * 1024


def cache_dir(kind: str) -> Path:
    """``EMBEDLAB_HOME/cache/<kind>``, created on demand."""
    path = config.embedlab_home() / "cache" / kind
    path.mkdir(parents=True, exist_ok=True)
    return path


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


def touch(*paths: Path) -> None:
    """Mark entries as just used (the cache is pruned least recently used first)."""
    for path in paths:
        with contextlib.suppress(OSError):
            os.utime(path)


def prune(limit_bytes: int | None = None) -> int:
    """Delete the least recently used entries until the disk cache is under its cap; returns the
    bytes freed. An entry is every file of one key (``KEY.npz`` + ``KEY.json``, ...)."""
    limit = cache_limit_bytes() if limit_bytes is None else limit_bytes
    root = config.embedlab_home() / "cache"
    entries: dict[Path, list[Path]] = {}
    for path in root.glob("*/*"):
        if path.is_file() and not path.name.startswith("."):  # not writes in flight
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


def write_npz(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """``arrays`` as an ``.npz`` at exactly ``path`` (numpy would add ``.npz`` to a path)."""
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:  # what np.savez writes: one .npy member per array
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


def write_npy(path: Path, array: np.ndarray) -> None:
    """``array`` as an ``.npy`` at exactly ``path`` (numpy would add ``.npy`` to a path)."""
    with open(path, "wb") as stream:
        np.save(stream, array, allow_pickle=False)


#: The guided demos' heavy results (their encodes, maps, clusters, scores), made by
#: ``scripts/ship_demo_results.py`` and shipped in the package: a read-only layer under every
#: user's cache, so a first demo answers in seconds. Keys are contents, as in the user's cache:
#: an entry serves only the very call that made it. EMBEDLAB_SHIPPED_RESULTS=0 turns it off.
SHIPPED_DIR = Path(__file__).resolve().parent / "shipped"


def shipped_results_on() -> bool:
    """Whether the shipped demo results are read (EMBEDLAB_SHIPPED_RESULTS, default on)."""
    return os.environ.get("EMBEDLAB_SHIPPED_RESULTS", "1").strip().lower() not in ("0", "false", "no", "off")


def _entry_files(kind: str, key: str) -> tuple[Path, Path, bool] | None:
    """(arrays file, metadata file, shipped?) of an entry: the user's cache first, then the shipped results."""
    folder = cache_dir(kind)
    arrays_path, meta_path = folder / f"{key}.npz", folder / f"{key}.json"
    if arrays_path.exists() and meta_path.exists():
        return arrays_path, meta_path, False
    if shipped_results_on():
        arrays_path, meta_path = SHIPPED_DIR / kind / f"{key}.npz", SHIPPED_DIR / kind / f"{key}.json"
        if arrays_path.exists() and meta_path.exists():
            return arrays_path, meta_path, True
    return None


def load(kind: str, key: str) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
    """The arrays and metadata stored under ``key`` (in the user's cache or the shipped results), or None."""
    found = _entry_files(kind, key)
    if found is None:
        return None
    arrays_path, meta_path, shipped = found
    try:
        with np.load(arrays_path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError, KeyError):
        return None  # a damaged entry is recomputed
    if not shipped:
        touch(arrays_path, meta_path)
    return arrays, meta


def save(kind: str, key: str, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> None:
    """Store ``arrays`` and ``meta`` under ``key`` (each file atomically; the sidecar last)."""
    folder = cache_dir(kind)
    atomic_write(folder / f"{key}.npz", lambda temporary: write_npz(temporary, arrays))
    atomic_write(folder / f"{key}.json", json.dumps(dict(meta), default=str))
    prune()


Dump = Callable[[Any], tuple[Mapping[str, np.ndarray], Mapping[str, Any]]]
Load = Callable[[dict[str, np.ndarray], dict[str, Any]], Any]


class OnDisk(Generic[P, R]):
    """A pure function whose results are kept on disk, keyed by the content of its arguments
    (see ``on_disk``)."""

    def __init__(self, function: Callable[P, R], kind: str, dump: Dump, load: Load,
                 keys: Mapping[str, Callable[[Any], Any]], exclude: tuple[str, ...]) -> None:
        import inspect

        self.function, self.kind, self.dump, self.load = function, kind, dump, load
        self.keys, self.exclude = dict(keys), exclude
        self.signature = inspect.signature(function)
        functools.update_wrapper(self, function, updated=())  # not __dict__: a wrapped OnDisk's own fields would replace these

    def key(self, *args: Any, **kwargs: Any) -> str:
        """The entry's key for these arguments (``Unkeyable`` when one cannot be keyed)."""
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        parts = {name: self.keys[name](value) if name in self.keys else value
                 for name, value in bound.arguments.items() if name not in self.exclude}
        return content_key(self.kind, self.function.__module__, self.function.__qualname__, parts)

    def cached(self, *args: P.args, **kwargs: P.kwargs) -> R | None:
        """The kept result for these arguments, or None; never computes."""
        try:
            hit = load(self.kind, self.key(*args, **kwargs))
        except Unkeyable:
            return None
        return None if hit is None else self.load(*hit)

    def call_with_hit(self, *args: P.args, **kwargs: P.kwargs) -> tuple[R, bool]:
        """(result, True when it was read from disk and nothing was computed)."""
        try:
            key = self.key(*args, **kwargs)
        except Unkeyable:
            return self.function(*args, **kwargs), False
        hit = load(self.kind, key)
        if hit is not None:
            return self.load(*hit), True
        result = self.function(*args, **kwargs)
        arrays, meta = self.dump(result)
        save(self.kind, key, arrays, meta)
        return result, False

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.call_with_hit(*args, **kwargs)[0]


def on_disk(
    kind: str, *, dump: Dump, load: Load, keys: Mapping[str, Callable[[Any], Any]] | None = None,
    exclude: tuple[str, ...] = (),
) -> Callable[[Callable[P, R]], OnDisk[P, R]]:
    """Keep a pure function's results on disk under ``EMBEDLAB_HOME/cache/<kind>``, keyed by its
    name and the content of its arguments (``keys`` and ``exclude`` as in ``memoize``: leave out
    a big array another argument identifies, such as vectors beside their digest). ``dump`` turns
    a result into (arrays, JSON-able metadata), ``load`` turns them back. An argument that
    cannot be keyed makes the call run uncached."""

    def decorate(function: Callable[P, R]) -> OnDisk[P, R]:
        return OnDisk(function, kind, dump, load, keys or {}, exclude)

    return decorate
