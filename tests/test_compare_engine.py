"""The Compare engine against independent computations written here with scikit-learn, scipy and
numpy: kNN overlap (exact cosine, a row never its own neighbour), linear CKA, Spearman ρ of
pairwise similarities on a seeded sample, ARI of the two models' clusters, centroid distance, MMD
with its permutation p-value, and the domain classifier's cross-validated AUC; plus matching rows
by text, splitting a collection by a column, cluster shares and caching."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from embedlab.analysis.comparison import metrics
from embedlab.analysis.comparison.drift import (
    drift,
    shares,
    split_collection,
    summarise_column,
    two_collections,
)
from embedlab.analysis.comparison.models import (
    AGREEMENT,
    CLUSTERS_A,
    compare_models,
    comparison_colours,
    compressed,
    match_rows,
    nearest_rows,
)
from embedlab.corpus import Corpus
from embedlab.errors import InputError
from embedlab.store import CollectionInfo
from embedlab.vectors import knn_cosine, top_k_rows


def make_corpus(vectors: np.ndarray, texts: list[str] | None = None, *, name: str = "c", backend: str = "m",
                metadata: dict[str, list[str]] | None = None) -> Corpus:
    from embedlab import cache

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n = len(vectors)
    texts = texts if texts is not None else [f"text {i}" for i in range(n)]
    info = CollectionInfo(name, name, backend, vectors.shape[1], n, "2026-01-01T00:00:00+00:00", "complete")
    frame = pd.DataFrame(metadata or {"label": [f"l{i % 3}" for i in range(n)]})
    return Corpus(info, [f"id{i}" for i in range(n)], texts, frame, vectors, cache.array_digest(vectors))


def two_spaces(n: int = 150, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Space B: a rotation of space A into more dimensions, plus noise (related, not equal)."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, 16))
    rotation, _ = np.linalg.qr(rng.normal(size=(24, 24)))
    b = np.hstack([a, np.zeros((n, 8))]) @ rotation + 0.8 * rng.normal(size=(n, 24))
    return a.astype(np.float32), b.astype(np.float32)


def sklearn_neighbours(vectors: np.ndarray, k: int) -> np.ndarray:
    from sklearn.neighbors import NearestNeighbors

    _, found = NearestNeighbors(n_neighbors=k + 1, metric="cosine", algorithm="brute").fit(vectors).kneighbors(vectors)
    assert (found[:, 0] == np.arange(len(vectors))).all()  # each row is its own nearest: drop it
    return found[:, 1:]


# -- two models, one corpus --------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 5, 10, 30])
def test_knn_overlap_equals_scikit_learns_exact_cosine_neighbours(k: int) -> None:
    a, b = two_spaces()
    result = compare_models(make_corpus(a, name="a", backend="ma"), make_corpus(b, name="b", backend="mb"), k, clusters=0)
    mine_a, mine_b = sklearn_neighbours(a, k), sklearn_neighbours(b, k)
    expected = np.array([len(set(x) & set(y)) / k for x, y in zip(mine_a, mine_b, strict=True)])
    assert all(set(result.neighbours_a[i]) == set(mine_a[i]) for i in range(len(a)))
    assert np.array_equal(result.overlap, expected)
    assert result.mean == pytest.approx(expected.mean(), abs=0)
    assert result.histogram() == np.bincount(np.rint(expected * k).astype(int), minlength=k + 1).tolist()
    assert 0 < result.mean < 1


def test_a_row_is_never_its_own_neighbour_and_ties_go_to_the_lower_row() -> None:
    rng = np.random.default_rng(3)
    base = rng.normal(size=(6, 8))
    vectors = np.vstack([base, base[[0, 0, 2]]])  # rows 6 and 7 copy row 0, row 8 copies row 2
    found = knn_cosine(vectors, 3)
    assert all(i not in found[i] for i in range(len(vectors)))
    assert found[0][:2].tolist() == [6, 7] and found[6][:2].tolist() == [0, 7] and found[7][:2].tolist() == [0, 6]
    scores = rng.integers(0, 3, size=(40, 30)).astype(float)
    expected = [sorted(range(30), key=lambda j, row=row: (-row[j], j))[:7] for row in scores]
    assert top_k_rows(scores, 7).tolist() == expected


def test_linear_cka_equals_the_hsic_form_on_gram_matrices() -> None:
    a, b = two_spaces(80)
    n = len(a)
    centring = np.eye(n) - np.ones((n, n)) / n

    def hsic(k: np.ndarray, l: np.ndarray) -> float:
        return float(np.trace(k @ centring @ l @ centring))

    ka, kb = a.astype(np.float64) @ a.T.astype(np.float64), b.astype(np.float64) @ b.T.astype(np.float64)
    expected = hsic(ka, kb) / np.sqrt(hsic(ka, ka) * hsic(kb, kb))
    assert metrics.linear_cka(a, b) == pytest.approx(expected, rel=1e-9)
    rotation, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(16, 16)))
    assert metrics.linear_cka(a, 3.0 * a @ rotation + 5.0) == pytest.approx(1.0, abs=1e-9)  # rotation, scale, shift
    assert compare_models(make_corpus(a, name="a"), make_corpus(b, name="b"), clusters=0).cka == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(("sample", "seed"), [(60, 0), (60, 7), (500, 0)])
def test_spearman_of_pairwise_similarities_on_the_seeded_sample(sample: int, seed: int) -> None:
    from scipy.stats import rankdata
    from sklearn.metrics.pairwise import cosine_similarity

    a, b = two_spaces(150)
    result = compare_models(make_corpus(a, name="a"), make_corpus(b, name="b"), sample=sample, seed=seed, clusters=0)
    rows = np.arange(150) if sample >= 150 else np.sort(np.random.default_rng(seed).choice(150, size=sample, replace=False))
    upper = np.triu_indices(len(rows), k=1)
    first, second = cosine_similarity(a[rows])[upper], cosine_similarity(b[rows])[upper]
    expected = np.corrcoef(rankdata(first), rankdata(second))[0, 1]
    assert result.spearman == pytest.approx(expected, abs=1e-6)
    assert result.spearman_pairs == len(rows) * (len(rows) - 1) // 2 and result.spearman_rows == len(rows)


def test_clusters_of_each_model_and_their_ari_equal_scikit_learns() -> None:
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    a, b = two_spaces(120)
    result = compare_models(make_corpus(a, name="a"), make_corpus(b, name="b"), clusters=5, seed=4)
    labels_a = KMeans(n_clusters=5, n_init=3, random_state=4).fit_predict(a)
    labels_b = KMeans(n_clusters=5, n_init=3, random_state=4).fit_predict(b)
    assert result.cluster_ari == pytest.approx(adjusted_rand_score(labels_a, labels_b), abs=1e-12)
    assert result.clusters_a is not None and adjusted_rand_score(result.clusters_a.labels, labels_a) == 1.0
    table = result.cluster_table()
    assert table is not None and int(table.to_numpy().sum()) == 120
    assert comparison_colours(result, CLUSTERS_A).groups == 5
    assert comparison_colours(result, AGREEMENT).values is not None


def test_rows_are_matched_by_text_in_order_with_duplicates_and_unmatched_rows_counted() -> None:
    rng = np.random.default_rng(0)
    texts_a = ["x", "y", "dup", "z", "dup", "only in a"]
    texts_b = ["dup", "z", "only in b", "y", "x", "dup", "dup"]
    first = make_corpus(rng.normal(size=(6, 4)), texts_a, name="a")
    second = make_corpus(rng.normal(size=(7, 5)), texts_b, name="b")
    matched = match_rows(first, second)
    assert matched.rows_a.tolist() == [0, 1, 2, 3, 4] and matched.rows_b.tolist() == [4, 3, 0, 1, 5]
    assert matched.a.texts == matched.b.texts == ["x", "y", "dup", "z", "dup"]
    assert (matched.b.vectors == second.vectors[[4, 3, 0, 1, 5]]).all()
    assert (matched.unmatched_a, matched.unmatched_b) == (1, 2)
    with pytest.raises(InputError, match="share 0 texts"):
        match_rows(first, make_corpus(rng.normal(size=(4, 5)), ["p", "q", "r", "s"], name="other"))


def test_the_least_agreeing_rows_and_their_neighbours_side_by_side() -> None:
    a, b = two_spaces(100)
    result = compare_models(make_corpus(a, name="a", backend="ma"), make_corpus(b, name="b", backend="mb"), 5, clusters=0)
    least = result.least_agreeing(10)
    assert [result.overlap[i] for i in least] == sorted(result.overlap)[:10]
    first, second = result.side_by_side(least[0])
    unit_a = a / np.linalg.norm(a, axis=1, keepdims=True)
    assert first["cosine in ma"].tolist() == pytest.approx((unit_a[result.neighbours_a[least[0]]] @ unit_a[least[0]]).tolist(), abs=1e-4)
    assert first["among mb's 5 too"].sum() == second["among ma's 5 too"].sum() == round(result.overlap[least[0]] * 5)
    document = result.as_dict(least=3)
    assert {"knn_overlap_mean", "cka", "spearman", "rows"} <= set(document) and len(document["least_agreeing"]) == 3


def test_a_collection_against_its_own_compressed_codes() -> None:
    a, _ = two_spaces(100)
    a = a / np.linalg.norm(a, axis=1, keepdims=True)  # a text model's stored rows are unit vectors, as the codes are
    corpus = make_corpus(a, name="a", backend="ma")
    same = compare_models(corpus, compressed(corpus, "float16"), 10, clusters=0)
    assert same.mean > 0.98 and same.cka > 0.9999
    binary = compare_models(corpus, compressed(corpus, "binary"), 10, clusters=0)
    signs = np.where(a > 0, 1.0, -1.0)
    expected = np.mean([len(set(x) & set(y)) / 10 for x, y in zip(sklearn_neighbours(a, 10), sklearn_neighbours(signs, 10), strict=True)])
    assert binary.mean == pytest.approx(expected, abs=0.02)  # Hamming ties: the tie rule may pick another equal row
    assert binary.model_b == "ma@binary"
    with pytest.raises(InputError, match="re-scoring"):
        compressed(corpus, "int8+rescore")


def test_neighbours_are_kept_on_disk_by_the_vectors() -> None:
    from embedlab import cache

    a, _ = two_spaces(60)
    corpus = make_corpus(a)
    calls: list[int] = []
    first = nearest_rows(corpus, 4, lambda done, total: calls.append(done))
    cache.clear_memory()
    again = nearest_rows(corpus, 4, lambda done, total: calls.append(done))
    assert np.array_equal(first, again) and calls == [60]  # the second came from disk


# -- two corpora, one model --------------------------------------------------------------------


def shifted(n_a: int = 120, n_b: int = 100, shift: float = 0.6, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n_a, 12))
    b = rng.normal(size=(n_b, 12))
    b[:, 0] += shift
    return a, b


def test_centroid_distance_equals_scipys() -> None:
    from scipy.spatial.distance import cosine, euclidean

    a, b = shifted()
    result = drift(two_collections(make_corpus(a, name="a"), make_corpus(b, name="b")), permutations=20, clusters=0)
    assert result.centroid_distance == pytest.approx(euclidean(a.mean(axis=0), b.mean(axis=0)), rel=1e-6)
    assert result.centroid_cosine == pytest.approx(1 - cosine(a.mean(axis=0), b.mean(axis=0)), rel=1e-5)


def independent_mmd2(x: np.ndarray, y: np.ndarray, gamma: float) -> float:
    """Gretton et al. 2012, eq. 3, written out with scikit-learn's RBF kernel."""
    from sklearn.metrics.pairwise import rbf_kernel

    m, n = len(x), len(y)
    kxx, kyy, kxy = rbf_kernel(x, x, gamma=gamma), rbf_kernel(y, y, gamma=gamma), rbf_kernel(x, y, gamma=gamma)
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1)) - 2 * kxy.mean())


