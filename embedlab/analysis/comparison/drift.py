"""Two corpora (or two periods of one) under one model: how far apart they are, and where.

The two sides are two collections made by the same model, or one collection split by a column:
at a point (numbers, or dates: side A before it, side B from it on) or by its values (side A the
rows with the given values, side B those with the other given values, or all the rest). Rows
whose split value is missing or unreadable are left out and counted.

Figures (``metrics`` defines each): the distance between the sides' centroids (all rows), the
unbiased MMD² with a permutation p-value and a domain classifier's cross-validated ROC AUC (on a
seeded sample of at most ``max_rows`` rows of each side, the same rows for both), the share of
each side in each cluster of the joint corpus (k-means on all rows, terms by c-TF-IDF) with a
chi-square test of whether the mix of clusters differs, the same per label when there are labels,
and the rows most typical of each side (those the held-out classifier gives the highest
probability of their own side).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from embedlab import cache
from embedlab.analysis.comparison.metrics import (
    DOMAIN_C,
    Progress,
    centroid_cosine,
    centroid_distance,
    domain_auc,
    mmd_test,
    sample_rows,
)
from embedlab.analysis.comparison.settings import (
    DEFAULT_CLUSTERS,
    DEFAULT_FOLDS,
    DEFAULT_MAX_ROWS,
    DEFAULT_PERMUTATIONS,
    DEFAULT_SEED,
    MAX_FOLDS,
    MAX_PERMUTATIONS,
    MAX_ROWS,
    MIN_MAX_ROWS,
    MIN_PERMUTATIONS,
    STEADY_POINTS,
    TYPICAL,
)
from embedlab.corpus import Corpus, corpus_clusters
from embedlab.errors import InputError
from embedlab.maps.clustering import ClusterParams, ClusterResult

SIDE_COLUMN = "side"
#: how the figures are computed, in their cache key: results kept under another rule are not reused
CLASSIFIER = f"standardised logistic regression, C = {DOMAIN_C}"
RULE = f"mmd: gaussian, median bandwidth; classifier: {CLASSIFIER}"


@dataclass(frozen=True)
class Sides:
    """Two sets of rows under one model: ``joint`` holds side A's rows then side B's (for a
    split, the collection's rows in order, without those left out), ``side`` is 0 (A) or 1 (B)
    per row, and ``joint`` has a ``side`` column naming each row's side."""

    joint: Corpus
    side: np.ndarray
    name_a: str
    name_b: str
    description: str
    left_out: int = 0

    @property
    def rows_a(self) -> int:
        return int((self.side == 0).sum())

    @property
    def rows_b(self) -> int:
        return int((self.side == 1).sum())

    @property
    def model(self) -> str:
        return self.joint.info.backend


def _with_side(corpus: Corpus, side: np.ndarray, name_a: str, name_b: str, rows: np.ndarray | None, name: str) -> Corpus:
    metadata = corpus.metadata if rows is None else corpus.metadata.iloc[rows].reset_index(drop=True)
    metadata = metadata.copy()
    metadata[SIDE_COLUMN] = np.where(side == 0, name_a, name_b)
    if rows is None:
        return replace(corpus, metadata=metadata, info=replace(corpus.info, name=name))
    vectors = np.ascontiguousarray(corpus.vectors[rows])
    return Corpus(replace(corpus.info, name=name, count=len(rows)), [corpus.ids[i] for i in rows],
                  [corpus.texts[i] for i in rows], metadata, vectors, cache.array_digest(vectors))


def _check_sides(side: np.ndarray, name_a: str, name_b: str, what: str) -> None:
    counts = (int((side == 0).sum()), int((side == 1).sum()))
    if min(counts) < 2:
        raise InputError(f"{what} leaves {counts[0]:,} rows in side A ({name_a}) and {counts[1]:,} in side B ({name_b}):"
                         " each side needs at least 2 rows.")


def two_collections(a: Corpus, b: Corpus) -> Sides:
    """Side A: every row of ``a``; side B: every row of ``b``. Both must come from one model."""
    if a.vectors.shape[1] != b.vectors.shape[1]:
        raise InputError(f"{a.info.name!r} holds {a.vectors.shape[1]}-d vectors and {b.info.name!r} {b.vectors.shape[1]}-d ones:"
                         " drift compares two corpora in one model's space. To compare two models, use compare-models.")
    if not a.info.foreign and not b.info.foreign and a.info.backend != b.info.backend:
        raise InputError(f"{a.info.name!r} was made by {a.info.backend} and {b.info.name!r} by {b.info.backend}: drift compares"
                         " two corpora under one model (their vectors are not in the same space). To compare two models"
                         " on the same texts, use compare-models.")
    side = np.r_[np.zeros(len(a), dtype=np.int8), np.ones(len(b), dtype=np.int8)]
    _check_sides(side, a.info.dataset, b.info.dataset, "These collections")
    metadata = pd.concat([a.metadata, b.metadata], ignore_index=True, sort=False)
    for column in metadata.columns:
        if metadata[column].dtype == object:
            metadata[column] = metadata[column].fillna("").astype(str)
    metadata[SIDE_COLUMN] = np.where(side == 0, a.info.dataset, b.info.dataset)
    vectors = np.ascontiguousarray(np.vstack([a.vectors, b.vectors]), dtype=np.float32)
    info = replace(a.info, name=f"{a.info.name}+{b.info.name}", dataset=f"{a.info.dataset} + {b.info.dataset}", count=len(side))
    joint = Corpus(info, [*a.ids, *b.ids], [*a.texts, *b.texts], metadata, vectors, cache.array_digest(vectors))
    name_a, name_b = a.info.dataset, b.info.dataset
    if name_a == name_b:
        name_a, name_b = a.info.name, b.info.name
        joint.metadata[SIDE_COLUMN] = np.where(side == 0, name_a, name_b)
    return Sides(joint, side, name_a, name_b, f"{a.info.name!r} ({len(a):,} rows) against {b.info.name!r} ({len(b):,} rows)")


# -- one collection split by a column -----------------------------------------------------------


@dataclass(frozen=True)
class ColumnSummary:
    """What a column holds, for choosing a split: ``kind`` is number, date or values."""

    column: str
    kind: str
    readable: int
    rows: int
    low: str = ""
    median: str = ""
    high: str = ""
    values: tuple[tuple[str, int], ...] = ()

    def describe(self) -> str:
        if self.kind == "values":
            shown = ", ".join(f"{value} ({count:,})" for value, count in self.values[:8])
            more = f" and {len(self.values) - 8} more" if len(self.values) > 8 else ""
            return f"{self.column}: {len(self.values):,} values — {shown}{more}"
        unreadable = f"; {self.rows - self.readable:,} rows without a readable value" if self.readable < self.rows else ""
        return f"{self.column} ({self.kind}s): from {self.low} to {self.high}, median {self.median}{unreadable}"


def _as_numbers(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values.replace("", np.nan), errors="coerce")


def _as_dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values.replace("", np.nan), errors="coerce", utc=True, format="mixed")


