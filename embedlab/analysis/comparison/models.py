"""Two models, one corpus: where two embedding spaces of the same rows agree and where they differ.

The rows of two collections (the same texts ingested with two models, or one collection against
its own compressed codes) are matched by their text: the i-th occurrence of a text in A goes with
the i-th occurrence of the same text in B (a row without a text, from another program's store,
is matched by its id); rows on one side only are left out and counted. Then:

- every row's ``k`` nearest rows in each space (exact cosine, ``vectors.knn_cosine``; kept on disk
  by the vectors and k) and its neighbourhood agreement ``|kNN_A ∩ kNN_B| / k``;
- linear CKA on every matched row, and Spearman's ρ of pairwise cosines on a seeded sample;
- for a picked row, its neighbours in each model side by side, each with its cosine in both;
- clusters of each space (k-means, ``corpus_clusters``) and their agreement (ARI, NMI and the
  table of which cluster of A went where in B).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from embedlab import cache
from embedlab.analysis.comparison.metrics import (
    Progress,
    align_map,
    knn_overlap,
    linear_cka,
    sample_rows,
    similarity_spearman,
)
from embedlab.analysis.comparison.settings import (
    DEFAULT_CLUSTERS,
    DEFAULT_K,
    DEFAULT_SAMPLE,
    DEFAULT_SEED,
    MAX_K,
    MAX_SAMPLE,
    MIN_ROWS,
    MIN_SAMPLE,
    TIE_RULE,
)
from embedlab.cache import memoize
from embedlab.corpus import Corpus, corpus_clusters, corpus_map
from embedlab.errors import InputError
from embedlab.maps.clustering import ClusterParams, ClusterResult
from embedlab.maps.projection import Projection, ProjectionParams
from embedlab.maps.view import Colours, colours_for, hover_lines
from embedlab.vectors import knn_cosine, l2_normalise

# -- matching the rows of two collections ------------------------------------------------------


def take_rows(corpus: Corpus, rows: Sequence[int] | np.ndarray, name: str | None = None) -> Corpus:
    """``rows`` of ``corpus`` in the order given, as a corpus of their own (``corpus`` itself when
    that is every row in order, so its maps and clusters stay shared with the Explore page)."""
    index = np.asarray(rows, dtype=np.int64)
    if len(index) == len(corpus) and (index == np.arange(len(corpus))).all() and name is None:
        return corpus
    vectors = np.ascontiguousarray(corpus.vectors[index])
    info = corpus.info if name is None else replace(corpus.info, name=name, count=len(index))
    return Corpus(info, [corpus.ids[i] for i in index], [corpus.texts[i] for i in index],
                  corpus.metadata.iloc[index].reset_index(drop=True), vectors, cache.array_digest(vectors))


def _row_keys(corpus: Corpus) -> list[str]:
    return [text if text.strip() else f"\x00id:{row_id}" for text, row_id in zip(corpus.texts, corpus.ids, strict=True)]


@dataclass(frozen=True)
class Matched:
    """The rows two collections share, in A's order: ``a`` and ``b`` hold the same texts row by
    row; ``rows_a`` and ``rows_b`` are their places in the collections."""

    a: Corpus
    b: Corpus
    rows_a: np.ndarray
    rows_b: np.ndarray
    unmatched_a: int
    unmatched_b: int

    def __len__(self) -> int:
        return len(self.rows_a)


@memoize(max_entries=8, exclude=("a", "b"))
def _matched(digest_a: str, digest_b: str, keys_a: str, keys_b: str, a: Corpus, b: Corpus) -> Matched:
    places: dict[str, list[int]] = {}
    for row, key in enumerate(_row_keys(b)):
        places.setdefault(key, []).append(row)
    taken: dict[str, int] = {}
    rows_a, rows_b = [], []
    for row, key in enumerate(_row_keys(a)):
        found = places.get(key)
        used = taken.get(key, 0)
        if found is not None and used < len(found):
            rows_a.append(row)
            rows_b.append(found[used])
            taken[key] = used + 1
    if len(rows_a) < MIN_ROWS:
        raise InputError(f"{a.info.name!r} and {b.info.name!r} share {len(rows_a)} texts: comparing two models needs the same"
                         " texts encoded by each (ingest the same data again with the other model), at least"
                         f" {MIN_ROWS} of them.")
    index_a, index_b = np.asarray(rows_a, dtype=np.int64), np.asarray(rows_b, dtype=np.int64)
    return Matched(take_rows(a, index_a), take_rows(b, index_b), index_a, index_b, len(a) - len(index_a), len(b) - len(index_b))


def match_rows(a: Corpus, b: Corpus) -> Matched:
    """The rows of ``a`` and ``b`` that hold the same text (see the module), kept in memory."""
    return _matched(a.digest, b.digest, cache.content_key(a.ids), cache.content_key(b.ids), a, b)


# -- neighbours, kept on disk -------------------------------------------------------------------


@cache.on_disk("knn", exclude=("vectors", "progress"), dump=lambda found: ({"neighbours": found}, {}),
               load=lambda arrays, meta: arrays["neighbours"])
def _kept_neighbours(digest: str, k: int, rule: str, vectors: np.ndarray, progress: Progress | None) -> np.ndarray:
    return knn_cosine(vectors, k, progress)


def nearest_rows(corpus: Corpus, k: int, progress: Progress | None = None) -> np.ndarray:
    """Every row's ``k`` nearest rows of ``corpus`` (``TIE_RULE``), kept on disk by its vectors."""
    return _kept_neighbours(corpus.digest, k, TIE_RULE, corpus.vectors, progress)


