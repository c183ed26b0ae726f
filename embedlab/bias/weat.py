"""WEAT, the Word Embedding Association Test (Caliskan, Bryson & Narayanan, 2017).

For target sets X, Y and attribute sets A, B (unit vectors, cosine similarity):

- association of a word:  s(w, A, B) = mean_a cos(w, a) - mean_b cos(w, b)
- test statistic:         s(X, Y, A, B) = sum_x s(x, A, B) - sum_y s(y, A, B)
- effect size:            d = (mean_x s(x) - mean_y s(y)) / std_{w in X ∪ Y} s(w)
  (population standard deviation, ddof=0, as in WEFE and responsibly)
- one-sided p-value:      the share of partitions (X_i, Y_i) of X ∪ Y, with |X_i| = |X|, whose
  statistic is at least the observed one. Exact over every partition when there are at most
  ``exact_limit`` (100,000) of them; otherwise ``n_permutations`` (≥ 10,000) seeded random
  partitions, with p = (1 + count) / (1 + n) so that p is never 0 (Phipson & Smyth, 2010).
  The paper writes ">"; counting ties as extreme, as mlxtend/responsibly do, is slightly
  conservative and only matters for ties.

Everything is vectorised: s(w) is computed once per target word, and a partition's statistic
is 2·sum_{i in X_i} s_i − sum_all s, so each partition costs one gather-and-sum.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from embedlab.backends import as_word_vectors, memoize_models
from embedlab.bias.wordsets import WeatTest, key_vectors, weat_tests
from embedlab.errors import InputError
from embedlab.wordrules import resolve_words

EXACT_LIMIT = 100_000
MIN_RANDOM_PERMUTATIONS = 10_000
DEFAULT_SEED = 0
_CHUNK = 20_000


@dataclass(frozen=True)
class PermutationTest:
    """How the p-value was obtained: ``exact`` (all partitions) or ``random`` (seeded)."""

    method: str
    partitions: int
    total_partitions: int
    seed: int | None

    def describe(self) -> str:
        if self.method == "exact":
            return f"exact over all {self.partitions:,} partitions"
        return f"{self.partitions:,} random partitions of {self.total_partitions:.3g}, seed {self.seed}"


@dataclass(frozen=True)
class WordAssociation:
    """One target word's association s(w, A, B) and the set it belongs to ("X" or "Y")."""

    word: str
    group: str
    s: float


@dataclass(frozen=True)
class WeatResult:
    """A WEAT (or SEAT) result; ``computable`` is False with a ``reason`` when a set is too small."""

    test: str
    name: str
    model: str
    set_names: dict[str, str]
    computable: bool
    reason: str = ""
    statistic: float | None = None
    effect_size: float | None = None
    p_value: float | None = None
    n_used: dict[str, int] = field(default_factory=dict)
    oov: dict[str, list[str]] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    permutation: PermutationTest | None = None
    associations: tuple[WordAssociation, ...] = ()
    paper_effect_size: float | None = None
    unit: str = "word"
    notes: tuple[str, ...] = ()

    @property
    def oov_words(self) -> list[str]:
        """Every missing word, in set order X, Y, A, B."""
        return [w for key in ("X", "Y", "A", "B") for w in self.oov.get(key, [])]

    def as_dict(self, *, with_associations: bool = False) -> dict[str, Any]:
        """The CLI/JSON form: test, name, effect_size, p_value, statistic, n_used, oov (+ detail)."""
        document: dict[str, Any] = {
            "test": self.test,
            "name": self.name,
            "effect_size": self.effect_size,
            "p_value": self.p_value,
            "statistic": self.statistic,
            "n_used": dict(self.n_used),
            "oov": self.oov_words,
            "model": self.model,
            "computable": self.computable,
            "reason": self.reason,
            "oov_by_set": {k: list(v) for k, v in self.oov.items()},
            "removed_as_in_paper": list(self.removed),
            "p_method": self.permutation.method if self.permutation else None,
            "permutations": self.permutation.partitions if self.permutation else None,
            "seed": self.permutation.seed if self.permutation else None,
            "paper_effect_size": self.paper_effect_size,
            "unit": self.unit,
            "notes": list(self.notes),
        }
        if with_associations:
            document["associations"] = [asdict(a) for a in self.associations]
        return document

    def sorted_associations(self) -> list[WordAssociation]:
        """Target words from the most A-leaning (largest s) to the most B-leaning."""
        return sorted(self.associations, key=lambda a: a.s, reverse=True)


