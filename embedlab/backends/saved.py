"""The saved-models folder: uploaded, trained and debiased word models, and fine-tuned text
models, kept across restarts.

Each model is a JSON note (name, kind, dimension, words, description, origin, base model,
details) beside its files under ``EMBEDLAB_HOME/wordvectors`` (the folder keeps its first name
so models saved earlier stay listed): word vectors as one file (word2vec binary, or Facebook's
FastText binary for models with n-grams), a text model as a sentence-transformers directory
(``<stem>.st/``: safetensors weights, config and tokenizer files). Never a pickle. Every process
sees what another saved at its next look; a saved model is read from disk on first use only.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar, get_args

import numpy as np

from embedlab.backends.base import Backend, BackendKind, Origin, Progress, WordVectors
from embedlab.backends.words import KeyedWordVectors, SubwordWordVectors
from embedlab.cache import atomic_write
from embedlab.config import embedlab_home
from embedlab.errors import BadUploadError

if TYPE_CHECKING:
    from gensim.models import KeyedVectors

    from embedlab.backends.sentence import SentenceTransformerEncoder

Loaded = TypeVar("Loaded")
SAVED_ORIGINS: tuple[Origin, ...] = ("upload", "trained", "debiased")
assert set(SAVED_ORIGINS) <= set(get_args(Origin))


@dataclass(frozen=True)
class SavedNote:
    """What the JSON note of a saved model says."""

    name: str
    dim: int
    words: int
    description: str
    origin: Origin
    base: str | None
    path: Path
    details: dict[str, Any] = field(default_factory=dict)  # e.g. a training report, shown again from a link
    kind: BackendKind = BackendKind.WORDS


def file_stem(name: str) -> str:
    """A file name part for a model name (``user:x-1a2b`` → ``user_x-1a2b``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)


class _LazySaved(Generic[Loaded]):
    """A saved model, listed at start-up from its note and read from disk on first use (cheap to list)."""

    def __init__(self, note: SavedNote) -> None:
        self.name = note.name
        self.path = note.path
        self.dim = note.dim
        self.description = note.description
        self.source = str(note.path)
        self._loaded: Loaded | None = None
        self._lock = threading.Lock()

    def loaded(self) -> Loaded:
        """The model, read from its saved files once."""
        with self._lock:
            if self._loaded is None:
                self._loaded = self._read()
            return self._loaded

    def _read(self) -> Loaded:
        raise NotImplementedError


class SavedWordVectors(_LazySaved[KeyedWordVectors]):
    """A saved word model. Attributes other than the cheap ones of the note come from the
    loaded ``KeyedWordVectors``."""

    kind = BackendKind.WORDS
    device = "cpu"

    def __init__(self, note: SavedNote) -> None:
        super().__init__(note)
        self.subwords = note.path.suffix == ".fbin"
        self.vocab_size = note.words

    def _read(self) -> KeyedWordVectors:
        from gensim.models import KeyedVectors

        if not self.path.exists():
            raise BadUploadError(f"The saved file of {self.name!r} is gone ({self.path}); upload or train it again.")
        try:
            if self.subwords:  # our own FastText file, Facebook's binary format (no pickle)
                from gensim.models.fasttext import load_facebook_vectors

                return SubwordWordVectors(self.name, load_facebook_vectors(str(self.path)), source=str(self.path),
                                          description=self.description)
            kv = KeyedVectors.load_word2vec_format(str(self.path), binary=True)  # our own file, still never a pickle
            return KeyedWordVectors(self.name, kv, source=str(self.path), description=self.description)
        except (ValueError, EOFError, OSError, AssertionError) as error:
            # e.g. a file saved before repeated words were dropped: its header counts more rows than it has
            raise BadUploadError(
                f"The saved file of {self.name!r} cannot be read ({type(error).__name__}: {error}). Remove it"
                f" (`embedlab delete-model {self.name}` or the Train page) and upload or train it again."
            ) from error

    @property
    def kv(self) -> KeyedVectors:
        return self.loaded().kv

    def __contains__(self, word: object) -> bool:
        return word in self.loaded()

    def encode(self, words: Sequence[str]) -> np.ndarray:
        return self.loaded().encode(words)

    def raw_vectors(self, words: Sequence[str]) -> np.ndarray:
        return self.loaded().raw_vectors(words)

    def split_known(self, words: Sequence[str]) -> tuple[list[str], list[str]]:
        return self.loaded().split_known(words)

    def neighbors(self, word: str, k: int = 10) -> list[tuple[str, float]]:
        return self.loaded().neighbors(word, k)

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        return getattr(self.loaded(), attribute)


class SavedTextEncoder(_LazySaved["SentenceTransformerEncoder"]):
    """A saved sentence-transformers directory (a fine-tuned text model)."""

    kind = BackendKind.TEXT

    @property
    def device(self) -> str:
        """Where it runs (the device resolved now until it is loaded)."""
        if self._loaded is not None:
            return self._loaded.device
        from embedlab.device import resolve_device

        return resolve_device()

    def _read(self) -> SentenceTransformerEncoder:
        from embedlab.backends.sentence import SentenceTransformerEncoder

        if not (self.path / "modules.json").is_file():
            raise BadUploadError(f"The saved files of {self.name!r} are gone or incomplete ({self.path}); train it again.")
        try:
            return SentenceTransformerEncoder(self.name, str(self.path))
        except (ValueError, OSError) as error:
            raise BadUploadError(
                f"The saved model {self.name!r} cannot be read ({type(error).__name__}: {error}). Remove it"
                f" (`embedlab delete-model {self.name}` or the Fine-tune page) and train it again."
            ) from error

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, progress: Progress | None = None) -> np.ndarray:
        return self.loaded().encode(texts, batch_size=batch_size, progress=progress)


