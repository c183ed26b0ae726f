"""`embedlab compare-models` and `embedlab drift`: their --json figures checked from outside.

The collections are written with a plain chromadb client, as another program would (random
vectors, so no two cosines tie), and every figure is recomputed here from those vectors with
scikit-learn, scipy and numpy: kNN overlap, linear CKA, Spearman ρ on the seeded sample,
centroid distance, MMD² and the domain classifier's AUC. A second test names two collections
made here by two models by their dataset name; a third, what is refused."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from embedlab.backends import catalogue
from embedlab.backends.hashing import HashingEncoder
from embedlab.cli import main
from embedlab.store import close_all_stores

N = 120
TEXTS = [f"row {i} about {('rates', 'goals', 'flu', 'rockets')[i % 4]}" for i in range(N)]
YEARS = [1990 + (i * 7) % 25 for i in range(N)]


def write(name: str, vectors: np.ndarray, texts: list[str], metadata: list[dict] | None = None) -> None:
    """A collection with no EmbedLab metadata, written by chromadb itself (ids r0, r1, ... in order)."""
    import chromadb
    from chromadb.config import Settings

    close_all_stores()
    path = Path(os.environ["EMBEDLAB_HOME"]) / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    client = chromadb.PersistentClient(path=str(path), settings=Settings(anonymized_telemetry=False))
    collection = client.create_collection(name, metadata={"hnsw:space": "cosine"})
    collection.add(ids=[f"r{i}" for i in range(len(texts))], embeddings=vectors.tolist(), documents=texts,
                   metadatas=metadata or [{"n": i} for i in range(len(texts))])
    del client


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float64)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_compare_models_json_equals_scikit_learn_scipy_and_numpy(capsys: pytest.CaptureFixture[str]) -> None:
    from scipy.stats import spearmanr
    from sklearn.neighbors import NearestNeighbors

    rng = np.random.default_rng(0)
    a = rng.normal(size=(N, 16)).astype(np.float32)
    rotation, _ = np.linalg.qr(rng.normal(size=(24, 24)))
    b = (np.hstack([a, np.zeros((N, 8))]) @ rotation + 0.9 * rng.normal(size=(N, 24))).astype(np.float32)
    order = rng.permutation(N)  # B holds the same texts in another order: rows are matched by text
    write("space_a", a, TEXTS)
    write("space_b", b[order], [TEXTS[i] for i in order])
    found = run_json(capsys, "compare-models", "space_a", "space_b", "-k", "7", "--sample", "80", "--seed", "3", "--clusters", "0",
                     "--least", "5")
    assert found["rows"] == N and (found["unmatched_a"], found["unmatched_b"]) == (0, 0)
    assert all(row["id"] == f"r{row['row']}" and row["text"] == TEXTS[row["row"]] for row in found["least_agreeing"])

    def neighbours(vectors: np.ndarray) -> np.ndarray:
        _, index = NearestNeighbors(n_neighbors=8, metric="cosine", algorithm="brute").fit(vectors).kneighbors(vectors)
        return index[:, 1:]  # the row itself comes first

    overlap = np.array([len(set(x) & set(y)) / 7 for x, y in zip(neighbours(a), neighbours(b), strict=True)])
    assert found["knn_overlap_mean"] == pytest.approx(overlap.mean(), abs=1e-12)
    assert found["knn_overlap_histogram"] == np.bincount(np.rint(overlap * 7).astype(int), minlength=8).tolist()
    assert found["least_agreeing"][0]["overlap"] == pytest.approx(overlap.min())

    x, y = a.astype(np.float64), b.astype(np.float64)
    centring = np.eye(N) - 1.0 / N
    hsic = lambda k, l: np.trace(k @ centring @ l @ centring)
    ka, kb = x @ x.T, y @ y.T
    assert found["cka"] == pytest.approx(hsic(ka, kb) / np.sqrt(hsic(ka, ka) * hsic(kb, kb)), rel=1e-9)

    rows = np.sort(np.random.default_rng(3).choice(N, size=80, replace=False))
    upper = np.triu_indices(80, k=1)
    first, second = (unit(v[rows]) @ unit(v[rows]).T for v in (a, b))
    assert found["spearman"] == pytest.approx(spearmanr(first[upper], second[upper]).statistic, abs=1e-9)
    assert (found["spearman_rows"], found["spearman_pairs"]) == (80, 80 * 79 // 2)

    codes = run_json(capsys, "compare-models", "space_a", "--compressed", "float16", "--clusters", "0")
    assert "space_a@float16" in codes["model_b"] and codes["knn_overlap_mean"] > 0.95


def test_drift_json_equals_scikit_learn_scipy_and_numpy(capsys: pytest.CaptureFixture[str]) -> None:
    from scipy.spatial.distance import pdist
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics.pairwise import rbf_kernel
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(70, 10)), rng.normal(size=(60, 10))
    b[:, :2] += 0.9
    write("period_a", a.astype(np.float32), TEXTS[:70])
    write("period_b", b.astype(np.float32), TEXTS[60:])
    found = run_json(capsys, "drift", "period_a", "period_b", "--permutations", "200", "--seed", "2", "--clusters", "3")
    a, b = a.astype(np.float32).astype(np.float64), b.astype(np.float32).astype(np.float64)  # as stored
    assert (found["rows_a"], found["rows_b"], found["sample_a"], found["sample_b"]) == (70, 60, 70, 60)
    assert found["centroid_distance"] == pytest.approx(np.linalg.norm(a.mean(0) - b.mean(0)), rel=1e-6)

    pooled = np.vstack([a, b])
    gamma = 1.0 / (2 * np.median(pdist(pooled)) ** 2)
    kxx, kyy, kxy = rbf_kernel(a, a, gamma=gamma), rbf_kernel(b, b, gamma=gamma), rbf_kernel(a, b, gamma=gamma)
    mmd2 = (kxx.sum() - 70) / (70 * 69) + (kyy.sum() - 60) / (60 * 59) - 2 * kxy.mean()
    assert found["mmd"] == pytest.approx(mmd2, rel=1e-6)
    assert 1 / 201 <= found["p_value"] < 0.05

    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.01, max_iter=2000))
    target = np.r_[np.zeros(70), np.ones(60)]
    auc = cross_val_score(model, pooled, target, cv=StratifiedKFold(5, shuffle=True, random_state=2), scoring="roc_auc")
    assert found["auc"] == pytest.approx(auc.mean(), abs=1e-9) and found["auc"] > 0.7
    shares = found["clusters"]["shares"]
    assert sum(s["count_a"] for s in shares) == 70 and sum(s["count_b"] for s in shares) == 60

    write("decades", pooled.astype(np.float32), [f"text {i}" for i in range(130)], [{"year": 1990 + (i * 7) % 25} for i in range(130)])
    split = run_json(capsys, "drift", "decades", "--split-column", "year", "--split-at", "2000", "--permutations", "20",
                     "--clusters", "0")
    early = np.array([1990 + (i * 7) % 25 < 2000 for i in range(130)])
    assert (split["rows_a"], split["rows_b"], split["side_a"]) == (int(early.sum()), int((~early).sum()), "year < 2000")
    assert split["centroid_distance"] == pytest.approx(np.linalg.norm(pooled[early].mean(0) - pooled[~early].mean(0)), rel=1e-6)


@pytest.fixture
def two_models(tmp_path: Path, hashing_encoder: HashingEncoder) -> Path:
    """The same headlines ingested as dataset ``headlines`` by two hashing models."""
    catalogue().add(HashingEncoder("hashing-small", dim=24), "session", persist=False)
    path = tmp_path / "headlines.csv"
    path.write_text("text,topic,year\n" + "\n".join(f"{TEXTS[i]} and more {i},{('a', 'b')[i % 2]},{YEARS[i]}" for i in range(40)),
                    encoding="utf-8")
    for model in ("hashing-test", "hashing-small"):
        assert main(["ingest", str(path), "--collection", "headlines", "--label-column", "topic", "--column", "year",
                     "--model", model, "--json"]) == 0
    return path


def test_a_dataset_named_with_its_models_and_the_human_report(capsys: pytest.CaptureFixture[str], two_models: Path) -> None:
    capsys.readouterr()
    assert main(["compare-models", "headlines", "headlines", "--model-a", "hashing-test", "--model-b", "hashing-small", "-k", "5"]) == 0
    out = capsys.readouterr().out
    assert "hashing-test (headlines-hashing-test-" in out and "40 rows matched by text" in out and "kNN overlap@5: mean" in out
    assert "linear CKA" in out and "ARI" in out
    assert main(["drift", "headlines", "--model", "hashing-test", "--split-column", "label", "--split-values", "a",
                 "--permutations", "20"]) == 0
    out = capsys.readouterr().out
    assert "label = a (20 rows) against other label (20 rows)" in out and "domain classifier AUC" in out
    assert "most typical of label = a" in out

    assert main(["compare-models", "headlines", "headlines"]) == 2
    assert "stored with several models" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "message"), [
    (["compare-models", "space_a"], "Name two collections"),
    (["compare-models", "space_a", "space_a", "--compressed", "int8"], "not both"),
    (["compare-models", "space_a", "--compressed", "int8+rescore"], "re-scoring"),
    (["compare-models", "space_a", "--compressed", "float16", "-k", "0"], "must be between 1 and 100, got 0"),
    (["drift", "space_a"], "Name two collections made by one model"),
    (["drift", "space_a", "--split-at", "3"], "need --split-column"),
    (["drift", "space_a", "space_a", "--split-column", "n"], "not both"),
    (["drift", "space_a", "--split-column", "nope", "--split-at", "3"], "no column 'nope'"),
    (["drift", "space_a", "--split-column", "n", "--split-at", "3000"], "each side needs at least 2 rows"),
    (["drift", "space_a", "small"], "holds 8-d vectors and 'small' 4-d ones"),
    (["drift", "nowhere", "space_a"], "nowhere"),
])
def test_what_is_refused_exits_2_with_one_line(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    rng = np.random.default_rng(0)
    write("space_a", rng.normal(size=(12, 8)).astype(np.float32), TEXTS[:12])
    write("small", rng.normal(size=(12, 4)).astype(np.float32), TEXTS[:12])
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err, err