def associations(words: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """s(w, A, B) for every row of ``words`` (rows are normalised here; cosine similarity)."""
    w, a64, b64 = (_unit64(m) for m in (words, a, b))
    return (w @ a64.T).mean(axis=1) - (w @ b64.T).mean(axis=1)


def _unit64(matrix: np.ndarray) -> np.ndarray:
    """Rows as float64 unit vectors (float32 normalisation would cost ~1e-8 of precision)."""
    m = np.asarray(matrix, dtype=np.float64)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return m / norms


def test_statistic(s_x: np.ndarray, s_y: np.ndarray) -> float:
    """s(X, Y, A, B) = sum of X's associations minus sum of Y's."""
    return float(np.sum(s_x) - np.sum(s_y))


def effect_size(s_x: np.ndarray, s_y: np.ndarray, ddof: int = 0) -> float | None:
    """Caliskan et al.'s d; None when every association is equal (std 0)."""
    std = float(np.std(np.concatenate([s_x, s_y]), ddof=ddof))
    if std == 0.0 or not math.isfinite(std):
        return None
    return float((np.mean(s_x) - np.mean(s_y)) / std)


def permutation_p_value(
    s_x: np.ndarray,
    s_y: np.ndarray,
    *,
    n_permutations: int = MIN_RANDOM_PERMUTATIONS,
    seed: int = DEFAULT_SEED,
    exact_limit: int = EXACT_LIMIT,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[float, PermutationTest]:
    """One-sided permutation p-value of the WEAT statistic (see the module docstring)."""
    if n_permutations < MIN_RANDOM_PERMUTATIONS:
        raise InputError(f"Use at least {MIN_RANDOM_PERMUTATIONS:,} random partitions, got {n_permutations:,}.")
    s = np.concatenate([s_x, s_y]).astype(np.float64)
    n, n_x = len(s), len(s_x)
    observed_half = float(np.sum(s_x))  # statistic = 2·sum(X_i) − total, monotone in sum(X_i)
    tolerance = 1e-10 * max(1.0, float(np.abs(s).sum()))
    threshold = observed_half - tolerance
    total_partitions = math.comb(n, n_x)
    if total_partitions <= exact_limit:
        flat = np.fromiter(
            itertools.chain.from_iterable(itertools.combinations(range(n), n_x)),
            dtype=np.int32,
            count=total_partitions * n_x,
        )
        sums = s[flat.reshape(total_partitions, n_x)].sum(axis=1)
        count = int(np.count_nonzero(sums >= threshold))
        if progress:
            progress(total_partitions, total_partitions)
        return count / total_partitions, PermutationTest("exact", total_partitions, total_partitions, None)
    rng = np.random.default_rng(seed)
    count = 0
    done = 0
    base = np.arange(n)
    while done < n_permutations:
        size = min(_CHUNK, n_permutations - done)
        order = rng.permuted(np.broadcast_to(base, (size, n)), axis=1)
        sums = s[order[:, :n_x]].sum(axis=1)
        count += int(np.count_nonzero(sums >= threshold))
        done += size
        if progress:
            progress(done, n_permutations)
    return (count + 1) / (n_permutations + 1), PermutationTest("random", n_permutations, total_partitions, seed)


def weat_from_vectors(
    vectors: dict[str, np.ndarray],
    labels: Mapping[str, Sequence[str]],
    *,
    test: str,
    name: str,
    model: str,
    set_names: dict[str, str],
    n_permutations: int = MIN_RANDOM_PERMUTATIONS,
    seed: int = DEFAULT_SEED,
    exact_limit: int = EXACT_LIMIT,
    with_p_value: bool = True,
    ddof: int = 0,
    oov: dict[str, list[str]] | None = None,
    removed: Sequence[str] = (),
    paper_effect_size: float | None = None,
    unit: str = "word",
) -> WeatResult:
    """WEAT on ready vectors: ``vectors``/``labels`` keyed "X", "Y", "A", "B"."""
    n_used = {key: int(len(vectors[key])) for key in ("X", "Y", "A", "B")}
    notes = []
    for key in ("X", "Y", "A", "B"):
        missing = len((oov or {}).get(key, []))
        if n_used[key] >= 2 and missing > n_used[key]:
            notes.append(
                f"only {n_used[key]} of {n_used[key] + missing} {unit}s of {key} '{set_names.get(key, key)}' are in the model: interpret with care"
            )
    common: dict[str, Any] = dict(test=test, name=name, model=model, set_names=set_names, n_used=n_used, oov=oov or {},
                  removed=list(removed), paper_effect_size=paper_effect_size, unit=unit, notes=tuple(notes))
    short = [key for key in ("X", "Y", "A", "B") if n_used[key] < 2]
    if short:
        parts = []
        for key in short:
            missing = len((oov or {}).get(key, []))
            detail = f", {missing} missing from the model" if missing else ""
            parts.append(f"{key} '{set_names.get(key, key)}' has {n_used[key]} {unit}s left{detail}")
        return WeatResult(computable=False, reason="not computable: " + "; ".join(parts) + " (need at least 2 in every set)", **common)
    s_x = associations(vectors["X"], vectors["A"], vectors["B"])
    s_y = associations(vectors["Y"], vectors["A"], vectors["B"])
    d = effect_size(s_x, s_y, ddof=ddof)
    p_value, permutation = (None, None)
    if with_p_value:
        p_value, permutation = permutation_p_value(s_x, s_y, n_permutations=n_permutations, seed=seed, exact_limit=exact_limit)
    words = [WordAssociation(str(w), "X", float(v)) for w, v in zip(labels["X"], s_x, strict=True)]
    words += [WordAssociation(str(w), "Y", float(v)) for w, v in zip(labels["Y"], s_y, strict=True)]
    return WeatResult(
        computable=d is not None,
        reason="" if d is not None else "not computable: every association is the same (standard deviation 0)",
        statistic=test_statistic(s_x, s_y),
        effect_size=d,
        p_value=p_value,
        permutation=permutation,
        associations=tuple(words),
        **common,
    )


@memoize_models(max_entries=256)
def weat(
    model: Any,
    test: WeatTest,
    *,
    n_permutations: int = MIN_RANDOM_PERMUTATIONS,
    seed: int = DEFAULT_SEED,
    exact_limit: int = EXACT_LIMIT,
    with_p_value: bool = True,
    apply_paper_removals: bool = True,
) -> WeatResult:
    """Run one WEAT test on a word backend (a name or a loaded WordVectors).

    Words missing from the model are listed per set and dropped; words the paper removed
    (``test.remove``) are left out first when ``apply_paper_removals``.
    """
    backend = as_word_vectors(model)
    sets = {"X": test.x, "Y": test.y, "A": test.a, "B": test.b}
    remove = test.remove if apply_paper_removals else ()
    vectors: dict[str, np.ndarray] = {}
    labels: dict[str, list[str]] = {}
    oov: dict[str, list[str]] = {}
    removed: list[str] = []
    for key, word_set in sets.items():
        lookup = resolve_words(backend, word_set.words, remove=remove)
        vectors[key] = key_vectors(backend, lookup.keys)
        labels[key] = list(lookup.keys)
        oov[key] = list(lookup.missing)
        removed += list(lookup.removed)
    return weat_from_vectors(
        vectors,
        labels,
        test=test.id,
        name=test.name,
        model=backend.name,
        set_names={key: s.name for key, s in sets.items()},
        n_permutations=n_permutations,
        seed=seed,
        exact_limit=exact_limit,
        with_p_value=with_p_value,
        oov=oov,
        removed=removed,
        paper_effect_size=test.paper_effect_size,
    )


def weat_all(
    model: Any,
    tests: Sequence[WeatTest] | None = None,
    *,
    n_permutations: int = MIN_RANDOM_PERMUTATIONS,
    seed: int = DEFAULT_SEED,
    with_p_value: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> list[WeatResult]:
    """Run several tests (default: the paper's ten) on one model, in order."""
    chosen = list(tests) if tests is not None else list(weat_tests())
    results = []
    for done, test in enumerate(chosen, start=1):
        results.append(weat(model, test, n_permutations=n_permutations, seed=seed, with_p_value=with_p_value))
        if progress:
            progress(done, len(chosen))
    return results


def comparison_rows(results_by_model: dict[str, list[WeatResult]]) -> list[dict[str, Any]]:
    """One row per test: the paper's GloVe 840B d, then d and p for every model (None = n/a)."""
    rows: dict[str, dict[str, Any]] = {}
    for model, results in results_by_model.items():
        for result in results:
            row = rows.setdefault(result.test, {"test": result.test, "name": result.name, "paper d (GloVe 840B)": result.paper_effect_size})
            row[f"d · {model}"] = None if result.effect_size is None else round(result.effect_size, 3)
            row[f"p · {model}"] = None if result.p_value is None else float(f"{result.p_value:.3g}")
            if not result.computable:
                row[f"note · {model}"] = result.reason
    return list(rows.values())



def sign_agreement(results: Sequence[WeatResult]) -> tuple[int, int, int]:
    """(tests whose d has the paper's sign, computable tests with a paper figure, all tests)."""
    with_paper = [r for r in results if r.computable and r.paper_effect_size is not None and r.effect_size is not None]
    agree = sum(1 for r in with_paper if ((r.effect_size or 0.0) > 0) == ((r.paper_effect_size or 0.0) > 0))
    return agree, len(with_paper), len(results)
