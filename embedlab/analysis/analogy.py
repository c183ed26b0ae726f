"""Word analogies a : b :: c : ? by 3CosAdd and 3CosMul (Levy & Goldberg, 2014).

3CosAdd ranks every word d by cos(d, b - a + c) (the vector offset of Mikolov et al.);
3CosMul ranks by cos(d, b) * cos(d, c) / (cos(d, a) + eps) with cosines shifted to [0, 1]
(Levy & Goldberg's equation 4; eps = 1e-6 as in gensim's ``most_similar_cosmul``), which
keeps one large similarity from dominating. By default the three inputs are excluded from the
answers, as every published benchmark does; without that exclusion b itself usually wins,
because b - a + c stays closest to b when a and c are close.

The maths works on the unit-normalised vector matrix of any gensim-backed word model, in
batches, so the same code answers one analogy on the page and 19,544 in the evaluation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from embedlab.backends import get_word_vectors, memoize_models
from embedlab.backends.base import WordVectors
from embedlab.errors import (
    BadUploadError,
    EmbedlabError,
    InputError,
    OutOfVocabularyError,
)
from embedlab.wordrules import word_key

if TYPE_CHECKING:
    from gensim.models import KeyedVectors

METHODS = ("3cosadd", "3cosmul")
COSMUL_EPSILON = 1e-6
MAX_BATCH_ANALOGIES = 20_000
MAX_BATCH_BYTES = 2 * 1024 * 1024  # an uploaded file of analogies
MAX_K = 100
# Score matrix cells computed at once (chunk rows x vocabulary): about 80 MB of float32.
_CELLS_PER_CHUNK = 20_000_000


def check_method(method: str) -> str:
    """The method name lower-cased, or an InputError that lists the choices."""
    name = method.lower().replace("-", "").replace(" ", "")
    if name not in METHODS:
        raise InputError(f"Unknown analogy method {method!r}; choose one of {', '.join(METHODS)}.")
    return name


def keyed_vectors(backend: WordVectors) -> KeyedVectors:
    """The gensim KeyedVectors under a word backend (every built-in, uploaded and trained one)."""
    return backend.kv


def unit_matrix(backend: WordVectors) -> np.ndarray:
    """Unit-length rows of the model's vectors (divided by gensim's cached norms).

    All-zero rows (only in files saved before uploads dropped them) stay zero instead of NaN,
    so they score 0 rather than poisoning the ranking."""
    kv = keyed_vectors(backend)
    kv.fill_norms()
    norms = kv.norms
    if (norms > 0).all():
        return kv.get_normed_vectors()
    return (kv.vectors / np.where(norms > 0, norms, 1.0)[:, None]).astype(np.float32)


def resolve_word(backend: WordVectors, word: str) -> str | None:
    """The vocabulary entry for ``word`` by the one word rule (``embedlab.wordrules``): as
    typed, in lower case for a lower-case vocabulary; None when it is not there."""
    key = word_key(backend, word)
    return key if key is not None and key in backend else None


SCORE_MEANING = {
    "3cosadd": "3CosAdd's score is the cosine of the answer with b − a + c (at most 1).",
    "3cosmul": "3CosMul's score is a ratio, not a cosine: cos(d, b)·cos(d, c) / (cos(d, a) + 0.001), each cosine first"
               " shifted to [0, 1]. It often exceeds 1 (up to about 1,000 when d is far from a); only the order of the answers"
               " means something (Levy & Goldberg 2014).",
}


def top_candidates(
    unit: np.ndarray, ia: np.ndarray, ib: np.ndarray, ic: np.ndarray, method: str, *,
    k: int, candidates: int | None = None, exclude_inputs: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """(indices, scores), each (rows x k), best first, searching the first ``candidates`` words.

    Works in chunks so memory stays bounded whatever the vocabulary size.
    """
    full = unit
    pool = full if candidates is None else full[: min(candidates, len(full))]
    size = len(pool)
    extra = 3 if exclude_inputs else 0
    take = min(k + extra, size)
    chunk = max(1, _CELLS_PER_CHUNK // max(size, 1))
    out_idx = np.full((len(ia), k), -1, dtype=np.int64)
    out_score = np.full((len(ia), k), np.nan, dtype=np.float32)
    for start in range(0, len(ia), chunk):
        stop = min(start + chunk, len(ia))
        a, b, c = ia[start:stop], ib[start:stop], ic[start:stop]
        best, best_scores = _ranked(analogy_scores(full, pool, a, b, c, method), take)
        for row in range(len(a)):
            keep = [j for j in range(best.shape[1]) if not exclude_inputs or best[row, j] not in (a[row], b[row], c[row])][:k]
            out_idx[start + row, : len(keep)] = best[row, keep]
            out_score[start + row, : len(keep)] = best_scores[row, keep]
    return out_idx, out_score


def _ranked(scores: np.ndarray, take: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``take`` best columns of each row of ``scores``, best first: (indices, scores)."""
    size = scores.shape[1]
    part = np.argpartition(-scores, take - 1, axis=1)[:, :take] if take < size else np.tile(np.arange(size), (len(scores), 1))
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-part_scores, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(part_scores, order, axis=1)


