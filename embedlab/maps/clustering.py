"""Clusters of a corpus on its full-dimensional vectors, and how good they are.

- k-means (k) and HDBSCAN (min_cluster_size), both from scikit-learn, seeded where random.
- Each cluster's most distinctive terms by class-based TF-IDF (c-TF-IDF, as in BERTopic:
  a term's frequency in the cluster, times log(1 + average words per cluster / the term's
  frequency over all clusters)); web addresses are left out of the counts (a tweet's
  ``http://reut.rs/1y2doXb`` gave every cluster the terms "http", "reut" and "rs").
- Silhouette (cosine; on a seeded sample beyond ``SILHOUETTE_SAMPLE`` points, and the result
  says so), and when labels exist the adjusted Rand index and NMI against them.
- HDBSCAN noise (label ``-1``) is not a cluster: silhouette, ARI and NMI all leave the noise
  points out, and the result says on how many points ARI and NMI were computed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from embedlab import cache
from embedlab.errors import InputError

CLUSTER_METHODS: tuple[str, ...] = ("kmeans", "hdbscan")
SILHOUETTE_SAMPLE = 10_000
HDBSCAN_FULL_MAX = 10_000  # beyond this HDBSCAN runs on a seeded PCA reduction (full-d takes ~20 min at 63k)
HDBSCAN_REDUCED_DIMS = 16
NOISE = -1
AGREEMENT_RULE = "ari-nmi-without-noise"  # in the cache key: results cached when noise counted are not reused
TERMS_RULE = "ctfidf-without-urls"  # in the cache key too: terms counted with web addresses are not reused
_URL = re.compile(r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)\S+", re.IGNORECASE)


@dataclass(frozen=True)
class ClusterParams:
    """Settings of one clustering."""

    method: str = "kmeans"
    k: int = 8
    min_cluster_size: int = 15
    seed: int = 42

    def fitted(self, n_points: int) -> ClusterParams:
        """The nearest settings that work on ``n_points`` points (k at most n − 1, min_cluster_size
        at most n): the page uses them so a small collection still gets clusters, and says so."""
        if n_points < 3:
            return self
        return replace(self, k=max(2, min(self.k, 200, n_points - 1)), min_cluster_size=max(2, min(self.min_cluster_size, n_points)))

    def validate(self, n_points: int) -> None:
        """Refuse settings that cannot work on ``n_points`` points, saying why."""
        if self.method not in CLUSTER_METHODS:
            raise InputError(f"Unknown clustering {self.method!r}; use one of {', '.join(CLUSTER_METHODS)}.")
        if n_points < 3:
            raise InputError(f"Clustering needs at least 3 points; there are {n_points}.")
        if self.method == "kmeans" and not 2 <= self.k <= min(200, n_points - 1):
            raise InputError(f"k must be between 2 and {min(200, n_points - 1)} for {n_points} points, got {self.k}.")
        if self.method == "hdbscan" and not 2 <= self.min_cluster_size <= n_points:
            raise InputError(f"min_cluster_size must be between 2 and {n_points}, got {self.min_cluster_size}.")

    def relevant(self) -> dict[str, Any]:
        """The settings that change the result (cache key)."""
        if self.method == "kmeans":
            return {"method": "kmeans", "k": self.k, "seed": self.seed}
        return {"method": "hdbscan", "min_cluster_size": self.min_cluster_size, "seed": self.seed}


@dataclass(frozen=True)
class Cluster:
    """One cluster: its id, size and most distinctive terms."""

    id: int
    size: int
    terms: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "size": self.size, "terms": self.terms}


@dataclass
class ClusterResult:
    """Labels per point (``-1`` = HDBSCAN noise), cluster summaries and quality figures."""

    labels: np.ndarray
    params: ClusterParams
    clusters: list[Cluster] = field(default_factory=list)
    silhouette: float | None = None
    silhouette_sample: int | None = None
    ari: float | None = None
    nmi: float | None = None
    seconds: float = 0.0
    cached: bool = False
    space: str = "full"
    agreement_points: int | None = None  # points ARI and NMI were computed on (noise left out)

    @property
    def noise(self) -> int:
        return int((self.labels == NOISE).sum())

    def as_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "method": self.params.method,
            "params": self.params.relevant(),
            "space": self.space,
            "clusters": [c.as_dict() for c in self.clusters],
            "noise": self.noise,
            "silhouette": self.silhouette,
            "silhouette_sample": self.silhouette_sample,
        }
        if self.ari is not None:
            document["ari"] = self.ari
            document["nmi"] = self.nmi
            document["ari_nmi_points"] = self.agreement_points
            document["ari_nmi_noise_left_out"] = self.noise
        return document


def clustering_space(n_points: int, params: ClusterParams) -> str:
    """Where the clustering runs: ``full`` vectors, or ``pca-16`` for HDBSCAN on big corpora."""
    if params.method == "hdbscan" and n_points > HDBSCAN_FULL_MAX:
        return f"pca-{HDBSCAN_REDUCED_DIMS}"
    return "full"


def fit_labels(vectors: np.ndarray, params: ClusterParams) -> np.ndarray:
    """Cluster labels of the rows of ``vectors`` (unit rows: Euclidean ranks like cosine).

    k-means always runs on the full vectors. HDBSCAN does too up to ``HDBSCAN_FULL_MAX``
    points; beyond, its tree search degrades in high dimensions (measured: 10k × 384 takes
    68 s here, 63k would take about 20 min), so it runs on a seeded 16-d PCA of the vectors.
    """
    params.validate(len(vectors))
    if params.method == "kmeans":
        from sklearn.cluster import KMeans

        return KMeans(n_clusters=params.k, n_init=3, random_state=params.seed).fit_predict(vectors).astype(np.int32)
    from sklearn.cluster import HDBSCAN

    data = vectors
    if clustering_space(len(vectors), params) != "full":
        from sklearn.decomposition import PCA

        data = PCA(n_components=min(HDBSCAN_REDUCED_DIMS, vectors.shape[1]), random_state=params.seed).fit_transform(vectors)
    return HDBSCAN(min_cluster_size=params.min_cluster_size, copy=True).fit_predict(data).astype(np.int32)


def silhouette(vectors: np.ndarray, labels: np.ndarray, seed: int = 42, sample: int = SILHOUETTE_SAMPLE) -> tuple[float | None, int | None]:
    """Cosine silhouette of the clustering (noise left out); on a seeded sample for big sets.

    Returns (score, sample size used or None when every point was used); score is None when
    fewer than two clusters remain.
    """
    keep = labels != NOISE
    data, kept = vectors[keep], labels[keep]
    if len(set(kept.tolist())) < 2 or len(kept) < 3:
        return None, None
    from sklearn.metrics import silhouette_score

    used = sample if len(kept) > sample else None
    score = silhouette_score(data, kept, metric="cosine", sample_size=used, random_state=seed)
    return float(score), used


def label_agreement(truth: Sequence[Any], predicted: np.ndarray) -> tuple[float, float]:
    """Adjusted Rand index and normalised mutual information against known labels (of the
    points given: ``cluster`` passes only the non-noise ones)."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    truth = [str(t) for t in truth]
    if len(truth) != len(predicted):
        raise InputError(f"{len(truth)} labels for {len(predicted)} points.")
    return float(adjusted_rand_score(truth, predicted)), float(normalized_mutual_info_score(truth, predicted))


