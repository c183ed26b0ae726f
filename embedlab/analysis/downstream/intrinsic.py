"""Intrinsic versus extrinsic: the word-level benchmarks of the same representations, and whether
they rank them as the downstream accuracy does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from embedlab import cache
from embedlab.backends import encode_texts, memoize_models, model_key
from embedlab.errors import InputError

if TYPE_CHECKING:
    from embedlab.backends.base import WordVectors
from embedlab.analysis.downstream.compare import Comparison, representation_kind

INTRINSIC_BENCHMARKS = ("ws353", "simlex999")


@dataclass(frozen=True)
class IntrinsicScores:
    """Word-level benchmark scores of one representation (None where a benchmark does not apply)."""

    representation: str
    #: Spearman ρ per word-similarity benchmark
    similarity: dict[str, float | None]
    #: Google analogies accuracy (3CosAdd, first 30,000 words); word models only
    google: float | None
    note: str

    def as_dict(self) -> dict[str, object]:
        return {**self.similarity, "google": self.google, "note": self.note}


def _encoded_benchmark_words(model: str, benchmarks: Sequence[str]) -> WordVectors:
    """A sentence model's vectors of every benchmark word (each word encoded alone), as word vectors."""
    from gensim.models import KeyedVectors

    from embedlab.analysis.evaluation import dataset_path, read_pairs_file
    from embedlab.backends.words import KeyedWordVectors

    words = sorted({w for name in benchmarks for pair in read_pairs_file(dataset_path(name)) for w in (pair.a, pair.b)})
    vectors = encode_texts(model, words).vectors
    kv = KeyedVectors(vector_size=vectors.shape[1])
    kv.add_vectors(words, vectors)
    return KeyedWordVectors(model, kv, description=f"{model}: each benchmark word encoded alone")


def _load_intrinsic(arrays: dict[str, Any], meta: dict[str, Any]) -> IntrinsicScores:
    return IntrinsicScores(str(meta["representation"]), dict(meta["similarity"]),
                           None if meta["google"] is None else float(meta["google"]), str(meta["note"]))


@memoize_models(max_entries=32)
@cache.on_disk("intrinsic", keys={"model": model_key}, load=_load_intrinsic,
               dump=lambda scores: ({}, {"representation": scores.representation, "similarity": scores.similarity,
                                         "google": scores.google, "note": scores.note}))
def intrinsic_scores(model: str) -> IntrinsicScores:
    """WS353 and SimLex-999 Spearman ρ (the Evaluate page's figures, equal to gensim's) and, for a
    word model, Google analogies; a sentence model encodes each benchmark word alone."""
    from embedlab.analysis.evaluation import evaluate_analogies, evaluate_similarity

    kind = representation_kind(model)
    if kind in ("tfidf", "stored"):
        why = ("TF-IDF gives two different words orthogonal vectors: no word-similarity score" if kind == "tfidf"
               else "a collection's stored vectors have no vectors for single words")
        return IntrinsicScores(model, {name: None for name in INTRINSIC_BENCHMARKS}, None, why)
    words: str | WordVectors = model if kind == "words" else _encoded_benchmark_words(model, INTRINSIC_BENCHMARKS)
    similarity: dict[str, float | None] = {}
    for name in INTRINSIC_BENCHMARKS:
        try:
            similarity[name] = evaluate_similarity(words, name).spearman
        except InputError:
            similarity[name] = None  # too few known pairs
    if kind == "words":
        analogies = evaluate_analogies(model, "google")
        return IntrinsicScores(model, similarity, analogies.accuracy if analogies.n else None,
                               f"word model; Google analogies over {analogies.n:,} questions in its first 30,000 words")
    return IntrinsicScores(model, similarity, None, "sentence model: each benchmark word encoded alone; no analogies")


@dataclass(frozen=True)
class RankAgreement:
    """Do a word-level benchmark and the downstream accuracy order the representations alike?"""

    benchmark: str
    representations: tuple[str, ...]
    intrinsic: tuple[float, ...]
    extrinsic: tuple[float, ...]
    spearman: float | None
    kendall: float | None
    verdict: str

    def as_dict(self) -> dict[str, object]:
        return {"benchmark": self.benchmark, "representations": list(self.representations),
                "intrinsic": list(self.intrinsic), "accuracy": list(self.extrinsic), "spearman": self.spearman,
                "kendall": self.kendall, "verdict": self.verdict}


def _order(names: Sequence[str], values: Sequence[float]) -> str:
    ranked = sorted(zip(names, values, strict=True), key=lambda item: -item[1])
    return " > ".join(name for name, _ in ranked)


def rank_agreement(comparison: Comparison, intrinsic: Sequence[IntrinsicScores], benchmark: str = "ws353") -> RankAgreement:
    """Spearman ρ and Kendall τ between the ``benchmark`` ranking and the accuracy ranking of the
    representations that have both, and a plain sentence saying whether they agree."""
    from scipy.stats import kendalltau, spearmanr

    accuracy = {result.name: result.scores.accuracy for result in comparison.results}
    pairs = [(s.representation, s.similarity.get(benchmark), accuracy[s.representation]) for s in intrinsic
             if s.representation in accuracy and s.similarity.get(benchmark) is not None]
    names = tuple(name for name, _, _ in pairs)
    inner = tuple(float(value) for _, value, _ in pairs if value is not None)
    outer = tuple(float(acc) for _, _, acc in pairs)
    if len(pairs) < 3:
        return RankAgreement(benchmark, names, inner, outer, None, None,
                             f"Only {len(pairs)} representation(s) have both a {benchmark} score and an accuracy; a ranking"
                             " needs at least 3 (TF-IDF and stored vectors have no word-level score).")
    rho = float(spearmanr(inner, outer).statistic)
    tau = float(kendalltau(inner, outer).statistic)
    by_inner, by_outer = _order(names, inner), _order(names, outer)
    if by_inner == by_outer:
        verdict = f"They agree: {benchmark} and downstream accuracy rank the {len(names)} representations the same way"
    elif tau > 0:
        verdict = f"They partly agree (Kendall τ = {tau:+.2f})"
    else:
        verdict = f"They disagree (Kendall τ = {tau:+.2f})"
    verdict += (f". By {benchmark}: {by_inner}; by accuracy: {by_outer}. With {len(names)} representations a rank"
                " correlation is a description, not evidence: no p-value at this size means much.")
    return RankAgreement(benchmark, names, inner, outer, rho, tau, verdict)