@pytest.mark.parametrize(("shift", "significant"), [(0.0, False), (1.5, True)])
def test_mmd_and_its_permutation_p_value_equal_a_direct_computation(shift: float, significant: bool) -> None:
    from scipy.spatial.distance import pdist

    a, b = shifted(60, 50, shift, seed=2)
    test = metrics.mmd_test(a, b, permutations=200, seed=5)
    pooled = np.vstack([a, b])
    sigma = float(np.median(pdist(pooled)))
    gamma = 1.0 / (2 * sigma**2)
    observed = independent_mmd2(a, b, gamma)
    assert test.bandwidth == pytest.approx(sigma, rel=1e-9)
    assert test.mmd2 == pytest.approx(observed, rel=1e-9, abs=1e-12)
    rng = np.random.default_rng(5)
    exceed = 0
    for _ in range(200):
        order = rng.permutation(len(pooled))
        exceed += independent_mmd2(pooled[order[:60]], pooled[order[60:]], gamma) >= observed - 1e-12
    assert test.p_value == pytest.approx((1 + exceed) / 201, abs=1 / 201 + 1e-12)  # equal scores may round either way
    assert (test.p_value < 0.01) is significant


def test_domain_auc_equals_cross_val_score_roc_auc() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    a, b = shifted(80, 70, 1.2)
    found = metrics.domain_auc(a, b, folds=5, seed=3)
    features, target = np.vstack([a, b]), np.r_[np.zeros(80), np.ones(70)]
    expected = cross_val_score(make_pipeline(StandardScaler(), LogisticRegression(C=0.01, max_iter=2000)), features, target,
                               cv=StratifiedKFold(5, shuffle=True, random_state=3), scoring="roc_auc")
    assert found.auc == pytest.approx(expected.mean(), abs=1e-9) and found.auc_std == pytest.approx(expected.std(), abs=1e-9)
    same = metrics.domain_auc(*shifted(80, 70, 0.0), folds=5, seed=3)
    assert abs(same.auc - 0.5) < 0.15 < found.auc - 0.5


