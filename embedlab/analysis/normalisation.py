"""Dot product versus cosine: they rank alike only when every vector has the same length.

``dot(q, x) = |q| |x| cos(q, x)``: for one query ``|q|`` is a constant, so the two rankings
differ exactly by each candidate's length ``|x|``. Sentence models' collections are stored unit
length (the two agree); GloVe's vectors are not, and long vectors — French function words in an
English corpus ("de", "la", "le"), pronouns, numbers, a few rare tokens — climb a dot-product
ranking whatever their direction. ``word_dot_vs_cosine`` shows one query's two top-k lists with
the lengths, and ``most_disagreeing`` finds the query of a candidate list whose lists share the
fewest words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from embedlab import cache
from embedlab.backends import memoize_models, model_key
from embedlab.errors import InputError, OutOfVocabularyError

DEFAULT_VOCABULARY = 50_000
#: common words tried by the demo; "good" disagrees most in GloVe 6B 50d (1 word of 10 shared)
DEMO_CANDIDATES = ("good", "paris", "bank", "music", "computer", "king", "apple", "water", "war", "money", "science", "city")


@dataclass(frozen=True)
class Ranked:
    """One neighbour: its key, both scores and its vector's length."""

    key: str
    dot: float
    cosine: float
    norm: float


@dataclass(frozen=True)
class DotCosine:
    """One query's top-k by dot product and by cosine over a vocabulary, and what differs."""

    model: str
    query: str
    query_norm: float
    vocabulary: int
    k: int
    by_dot: tuple[Ranked, ...]
    by_cosine: tuple[Ranked, ...]
    #: vector lengths over the whole vocabulary searched: median, and Spearman ρ with frequency rank
    median_norm: float
    norm_rank_rho: float

    @property
    def overlap(self) -> int:
        return len({r.key for r in self.by_dot} & {r.key for r in self.by_cosine})

    @property
    def only_dot(self) -> tuple[Ranked, ...]:
        """Neighbours the dot product ranks in and cosine does not (the long vectors)."""
        cosine = {r.key for r in self.by_cosine}
        return tuple(r for r in self.by_dot if r.key not in cosine)

    @property
    def only_cosine(self) -> tuple[Ranked, ...]:
        dot = {r.key for r in self.by_dot}
        return tuple(r for r in self.by_cosine if r.key not in dot)

    def explanation(self) -> str:
        """What moved and why, with the lengths."""
        moved_in = ", ".join(f"{r.key} ({r.norm:.2f})" for r in self.only_dot) or "none"
        moved_out = ", ".join(f"{r.key} ({r.norm:.2f})" for r in self.only_cosine) or "none"
        mean_in = np.mean([r.norm for r in self.only_dot]) if self.only_dot else float("nan")
        mean_out = np.mean([r.norm for r in self.only_cosine]) if self.only_cosine else float("nan")
        return (f"{self.overlap} of the top {self.k} are in both lists for {self.query!r} (its length {self.query_norm:.2f};"
                f" median length of the {self.vocabulary:,} words searched {self.median_norm:.2f}). Only by dot product:"
                f" {moved_in} — mean length {mean_in:.2f}. Only by cosine: {moved_out} — mean length {mean_out:.2f}."
                " The dot product multiplies the angle by the length, so long vectors climb whatever their direction.")