def _date_text(value: pd.Timestamp) -> str:
    return value.strftime("%Y-%m-%d") if value == value.normalize() else value.strftime("%Y-%m-%d %H:%M:%S")


def column_kind(values: pd.Series) -> str:
    """``number`` when most values read as numbers, ``date`` when most read as dates, else ``values``."""
    present = values[values.astype(str).str.strip() != ""]
    if present.empty:
        return "values"
    if _as_numbers(present).notna().mean() >= 0.9:
        return "number"
    if _as_dates(present).notna().mean() >= 0.9:
        return "date"
    return "values"


def summarise_column(corpus: Corpus, column: str) -> ColumnSummary:
    """The range and median of a number or date column, or the values of another column."""
    values = _column(corpus, column)
    kind = column_kind(values)
    if kind == "values":
        counts = values.astype(str).value_counts()
        return ColumnSummary(column, kind, int(counts.sum()), len(values), values=tuple((str(v), int(c)) for v, c in counts.items()))
    if kind == "number":
        numbers = _as_numbers(values).dropna()
        return ColumnSummary(column, kind, len(numbers), len(values), f"{numbers.min():g}", f"{numbers.median():g}", f"{numbers.max():g}")
    dates = _as_dates(values).dropna()
    middle = dates.sort_values().iloc[len(dates) // 2].normalize()
    return ColumnSummary(column, kind, len(dates), len(values), _date_text(dates.min()), _date_text(middle), _date_text(dates.max()))


def _column(corpus: Corpus, column: str) -> pd.Series:
    if column not in corpus.metadata.columns or column == SIDE_COLUMN:
        shown = ", ".join(str(c) for c in corpus.metadata.columns if c not in ("row", "chunk", "chunks")) or "none"
        raise InputError(f"{corpus.info.name!r} has no column {column!r} to split by; its columns: {shown}.")
    return corpus.metadata[column].astype(str).reset_index(drop=True)


def split_collection(corpus: Corpus, column: str, *, at: str | None = None, values: Sequence[str] = (),
                     versus: Sequence[str] = ()) -> Sides:
    """Two sides of one collection: ``at`` a number or a date of ``column`` (A: before, B: from
    it on), or by ``values`` of it (A: those values; B: ``versus`` values, else every other)."""
    series = _column(corpus, column)
    if (at is None or not str(at).strip()) == (not values):
        raise InputError("Split a collection either at a point (a number or a date) or by values of the column, not both.")
    if values:
        chosen, other = {str(v) for v in values}, {str(v) for v in versus}
        if chosen & other:
            raise InputError(f"{', '.join(sorted(chosen & other))} cannot be on both sides.")
        side = np.full(len(series), -1, dtype=np.int8)
        side[series.isin(chosen).to_numpy()] = 0
        side[(series.isin(other) if other else ~series.isin(chosen)).to_numpy()] = 1
        name_a = f"{column} = {', '.join(sorted(chosen))}"
        name_b = f"{column} = {', '.join(sorted(other))}" if other else f"other {column}"
        what = f"Splitting by {column}"
    else:
        side, name_a, name_b = _split_at(series, column, str(at).strip())
        what = f"Splitting at {column} = {at}"
    keep = np.flatnonzero(side >= 0)
    left_out = len(series) - len(keep)
    side = side[keep]
    _check_sides(side, name_a, name_b, what)
    rows = None if left_out == 0 else keep
    joint = _with_side(corpus, side, name_a, name_b, rows, f"{corpus.info.name}:{column}")
    unread = f"; {left_out:,} rows without a value on either side left out" if left_out else ""
    return Sides(joint, side, name_a, name_b, f"{corpus.info.name!r} split by {column}: {name_a} ({int((side == 0).sum()):,} rows)"
                 f" against {name_b} ({int((side == 1).sum()):,} rows){unread}", left_out)


def _split_at(series: pd.Series, column: str, at: str) -> tuple[np.ndarray, str, str]:
    kind = column_kind(series)
    if kind == "values":
        raise InputError(f"Column {column!r} holds neither numbers nor dates: split it by its values instead.")
    if kind == "number":
        try:
            point: Any = float(at)
        except ValueError:
            raise InputError(f"{column!r} holds numbers: split it at a number, not {at!r}.") from None
        parsed = _as_numbers(series)
    else:
        point = _as_dates(pd.Series([at])).iloc[0]
        if pd.isna(point):
            raise InputError(f"{column!r} holds dates: split it at a date such as 2014-07-01, not {at!r}.")
        parsed = _as_dates(series)
    side = np.where(parsed.isna().to_numpy(), -1, np.where((parsed < point).to_numpy(), 0, 1)).astype(np.int8)
    shown = f"{point:g}" if kind == "number" else _date_text(point)
    return side, f"{column} < {shown}", f"{column} ≥ {shown}"


# -- the figures -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    """One group (a cluster or a label): its rows and share on each side and how it moved."""

    name: str
    terms: tuple[str, ...]
    count_a: int
    count_b: int
    share_a: float
    share_b: float

    @property
    def change(self) -> float:
        return self.share_b - self.share_a

    @property
    def trend(self) -> str:
        if self.count_a == 0:
            return "new in B"
        if self.count_b == 0:
            return "vanished in B"
        if abs(self.change) < STEADY_POINTS:
            return "steady"
        return "grew in B" if self.change > 0 else "shrank in B"

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "terms": list(self.terms), "count_a": self.count_a, "count_b": self.count_b,
                "share_a": self.share_a, "share_b": self.share_b, "change": self.change, "trend": self.trend}


