"""The cost of compression: how much of a collection's nearest-neighbour structure and label
information survives smaller vectors.

Schemes (each one small function returning an ``Encoded``):

- ``float32``: the unit-length vectors as stored; the exact reference (cosine = dot product).
- ``float16``: the same values in half precision.
- ``int8``: scalar quantisation as sentence-transformers' ``quantize_embeddings`` does it: per
  dimension, the collection's own minimum and maximum split into 256 equal buckets,
  ``floor((x - min) / step) - 128``. Scores are dot products of the dequantised vectors (bucket
  centres).
- ``binary``: one bit per dimension, set where the value is positive (``ubinary``: ``packbits``);
  scored by Hamming distance (the dot product of the ±1 codes is ``dim - 2 × Hamming``).
- ``pca-<d>``: the collection's own principal components (exact PCA: the covariance matrix's
  eigenvectors; deterministic, no seed needed), ``d`` float32 coordinates per vector; scored by
  the cosine of the reconstructions ``mean + z W``.

Every scheme's input is the unit-length vectors, so the reference is cosine search. A
``+rescore`` variant takes the top ``rescore × k`` candidates by the compressed score and
re-ranks them by the exact float32 cosine: the memory index holds the codes, the float32 vectors
wait on disk (``disk_bytes_per_vector`` counts them).

Bytes per vector count what a search must hold: the codes plus the collection's calibration
(int8: the minimum and maximum of every dimension; PCA: the mean and the ``d`` components; all
float32) divided by the number of vectors.

Recall@k: a seeded sample of the collection's own rows is used as queries; each query's exact
top-k (float32 cosine over every other row, itself excluded) is the truth, and recall@k is the
share of it the scheme finds, averaged over the queries. Ties in a score go to the lower row.
Downstream accuracy: ``downstream.cross_validate`` (standardised logistic regression, stratified
k-fold) on what a classifier could read from the compressed store: the decoded vectors (float16,
int8), the ±1 codes (binary) or the ``d`` PCA coordinates; on a seeded sample of at most
``downstream_rows`` rows, the same rows for every scheme. Re-scoring changes a ranking only, so a
``+rescore`` variant reports its codes' accuracy.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from embedlab import cache
from embedlab.backends.base import Progress
from embedlab.errors import InputError
from embedlab.vectors import l2_normalise, top_k_rows

BASE_SCHEMES = ("float32", "float16", "int8", "binary")
PCA_DIMS = (32, 64, 128, 256)
RESCORE = "+rescore"
DEFAULT_QUERIES = 500
DEFAULT_K = 10
DEFAULT_RESCORE = 4
DEFAULT_SEED = 0
DEFAULT_DOWNSTREAM_ROWS = 4000
DEFAULT_FOLDS = 5
_PCA = re.compile(r"pca-([1-9][0-9]*)")


@dataclass(frozen=True)
class Encoded:
    """One scheme applied to a collection: what is stored, and what search and a classifier read."""

    scheme: str
    #: what is stored per vector (float16, int8 or packed uint8 bits, float32 PCA coordinates)
    codes: np.ndarray
    #: float32 rows whose dot products are the scheme's similarity scores
    search: np.ndarray
    #: what a classifier reads: the decoded vectors, the ±1 codes, the PCA coordinates
    features: np.ndarray
    code_bytes: int
    #: bytes stored once per collection (int8 ranges; PCA mean and components)
    calibration_bytes: int
    calibration: str


def encode_float32(unit: np.ndarray) -> Encoded:
    """The reference: the unit vectors themselves, 4 bytes a dimension."""
    unit = np.asarray(unit, dtype=np.float32)
    return Encoded("float32", unit, unit, unit, 4 * unit.shape[1], 0, "none")


def encode_float16(unit: np.ndarray) -> Encoded:
    """Half precision: 2 bytes a dimension, scored in float32 arithmetic."""
    codes = np.asarray(unit, dtype=np.float16)
    decoded = codes.astype(np.float32)
    return Encoded("float16", codes, decoded, decoded, 2 * unit.shape[1], 0, "none")


def int8_ranges(unit: np.ndarray) -> np.ndarray:
    """The calibration of ``int8``: each dimension's minimum and maximum over the collection,
    shape (2, dim) — what ``quantize_embeddings`` computes from its calibration embeddings."""
    return np.vstack([unit.min(axis=0), unit.max(axis=0)]).astype(np.float32)


def encode_int8(unit: np.ndarray, ranges: np.ndarray | None = None) -> Encoded:
    """Scalar quantisation to 256 buckets per dimension (``ranges`` default: the collection's
    own minimum and maximum), 1 byte a dimension plus 2 × dim float32 of calibration."""
    unit = np.asarray(unit, dtype=np.float32)
    ranges = int8_ranges(unit) if ranges is None else np.asarray(ranges, dtype=np.float32)
    starts = ranges[0]
    steps = (ranges[1] - starts) / 255
    steps = np.where(steps == 0, 1, steps).astype(np.float32)
    buckets = np.clip(np.floor((unit - starts) / steps), 0, 255)
    codes = (buckets - 128).astype(np.int8)
    decoded = (starts + (codes.astype(np.float32) + 128.5) * steps).astype(np.float32)
    return Encoded("int8", codes, decoded, decoded, unit.shape[1], ranges.nbytes, "per-dimension min/max of the collection")


def encode_binary(unit: np.ndarray) -> Encoded:
    """Sign codes: one bit per dimension (positive → 1), packed 8 to a byte; scored by Hamming
    distance through the ±1 codes' dot product."""
    positive = np.asarray(unit) > 0
    codes = np.packbits(positive, axis=1)
    signs = np.where(positive, 1.0, -1.0).astype(np.float32)
    return Encoded("binary", codes, signs, signs, int(codes.shape[1]), 0, "none (the sign)")