def ctfidf_terms(texts: Sequence[str], labels: np.ndarray, top_n: int = 8) -> dict[int, list[str]]:
    """The ``top_n`` most distinctive terms of each cluster by class-based TF-IDF."""
    from sklearn.feature_extraction.text import CountVectorizer

    clusters = sorted(c for c in set(labels.tolist()) if c != NOISE)
    if not clusters:
        return {}
    joined = [_URL.sub(" ", " ".join(texts[int(i)] for i in np.flatnonzero(labels == c))) for c in clusters]
    vectorizer = CountVectorizer(stop_words="english", token_pattern=r"(?u)\b[^\W\d_][\w'-]+\b", max_features=50_000, lowercase=True)
    try:
        counts = vectorizer.fit_transform(joined)
    except ValueError:  # only stop words or no words at all
        return {c: [] for c in clusters}
    counts = counts.astype(np.float64)
    tf = counts.multiply(1.0 / np.maximum(counts.sum(axis=1), 1)).tocsr()
    term_totals = np.asarray(counts.sum(axis=0)).ravel()
    average_words = counts.sum() / len(clusters)
    idf = np.log1p(average_words / np.maximum(term_totals, 1e-12))
    scores = tf.multiply(idf).tocsr()
    vocabulary = vectorizer.get_feature_names_out()
    terms: dict[int, list[str]] = {}
    for row, cluster in enumerate(clusters):
        values = scores.getrow(row).toarray().ravel()
        top = [i for i in np.argsort(-values, kind="stable")[:top_n] if values[i] > 0]
        terms[cluster] = [str(vocabulary[i]) for i in top]
    return terms