def shares(groups: Sequence[Any] | np.ndarray, side: np.ndarray, terms: Mapping[str, Sequence[str]] | None = None) -> list[Share]:
    """Each group's share of side A's rows and of side B's rows, biggest move first."""
    frame = pd.DataFrame({"group": [str(g) for g in groups], "side": side})
    counts = pd.crosstab(frame["group"], frame["side"]).reindex(columns=[0, 1], fill_value=0)
    totals = (max(int((side == 0).sum()), 1), max(int((side == 1).sum()), 1))
    found = [Share(str(name), tuple((terms or {}).get(str(name), ())), int(row[0]), int(row[1]), float(row[0] / totals[0]),
                   float(row[1] / totals[1]))
             for name, row in counts.iterrows()]
    return sorted(found, key=lambda s: (-abs(s.change), s.name))


def mix_test(found: Sequence[Share]) -> float | None:
    """The chi-square test's p-value that the groups' mix is the same on both sides."""
    from scipy.stats import chi2_contingency

    table = np.array([[s.count_a, s.count_b] for s in found])
    table = table[table.sum(axis=1) > 0]
    if len(table) < 2:
        return None
    return float(chi2_contingency(table).pvalue)


@dataclass
class Drift:
    """How far apart two sides are (see the module) and where."""

    sides: Sides
    centroid_distance: float
    centroid_cosine: float
    mmd: float
    p_value: float
    bandwidth: float
    permutations: int
    auc: float
    auc_std: float
    fold_auc: tuple[float, ...]
    sample: np.ndarray  # rows of the joint corpus used for MMD and the classifier
    probability_b: np.ndarray  # each sampled row's held-out probability of side B
    max_rows: int
    folds: int
    seed: int
    seconds: float = 0.0
    cached: bool = False
    clusters: ClusterResult | None = None
    cluster_shares: list[Share] = field(default_factory=list)
    cluster_p_value: float | None = None
    label_shares: list[Share] = field(default_factory=list)
    label_p_value: float | None = None

    @property
    def sample_a(self) -> int:
        return int((self.sides.side[self.sample] == 0).sum())

    @property
    def sample_b(self) -> int:
        return int((self.sides.side[self.sample] == 1).sum())

    def typical(self, side: int, count: int = TYPICAL) -> list[tuple[int, float]]:
        """(row of the joint corpus, held-out probability of its own side) of the ``count`` rows
        the classifier finds most typical of ``side`` (0: A, 1: B), most typical first."""
        own = self.sides.side[self.sample] == side
        probability = self.probability_b if side == 1 else 1.0 - self.probability_b
        rows, values = self.sample[own], probability[own]
        order = np.lexsort((rows, -values))[:count]
        return [(int(rows[i]), float(values[i])) for i in order]

    def as_dict(self) -> dict[str, Any]:
        """The figures as JSON-able values (``embedlab drift --json``)."""
        joint = self.sides.joint
        document: dict[str, Any] = {
            "side_a": self.sides.name_a, "side_b": self.sides.name_b, "description": self.sides.description,
            "model": self.sides.model, "rows_a": self.sides.rows_a, "rows_b": self.sides.rows_b, "left_out": self.sides.left_out,
            "centroid_distance": self.centroid_distance, "centroid_cosine": self.centroid_cosine,
            "mmd": self.mmd, "p_value": self.p_value,
            "mmd_kernel": "gaussian, bandwidth = median distance between the pooled sample's rows",
            "mmd_bandwidth": self.bandwidth, "permutations": self.permutations,
            "auc": self.auc, "auc_std": self.auc_std, "fold_auc": list(self.fold_auc), "folds": self.folds, "classifier": CLASSIFIER,
            "sample_a": self.sample_a, "sample_b": self.sample_b, "max_rows": self.max_rows, "seed": self.seed,
            "seconds": round(self.seconds, 3),
        }
        if self.clusters is not None:
            document["clusters"] = {"method": "kmeans", "k": self.clusters.params.k, "seed": self.clusters.params.seed,
                                    "p_value": self.cluster_p_value,
                                    "shares": [s.as_dict() for s in self.cluster_shares]}
        if self.label_shares:
            document["labels"] = {"p_value": self.label_p_value, "shares": [s.as_dict() for s in self.label_shares]}
        for key, side in (("typical_a", 0), ("typical_b", 1)):
            document[key] = [{"id": joint.ids[row], "text": joint.texts[row], "probability": p} for row, p in self.typical(side)]
        return document