def dot_vs_cosine(vectors: np.ndarray, keys: Sequence[str], query: int, k: int = 10, *, model: str = "") -> DotCosine:
    """Row ``query``'s top ``k`` other rows of ``vectors`` by dot product and by cosine
    (ties to the lower row), with every vector's length."""
    matrix = np.asarray(vectors, dtype=np.float64)
    if not 0 <= query < len(matrix):
        raise InputError(f"Query row {query} is outside the {len(matrix)} rows.")
    if not 1 <= k < len(matrix):
        raise InputError(f"k must be between 1 and {len(matrix) - 1} (got {k}).")
    norms = np.linalg.norm(matrix, axis=1)
    if not norms[query] > 0:
        raise InputError(f"{keys[query]!r} has an all-zero vector: it has no direction.")
    dot = matrix @ matrix[query]
    cosine = dot / np.where(norms == 0, 1, norms) / norms[query]
    dot[query] = cosine[query] = -np.inf

    def ranked(scores: np.ndarray) -> tuple[Ranked, ...]:
        order = np.lexsort((np.arange(len(scores)), -scores))[:k]
        return tuple(Ranked(str(keys[i]), float(dot[i]), float(cosine[i]), float(norms[i])) for i in order)

    from scipy.stats import spearmanr

    rho = float(spearmanr(norms, np.arange(len(norms))).statistic) if np.ptp(norms) > 0 else 0.0
    return DotCosine(model, str(keys[query]), float(norms[query]), len(matrix), k, ranked(dot), ranked(cosine),
                     float(np.median(norms)), rho)


@memoize_models(max_entries=32)
def word_dot_vs_cosine(model: str, query: str, k: int = 10, vocabulary: int = DEFAULT_VOCABULARY) -> DotCosine:
    """``query``'s neighbours in a word model's raw (un-normalised) vectors by dot product and by
    cosine, among its ``vocabulary`` most frequent words (GloVe and word2vec list words by
    frequency; rare words with odd lengths would otherwise crowd the dot-product list)."""
    from embedlab.backends import get_word_vectors

    words = get_word_vectors(model)
    kv = getattr(words, "kv", None)
    if kv is None:
        raise InputError(f"{model!r} keeps no vocabulary matrix to rank.")
    size = min(int(vocabulary), len(kv.index_to_key))
    if size < 2:
        raise InputError(f"The vocabulary must hold at least 2 words (got {vocabulary}).")
    position = kv.key_to_index.get(query)
    if position is None:
        raise OutOfVocabularyError([query], model)
    if position >= size:
        raise InputError(f"{query!r} is word {position + 1:,} by frequency, outside the {size:,} searched; search more words.")
    return dot_vs_cosine(kv.vectors[:size], kv.index_to_key[:size], position, k, model=model)


def _dump_dot_cosine(result: DotCosine) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    return {}, asdict(result)


def _load_dot_cosine(arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> DotCosine:
    ranked = {side: tuple(Ranked(**row) for row in meta[side]) for side in ("by_dot", "by_cosine")}
    return DotCosine(**{**meta, **ranked})


@memoize_models(max_entries=8)
@cache.on_disk("normalisation", keys={"model": model_key}, dump=_dump_dot_cosine, load=_load_dot_cosine)
def most_disagreeing(model: str, candidates: Sequence[str] = DEMO_CANDIDATES, k: int = 10,
                     vocabulary: int = DEFAULT_VOCABULARY) -> DotCosine:
    """The candidate (in the vocabulary) whose dot-product and cosine lists share the fewest
    words; ties go to the earlier candidate."""
    best: DotCosine | None = None
    for word in candidates:
        try:
            found = word_dot_vs_cosine(model, word, k, vocabulary)
        except (OutOfVocabularyError, InputError):
            continue
        if best is None or found.overlap < best.overlap:
            best = found
    if best is None:
        raise InputError(f"None of the candidates is among {model!r}'s {vocabulary:,} most frequent words.")
    return best


@dataclass(frozen=True)
class NormSummary:
    """How long a collection's vectors are: when they are all unit length, dot product and
    cosine rank every query's neighbours the same."""

    rows: int
    minimum: float
    median: float
    maximum: float

    @property
    def unit(self) -> bool:
        return abs(self.minimum - 1) < 1e-3 and abs(self.maximum - 1) < 1e-3


def norm_summary(vectors: np.ndarray) -> NormSummary:
    """The smallest, median and largest vector length of ``vectors``."""
    norms = np.linalg.norm(np.asarray(vectors, dtype=np.float64), axis=1)
    if not len(norms):
        raise InputError("No vectors to measure.")
    return NormSummary(len(norms), float(norms.min()), float(np.median(norms)), float(norms.max()))