def cluster(
    vectors: np.ndarray,
    texts: Sequence[str],
    params: ClusterParams | None = None,
    labels: Sequence[Any] | None = None,
    *,
    use_cache: bool = True,
    digest: str | None = None,
    top_n: int = 8,
) -> ClusterResult:
    """Cluster, describe and score a corpus; kept on disk by vectors, texts and settings."""
    params = params or ClusterParams()
    vectors = np.asarray(vectors, dtype=np.float32)
    params.validate(len(vectors))
    if len(texts) != len(vectors):
        raise InputError(f"{len(texts)} texts for {len(vectors)} vectors.")
    truth = [str(t) for t in labels] if labels is not None else None
    if not use_cache:
        return _clustered(params, top_n, vectors, texts, truth)
    result, hit = _kept_clusters.call_with_hit(
        digest or cache.array_digest(vectors), params.relevant(), top_n, cache.content_key(list(texts)), cache.content_key(truth),
        f"{AGREEMENT_RULE};{TERMS_RULE}", params=params, vectors=vectors, texts=texts, truth=truth)
    return replace(result, params=params, cached=hit)


def _dump_clusters(result: ClusterResult) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    return {"labels": result.labels}, {
        "clusters": [c.as_dict() for c in result.clusters], "silhouette": result.silhouette,
        "silhouette_sample": result.silhouette_sample, "ari": result.ari, "nmi": result.nmi, "seconds": result.seconds,
        "space": result.space, "agreement_points": result.agreement_points, "params": asdict(result.params)}


def _load_clusters(arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> ClusterResult:
    return ClusterResult(arrays["labels"], ClusterParams(**meta["params"]), [Cluster(**c) for c in meta["clusters"]],
                         meta["silhouette"], meta["silhouette_sample"], meta["ari"], meta["nmi"], float(meta["seconds"]), True,
                         meta.get("space", "full"), meta.get("agreement_points"))


@cache.on_disk("clusters", exclude=("params", "vectors", "texts", "truth"), dump=_dump_clusters, load=_load_clusters)
def _kept_clusters(digest: str, relevant: dict[str, Any], top_n: int, texts_key: str, truth_key: str, rule: str, *,
                   params: ClusterParams, vectors: np.ndarray, texts: Sequence[str], truth: list[str] | None) -> ClusterResult:
    return _clustered(params, top_n, vectors, texts, truth)


def _clustered(params: ClusterParams, top_n: int, vectors: np.ndarray, texts: Sequence[str], truth: list[str] | None) -> ClusterResult:
    """The computation behind ``cluster``."""
    started = time.perf_counter()
    predicted = fit_labels(vectors, params)
    terms = ctfidf_terms(texts, predicted, top_n)
    ids, sizes = np.unique(predicted[predicted != NOISE], return_counts=True)
    clusters = sorted((Cluster(int(i), int(s), terms.get(int(i), [])) for i, s in zip(ids, sizes, strict=True)), key=lambda c: -c.size)
    score, sample = silhouette(vectors, predicted, params.seed)
    ari = nmi = agreement_points = None
    kept = np.flatnonzero(predicted != NOISE)
    if truth is not None and len(set(truth)) > 1 and len(kept) >= 2:
        ari, nmi = label_agreement([truth[i] for i in kept], predicted[kept])
        agreement_points = len(kept)
    return ClusterResult(predicted, params, clusters, score, sample, ari, nmi, time.perf_counter() - started, False,
                         clustering_space(len(vectors), params), agreement_points)