ARRAYS = ("sample", "probability_b")


def _dump(figures: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    meta = {key: value for key, value in figures.items() if key not in ARRAYS}
    return {key: figures[key] for key in ARRAYS}, {**meta, "fold_auc": list(figures["fold_auc"])}


def _load(arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> dict[str, Any]:
    return {**meta, "fold_auc": tuple(meta["fold_auc"]), **{key: arrays[key] for key in ARRAYS}}


@cache.on_disk("drift", exclude=("vectors", "side", "progress"), dump=_dump, load=_load)
def _kept_figures(digest: str, side_key: str, max_rows: int, permutations: int, folds: int, seed: int, rule: str, *, vectors: np.ndarray,
                  side: np.ndarray, progress: Progress | None) -> dict[str, Any]:
    return _figures(vectors, side, max_rows, permutations, folds, seed, progress)


def _figures(vectors: np.ndarray, side: np.ndarray, max_rows: int, permutations: int, folds: int, seed: int,
             progress: Progress | None) -> dict[str, Any]:
    started = time.perf_counter()
    in_a, in_b = np.flatnonzero(side == 0), np.flatnonzero(side == 1)
    sample = np.r_[in_a[sample_rows(len(in_a), max_rows, seed)], in_b[sample_rows(len(in_b), max_rows, seed)]]
    n_a = int((side[sample] == 0).sum())
    total = permutations + folds

    def tested(done: int, _: int) -> None:
        if progress is not None:
            progress(done, total)

    def classified(done: int, _: int) -> None:
        if progress is not None:
            progress(permutations + done, total)

    mmd = mmd_test(vectors[sample[:n_a]], vectors[sample[n_a:]], permutations, seed, progress=tested)
    domain = domain_auc(vectors[sample[:n_a]], vectors[sample[n_a:]], folds, seed, progress=classified)
    return {"centroid_distance": centroid_distance(vectors[in_a], vectors[in_b]),
            "centroid_cosine": centroid_cosine(vectors[in_a], vectors[in_b]),
            "mmd": mmd.mmd2, "p_value": mmd.p_value, "bandwidth": mmd.bandwidth, "permutations": permutations,
            "auc": domain.auc, "auc_std": domain.auc_std, "fold_auc": domain.fold_auc, "sample": sample,
            "probability_b": domain.probability_b, "max_rows": max_rows, "folds": folds, "seed": seed,
            "seconds": time.perf_counter() - started}


def check_settings(max_rows: int, permutations: int, folds: int) -> None:
    if not MIN_MAX_ROWS <= max_rows <= MAX_ROWS:
        raise InputError(f"The sample per side must be between {MIN_MAX_ROWS} and {MAX_ROWS:,} rows, got {max_rows}.")
    if not MIN_PERMUTATIONS <= permutations <= MAX_PERMUTATIONS:
        raise InputError(f"Permutations must be between {MIN_PERMUTATIONS} and {MAX_PERMUTATIONS:,}, got {permutations}.")
    if not 2 <= folds <= MAX_FOLDS:
        raise InputError(f"Folds must be between 2 and {MAX_FOLDS}, got {folds}.")


def drift(sides: Sides, *, max_rows: int = DEFAULT_MAX_ROWS, permutations: int = DEFAULT_PERMUTATIONS, folds: int = DEFAULT_FOLDS,
          seed: int = DEFAULT_SEED, clusters: int = DEFAULT_CLUSTERS, progress: Progress | None = None) -> Drift:
    """The drift figures of ``sides`` (see the module); kept on disk by the vectors, the sides and
    the settings. ``clusters`` > 1 clusters the joint corpus with k-means for the shares."""
    check_settings(max_rows, permutations, folds)
    joint = sides.joint
    if min(sides.rows_a, sides.rows_b) < folds:
        raise InputError(f"{sides.name_a} has {sides.rows_a:,} rows and {sides.name_b} {sides.rows_b:,}: the domain classifier"
                         f" needs at least {folds} on each side ({folds}-fold cross-validation).")
    figures, hit = _kept_figures.call_with_hit(joint.digest, cache.array_digest(sides.side), max_rows, permutations, folds, seed,
                                               RULE, vectors=joint.vectors, side=sides.side, progress=progress)
    figures = {**figures, "cached": hit}
    result = Drift(sides, **figures)
    if clusters > 1:
        params = ClusterParams("kmeans", clusters, seed=seed).fitted(len(joint))
        result.clusters = corpus_clusters(joint, params)
        terms = {str(c.id): c.terms for c in result.clusters.clusters}
        result.cluster_shares = shares(result.clusters.labels, sides.side, terms)
        result.cluster_p_value = mix_test(result.cluster_shares)
    labels = joint.labels
    if labels is not None:
        result.label_shares = shares(labels, sides.side)
        result.label_p_value = mix_test(result.label_shares)
    return result
