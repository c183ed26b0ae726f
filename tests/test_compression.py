"""Compression and normalisation: codes against sentence-transformers' ``quantize_embeddings``,
PCA against scikit-learn, Hamming distance by popcount, recall@k and bytes per vector by hand, the
cache, the CLI, and dot product versus cosine on a hand-made matrix and on GloVe."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from embedlab.analysis import compression as comp
from embedlab.analysis.normalisation import (
    dot_vs_cosine,
    norm_summary,
    word_dot_vs_cosine,
)
from embedlab.backends.hashing import HashingEncoder
from embedlab.cli import main
from embedlab.errors import InputError
from embedlab.vectors import l2_normalise


def unit_vectors(rows: int = 200, dim: int = 48, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return l2_normalise(rng.normal(size=(rows, dim)) + 0.3)


def labelled(rows: int = 240, dim: int = 64, classes: int = 3, seed: int = 2) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, dim))
    label = np.arange(rows) % classes
    return (centres[label] * 0.6 + rng.normal(size=(rows, dim))).astype(np.float32), [f"c{i}" for i in label]


@pytest.fixture(scope="module")
def quantize_embeddings() -> object:
    """sentence-transformers' own quantiser (the torchvision shim first, as the app does)."""
    from embedlab import _compat

    _compat.ensure_torchvision_importable()
    from sentence_transformers import quantize_embeddings

    return quantize_embeddings


def test_binary_codes_are_sentence_transformers_ubinary_and_hamming_is_popcount(quantize_embeddings) -> None:
    unit = unit_vectors()
    encoded = comp.encode_binary(unit)
    assert np.array_equal(encoded.codes, quantize_embeddings(unit, precision="ubinary"))
    assert np.array_equal((encoded.codes.astype(np.int16) - 128).astype(np.int8), quantize_embeddings(unit, precision="binary"))
    assert encoded.code_bytes == 6  # 48 bits
    # Hamming distance by popcount of the XOR, independently of the ±1 dot product the engine ranks by
    hamming = np.unpackbits(encoded.codes[0] ^ encoded.codes, axis=1).sum(axis=1).astype(np.int64)
    scores = encoded.search[0] @ encoded.search.T
    assert np.array_equal(scores, 48 - 2 * hamming)


def test_int8_codes_are_sentence_transformers_int8_with_the_same_ranges(quantize_embeddings) -> None:
    unit = unit_vectors()
    encoded = comp.encode_int8(unit)
    ranges = np.vstack([unit.min(axis=0), unit.max(axis=0)])
    assert np.array_equal(encoded.codes, quantize_embeddings(unit, precision="int8", ranges=ranges))
    assert np.array_equal(encoded.codes, quantize_embeddings(unit, precision="int8", calibration_embeddings=unit))
    # a decoded value lies in its bucket: within half a step of the original
    step = (ranges[1] - ranges[0]) / 255
    assert np.all(np.abs(encoded.features - unit) <= step * 0.5 + 1e-6 + (unit == ranges[1]) * step)


def test_pca_matches_scikit_learn() -> None:
    from sklearn.decomposition import PCA

    unit = unit_vectors(rows=150, dim=40)
    encoded = comp.encode_pca(unit, 8)
    reference = PCA(n_components=8, svd_solver="full").fit(unit)
    theirs = reference.transform(unit)
    signs = np.sign(np.sum(encoded.features * theirs, axis=0))  # a component's sign is a convention
    assert np.allclose(encoded.features, theirs * signs, atol=1e-4)
    assert np.allclose(encoded.search, l2_normalise(reference.inverse_transform(theirs)), atol=1e-4)
    assert np.allclose(comp.fit_pca(unit, 8).explained_variance_ratio, reference.explained_variance_ratio_, atol=1e-5)