def test_drift_of_a_collection_split_at_a_date_and_its_figures() -> None:
    from sklearn.cluster import KMeans

    a, b = shifted(90, 70, 1.2, seed=4)
    dates = [f"2013-0{1 + i % 9}-1{i % 10}" for i in range(90)] + [f"2015-0{1 + i % 9}-0{1 + i % 9}" for i in range(70)]
    rows = np.random.default_rng(0).permutation(160)  # sides interleaved in the collection
    vectors = np.vstack([a, b])[rows]
    corpus = make_corpus(vectors, metadata={"date": [dates[i] for i in rows], "label": [("x", "y")[i % 2] for i in rows]})
    sides = split_collection(corpus, "date", at="2014-06-01")
    assert (sides.rows_a, sides.rows_b, sides.left_out) == (90, 70, 0) and sides.name_a == "date < 2014-06-01"
    result = drift(sides, permutations=100, clusters=4, seed=1)
    in_a = rows < 90
    assert result.centroid_distance == pytest.approx(np.linalg.norm(vectors[in_a].mean(0) - vectors[~in_a].mean(0)), rel=1e-6)
    assert result.p_value < 0.05 and result.auc > 0.7
    labels = KMeans(n_clusters=4, n_init=3, random_state=1).fit_predict(vectors.astype(np.float32))
    expected = pd.crosstab(labels, in_a)
    for share in result.cluster_shares:
        row = expected.loc[int(share.name)]
        assert (share.count_a, share.count_b) == (int(row[True]), int(row[False]))
        assert share.share_a == pytest.approx(row[True] / 90) and share.share_b == pytest.approx(row[False] / 70)
    assert [s.name for s in result.label_shares] and result.label_p_value is not None
    typical = result.typical(1, 5)
    assert len(typical) == 5 and all(sides.side[r] == 1 for r, _ in typical)
    assert [p for _, p in typical] == sorted((p for _, p in typical), reverse=True)
    document = result.as_dict()
    assert {"centroid_distance", "mmd", "p_value", "auc"} <= set(document)
    assert drift(sides, permutations=100, clusters=4, seed=1).cached  # kept on disk