@dataclass(frozen=True)
class PcaFit:
    """The principal axes of a collection: its mean and the top components (rows, unit length)."""

    mean: np.ndarray
    components: np.ndarray
    explained_variance_ratio: np.ndarray


def fit_pca(vectors: np.ndarray, dim: int) -> PcaFit:
    """Exact PCA through the covariance's eigenvectors (float64), largest first; each
    component's sign is fixed so that its largest-magnitude entry is positive."""
    data = np.asarray(vectors, dtype=np.float64)
    mean = data.mean(axis=0)
    centred = data - mean
    covariance = centred.T @ centred / max(len(data) - 1, 1)
    values, vectors_ = np.linalg.eigh(covariance)
    order = np.argsort(values)[::-1][:dim]
    components = vectors_[:, order].T
    signs = np.sign(components[np.arange(len(components)), np.argmax(np.abs(components), axis=1)])
    components *= np.where(signs == 0, 1, signs)[:, None]
    total = float(values.clip(min=0).sum()) or 1.0
    return PcaFit(mean.astype(np.float32), components.astype(np.float32), (values[order].clip(min=0) / total).astype(np.float32))


def encode_pca(unit: np.ndarray, dim: int) -> Encoded:
    """Truncation to ``dim`` principal components fitted on the collection: ``dim`` float32 a
    vector plus the mean and components once; scored by the cosine of the reconstructions."""
    unit = np.asarray(unit, dtype=np.float32)
    fit = fit_pca(unit, dim)
    coordinates = ((unit - fit.mean) @ fit.components.T).astype(np.float32)
    reconstructed = l2_normalise(fit.mean + coordinates @ fit.components)
    calibration = fit.mean.nbytes + fit.components.nbytes
    return Encoded(f"pca-{dim}", coordinates, reconstructed, coordinates, 4 * dim, calibration, "mean and components, float32")


def parse_scheme(name: str, dim: int, rows: int) -> tuple[str, bool]:
    """(base scheme, re-scored?) of a scheme name such as ``int8``, ``pca-64`` or
    ``binary+rescore``; an unknown name or a PCA size the collection cannot have is an error."""
    text = name.strip()
    rescore = text.endswith(RESCORE)
    base = text[: -len(RESCORE)] if rescore else text
    match = _PCA.fullmatch(base)
    if base not in BASE_SCHEMES and not match:
        raise InputError(f"Unknown compression scheme {name!r}: use float32, float16, int8, binary or pca-<d>,"
                         f" each optionally with {RESCORE}.")
    if match:
        size = int(match.group(1))
        if size >= dim:
            raise InputError(f"{name!r}: PCA to {size} dimensions needs vectors of more than {size} (these have {dim}).")
        if size > rows:
            raise InputError(f"{name!r}: PCA to {size} dimensions needs at least {size} rows (the collection has {rows}).")
    if base == "float32" and rescore:
        raise InputError("float32+rescore is float32 itself: re-scoring re-ranks with the float32 vectors.")
    return base, rescore