def analogy_scores(full: np.ndarray, pool: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray, method: str) -> np.ndarray:
    """The one 3CosAdd/3CosMul scorer: scores of the ``pool`` rows (columns; the vocabulary or
    a prefix of it) for each analogy a : b :: c : ? (rows) whose inputs are rows of ``full``
    (unit vectors). Single analogies, batches and the benchmarks all use it."""
    return _scores_of_vectors(pool, full[a], full[b], full[c], method)


def _scores_of_vectors(pool: np.ndarray, va: np.ndarray, vb: np.ndarray, vc: np.ndarray, method: str) -> np.ndarray:
    """Scores of the ``pool`` rows for analogies given by unit input vectors (one row each)."""
    method = check_method(method)
    if method == "3cosadd":
        target = vb - va + vc
        norms = np.linalg.norm(target, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return (target / norms).astype(np.float32) @ pool.T
    sa = (1.0 + va @ pool.T) / 2.0
    sb = (1.0 + vb @ pool.T) / 2.0
    sc = (1.0 + vc @ pool.T) / 2.0
    return sb * sc / (sa + COSMUL_EPSILON)


@dataclass(frozen=True)
class Answer:
    """One candidate d with its score (cosine for 3CosAdd, the 3CosMul ratio otherwise)."""

    word: str
    score: float


@dataclass(frozen=True)
class AnalogyResult:
    """The ranked answers to a : b :: c : ? and, when asked, where the expected answer ranks."""

    model: str
    a: str
    b: str
    c: str
    method: str
    exclude_inputs: bool
    answers: list[Answer]
    expected: str | None = None
    expected_rank: int | None = None
    expected_score: float | None = None
    note: str = ""

    @property
    def best(self) -> str | None:
        """The top answer, or None when the vocabulary had no candidate."""
        return self.answers[0].word if self.answers else None

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: ``answers`` as a list of {word, score}."""
        return {
            "model": self.model,
            "a": self.a,
            "b": self.b,
            "c": self.c,
            "method": self.method,
            "exclude_inputs": self.exclude_inputs,
            "answers": [{"word": x.word, "score": x.score} for x in self.answers],
            "expected": self.expected,
            "expected_rank": self.expected_rank,
            "expected_score": self.expected_score,
            "note": self.note,
        }


@memoize_models(max_entries=512)
def solve_analogy(
    model: str | WordVectors,
    a: str,
    b: str,
    c: str,
    *,
    k: int = 5,
    method: str = "3cosadd",
    exclude_inputs: bool = True,
    expected: str | None = None,
) -> AnalogyResult:
    """Answer a : b :: c : ? with the ``k`` best words of the model's whole vocabulary.

    Words are looked up exactly, then lower-cased. A subword model (FastText) builds an
    unseen a, b or c from its character n-grams, as on the other pages; the answers and the
    expected word still come from the vocabulary. Other unknown words raise
    OutOfVocabularyError.
    """
    backend = get_word_vectors(model) if isinstance(model, str) else model
    method = check_method(method)
    if not 1 <= k <= MAX_K:
        raise InputError(f"k must be between 1 and {MAX_K}, got {k}.")
    inputs = [w.strip() for w in (a, b, c)]
    if any(not w for w in inputs):
        raise InputError("Give three words: a, b and c.")
    resolved = [resolve_word(backend, w) for w in inputs]
    subwords = backend.subwords
    built = [w for w, r in zip(inputs, resolved, strict=True) if r is None and subwords]  # vectors from n-grams
    unknown = [w for w, r in zip(inputs, resolved, strict=True) if r is None and not subwords]
    expected_word = None
    if expected and expected.strip():
        expected_word = resolve_word(backend, expected.strip())
        if expected_word is None:
            unknown.append(expected.strip())
    if unknown:
        raise OutOfVocabularyError(unknown, backend.name)
    kv = keyed_vectors(backend)
    unit = unit_matrix(backend)
    rows = [None if w is None else kv.key_to_index[w] for w in resolved]
    names = [w if r is None else r for w, r in zip(inputs, resolved, strict=True)]
    va, vb, vc = (unit[r][None] if r is not None else backend.encode([w]) for w, r in zip(names, rows, strict=True))
    scores = _scores_of_vectors(unit, va, vb, vc, method)[0]
    excluded = {r for r in rows if r is not None} if exclude_inputs else set()
    answers = _best(scores, excluded, min(k, len(unit)), kv.index_to_key)
    rank = score = None
    notes = []
    if built:
        notes.append(f"{', '.join(map(repr, built))} {'is' if len(built) == 1 else 'are'} not in the vocabulary:"
                     " built from character n-grams (the answers come from the vocabulary)")
    if expected_word is not None:
        target = kv.key_to_index[expected_word]
        if target in excluded:
            notes.append(f"the expected answer {expected_word!r} is one of the inputs, which are excluded")
        else:
            allowed = np.ones(len(scores), dtype=bool)
            allowed[list(excluded)] = False
            score = float(scores[target])
            rank = int(np.count_nonzero(scores[allowed] > score)) + 1
    if not answers:
        notes.append("no answer: every word of the vocabulary is one of the inputs, which are excluded")
    if not exclude_inputs and answers and answers[0].word in names:
        notes.append(
            f"the top answer {answers[0].word!r} is one of the inputs: b - a + c stays close to b,"
            " so unrestricted rankings are usually won by an input; benchmarks exclude them"
        )
    return AnalogyResult(backend.name, names[0], names[1], names[2], method, exclude_inputs,
                         answers, expected_word, rank, score, "; ".join(notes))


def _best(scores: np.ndarray, excluded: set[int], k: int, words: Sequence[str]) -> list[Answer]:
    """The ``k`` highest-scoring vocabulary words, best first, leaving out ``excluded`` rows."""
    take = min(k + len(excluded), len(scores))
    if take <= 0:
        return []
    best, best_scores = _ranked(scores[None], take)
    return [Answer(words[i], float(s)) for i, s in zip(best[0], best_scores[0], strict=True) if i not in excluded][:k]


# ---------------------------------------------------------------- batch mode


@dataclass(frozen=True)
class Quad:
    """One analogy line a b c d, with its line number in the input."""

    a: str
    b: str
    c: str
    d: str
    line: int


def read_analogy_upload(data: bytes, max_bytes: int = MAX_BATCH_BYTES) -> str:
    """The text of an uploaded analogy file (UTF-8, bad bytes replaced), within the size cap."""
    if len(data) > max_bytes:
        raise BadUploadError(f"The file is {len(data) / 2**20:.1f} MB; the limit is {max_bytes / 2**20:g} MB.")
    return data.decode("utf8", errors="replace")


def parse_analogies(text: str, max_items: int = MAX_BATCH_ANALOGIES) -> list[Quad]:
    """``a b c d`` per line; blank lines and lines starting with ``:`` or ``#`` are skipped.

    A line with other than four words raises an InputError naming the line.
    """
    quads: list[Quad] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith((":", "#")):
            continue
        words = re.split(r"[\s,;]+", stripped)
        if len(words) != 4:
            raise InputError(f"Line {number}: expected four words 'a b c d', got {len(words)}: {stripped[:80]!r}.")
        quads.append(Quad(words[0], words[1], words[2], words[3], line=number))
        if len(quads) > max_items:
            raise InputError(f"Too many analogies: more than {max_items:,}; the limit is {max_items:,}.")
    if not quads:
        raise InputError("No analogies found: give one 'a b c d' per line.")
    return quads


@dataclass(frozen=True)
class Miss:
    """An analogy the model got wrong: what it predicted and where the right answer ranked."""

    a: str
    b: str
    c: str
    expected: str
    predicted: str
    line: int


@dataclass(frozen=True)
class BatchResult:
    """Accuracy over the analogies whose four words the model knows."""

    model: str
    method: str
    accuracy: float | None
    n: int
    correct: int
    misses: list[Miss]
    skipped: list[Quad] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "model": self.model,
            "method": self.method,
            "accuracy": self.accuracy,
            "n": self.n,
            "correct": self.correct,
            "skipped": len(self.skipped),
            "misses": [m.__dict__ for m in self.misses],
        }


@memoize_models(max_entries=64)
def batch_accuracy(model: str | WordVectors, quads: Sequence[Quad], *, method: str = "3cosadd") -> BatchResult:
    """Top-1 accuracy (inputs excluded) over ``quads``; lines with unknown words are skipped."""
    backend = get_word_vectors(model) if isinstance(model, str) else model
    method = check_method(method)
    kv = keyed_vectors(backend)
    usable: list[tuple[Quad, list[str]]] = []
    skipped: list[Quad] = []
    for quad in quads:
        words = [resolve_word(backend, w) for w in (quad.a, quad.b, quad.c, quad.d)]
        if any(w is None for w in words):
            skipped.append(quad)
        else:
            usable.append((quad, words))  # type: ignore[arg-type]
    if not usable:
        return BatchResult(backend.name, method, None, 0, 0, [], skipped)
    index = kv.key_to_index
    ia, ib, ic = (np.array([index[w[j]] for _, w in usable]) for j in range(3))
    top_idx, _ = top_candidates(unit_matrix(backend), ia, ib, ic, method, k=1)
    words = kv.index_to_key
    misses = []
    correct = 0
    for (quad, resolved), best in zip(usable, top_idx[:, 0], strict=True):
        predicted = words[best] if best >= 0 else ""
        if predicted == resolved[3]:
            correct += 1
        else:
            misses.append(Miss(resolved[0], resolved[1], resolved[2], resolved[3], predicted, quad.line))
    return BatchResult(backend.name, method, correct / len(usable), len(usable), correct, misses, skipped)


# ---------------------------------------------------------------- the picture


@dataclass(frozen=True)
class AnalogyPicture:
    """2-D PCA coordinates of the words involved, plus the two offsets to draw as arrows."""

    words: list[str]
    roles: list[str]
    x: list[float]
    y: list[float]
    arrows: list[tuple[str, str]]
    explained_variance: float


@memoize_models(max_entries=256)
def analogy_picture(model: str | WordVectors, result: AnalogyResult, *, answers: int = 3) -> AnalogyPicture:
    """PCA (2 components, fitted on these words only) of a, b, c, the top answers and the
    expected answer, with arrows a→b and c→d (d = the top answer, or the expected one)."""
    from sklearn.decomposition import PCA

    backend = get_word_vectors(model) if isinstance(model, str) else model
    entries: dict[str, str] = {result.a: "a", result.b: "b", result.c: "c"}
    for answer in result.answers[:answers]:
        entries.setdefault(answer.word, "answer")
    if result.expected:
        entries.setdefault(result.expected, "expected")
    words = list(entries)
    if len(words) < 3:
        raise InputError("Need at least three distinct words to draw the picture.")
    vectors = backend.encode(words).astype(np.float64)
    pca = PCA(n_components=2, random_state=0)
    points = pca.fit_transform(vectors)
    d = result.best if result.best and result.best not in (result.a, result.b, result.c) else result.expected
    arrows = [(result.a, result.b)] + ([(result.c, d)] if d else [])
    return AnalogyPicture(
        words=words,
        roles=[entries[w] for w in words],
        x=[float(v) for v in points[:, 0]],
        y=[float(v) for v in points[:, 1]],
        arrows=arrows,
        explained_variance=float(pca.explained_variance_ratio_.sum()),
    )


@dataclass(frozen=True)
class WorkedAnalogy:
    """One analogy of a worked set: its answer and the expected word's rank, or why it failed."""

    analogy: str
    expected: str
    top_answer: str | None
    expected_rank: int | None
    tests: str
    error: str | None = None

    def as_row(self) -> dict[str, Any]:
        return {"analogy": self.analogy, "expected": self.expected,
                "top answer": self.top_answer if self.error is None else f"({self.error})",
                "expected rank": self.expected_rank, "what it tests": self.tests}


def worked_analogies(model: str | WordVectors, examples: Sequence[tuple[str, str, str, str, str]], *,
                     method: str = "3cosadd", k: int = 10) -> list[WorkedAnalogy]:
    """Each ``(a, b, c, expected, what it tests)`` solved with ``method``; an unknown word in a
    small model is reported in its row, not raised (the guided demo's table)."""
    rows = []
    for a, b, c, expected, tests in examples:
        analogy = f"{a} : {b} :: {c} : ?"
        try:
            solved = solve_analogy(model, a, b, c, k=k, method=method, expected=expected)
        except EmbedlabError as error:
            rows.append(WorkedAnalogy(analogy, expected, None, None, tests, str(error)))
            continue
        rows.append(WorkedAnalogy(analogy, expected, solved.best, solved.expected_rank, tests))
    return rows