def test_bytes_per_vector_by_hand() -> None:
    vectors, labels = labelled(rows=100, dim=64)
    report = comp.evaluate(vectors, labels, ["float32", "float16", "int8", "binary", "pca-32", "int8+rescore"], queries=20,
                           downstream_rows=0)
    by = {r.scheme: r for r in report.results}
    assert by["float32"].bytes_per_vector == 256
    assert by["float16"].bytes_per_vector == 128
    assert by["int8"].bytes_per_vector == pytest.approx(64 + 2 * 64 * 4 / 100)  # codes + min/max per dimension, shared out
    assert by["binary"].bytes_per_vector == 8
    assert by["pca-32"].bytes_per_vector == pytest.approx(32 * 4 + (64 + 32 * 64) * 4 / 100)  # + mean and components
    assert by["int8+rescore"].bytes_per_vector == by["int8"].bytes_per_vector
    assert by["int8+rescore"].disk_bytes_per_vector == pytest.approx(by["int8"].bytes_per_vector + 256)
    assert by["float32"].recall == 1.0
    assert by["int8"].accuracy is None  # downstream off


def test_recall_and_rescoring_on_a_hand_worked_example() -> None:
    # four unit vectors at 5°, 40°, 80° and -5°: from the first, the exact top 2 are -5° (10° away) and 40°;
    # the sign codes of 5°, 40° and 80° are equal (+,+) and -5° is (+,-), so binary finds 40° and 80°
    angles = np.radians([5, 40, 80, -5])
    vectors = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    queries = np.array([0])
    exact = comp.neighbours(comp.encode_float32(vectors), queries, 2)
    assert exact.tolist() == [[3, 1]]
    binary = comp.encode_binary(vectors)
    found = comp.neighbours(binary, queries, 2)
    assert found.tolist() == [[1, 2]]  # Hamming 0 twice; the tie goes to the lower row
    assert comp.recall_at_k(found, exact) == 0.5
    rescored = comp.neighbours(binary, queries, 2, exact=vectors, rescore=2)  # 4 candidates (all 3 others), re-ranked
    assert rescored.tolist() == [[3, 1]]
    assert comp.recall_at_k(np.array([[1, 2], [3, 4]]), np.array([[1, 5], [3, 4]])) == 0.75


def test_evaluate_orders_schemes_caches_and_refuses_bad_names() -> None:
    vectors, labels = labelled()
    schemes = ["float32", "float16", "int8", "binary", "binary+rescore", "pca-16", "pca-16+rescore"]
    report = comp.evaluate(vectors, labels, schemes, queries=60, downstream_rows=120, folds=3, seed=3)
    by = {r.scheme: r for r in report.results}
    assert [r.scheme for r in report.results] == schemes
    assert by["float16"].recall >= 0.99 and by["int8"].recall >= 0.9
    assert by["binary+rescore"].recall > by["binary"].recall
    assert by["pca-16+rescore"].recall > by["pca-16"].recall
    assert by["binary+rescore"].accuracy == by["binary"].accuracy  # the codes' accuracy
    # scikit-learn on the documented seeded sample of 120 rows: the unit vectors and their ±1 sign codes
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rows = np.sort(np.random.default_rng(3).choice(len(vectors), size=120, replace=False))
    unit = l2_normalise(vectors.astype(np.float64)).astype(np.float32)[rows]
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=3)
    for scheme, features in (("float32", unit), ("binary", np.where(unit > 0, 1.0, -1.0))):
        expected = cross_val_score(make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)), features,
                                   np.array(labels)[rows], cv=folds, scoring="accuracy").mean()
        assert by[scheme].accuracy == pytest.approx(expected, abs=1e-9), scheme
    again = comp.evaluate(vectors, labels, schemes, queries=60, downstream_rows=120, folds=3, seed=3)
    assert all(r.cached for r in again.results)
    assert [r.recall for r in again.results] == [r.recall for r in report.results]
    other = comp.evaluate(vectors, labels[::-1], ["binary"], queries=60, downstream_rows=120, folds=3, seed=3)
    assert not other.results[0].cached  # other labels, another key
    assert set(report.as_dict()["int8"]) >= {"bytes_per_vector", "recall@10", "accuracy", "macro_f1", "seconds"}
    for bad, message in (("int4", "Unknown compression scheme"), ("pca-64", "more than 64"), ("float32+rescore", "float32 itself")):
        with pytest.raises(InputError, match=message):
            comp.evaluate(vectors, labels, [bad])


def test_default_schemes_cap_pca_at_the_dimension() -> None:
    assert comp.default_schemes(50, 1000) == ["float32", "float16", "int8", "binary", "pca-32", "float16+rescore", "int8+rescore",
                                              "binary+rescore", "pca-32+rescore"]
    assert "pca-256" in comp.default_schemes(384, 1000) and "pca-256" not in comp.default_schemes(256, 1000)