def default_schemes(dim: int, rows: int) -> list[str]:
    """Every scheme, without and with re-scoring: float32, float16, int8, binary and PCA to each
    of 32, 64, 128, 256 dimensions the vectors have more than (and the rows allow)."""
    bases = ["float16", "int8", "binary", *(f"pca-{d}" for d in PCA_DIMS if d < dim and d <= rows)]
    return ["float32", *bases, *(f"{base}{RESCORE}" for base in bases)]


def encode(base: str, unit: np.ndarray) -> Encoded:
    """``base`` (a name from ``parse_scheme``) applied to the unit vectors."""
    encoders: dict[str, Callable[[np.ndarray], Encoded]] = {
        "float32": encode_float32, "float16": encode_float16, "int8": encode_int8, "binary": encode_binary}
    if base in encoders:
        return encoders[base](unit)
    return encode_pca(unit, int(base.split("-", 1)[1]))


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the ``k`` highest scores of each row, highest first; equal scores go
    to the lower index (Hamming distances tie often): ``vectors.top_k_rows``."""
    return top_k_rows(scores, k)


def _scores(search: np.ndarray, queries: np.ndarray) -> np.ndarray:
    scores = search[queries] @ search.T
    scores[np.arange(len(queries)), queries] = -np.inf  # a query is not its own neighbour
    return scores


def neighbours(encoded: Encoded, queries: np.ndarray, k: int, exact: np.ndarray | None = None, rescore: int = 0) -> np.ndarray:
    """Each query row's top ``k`` rows by ``encoded``'s score; with ``rescore`` > 0 the top
    ``rescore × k`` are re-ranked by the ``exact`` (float32 unit) vectors' cosine."""
    if not rescore:
        return top_k(_scores(encoded.search, queries), min(k, len(encoded.search) - 1))
    if exact is None:
        raise ValueError("re-scoring needs the exact vectors")
    wanted = min(rescore * k, len(encoded.search) - 1)  # never the query itself
    candidates = top_k(_scores(encoded.search, queries), wanted)
    exact_scores = np.einsum("qcd,qd->qc", exact[candidates], exact[queries])
    order = np.argsort(-exact_scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(candidates, order, axis=1)


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean share of each row of ``truth`` that the same row of ``found`` holds."""
    hits = [len(set(f.tolist()) & set(t.tolist())) / len(t) for f, t in zip(found, truth, strict=True) if len(t)]
    return float(np.mean(hits)) if hits else float("nan")


def query_rows(rows: int, queries: int, seed: int) -> np.ndarray:
    """The seeded sample of rows used as queries (all rows when there are fewer), in row order."""
    if queries >= rows:
        return np.arange(rows)
    return np.sort(np.random.default_rng(seed).choice(rows, size=queries, replace=False))


@dataclass(frozen=True)
class SchemeResult:
    """One scheme's figures on one collection."""

    scheme: str
    base: str
    rescored: bool
    code_bytes: int
    calibration_bytes: int
    calibration: str
    bytes_per_vector: float
    #: the memory figure plus the float32 vectors a re-scored scheme keeps on disk
    disk_bytes_per_vector: float
    recall: float
    accuracy: float | None
    macro_f1: float | None
    seconds: float
    downstream_seconds: float
    cached: bool = False

    def as_dict(self, k: int = DEFAULT_K) -> dict[str, Any]:
        """The CLI's JSON entry: bytes, recall@k, downstream figures when labelled, time."""
        entry: dict[str, Any] = {"bytes_per_vector": self.bytes_per_vector, f"recall@{k}": self.recall}
        if self.accuracy is not None:
            entry.update({"accuracy": self.accuracy, "macro_f1": self.macro_f1, "downstream_seconds": round(self.downstream_seconds, 3)})
        entry.update({"seconds": round(self.seconds, 3), "disk_bytes_per_vector": self.disk_bytes_per_vector,
                      "code_bytes": self.code_bytes, "calibration_bytes": self.calibration_bytes})
        return entry


@dataclass(frozen=True)
class CompressionReport:
    """Every scheme's figures on one collection, and the settings that made them."""

    collection: str
    rows: int
    dim: int
    queries: int
    k: int
    rescore: int
    seed: int
    downstream_rows: int
    folds: int
    labelled: bool
    results: tuple[SchemeResult, ...]

    def result(self, scheme: str) -> SchemeResult:
        return next(r for r in self.results if r.scheme == scheme)

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """``{scheme: {"bytes_per_vector", "recall@10", "accuracy"?, "macro_f1"?, "seconds", ...}}``."""
        return {r.scheme: r.as_dict(self.k) for r in self.results}

    def settings(self) -> str:
        """One line saying how the figures were made (the page and the CLI show it)."""
        if self.labelled:
            downstream = f"; downstream: {self.folds}-fold logistic regression on {min(self.rows, self.downstream_rows):,} rows"
        elif self.downstream_rows <= 0:
            downstream = "; downstream off"
        else:
            downstream = "; no downstream figures (no labels)"
        return (f"{self.collection}: {self.rows:,} vectors × {self.dim}; recall@{self.k} of {self.queries:,} seeded queries"
                f" (seed {self.seed}) against exact float32 cosine; re-scoring the top {self.rescore}×{self.k}{downstream}.")


def _downstream(features: np.ndarray, labels: np.ndarray, rows: np.ndarray, folds: int, seed: int, name: str) -> tuple[float, float, float]:
    from embedlab.analysis.downstream import cross_validate

    started = time.perf_counter()
    scores = cross_validate(features[rows], labels[rows].tolist(), representation=name, folds=folds, seed=seed)
    return scores.accuracy, scores.macro_f1, time.perf_counter() - started


@cache.on_disk("compression", exclude=("compute",), dump=lambda figures: ({}, {"figures": figures}),
               load=lambda arrays, meta: dict(meta["figures"]))
def _kept_retrieval(digest: str, scheme: str, retrieval: dict[str, Any], rescore: int, *,
                    compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A scheme's retrieval figures, kept by the vectors, the scheme and the search settings."""
    return compute()


@cache.on_disk("compression", exclude=("compute",), dump=lambda scores: ({}, {"scores": list(scores)}),
               load=lambda arrays, meta: tuple(meta["scores"]))
def _kept_downstream(digest: str, base: str, classifier: dict[str, Any], *,
                     compute: Callable[[], tuple[float, float, float]]) -> tuple[float, float, float]:
    """A base scheme's downstream (accuracy, macro-F1, seconds), kept by the codes, labels and folds."""
    return compute()


class _Run:
    """One evaluation's shared work: the unit vectors, the seeded queries and their exact
    neighbours, and each base scheme's codes, each computed once and only when a figure is not
    already on disk."""

    def __init__(self, unit: np.ndarray, asked: np.ndarray, k: int, rescore: int, target: np.ndarray | None,
                 downstream_rows: int, folds: int, seed: int) -> None:
        self.unit, self.asked, self.k, self.rescore = unit, asked, k, rescore
        self.target, self.downstream_rows, self.folds, self.seed = target, downstream_rows, folds, seed
        self.truth: np.ndarray | None = None
        self.encodings: dict[str, tuple[Encoded, float]] = {}

    def encoded(self, base: str) -> tuple[Encoded, float]:
        if base not in self.encodings:
            started = time.perf_counter()
            codes = encode(base, self.unit)
            self.encodings[base] = (codes, time.perf_counter() - started)
        return self.encodings[base]

    def retrieval(self, base: str, rescored: bool) -> dict[str, Any]:
        if self.truth is None:
            self.truth = neighbours(encode_float32(self.unit), self.asked, self.k)
        codes, encode_seconds = self.encoded(base)
        searched = time.perf_counter()
        found = neighbours(codes, self.asked, self.k, exact=self.unit, rescore=self.rescore if rescored else 0)
        return {"recall": recall_at_k(found, self.truth), "seconds": encode_seconds + time.perf_counter() - searched,
                "code_bytes": codes.code_bytes, "calibration_bytes": codes.calibration_bytes, "calibration": codes.calibration}

    def downstream(self, base: str) -> tuple[float, float, float]:
        assert self.target is not None
        sample = query_rows(len(self.unit), self.downstream_rows, self.seed)
        return _downstream(self.encoded(base)[0].features, self.target, sample, self.folds, self.seed, base)


def _checked(matrix: np.ndarray, k: int, queries: int, rescore: int, labels: Sequence[str] | None) -> np.ndarray | None:
    """The settings' errors, before any work; returns the labels as an array (None without)."""
    if matrix.ndim != 2 or len(matrix) < 2:
        raise InputError(f"Compression needs a collection of at least 2 vectors (got {len(matrix)}).")
    rows = len(matrix)
    if not 1 <= k < rows:
        raise InputError(f"k must be between 1 and {rows - 1} for {rows} vectors (got {k}).")
    if queries < 1:
        raise InputError(f"At least one query is needed (got {queries}).")
    if rescore < 1:
        raise InputError(f"The re-scoring factor must be at least 1 (got {rescore}).")
    target = np.asarray([str(label) for label in labels], dtype=object) if labels is not None else None
    if target is not None and len(target) != rows:
        raise InputError(f"{rows} vectors but {len(target)} labels.")
    return target


def evaluate(
    vectors: np.ndarray,
    labels: Sequence[str] | None = None,
    schemes: Sequence[str] | None = None,
    *,
    collection: str = "",
    digest: str | None = None,
    queries: int = DEFAULT_QUERIES,
    k: int = DEFAULT_K,
    rescore: int = DEFAULT_RESCORE,
    seed: int = DEFAULT_SEED,
    downstream_rows: int = DEFAULT_DOWNSTREAM_ROWS,
    folds: int = DEFAULT_FOLDS,
    progress: Progress | None = None,
) -> CompressionReport:
    """Every scheme of ``schemes`` (default: ``default_schemes``) on ``vectors``; each scheme's
    retrieval figures are kept on disk under the vectors' digest and the search settings, its
    downstream figures under the digest, the base scheme, the labels and the folds."""
    matrix = np.asarray(vectors, dtype=np.float32)
    target = _checked(matrix, k, queries, rescore, labels)
    rows, dim = matrix.shape
    parsed = {name.strip(): parse_scheme(name, dim, rows) for name in (list(schemes) if schemes else default_schemes(dim, rows))}
    labelled = target is not None and len(set(target.tolist())) > 1 and downstream_rows > 0
    digest = digest or cache.array_digest(matrix)
    run = _Run(l2_normalise(matrix), query_rows(rows, queries, seed), k, rescore, target, downstream_rows, folds, seed)
    retrieval = {"queries": queries, "k": k, "seed": seed}
    classifier = {"rows": downstream_rows, "folds": folds, "seed": seed,
                  "labels": target.tolist() if labelled and target is not None else None}
    results: list[SchemeResult] = []
    for done, (name, (base, rescored)) in enumerate(parsed.items()):
        if progress is not None:
            progress(done, len(parsed))
        # retrieval figures: kept by the scheme and the search settings (not the labels)
        figures, cached = _kept_retrieval.call_with_hit(digest, name, retrieval, rescore if rescored else 0,
                                                        compute=functools.partial(run.retrieval, base, rescored))
        # downstream figures: kept by the codes (the base scheme), the labels and the folds; re-scoring changes nothing here
        scores: tuple[float | None, float | None, float] = (None, None, 0.0)
        if labelled:
            scores, down_cached = _kept_downstream.call_with_hit(digest, base, classifier, compute=functools.partial(run.downstream, base))
            cached = cached and down_cached
        per_vector = figures["code_bytes"] + figures["calibration_bytes"] / rows
        results.append(SchemeResult(
            scheme=name, base=base, rescored=rescored, code_bytes=figures["code_bytes"], calibration_bytes=figures["calibration_bytes"],
            calibration=figures["calibration"], bytes_per_vector=per_vector,
            disk_bytes_per_vector=per_vector + (4 * dim if rescored else 0), recall=figures["recall"], accuracy=scores[0],
            macro_f1=scores[1], seconds=figures["seconds"], downstream_seconds=scores[2], cached=cached))
    if progress is not None:
        progress(len(parsed), len(parsed))
    return CompressionReport(collection=collection, rows=rows, dim=dim, queries=len(run.asked), k=k, rescore=rescore, seed=seed,
                             downstream_rows=downstream_rows, folds=folds, labelled=labelled, results=tuple(results))


def evaluate_corpus(corpus: Any, schemes: Sequence[str] | None = None, *, progress: Progress | None = None,
                    **options: Any) -> CompressionReport:
    """``evaluate`` on a loaded collection (``embedlab.corpus.Corpus``): its vectors and, when it
    has one, its label column."""
    return evaluate(corpus.vectors, corpus.labels, schemes, collection=corpus.info.name, digest=corpus.digest,
                    progress=progress, **options)


def evaluate_collection(collection: str, schemes: Sequence[str] | None = None, *, store: Any = None,
                        progress: Progress | None = None, **options: Any) -> CompressionReport:
    """``evaluate_corpus`` on a stored collection by name."""
    from embedlab.corpus import load_corpus

    return evaluate_corpus(load_corpus(collection, store), schemes, progress=progress, **options)