def test_splits_by_number_by_values_and_what_is_refused() -> None:
    rng = np.random.default_rng(0)
    corpus = make_corpus(rng.normal(size=(12, 4)), metadata={
        "year": ["1990", "1995", "2000", "", "2010", "2015", "n/a", "1991", "2001", "2011", "2012", "1999"],
        "party": ["Lab", "Con", "LD", "Lab", "Con", "Lab", "SNP", "Con", "Lab", "LD", "Con", "Lab"]})
    by_year = split_collection(corpus, "year", at="2000")
    assert (by_year.rows_a, by_year.rows_b, by_year.left_out) == (4, 6, 2)
    assert summarise_column(corpus, "year").kind == "number" and summarise_column(corpus, "party").kind == "values"
    versus = split_collection(corpus, "party", values=["Lab"], versus=["Con"])
    assert (versus.rows_a, versus.rows_b, versus.left_out) == (5, 4, 3)
    rest = split_collection(corpus, "party", values=["Lab", "LD"])
    assert (rest.rows_a, rest.rows_b) == (7, 5) and rest.name_b == "other party"
    with pytest.raises(InputError, match="no column 'nope'"):
        split_collection(corpus, "nope", at="1")
    with pytest.raises(InputError, match="split it at a number"):
        split_collection(corpus, "year", at="soon")
    with pytest.raises(InputError, match="each side needs at least 2 rows"):
        split_collection(corpus, "year", at="3000")
    with pytest.raises(InputError, match="neither numbers nor dates"):
        split_collection(corpus, "party", at="2000")