def test_cli_compress_eval(capsys: pytest.CaptureFixture[str], hashing_encoder: HashingEncoder, tmp_path: Path) -> None:
    from embedlab.ingest import build_records, ingest_records, parse_upload
    from embedlab.store import close_all_stores

    topics = ("bank rates markets stocks", "goal match team coach", "flu vaccine doctor hospital")
    lines = ["text,label"] + [f"{topics[i % 3]} story {i} number {i * 7},t{i % 3}" for i in range(90)]
    ingest_records("stories", "hashing-test", build_records(parse_upload("\n".join(lines).encode(), "s.csv"), "text", "label", []))
    close_all_stores()
    assert main(["compress-eval", "stories", "--schemes", "float32", "binary", "binary+rescore", "--queries", "30",
                 "--downstream-rows", "90", "--folds", "3", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert list(document) == ["float32", "binary", "binary+rescore"]
    assert document["float32"]["recall@10"] == 1.0 and document["float32"]["bytes_per_vector"] == 256
    assert document["binary"]["bytes_per_vector"] == 8 and "accuracy" in document["binary"]
    assert main(["compress-eval", "stories", "--schemes", "pca-64"]) == 2
    assert "more than 64" in capsys.readouterr().err
    assert main(["compress-eval", "stories", "--schemes", "int8", "--queries", "30", "--downstream-rows", "0"]) == 0
    assert "int8" in capsys.readouterr().out


def test_dot_versus_cosine_by_hand() -> None:
    # the query points along x; row 1 points nearly the same way but is short, row 2 is 45° off but long
    vectors = np.array([[1.0, 0.0], [0.5, 0.05], [3.0, 3.0], [0.0, 1.0]])
    result = dot_vs_cosine(vectors, ["q", "short", "long", "up"], 0, k=1)
    assert [r.key for r in result.by_dot] == ["long"] and result.by_dot[0].dot == pytest.approx(3.0)
    assert [r.key for r in result.by_cosine] == ["short"]
    assert result.by_cosine[0].cosine == pytest.approx(0.5 / np.hypot(0.5, 0.05))
    assert result.overlap == 0 and result.by_dot[0].norm == pytest.approx(np.hypot(3, 3))
    summary = norm_summary(l2_normalise(vectors))
    assert summary.unit and not norm_summary(vectors).unit


@pytest.mark.slow
def test_glove_good_disagrees_and_long_words_climb_the_dot_product() -> None:
    from embedlab.backends import get_word_vectors

    result = word_dot_vs_cosine("glove-6b-50d", "good", 10, 50_000)
    kv = get_word_vectors("glove-6b-50d").kv  # type: ignore[attr-defined]
    matrix = kv.vectors[:50_000].astype(np.float64)
    query = matrix[kv.key_to_index["good"]]
    dot = matrix @ query
    cosine = dot / np.linalg.norm(matrix, axis=1) / np.linalg.norm(query)
    dot[kv.key_to_index["good"]] = cosine[kv.key_to_index["good"]] = -np.inf
    assert [r.key for r in result.by_dot] == [kv.index_to_key[i] for i in np.argsort(-dot)[:10]]
    assert [r.key for r in result.by_cosine] == [kv.index_to_key[i] for i in np.argsort(-cosine)[:10]]
    assert result.overlap <= 2 and "you" in [r.key for r in result.only_dot]
    assert np.mean([r.norm for r in result.only_dot]) > np.mean([r.norm for r in result.only_cosine])


@pytest.mark.slow
def test_minilm_vectors_keep_their_neighbours_under_int8_and_rescoring() -> None:
    """Real vectors: 120 House of Commons speeches encoded with MiniLM (cached on disk)."""
    from embedlab import datasets
    from embedlab.backends import encode_texts

    texts = datasets.text_frame("commons", limit=120)["text"].tolist()
    vectors = encode_texts("minilm", texts).vectors
    report = comp.evaluate(vectors, None, ["float16", "int8", "binary", "binary+rescore", "int8+rescore"], queries=60)
    by = {r.scheme: r.recall for r in report.results}
    assert by["float16"] > 0.99 and by["int8"] > 0.9 and by["int8+rescore"] > 0.99
    assert by["binary"] < by["binary+rescore"]