# -- the comparison -------------------------------------------------------------------------------


@dataclass
class ModelComparison:
    """Two spaces of the same rows: per-row neighbourhood agreement and the global figures."""

    matched: Matched
    k: int
    overlap: np.ndarray
    neighbours_a: np.ndarray
    neighbours_b: np.ndarray
    cka: float
    spearman: float
    spearman_pairs: int
    spearman_rows: int
    seed: int
    seconds: float = 0.0
    clusters_a: ClusterResult | None = None
    clusters_b: ClusterResult | None = None
    cluster_ari: float | None = None
    cluster_nmi: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.overlap)

    @property
    def model_a(self) -> str:
        return _model(self.matched.a)

    @property
    def model_b(self) -> str:
        return _model(self.matched.b)

    @property
    def mean(self) -> float:
        return float(self.overlap.mean())

    @property
    def median(self) -> float:
        return float(np.median(self.overlap))

    def histogram(self) -> list[int]:
        """How many rows share 0, 1, ..., k of their k neighbours."""
        shared = np.rint(self.overlap * self.k).astype(int)
        return np.bincount(shared, minlength=self.k + 1).tolist()

    def least_agreeing(self, count: int = 20) -> list[int]:
        """The ``count`` rows whose neighbourhoods differ most: lowest overlap first; among equal
        overlaps, the rows whose neighbours the other model puts farthest away (the lower mean of
        ``cross_cosine``), then the lower row."""
        cross = self.cross_cosine()
        order = np.lexsort((np.arange(self.rows), cross, self.overlap))
        return [int(i) for i in order[:count]]

    def cross_cosine(self) -> np.ndarray:
        """Per row, the mean over its two neighbour lists of the cosine the *other* model gives
        each neighbour: low when each model's neighbours are far apart in the other model."""
        return _cross_cosine(self.matched.a.digest, self.matched.b.digest, self.k, self)

    def side_by_side(self, row: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Row ``row``'s neighbours in A and in B (two tables, nearest first), each neighbour with
        its cosine to the row in both models and whether the other model has it among its k too."""
        if not 0 <= row < self.rows:
            raise InputError(f"Row {row} is not among the {self.rows:,} compared rows.")
        a, b = self.matched.a, self.matched.b
        unit_a, unit_b = l2_normalise(a.vectors), l2_normalise(b.vectors)

        def listed(mine: np.ndarray, other: np.ndarray, own: np.ndarray, far: np.ndarray, corpus: Corpus, name: str,
                   other_name: str) -> pd.DataFrame:
            shared = set(other.tolist())
            return pd.DataFrame({
                "rank": np.arange(1, len(mine) + 1),
                "neighbour": [corpus.texts[j] or corpus.ids[j] for j in mine],
                f"cosine in {name}": np.round(own[mine] @ own[row], 4),
                f"cosine in {other_name}": np.round(far[mine] @ far[row], 4),
                f"among {other_name}'s {self.k} too": [int(j) in shared for j in mine],
            })

        return (listed(self.neighbours_a[row], self.neighbours_b[row], unit_a, unit_b, a, self.model_a, self.model_b),
                listed(self.neighbours_b[row], self.neighbours_a[row], unit_b, unit_a, b, self.model_b, self.model_a))

    def per_label(self) -> pd.DataFrame | None:
        """Mean agreement per label (when the rows have labels), least agreeing label first."""
        labels = self.matched.a.labels
        if labels is None:
            return None
        frame = pd.DataFrame({"label": labels, "overlap": self.overlap})
        grouped = frame.groupby("label")["overlap"].agg(["mean", "count"]).reset_index()
        grouped.columns = ["label", "mean overlap", "rows"]
        return grouped.sort_values(["mean overlap", "label"]).reset_index(drop=True)

    def cluster_table(self) -> pd.DataFrame | None:
        """Rows: A's clusters (with their terms); columns: B's clusters; cells: rows in both."""
        if self.clusters_a is None or self.clusters_b is None:
            return None
        name_a = {c.id: f"A{c.id}: {', '.join(c.terms[:3])}" for c in self.clusters_a.clusters}
        name_b = {c.id: f"B{c.id}: {', '.join(c.terms[:3])}" for c in self.clusters_b.clusters}
        table = pd.crosstab(pd.Series([name_a.get(int(c), f"A{c}") for c in self.clusters_a.labels], name=f"{self.model_a} clusters"),
                            pd.Series([name_b.get(int(c), f"B{c}") for c in self.clusters_b.labels], name=f"{self.model_b} clusters"))
        return table

    def as_dict(self, least: int = 10) -> dict[str, Any]:
        """The figures as JSON-able values (``embedlab compare-models --json``)."""
        a, b = self.matched.a, self.matched.b
        document: dict[str, Any] = {
            "collection_a": a.info.name, "collection_b": b.info.name, "model_a": self.model_a, "model_b": self.model_b,
            "rows": self.rows, "unmatched_a": self.matched.unmatched_a, "unmatched_b": self.matched.unmatched_b,
            "k": self.k, "knn_overlap_mean": self.mean, "knn_overlap_median": self.median,
            "knn_overlap_histogram": self.histogram(), "knn": TIE_RULE,
            "cka": self.cka, "cka_rows": self.rows,
            "spearman": self.spearman, "spearman_pairs": self.spearman_pairs, "spearman_rows": self.spearman_rows,
            "seed": self.seed, "seconds": round(self.seconds, 3),
        }
        if self.clusters_a is not None and self.clusters_b is not None:
            document["clusters"] = {"method": "kmeans", "k": self.clusters_a.params.k, "seed": self.clusters_a.params.seed,
                                    "ari": self.cluster_ari, "nmi": self.cluster_nmi,
                                    "a": [c.as_dict() for c in self.clusters_a.clusters],
                                    "b": [c.as_dict() for c in self.clusters_b.clusters]}
        per_label = self.per_label()
        if per_label is not None:
            document["per_label"] = [{"label": str(r["label"]), "mean_overlap": float(r["mean overlap"]), "rows": int(r["rows"])}
                                     for _, r in per_label.iterrows()]
        document["least_agreeing"] = [
            {"row": row, "id": a.ids[row], "text": a.texts[row], "overlap": float(self.overlap[row]),
             "neighbours_a": [a.texts[j] or a.ids[j] for j in self.neighbours_a[row]],
             "neighbours_b": [b.texts[j] or b.ids[j] for j in self.neighbours_b[row]]}
            for row in self.least_agreeing(least)]
        document["notes"] = list(self.notes)
        return document


def _model(corpus: Corpus) -> str:
    return corpus.info.backend if not corpus.info.foreign else f"{corpus.info.name} (made elsewhere)"


@memoize(max_entries=8, exclude=("comparison",))
def _cross_cosine(digest_a: str, digest_b: str, k: int, comparison: ModelComparison) -> np.ndarray:
    unit_a, unit_b = l2_normalise(comparison.matched.a.vectors), l2_normalise(comparison.matched.b.vectors)
    in_b = np.einsum("rkd,rd->rk", unit_b[comparison.neighbours_a], unit_b)  # B's cosine to A's neighbours
    in_a = np.einsum("rkd,rd->rk", unit_a[comparison.neighbours_b], unit_a)  # A's cosine to B's neighbours
    return np.asarray((in_b.mean(axis=1) + in_a.mean(axis=1)) / 2)


def check_settings(k: int, sample: int, rows: int) -> int:
    """The k to use on ``rows`` rows (at most rows - 1), or an error for impossible settings."""
    if not 1 <= k <= MAX_K:
        raise InputError(f"k must be between 1 and {MAX_K}, got {k}.")
    if not MIN_SAMPLE <= sample <= MAX_SAMPLE:
        raise InputError(f"The Spearman sample must be between {MIN_SAMPLE} and {MAX_SAMPLE:,} rows, got {sample}.")
    return min(k, rows - 1)


@memoize(max_entries=8, exclude=("matched", "progress"))
def _compared(digest_a: str, digest_b: str, k: int, sample: int, seed: int, matched: Matched,
              progress: Progress | None) -> ModelComparison:
    started = time.perf_counter()
    n = len(matched)
    total = 2 * n

    def first(done: int, _: int) -> None:
        if progress is not None:
            progress(done, total)

    def second(done: int, _: int) -> None:
        if progress is not None:
            progress(n + done, total)

    neighbours_a = nearest_rows(matched.a, k, first)
    neighbours_b = nearest_rows(matched.b, k, second)
    overlap = knn_overlap(neighbours_a, neighbours_b)
    cka = linear_cka(matched.a.vectors, matched.b.vectors)
    rows = sample_rows(n, sample, seed)
    rho, pairs = similarity_spearman(matched.a.vectors[rows], matched.b.vectors[rows])
    if progress is not None:
        progress(total, total)
    return ModelComparison(matched, k, overlap, neighbours_a, neighbours_b, cka, rho, pairs, len(rows), seed,
                           time.perf_counter() - started)


def compare_models(a: Corpus, b: Corpus, k: int = DEFAULT_K, *, sample: int = DEFAULT_SAMPLE, seed: int = DEFAULT_SEED,
                   clusters: int = DEFAULT_CLUSTERS, progress: Progress | None = None) -> ModelComparison:
    """Compare the spaces of two collections over the rows they share (see the module).
    ``clusters`` > 1 also clusters each space with k-means (that many clusters, the same seed)
    and scores their agreement; 0 skips it."""
    matched = match_rows(a, b)
    k = check_settings(k, sample, len(matched))
    comparison = replace(_compared(matched.a.digest, matched.b.digest, k, sample, seed, matched, progress))
    notes = []
    if matched.unmatched_a or matched.unmatched_b:
        notes.append(f"{len(matched):,} rows hold the same text in both collections; left out: {matched.unmatched_a:,} rows"
                     f" found only in {a.info.name!r} and {matched.unmatched_b:,} only in {b.info.name!r}.")
    if a.info.backend == b.info.backend and not a.info.foreign and not b.info.foreign:
        notes.append(f"Both collections were made by {a.info.backend}: they can differ only where their rows' texts do.")
    comparison.notes = notes
    if clusters > 1 and len(matched) >= MIN_ROWS:
        params = ClusterParams("kmeans", clusters, seed=seed).fitted(len(matched))
        comparison.clusters_a = corpus_clusters(matched.a, params)
        comparison.clusters_b = corpus_clusters(matched.b, params)
        comparison.cluster_ari, comparison.cluster_nmi = cluster_agreement(comparison.clusters_a.labels, comparison.clusters_b.labels)
    return comparison


def cluster_agreement(first: np.ndarray, second: np.ndarray) -> tuple[float, float]:
    """(adjusted Rand index, normalised mutual information) of two clusterings of the same rows."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    return float(adjusted_rand_score(first, second)), float(normalized_mutual_info_score(first, second))


# -- one collection against its own compressed codes --------------------------------------------


def compressed(corpus: Corpus, scheme: str) -> Corpus:
    """``corpus`` with its vectors replaced by what a compressed store would score with (the
    Compression page's schemes: ``float16``, ``int8``, ``binary``, ``pca-<d>``): the same rows,
    named ``<collection>@<scheme>``, so fp32 can be compared with its codes like two models."""
    from embedlab.analysis.compression import parse_scheme

    base, rescore = parse_scheme(scheme, corpus.vectors.shape[1], len(corpus))
    if rescore:
        raise InputError(f"{scheme!r}: re-scoring changes a search's last step, not the codes; compare {base!r} itself.")
    return _compressed(corpus.digest, base, corpus)


@memoize(max_entries=4, exclude=("corpus",))
def _compressed(digest: str, base: str, corpus: Corpus) -> Corpus:
    from embedlab.analysis.compression import encode

    vectors = np.ascontiguousarray(encode(base, l2_normalise(corpus.vectors)).search, dtype=np.float32)
    info = replace(corpus.info, name=f"{corpus.info.name}@{base}", backend=f"{corpus.info.backend}@{base}",
                   dim=int(vectors.shape[1]), extra={**corpus.info.extra, "scheme": base})
    return Corpus(info, corpus.ids, corpus.texts, corpus.metadata, vectors, cache.array_digest(vectors))


# -- what the page's two maps show -------------------------------------------------------------

AGREEMENT = "agreement"
CLUSTERS_A = "clusters of A"
CLUSTERS_B = "clusters of B"


@dataclass(frozen=True)
class PairMaps:
    """A map of each space of the compared rows; B's turned to lie over A's when ``aligned``."""

    a: Projection
    b: Projection
    coords_b: np.ndarray
    aligned: bool


def comparison_maps(comparison: ModelComparison, params: ProjectionParams, align: bool = True) -> PairMaps:
    """Both maps (cached like every map, by the vectors and the settings), B's aligned to A's
    (orthogonal Procrustes: rotation, reflection, scale) when ``align``."""
    first = corpus_map(comparison.matched.a, params)
    second = corpus_map(comparison.matched.b, params)
    coords = align_map(first.coords, second.coords) if align else second.coords
    return PairMaps(first, second, coords, align)


def colour_options(comparison: ModelComparison) -> list[str]:
    """What the maps can be coloured by: agreement, each model's clusters, the rows' columns."""
    options = [AGREEMENT]
    if comparison.clusters_a is not None:
        options += [CLUSTERS_A, CLUSTERS_B]
    return options + [c for c in comparison.matched.a.colour_columns() if c not in options]


def _cluster_names(clusters: ClusterResult, prefix: str) -> list[str]:
    terms = {c.id: ", ".join(c.terms[:3]) for c in clusters.clusters}
    return [f"{prefix}{label}: {terms.get(int(label), '')}" if label >= 0 else "noise" for label in clusters.labels]


def comparison_colours(comparison: ModelComparison, colour_by: str) -> Colours:
    """The same colour per row on both maps: its agreement (a scale from 0 to 1), its cluster in
    A or in B (named by their top terms), or a column."""
    if colour_by == AGREEMENT:
        return Colours("scale", values=comparison.overlap.astype(np.float32))
    if colour_by in (CLUSTERS_A, CLUSTERS_B):
        clusters = comparison.clusters_a if colour_by == CLUSTERS_A else comparison.clusters_b
        if clusters is None:
            raise InputError("No clusters were computed: set the number of clusters above 1.")
        return colours_for(_cluster_names(clusters, "A" if colour_by == CLUSTERS_A else "B"))
    corpus = comparison.matched.a
    if colour_by not in corpus.metadata.columns:
        raise InputError(f"Nothing to colour by called {colour_by!r}.")
    return colours_for(corpus.metadata[colour_by].tolist(), numeric=colour_by in corpus.numeric_columns())


def comparison_hover(comparison: ModelComparison) -> tuple[list[str], str]:
    """Hover text per row (the same on both maps): the text, label, agreement and its cluster in
    each model; and a content id for it."""
    key = cache.content_key(comparison.matched.a.digest, comparison.matched.b.digest, comparison.k,
                            None if comparison.clusters_a is None else comparison.clusters_a.params)
    return _hover(key, comparison), key


@memoize(max_entries=8, exclude=("comparison",))
def _hover(key: str, comparison: ModelComparison) -> list[str]:
    corpus = comparison.matched.a
    columns: dict[str, Sequence[object]] = {}
    if "label" in corpus.metadata.columns:
        columns["label"] = corpus.metadata["label"].tolist()
    columns[f"shared of {comparison.k}"] = np.rint(comparison.overlap * comparison.k).astype(int).tolist()
    if comparison.clusters_a is not None and comparison.clusters_b is not None:
        columns[f"{comparison.model_a} cluster"] = comparison.clusters_a.labels.tolist()
        columns[f"{comparison.model_b} cluster"] = comparison.clusters_b.labels.tolist()
    texts = [text or f"[{row_id}]" for text, row_id in zip(corpus.texts, corpus.ids, strict=True)]
    return hover_lines(texts, columns)
