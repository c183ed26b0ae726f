"""Cosine similarity: matrices, ranked pairs, nearest neighbours, and model agreement."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from embedlab.backends import (
    as_word_vectors,
    backend_kind,
    encode_texts,
    get_text_encoder,
    memoize_models,
)
from embedlab.backends.base import BackendKind
from embedlab.config import LIMITS
from embedlab.errors import InputError, OutOfVocabularyError
from embedlab.vectors import cosine_matrix
from embedlab.wordrules import parse_word_list, resolve_words, word_key


def _check_count(items: list[str], limit: int, what: str) -> None:
    if len(items) > limit:
        raise InputError(f"Too many {what}: {len(items)}; the limit is {limit}.")


def _check_lengths(items: list[str], what: str) -> None:
    too_long = [i + 1 for i, item in enumerate(items) if len(item) > LIMITS.max_text_chars]
    if too_long:
        raise InputError(f"{what} {too_long[0]} is longer than {LIMITS.max_text_chars} characters.")


def parse_words(text: str, max_items: int = LIMITS.max_words) -> list[str]:
    """Words from free text by the one word rule (``embedlab.wordrules``): commas or new
    lines separate, spaces inside an item join a phrase; order kept, duplicates dropped."""
    words = parse_word_list(text, limit=max_items)
    if not words:
        raise InputError("Type at least one word.")
    return words


def parse_sentences(text: str, max_items: int = LIMITS.max_sentences) -> list[str]:
    """One sentence per non-empty line, order kept, duplicates dropped."""
    sentences = list(dict.fromkeys(s.strip() for s in text.splitlines() if s.strip()))
    if not sentences:
        raise InputError("Type at least one sentence (one per line).")
    _check_count(sentences, max_items, "sentences")
    _check_lengths(sentences, "Sentence")
    return sentences


@dataclass(frozen=True)
class SimilarityResult:
    """A similarity matrix over ``labels`` from one model; ``unknown`` lists dropped words."""

    model: str
    labels: list[str]
    matrix: np.ndarray
    unknown: list[str]


@dataclass(frozen=True)
class Pair:
    """Two items and their cosine similarity."""

    first: str
    second: str
    score: float


@memoize_models(max_entries=256)
def similarity(model: str, items: list[str]) -> SimilarityResult:
    """Cosine similarity of ``items`` under ``model``.

    A word model drops (and reports) unknown words; a text model encodes everything. The
    limits of ``LIMITS`` hold here, so every caller (page, CLI, library) gets the same ones.
    """
    if not items:
        raise InputError("Nothing to compare: give at least one item.")
    blank = [i + 1 for i, item in enumerate(items) if not item.strip()]
    if blank:
        raise InputError(f"Item {blank[0]} is empty: give words or sentences with text in them.")
    kind = backend_kind(model)  # from the catalogue: a text model's kept vectors need no load
    if kind == BackendKind.WORDS:
        _check_count(items, LIMITS.max_words, "words")
    else:
        _check_count(items, LIMITS.max_sentences, "sentences")
    _check_lengths(items, "Item")
    if kind == BackendKind.WORDS:
        words = as_word_vectors(model)
        found = resolve_words(words, items)  # the one word rule: as typed, lower case for lower-case vocabularies
        vectors = words.encode(list(found.keys)) if found.keys else np.zeros((0, words.dim), np.float32)
        return SimilarityResult(model, list(found.given), cosine_matrix(vectors), list(found.missing))
    if kind != BackendKind.TEXT:
        get_text_encoder(model)  # says what this model is and what to use instead
    return SimilarityResult(model, list(items), cosine_matrix(encode_texts(model, items).vectors), [])


def ranked_pairs(result: SimilarityResult, n: int = 5) -> tuple[list[Pair], list[Pair]]:
    """The ``n`` most and ``n`` least similar distinct pairs."""
    rows, cols = np.triu_indices(len(result.labels), k=1)
    if len(rows) == 0:
        return [], []
    scores = result.matrix[rows, cols]
    order = np.argsort(-scores, kind="stable")
    pairs = [Pair(result.labels[rows[i]], result.labels[cols[i]], float(scores[i])) for i in order]
    return pairs[:n], pairs[::-1][:n]


@dataclass(frozen=True)
class Agreement:
    """How far two models agree on the same inputs: Spearman rho over pairwise similarities."""

    model_a: str
    model_b: str
    labels: list[str]
    spearman: float | None
    pairs: int
    reason: str = ""


def agreement(first: SimilarityResult, second: SimilarityResult) -> Agreement:
    """Spearman correlation of the pairwise similarities on the items both models cover."""
    from scipy.stats import spearmanr

    shared = [label for label in first.labels if label in set(second.labels)]
    if len(shared) < 3:
        return Agreement(first.model, second.model, shared, None, 0, "needs at least 3 items both models know")
    index_a = [first.labels.index(s) for s in shared]
    index_b = [second.labels.index(s) for s in shared]
    rows, cols = np.triu_indices(len(shared), k=1)
    a = first.matrix[np.ix_(index_a, index_a)][rows, cols]
    b = second.matrix[np.ix_(index_b, index_b)][rows, cols]
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return Agreement(first.model, second.model, shared, None, len(a), "one model gives every pair the same score")
    rho = float(spearmanr(a, b).statistic)
    return Agreement(first.model, second.model, shared, rho, len(a))


@dataclass(frozen=True)
class Neighbors:
    """The nearest words (or stored texts) to one query."""

    model: str
    query: str
    neighbors: list[tuple[str, float]]


@memoize_models(max_entries=1024)
def word_neighbors(model: str, word: str, k: int = 10) -> Neighbors:
    """The ``k`` nearest words to ``word`` in a word model."""
    from embedlab.backends import get_word_vectors

    if not 1 <= k <= LIMITS.max_neighbors:
        raise InputError(f"k must be between 1 and {LIMITS.max_neighbors}, got {k}.")
    words = get_word_vectors(model)
    key = word_key(words, word)  # the one word rule; FastText models build any word from n-grams
    if key is None:
        raise OutOfVocabularyError([word], model)
    return Neighbors(model, word, words.neighbors(key, k))