def test_two_collections_must_share_a_model() -> None:
    rng = np.random.default_rng(0)
    first = make_corpus(rng.normal(size=(10, 4)), name="a", backend="minilm")
    with pytest.raises(InputError, match="under one model"):
        two_collections(first, make_corpus(rng.normal(size=(10, 4)), name="b", backend="other"))
    with pytest.raises(InputError, match="4-d vectors"):
        two_collections(first, make_corpus(rng.normal(size=(10, 6)), name="c", backend="minilm"))
    sides = two_collections(first, make_corpus(rng.normal(size=(8, 4)), name="d", backend="minilm"))
    assert sides.side.tolist() == [0] * 10 + [1] * 8 and sides.joint.metadata["side"].tolist()[-1] == "d"


def test_shares_of_groups_on_each_side() -> None:
    found = shares(["t", "t", "u", "v", "v", "v"], np.array([0, 0, 0, 1, 1, 0]), {"t": ["flu"]})
    by_name = {s.name: s for s in found}
    assert (by_name["t"].count_a, by_name["t"].count_b, by_name["t"].trend) == (2, 0, "vanished in B")
    assert by_name["v"].share_a == pytest.approx(0.25) and by_name["v"].share_b == pytest.approx(1.0)
    assert by_name["t"].terms == ("flu",) and found[0].name == "v"  # the biggest move first


# -- the maps, the labels and the demo's data ---------------------------------------------------


def test_procrustes_alignment_undoes_a_rotation_reflection_scale_and_shift() -> None:
    rng = np.random.default_rng(5)
    reference = rng.normal(size=(50, 2))
    angle = 1.1
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) @ np.diag([1.0, -1.0])  # and a mirror
    moved = 3.5 * reference @ turn + np.array([7.0, -2.0])
    assert np.allclose(metrics.align_map(reference, moved), reference, atol=1e-5)
    noisy = moved + 0.05 * rng.normal(size=moved.shape)
    aligned = metrics.align_map(reference, noisy)
    assert np.abs(aligned - reference).mean() < np.abs(noisy - reference).mean() / 10


def test_agreement_per_label_equals_a_pandas_groupby() -> None:
    a, b = two_spaces(90)
    result = compare_models(make_corpus(a, name="a"), make_corpus(b, name="b"), 6, clusters=0)
    table = result.per_label()
    expected = pd.Series(result.overlap).groupby([f"l{i % 3}" for i in range(90)]).mean()
    assert table is not None and dict(zip(table["label"], table["mean overlap"], strict=True)) == pytest.approx(expected.to_dict())
    assert table["mean overlap"].is_monotonic_increasing and table["rows"].tolist() == [30, 30, 30]


def test_health_tweets_carry_their_posting_time_and_the_demo_sample_is_seeded() -> None:
    import datetime

    from embedlab import datasets
    from embedlab.datasets.texts import TWITTER_EPOCH_MS, tweet_time

    moment = datetime.datetime(2014, 7, 1, 12, 30, 5, tzinfo=datetime.UTC)
    tweet_id = (int(moment.timestamp() * 1000) - TWITTER_EPOCH_MS) << 22 | 123456  # worker and sequence bits
    assert tweet_time(str(tweet_id)) == "2014-07-01 12:30:05"
    full = datasets.text_frame("healthtweets")
    assert full["date"].min() >= "2011-06" and full["date"].max() < "2015-05"  # the dataset's span (June 2011 to April 2015)
    sample = datasets.text_frame("healthtweets", sample=300, seed=0)
    assert sample["source_id"].tolist() == full.sample(n=300, random_state=0).sort_index()["source_id"].tolist()