#: the catalogue's lazily loaded saved models (``_loaded`` is the model once read)
SAVED_BACKENDS = _LazySaved
TEXT_SUFFIX = ".st"  # a text model's directory


def saved_backend(note: SavedNote) -> SavedWordVectors | SavedTextEncoder:
    """The lazily loaded model of a note."""
    return SavedTextEncoder(note) if note.kind == BackendKind.TEXT else SavedWordVectors(note)


class SavedModels:
    """The folder of saved models (``EMBEDLAB_HOME/wordvectors``, read from configuration at
    each call, so a changed home is honoured)."""

    def folder(self) -> Path:
        return embedlab_home() / "wordvectors"

    def stamp(self) -> str | None:
        """Changes whenever a model is saved or removed (None: no folder yet)."""
        folder = self.folder()
        try:
            return f"{folder}:{folder.stat().st_mtime_ns}"
        except OSError:
            return None

    def save(self, backend: Backend, origin: Origin, base: str | None = None, details: dict[str, Any] | None = None) -> Path:
        """Write the model's files and the note (each atomically; the note last, so a listed model has its files).

        Word models are written as vectors; a text model must offer ``save_files(directory)``
        (a sentence-transformers model writes its directory)."""
        if origin not in SAVED_ORIGINS:
            raise ValueError(f"models of origin {origin!r} are not saved")
        if backend.kind == BackendKind.TEXT:
            return self._save_text(backend, origin, base, details)
        assert isinstance(backend, WordVectors)
        loaded = backend.loaded() if isinstance(backend, SavedWordVectors) else backend
        stem = file_stem(backend.name)
        model = getattr(loaded, "model", None)
        fasttext = model is not None and loaded.subwords
        path = self.folder() / f"{stem}{'.fbin' if fasttext else '.w2v'}"
        if fasttext:  # Facebook's binary format keeps the n-grams (and is no pickle either)
            from gensim.models.fasttext import save_facebook_model

            atomic_write(path, lambda temporary: save_facebook_model(model, str(temporary)))
        else:
            atomic_write(path, lambda temporary: loaded.kv.save_word2vec_format(str(temporary), binary=True))
        note = {"name": backend.name, "dim": backend.dim, "words": backend.vocab_size, "description": backend.description,
                "origin": origin, "base": base, "format": "fasttext" if fasttext else "word2vec-binary", "details": details or {}}
        atomic_write(self.folder() / f"{stem}.json", json.dumps(note))
        return path

    def _save_text(self, backend: Backend, origin: Origin, base: str | None, details: dict[str, Any] | None) -> Path:
        save_files = getattr(backend, "save_files", None)
        if save_files is None:
            raise BadUploadError(f"{backend.name!r} is a text model that cannot write its files; it is kept for this session only.")
        stem = file_stem(backend.name)
        folder = self.folder()
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{stem}{TEXT_SUFFIX}"
        temporary = folder / f".{stem}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            save_files(temporary)
            if target.exists():  # a model trained again under its name: the old files go
                old = folder / f".{stem}.{uuid.uuid4().hex[:8]}.old"
                os.replace(target, old)
                shutil.rmtree(old, ignore_errors=True)
            os.replace(temporary, target)
        finally:
            shutil.rmtree(temporary, ignore_errors=True)
        note = {"name": backend.name, "kind": str(BackendKind.TEXT), "dim": backend.dim, "words": 0,
                "description": str(getattr(backend, "description", backend.name)), "origin": origin, "base": base,
                "format": "sentence-transformers", "details": details or {}}
        atomic_write(folder / f"{stem}.json", json.dumps(note))
        return target

    def notes(self) -> list[SavedNote]:
        """Every readable note whose vectors file exists."""
        folder = self.folder()
        if not folder.is_dir():
            return []
        found = []
        for path in sorted(folder.glob("*.json")):
            note = self._read_note(path)
            if note is not None:
                found.append(note)
        return found

    def note(self, name: str) -> SavedNote | None:
        """The note of ``name``, or None."""
        return self._read_note(self.folder() / f"{file_stem(name)}.json")

    @staticmethod
    def _read_note(path: Path) -> SavedNote | None:
        try:
            meta = json.loads(path.read_text())
            name, dim, words = str(meta["name"]), int(meta["dim"]), int(meta.get("words", 0))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        origin = meta.get("origin")
        if origin not in SAVED_ORIGINS:  # older notes have no origin: the name prefix tells
            origin = "upload" if name.startswith("user:") else "trained" if name.startswith("trained:") else None
        text = meta.get("format") == "sentence-transformers"
        suffix = TEXT_SUFFIX if text else ".fbin" if meta.get("format") == "fasttext" else ".w2v"
        files = path.with_suffix(suffix)
        if origin is None or not files.exists():
            return None
        base = meta.get("base")
        details = meta.get("details") if isinstance(meta.get("details"), dict) else {}
        return SavedNote(name, dim, words, str(meta.get("description") or name), origin, str(base) if base else None, files,
                         details, BackendKind.TEXT if text else BackendKind.WORDS)

    def delete(self, name: str) -> bool:
        """Remove the files of ``name``; True when there were any."""
        stem = file_stem(name)
        removed = False
        directory = self.folder() / f"{stem}{TEXT_SUFFIX}"
        if directory.is_dir():
            shutil.rmtree(directory)
            removed = True
        for suffix in (".w2v", ".fbin", ".json"):
            path = self.folder() / f"{stem}{suffix}"
            if path.exists():
                path.unlink(missing_ok=True)
                removed = True
        return removed
