"""The model catalogue: one object that knows every model, from three sources.

- the built-in table (``builtin.BUILT_IN``: name, kind, dim, loader, check, install hint);
  nothing is loaded until asked, and a loaded built-in is shared by the whole process;
- the saved-models folder (uploads, trained and debiased word models, fine-tuned text models,
  kept across restarts);
- models added at run time (``add``: one path for upload, training and debiasing, which also
  saves them when asked).

``st:<hub id or path>`` names any sentence-transformers model (hub ids need internet); it is
never a default. Each entry has a revision that changes whenever its name gets new contents,
so caches keyed by ``name@revision`` never serve a replaced model's results.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from embedlab.backends.base import (
    Backend,
    BackendKind,
    BackendSpec,
    Origin,
    TextEncoder,
    WordVectors,
)
from embedlab.backends.saved import SAVED_BACKENDS, SavedModels, saved_backend
from embedlab.errors import (
    BackendUnavailableError,
    InputError,
    UnknownBackendError,
    WrongBackendKindError,
)

HUB_PREFIX = "st:"
API_PREFIX = "api:"
_revisions = itertools.count(1)

# Built-in models are loaded once per process, whichever catalogue asks (tests make fresh
# catalogues; they share the loaded MiniLM and GloVe).
_LOADED: dict[str, Backend] = {}
_LOAD_LOCKS: dict[str, threading.Lock] = {}
_LOAD_LOCKS_GUARD = threading.Lock()
_PRELOADING: set[str] = set()


def load_built_in(spec: BackendSpec, needed: Callable[[str], Backend]) -> Backend:
    """The loaded backend of ``spec``; loads it once per process, safely across threads. The
    models the row ``needs`` come from ``needed`` (the catalogue's ``get``)."""
    key = loaded_key(spec)
    if key in _LOADED:
        return _LOADED[key]
    with _LOAD_LOCKS_GUARD:
        lock = _LOAD_LOCKS.setdefault(spec.name, threading.Lock())
    with lock:
        if key not in _LOADED:
            reason = spec.check()
            if reason:
                raise BackendUnavailableError(spec.name, reason, spec.install_hint)
            _LOADED[key] = spec.loader(*(needed(name) for name in spec.needs))
    return _LOADED[key]


def loaded_key(spec: BackendSpec) -> str:
    """Where a loaded built-in is kept: its name, with its identity when it has one (an ``api:``
    model loaded under other settings is another object)."""
    return f"{spec.name}@{spec.identity}" if spec.identity else spec.name


@dataclass(frozen=True)
class BackendStatus:
    """One row of the model status table."""

    name: str
    kind: str
    dim: int
    device: str
    available: bool
    package: str
    loaded: bool
    reason: str
    description: str
    origin: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class _Entry:
    """A model the catalogue knows: a built-in spec or a backend object."""

    name: str
    kind: BackendKind
    origin: Origin
    revision: str
    spec: BackendSpec | None = None
    backend: Backend | None = None


class Catalogue:
    """Every model EmbedLab can use: built-in, saved and added at run time."""

    def __init__(self, built_in: Iterable[BackendSpec] | None = None, saved: SavedModels | None = None) -> None:
        if built_in is None:
            from embedlab.backends.builtin import BUILT_IN

            built_in = BUILT_IN
        self.saved = saved or SavedModels()
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.RLock()
        self._saved_stamp: str | None = None
        self._api_stamp: str | None = None
        for spec in built_in:
            self._entries[spec.name] = _Entry(spec.name, spec.kind, "built-in", "0", spec=spec)

    # -- what is there ---------------------------------------------------------------------------

    def _discover(self) -> None:
        """List models saved by this or another process since the last look (cheap: reads the
        folder only when its modification time changed), and the remote ``api:`` endpoints the
        configuration names now."""
        self._discover_api()
        stamp = self.saved.stamp()
        if stamp is None or stamp == self._saved_stamp:
            return
        with self._lock:
            if stamp == self._saved_stamp:
                return
            for note in self.saved.notes():
                if note.name not in self._entries:
                    revision = f"saved-{note.path.stat().st_mtime_ns}"
                    self._entries[note.name] = _Entry(note.name, note.kind, note.origin, revision, backend=cast(Backend, saved_backend(note)))
            self._saved_stamp = stamp

    def _discover_api(self) -> None:
        """Rows for the ``api:`` endpoints of the environment and ``api_endpoints.toml``, read again
        only when either changed. A row is replaced (new revision) when its endpoint changed."""
        from embedlab.backends.api import api_settings_stamp, api_spec, listed_endpoints

        stamp = api_settings_stamp()
        if stamp == self._api_stamp:
            return
        with self._lock:
            for name in [name for name in self._entries if name.startswith(API_PREFIX)]:  # read again from the new settings
                del self._entries[name]
            for endpoint in listed_endpoints():
                spec = api_spec(endpoint.name)
                self._entries[spec.name] = _Entry(spec.name, spec.kind, "built-in", f"api-{stamp[:12]}", spec=spec)
            self._api_stamp = stamp

    def _entry(self, name: str) -> _Entry | None:
        if name not in self._entries or name.startswith(API_PREFIX):
            self._discover()
        entry = self._entries.get(name)
        if entry is None and name.startswith(HUB_PREFIX) and len(name) > len(HUB_PREFIX):
            from embedlab.backends.builtin import hub_spec

            with self._lock:
                entry = self._entries.setdefault(name, _Entry(name, BackendKind.TEXT, "built-in", "0", spec=hub_spec(name)))
        if entry is None and name.startswith(API_PREFIX) and len(name) > len(API_PREFIX):
            from embedlab.backends.api import api_settings_stamp, api_spec

            self._discover_api()
            with self._lock:
                entry = self._entries.setdefault(name, _Entry(name, BackendKind.TEXT, "built-in", f"api-{api_settings_stamp()[:12]}",
                                                              spec=api_spec(name)))
        return entry

    def names(self, kind: BackendKind | None = None) -> list[str]:
        """Names of every model, optionally of one kind: built-ins first, then the others."""
        self._discover()
        entries = list(self._entries.values())
        ordered = [e for e in entries if e.origin == "built-in"] + [e for e in entries if e.origin != "built-in"]
        return [e.name for e in ordered if kind is None or e.kind == kind]

    def kind(self, name: str) -> BackendKind:
        """The kind of a model, without loading it."""
        entry = self._entry(name)
        if entry is None:
            raise UnknownBackendError(name, self.names())
        return entry.kind

    def origin(self, name: str) -> Origin:
        """How ``name`` came to be here (built-in, upload, trained, debiased, session)."""
        entry = self._entry(name)
        if entry is None:
            raise UnknownBackendError(name, self.names())
        return entry.origin

    def is_built_in(self, name: str) -> bool:
        entry = self._entry(name)
        return entry is not None and entry.origin == "built-in"

    def tags(self, name: str) -> tuple[str, ...]:
        """What the table says of a built-in model ("default", "english-only", "multilingual")."""
        entry = self._entry(name)
        return entry.spec.tags if entry is not None and entry.spec is not None else ()

    def dim(self, name: str) -> int:
        """A model's dimension without loading it (0 when only loading tells, as for a hub model)."""
        entry = self._entry(name)
        if entry is None:
            raise UnknownBackendError(name, self.names())
        if entry.spec is not None:
            return entry.spec.dim
        return int(getattr(entry.backend, "dim", 0) or 0)

    def revision(self, name: str) -> str:
        """``name@revision`` (a name not in the catalogue is returned as it is)."""
        entry = self._entry(name)
        return f"{name}@{entry.revision}" if entry is not None else name

    def revision_of_object(self, backend: object) -> str | None:
        """``name@revision`` when ``backend`` is the very object the catalogue holds, else None."""
        name = getattr(backend, "name", None)
        entry = self._entries.get(name) if isinstance(name, str) else None
        if entry is None:
            return None
        held = entry.backend if entry.backend is not None else (_LOADED.get(loaded_key(entry.spec)) if entry.spec else None)
        if held is backend or (isinstance(held, SAVED_BACKENDS) and held._loaded is backend):
            return f"{entry.name}@{entry.revision}"
        return None

    # -- getting models --------------------------------------------------------------------------

    def get(self, name: str) -> Backend:
        """The loaded model ``name``."""
        entry = self._entry(name)
        if entry is None:
            raise UnknownBackendError(name, self.names())
        if entry.backend is not None:
            return entry.backend
        assert entry.spec is not None
        return load_built_in(entry.spec, self.get)

    def preload(self, name: str) -> None:
        """Start loading ``name`` in a background thread (once per process), so that the first
        search a user types does not wait for the model: MiniLM takes seconds to load. Errors
        are left to the call that needs the model, which reports them."""
        entry = self._entry(name)
        if entry is None or entry.backend is not None or entry.spec is None or loaded_key(entry.spec) in _LOADED:
            return
        spec = entry.spec
        with _LOAD_LOCKS_GUARD:
            if name in _PRELOADING:
                return
            _PRELOADING.add(name)

        def load() -> None:
            with contextlib.suppress(Exception):
                load_built_in(spec, self.get)

        threading.Thread(target=load, name=f"preload-{name}", daemon=True).start()

    def get_of_kind(self, name: str, *kinds: BackendKind) -> Backend:
        """The model ``name`` if it is of one of ``kinds``, else an error saying what to pick."""
        kind = self.kind(name)
        if kind not in kinds:
            wanted = " or ".join(str(k) for k in kinds)
            choices = [n for k in kinds for n in self.names(k)]
            raise WrongBackendKindError(f"{name!r} is a {kind} model; choose a {wanted} model: " + ", ".join(choices))
        return self.get(name)

    def text_encoder(self, name: str) -> TextEncoder:
        """A model that encodes free text (text and image-text models)."""
        backend = self.get_of_kind(name, BackendKind.TEXT)
        assert isinstance(backend, TextEncoder)
        return backend

    def word_vectors(self, name: str) -> WordVectors:
        """A word-vector model."""
        # the kind says it is one (an isinstance check would read a saved model's file: kv is lazy)
        return cast(WordVectors, self.get_of_kind(name, BackendKind.WORDS))

    # -- adding and removing ---------------------------------------------------------------------

    def add(self, backend: Backend, origin: Origin, *, persist: bool, base: str | None = None,
            details: dict[str, Any] | None = None) -> None:
        """The one way a model made at run time joins the catalogue (upload, training, debias,
        or ``session`` for this process only). It replaces a run-time model of the same name
        (same name = same content for uploads and training; a debiased copy made again);
        ``persist`` also saves it, so other processes and restarts see it (with ``details``, such
        as a training report, in its note); a saved model's revision comes from its files, so
        caches on disk never mix two models saved under one name by different processes."""
        if origin == "built-in":
            raise ValueError("built-in models come from the table, not from add()")
        with self._lock:
            existing = self._entry(backend.name)
            if existing is not None and existing.origin == "built-in":
                raise InputError(f"{backend.name!r} is a built-in model; choose another name.")
            revision = str(next(_revisions))
            if persist:
                if not isinstance(backend, WordVectors) and backend.kind != BackendKind.TEXT:
                    raise InputError(f"{backend.name!r} is a {backend.kind} model; only word and text models are saved.")
                path = self.saved.save(backend, origin, base, details)
                if backend.kind == BackendKind.TEXT:
                    revision = f"saved-{path.stat().st_mtime_ns}"
            self._entries[backend.name] = _Entry(backend.name, backend.kind, origin, revision, backend=backend)

    def remove(self, name: str) -> None:
        """Forget an uploaded, trained, debiased or session model, and delete its saved files."""
        with self._lock:
            entry = self._entry(name)
            if entry is not None and entry.origin == "built-in":
                raise InputError(f"{name!r} is a built-in model; only uploaded, trained or debiased models can be removed.")
            removed = self.saved.delete(name)
            if entry is None and not removed:
                raise InputError(f"No uploaded, trained or debiased model named {name!r}.")
            self._entries.pop(name, None)

    # -- status ----------------------------------------------------------------------------------

    def status(self) -> list[BackendStatus]:
        """Status of every model without loading any (cheap: for the home page and the CLI)."""
        self._discover()
        rows = []
        for entry in list(self._entries.values()):
            if entry.spec is not None:
                spec = entry.spec
                reason = spec.check()
                loaded = _LOADED.get(loaded_key(spec))
                rows.append(BackendStatus(
                    name=spec.name, kind=str(spec.kind), dim=loaded.dim if loaded is not None else spec.dim,
                    device=loaded.device if loaded is not None else spec.device_of(), available=reason is None,
                    package=spec.package, loaded=loaded is not None, reason=reason or "", description=spec.description,
                    origin=entry.origin,
                ))
            else:
                backend = entry.backend
                assert backend is not None
                rows.append(BackendStatus(
                    name=backend.name, kind=str(backend.kind), dim=backend.dim, device=backend.device, available=True,
                    package="(saved)" if entry.origin in ("upload", "trained", "debiased") else "(this session)",
                    loaded=not isinstance(backend, SAVED_BACKENDS) or backend._loaded is not None, reason="",
                    description=str(getattr(backend, "description", "made at run time")), origin=entry.origin,
                ))
        return rows
