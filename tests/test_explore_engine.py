"""Projections (cache, seeds, validation), clustering metrics against scikit-learn,
neighbourhoods, export round trips and the corpus snapshot."""

from __future__ import annotations

import io
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from embedlab.backends.hashing import HashingEncoder
from embedlab.corpus import last_view, load_corpus, remember_view
from embedlab.errors import InputError
from embedlab.ingest import dataset_records, ingest_records
from embedlab.maps.clustering import (
    ClusterParams,
    cluster,
    ctfidf_terms,
    fit_labels,
    label_agreement,
    silhouette,
)
from embedlab.maps.export import (
    csv_bytes,
    export_frame,
    parquet_bytes,
    projector_tsvs,
    projector_zip,
    write_export,
)
from embedlab.maps.neighborhood import map_trustworthiness, neighbor_overlap
from embedlab.maps.projection import (
    TSNE_MAX_POINTS,
    ProjectionParams,
    project,
    projection_key,
    wait_for_warm_up,
    warm_up_status,
    warm_up_umap,
)


def blobs(n_per: int = 80, dim: int = 24, centres: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Well separated unit-norm blobs and their true labels."""
    rng = np.random.default_rng(seed)
    means = rng.normal(size=(centres, dim)) * 4
    points = np.concatenate([m + rng.normal(size=(n_per, dim)) for m in means]).astype(np.float32)
    return points / np.linalg.norm(points, axis=1, keepdims=True), np.repeat(np.arange(centres), n_per)


# -- projections -------------------------------------------------------------------------------


def test_pca_matches_numpy_svd_up_to_sign() -> None:
    vectors, _ = blobs()
    result = project(vectors, ProjectionParams(method="pca", dims=3))
    centred = vectors.astype(np.float64) - vectors.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    expected = centred @ vt[:3].T
    for axis in range(3):
        sign = np.sign(np.dot(result.coords[:, axis], expected[:, axis]))
        assert np.allclose(result.coords[:, axis], sign * expected[:, axis], atol=1e-4)
    assert result.explained_variance is not None and result.explained_variance[0] >= result.explained_variance[1]


def test_projection_is_cached_on_disk_by_vectors_and_parameters(embedlab_home: Path) -> None:
    vectors, _ = blobs()
    first = project(vectors, ProjectionParams(method="pca"))
    assert not first.cached and list((embedlab_home / "cache" / "projection").glob("*.npz"))
    again = project(vectors.copy(), ProjectionParams(method="pca"))
    assert again.cached and np.array_equal(again.coords, first.coords)
    changed = vectors.copy()
    changed[0, 0] += 0.5
    assert projection_key(changed, first.params) != first.key
    assert not project(changed, ProjectionParams(method="pca")).cached
    # Settings that do not affect PCA do not split its cache; those of UMAP do.
    assert projection_key(vectors, ProjectionParams(method="pca", seed=1)) == projection_key(vectors, ProjectionParams(method="pca", seed=2))
    assert projection_key(vectors, ProjectionParams(seed=1)) != projection_key(vectors, ProjectionParams(seed=2))


@pytest.mark.slow
def test_umap_keeps_blobs_apart_is_seeded_and_warm_up_compiles() -> None:
    warm_up_umap()
    assert wait_for_warm_up(timeout=300)
    assert warm_up_status().startswith("done in")
    vectors, truth = blobs()
    params = ProjectionParams(n_neighbors=10, seed=7)
    first = project(vectors, params, use_cache=False)
    second = project(vectors, params, use_cache=False)
    assert first.coords.shape == (len(vectors), 2)
    assert np.allclose(first.coords, second.coords)  # same seed, same map
    # Each point's nearest map neighbour comes from its own blob.
    distances = np.linalg.norm(first.coords[:, None, :] - first.coords[None, :, :], axis=2)
    np.fill_diagonal(distances, np.inf)
    assert (truth[distances.argmin(axis=1)] == truth).mean() > 0.97
    three = project(vectors, ProjectionParams(dims=3, n_neighbors=10))
    assert three.coords.shape == (len(vectors), 3)
    # Parallel UMAP drops the seed (so the seed is not part of its key) and still separates blobs.
    parallel = ProjectionParams(n_neighbors=10, seed=7, parallel=True)
    assert parallel.randomness == "parallel, unseeded" and params.randomness == "seed 7"
    assert projection_key(vectors, parallel) == projection_key(vectors, replace(parallel, seed=8))
    assert projection_key(vectors, parallel) != projection_key(vectors, params)
    fast = project(vectors, parallel)
    assert project(vectors, parallel).cached and np.array_equal(project(vectors, parallel).coords, fast.coords)
    distances = np.linalg.norm(fast.coords[:, None, :] - fast.coords[None, :, :], axis=2)
    np.fill_diagonal(distances, np.inf)
    assert (truth[distances.argmin(axis=1)] == truth).mean() > 0.97


def test_tsne_three_d_and_limits() -> None:
    vectors, truth = blobs(n_per=40)
    result = project(vectors, ProjectionParams(method="tsne", dims=3, perplexity=10))
    assert result.coords.shape == (120, 3) and np.isfinite(result.coords).all()
    big = np.zeros((TSNE_MAX_POINTS + 1, 4), dtype=np.float32)
    with pytest.raises(InputError, match="t-SNE is limited to 20,000 points"):
        project(big, ProjectionParams(method="tsne"))
    with pytest.raises(InputError, match="2 or 3 dimensions"):
        project(vectors, ProjectionParams(dims=4))
    with pytest.raises(InputError, match="at least 3 points"):
        project(vectors[:2], ProjectionParams(method="pca"))
    with pytest.raises(InputError, match="Unknown projection 'mds'"):
        project(vectors, ProjectionParams(method="mds"))
    nan = vectors.copy()
    nan[3, 3] = np.nan
    with pytest.raises(InputError, match="NaN"):
        project(nan, ProjectionParams(method="pca"))


# -- clustering ----------------------------------------------------------------------------------


def test_kmeans_and_metrics_agree_with_scikit_learn() -> None:
    from sklearn.cluster import KMeans
    from sklearn.metrics import (
        adjusted_rand_score,
        normalized_mutual_info_score,
        silhouette_score,
    )

    vectors, truth = blobs()
    labels = fit_labels(vectors, ClusterParams("kmeans", k=3, seed=5))
    reference = KMeans(n_clusters=3, n_init=3, random_state=5).fit_predict(vectors)
    assert adjusted_rand_score(labels, reference) == 1.0
    score, sample = silhouette(vectors, labels)
    assert sample is None and score == pytest.approx(silhouette_score(vectors, labels, metric="cosine"))
    ari, nmi = label_agreement([f"blob{t}" for t in truth], labels)
    assert ari == pytest.approx(adjusted_rand_score(truth, labels)) and nmi == pytest.approx(normalized_mutual_info_score(truth, labels))
    assert ari > 0.95  # the blobs are easy


def test_hdbscan_finds_blobs_and_marks_noise() -> None:
    vectors, truth = blobs(n_per=60)
    outlier = np.random.default_rng(3).normal(size=(1, vectors.shape[1])).astype(np.float32) * 10
    data = np.concatenate([vectors, outlier / np.linalg.norm(outlier)])
    labels = fit_labels(data, ClusterParams("hdbscan", min_cluster_size=10))
    assert len(set(labels[:-1].tolist()) - {-1}) == 3
    assert label_agreement(truth, labels[:-1])[0] > 0.9
    assert labels[-1] == -1


def test_ctfidf_picks_each_clusters_own_words() -> None:
    texts = ["apple banana smoothie", "banana apple pie", "fresh apple and banana"] + ["rocket orbit launch", "orbit of the rocket", "rocket orbit pad"]
    terms = ctfidf_terms(texts, np.array([0, 0, 0, 1, 1, 1]), top_n=2)
    assert set(terms[0]) == {"apple", "banana"} and set(terms[1]) == {"rocket", "orbit"}
    tweets = [f"{t} http://reut.rs/1y2doX{i} https://www.bbc.co.uk/news?id={i}" for i, t in enumerate(texts)]
    assert ctfidf_terms(tweets, np.array([0, 0, 0, 1, 1, 1]), top_n=2) == terms  # web addresses are not terms


def test_cluster_result_is_cached_and_reports_label_agreement(embedlab_home: Path) -> None:
    vectors, truth = blobs()
    texts = [f"text number {i}" for i in range(len(vectors))]
    first = cluster(vectors, texts, ClusterParams(k=3), labels=[str(t) for t in truth])
    assert not first.cached and sorted(c.size for c in first.clusters) == [80, 80, 80]
    assert first.ari is not None and first.ari > 0.95 and first.silhouette is not None
    second = cluster(vectors, texts, ClusterParams(k=3), labels=[str(t) for t in truth])
    assert second.cached and np.array_equal(second.labels, first.labels) and second.ari == first.ari
    assert cluster(vectors, texts, ClusterParams(k=3)).ari is None  # no labels, no ARI
    with pytest.raises(InputError, match="k must be between 2"):
        cluster(vectors, texts, ClusterParams(k=1))
    document = first.as_dict()
    assert {"clusters", "silhouette", "ari", "nmi"} <= set(document) and {"id", "size", "terms"} == set(document["clusters"][0])


# -- neighbourhoods ------------------------------------------------------------------------------


def test_neighbor_overlap_is_full_when_the_map_is_the_space_and_low_when_random() -> None:
    rng = np.random.default_rng(1)
    flat = rng.normal(size=(200, 2)).astype(np.float32)
    flat /= np.linalg.norm(flat, axis=1, keepdims=True)
    angles = np.arctan2(flat[:, 1], flat[:, 0])
    same = neighbor_overlap(flat, np.stack([np.cos(angles), np.sin(angles)], axis=1), 5, k=8)
    assert same.overlap == 1.0 and same.original == same.on_map and 5 not in same.original
    vectors, _ = blobs()
    scrambled = neighbor_overlap(vectors, rng.normal(size=(len(vectors), 2)), 0, k=10)
    assert scrambled.overlap < 0.5
    with pytest.raises(InputError, match="does not exist"):
        neighbor_overlap(vectors, vectors[:, :2], len(vectors))


def test_trustworthiness_matches_scikit_learn_and_samples_big_maps(embedlab_home: Path) -> None:
    from sklearn.manifold import trustworthiness

    vectors, _ = blobs()
    coords = project(vectors, ProjectionParams(method="pca"), use_cache=False).coords
    trust = map_trustworthiness(vectors, coords, k=10)
    assert not trust.sampled and trust.score == pytest.approx(trustworthiness(vectors, coords, n_neighbors=10, metric="cosine"))
    sampled = map_trustworthiness(vectors, coords, k=10, sample=100, seed=3)
    rows = np.sort(np.random.default_rng(3).choice(len(vectors), size=100, replace=False))  # the documented seeded sample
    assert sampled.sampled and sampled.points == 100
    assert sampled.score == pytest.approx(trustworthiness(vectors[rows], coords[rows], n_neighbors=10, metric="cosine"))
    assert map_trustworthiness(vectors, coords, k=10, sample=100, seed=3) == sampled  # from the disk cache
    assert list((embedlab_home / "cache" / "trust").glob("*.json"))


# -- export --------------------------------------------------------------------------------------


def sample_frame() -> tuple[pd.DataFrame, np.ndarray]:
    metadata = pd.DataFrame({"label": ["=cmd|' /C calc'!A0", "plain", "@SUM(1)"], "note": ["tab\there", "new\nline", "-3"], "row": [1, 2, 3]})
    coords = np.array([[0.5, -1.25], [1.0, 2.0], [-3.0, 4.5]], dtype=np.float32)
    frame = export_frame(["a", "b", "c"], ["+danger", "hello, world", "ok"], metadata, coords, np.array([0, 1, -1]))
    vectors = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [-0.7, 0.8, 0.9]], dtype=np.float32)
    return frame, vectors


def test_csv_export_escapes_formula_cells_and_round_trips_the_rest() -> None:
    frame, _ = sample_frame()
    back = pd.read_csv(io.BytesIO(csv_bytes(frame)), dtype={"text": str, "label": str, "note": str}, keep_default_na=False)
    assert back["label"].tolist() == ["'=cmd|' /C calc'!A0", "plain", "'@SUM(1)"]
    assert back["text"].tolist() == ["'+danger", "hello, world", "ok"] and back["note"].tolist()[1:] == ["new\nline", "'-3"]
    assert np.allclose(back[["x", "y"]].to_numpy(), frame[["x", "y"]].to_numpy())  # numbers are not escaped
    assert back["cluster"].tolist() == [0, 1, -1]


def test_parquet_export_round_trips_exactly(tmp_path: Path) -> None:
    frame, _ = sample_frame()
    back = pd.read_parquet(io.BytesIO(parquet_bytes(frame)))
    pd.testing.assert_frame_equal(back, frame)
    written = write_export("parquet", tmp_path / "out" / "map.parquet", frame)
    pd.testing.assert_frame_equal(pd.read_parquet(written[0]), frame)


def test_projector_files_round_trip(tmp_path: Path) -> None:
    frame, vectors = sample_frame()
    files = write_export("projector", tmp_path / "projector", frame, vectors)
    assert [f.name for f in files] == ["vectors.tsv", "metadata.tsv", "projector_config.pbtxt"]
    assert 'tensor_path: "vectors.tsv"' in files[2].read_text() and 'metadata_path: "metadata.tsv"' in files[2].read_text()
    assert np.allclose(np.loadtxt(files[0], delimiter="\t"), vectors, atol=1e-6)
    lines = files[1].read_text().splitlines()
    assert len(lines) == 4 and lines[0].split("\t")[:2] == ["text", "label"]  # header row: several columns
    assert all(len(line.split("\t")) == len(lines[0].split("\t")) for line in lines)  # tabs/newlines in cells flattened
    single_vectors, single_meta = projector_tsvs(vectors, frame, ["label"])
    assert len(single_meta.splitlines()) == 3  # one column: no header, as the projector expects
    with zipfile.ZipFile(io.BytesIO(projector_zip(vectors, frame))) as archive:
        assert sorted(archive.namelist()) == ["metadata.tsv", "projector_config.pbtxt", "vectors.tsv"]
    with pytest.raises(InputError, match="is a folder"):
        write_export("csv", tmp_path / "projector", frame)


# -- corpus snapshot and last view ---------------------------------------------------------------


def test_corpus_snapshot_is_reused_until_the_collection_changes(hashing_encoder: HashingEncoder) -> None:
    ingest_records("lee", "hashing-test", dataset_records("lee", limit=40, chunk_size=0))
    first = load_corpus("lee")
    assert not first.from_snapshot and len(first) == 40 and first.vectors.shape == (40, 64)
    assert first.metadata["row"].tolist() == list(range(1, 41))  # file order, though encoded by length
    assert np.allclose(first.vectors, hashing_encoder.encode(first.texts))  # each vector still beside its text
    started = time.perf_counter()
    second = load_corpus("lee")
    assert second.from_snapshot and second.ids == first.ids and np.array_equal(second.vectors, first.vectors)
    assert second.digest == first.digest and second.texts == first.texts
    assert time.perf_counter() - started < 2.0
    ingest_records("lee", "hashing-test", dataset_records("lee", limit=50, chunk_size=0))
    third = load_corpus("lee")
    assert not third.from_snapshot and len(third) == 50
    remember_view(third.info.name, {"projection": {"method": "pca"}})
    assert last_view(third.info.name) == {"projection": {"method": "pca"}} and last_view("other") is None


def test_hdbscan_on_a_big_corpus_runs_on_a_pca_reduction_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from embedlab.maps import clustering

    monkeypatch.setattr(clustering, "HDBSCAN_FULL_MAX", 100)
    vectors, truth = blobs(n_per=60)
    result = cluster(vectors, [f"t{i}" for i in range(len(vectors))], ClusterParams("hdbscan", min_cluster_size=10), use_cache=False)
    assert result.space == "pca-16" and result.as_dict()["space"] == "pca-16"
    assert label_agreement(truth, result.labels)[0] > 0.9


def test_formula_cells_are_escaped_after_leading_whitespace_tab_or_cr_in_csv_and_metadata_tsv(tmp_path: Path) -> None:
    hostile = [" =1+1", "\t=cmd", "\r@SUM(A1)", "  +HYPERLINK(\"http://evil\")", "\n-2+3", "\u00a0=1"]
    fine = ["a = b", "x-ray", "", "plain text"]
    texts = hostile + fine
    metadata = pd.DataFrame({"note": list(reversed(texts)), " =header": ["v"] * len(texts)})
    frame = export_frame([f"id{i}" for i in range(len(texts))], texts, metadata, np.zeros((len(texts), 2), dtype=np.float32),
                         np.array([-1] * len(texts)))
    back = pd.read_csv(io.BytesIO(csv_bytes(frame)), dtype=str, keep_default_na=False)
    assert back["text"].tolist() == ["'" + t for t in hostile] + fine
    assert "' =header" in back.columns and back["cluster"].tolist() == ["-1"] * len(texts)  # numbers are not text: unchanged
    vectors = np.ones((len(texts), 3), dtype=np.float32)
    _, metadata_tsv = projector_tsvs(vectors, frame)
    rows = [line.split("\t") for line in metadata_tsv.splitlines()]
    header, body = rows[0], rows[1:]
    assert header[header.index("text") + 2] == "'=header"  # the header row is escaped too (flattened: no leading space)
    cells = [row[header.index("text")] for row in body]
    assert all(cell.startswith("'") for cell in cells[: len(hostile)]) and cells[len(hostile):] == ["a = b", "x-ray", " ", "plain text"]
    assert [row[header.index("cluster")] for row in body] == ["-1"] * len(texts)
    written = write_export("projector", tmp_path / "projector", frame, vectors)
    assert written[1].read_text(encoding="utf-8") == metadata_tsv


def test_ari_and_nmi_leave_hdbscan_noise_out_like_silhouette(monkeypatch: pytest.MonkeyPatch) -> None:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from embedlab.maps import clustering

    vectors, truth = blobs(n_per=20)
    predicted = truth.astype(np.int32).copy()
    predicted[[0, 1, 25, 50]] = -1  # four noise points
    monkeypatch.setattr(clustering, "fit_labels", lambda data, params: predicted)
    labels = [f"blob{t}" for t in truth]
    result = cluster(vectors, [f"text {i}" for i in range(len(vectors))], ClusterParams("hdbscan", min_cluster_size=5), labels, use_cache=False)
    keep = predicted != -1
    assert result.noise == 4 and result.agreement_points == int(keep.sum()) == 56
    assert result.ari == pytest.approx(adjusted_rand_score(truth[keep], predicted[keep])) == pytest.approx(1.0)
    assert result.nmi == pytest.approx(normalized_mutual_info_score(truth[keep], predicted[keep]))
    assert result.ari > adjusted_rand_score(truth, predicted)  # counting noise as a cluster would lower it
    document = result.as_dict()
    assert document["noise"] == 4 and document["ari_nmi_points"] == 56 and document["ari_nmi_noise_left_out"] == 4


def test_umap_maps_a_handful_of_points() -> None:
    """A new upload of three rows opens with the default map (UMAP): umap-learn's spectral start
    fails below ~16 points (k >= N), so a handful of points starts from a seeded random layout."""
    from embedlab.maps.projection import ProjectionParams, project

    vectors = np.random.default_rng(0).normal(size=(3, 8)).astype(np.float32)
    first = project(vectors, ProjectionParams("umap", 2, seed=7), use_cache=False)
    again = project(vectors, ProjectionParams("umap", 2, seed=7), use_cache=False)
    assert first.coords.shape == (3, 2) and np.isfinite(first.coords).all()
    assert np.allclose(first.coords, again.coords)  # seeded


def test_recolouring_keeps_the_hover_unless_the_colour_column_was_not_in_it(hashing_encoder: HashingEncoder) -> None:
    """A recolour once rebuilt and resent every point's hover text (60k strings): the hover now
    changes only when the colour column was not already shown in it."""
    from embedlab.corpus import corpus_hover
    from embedlab.ingest import ingest_upload

    columns = [f"c{i}" for i in range(8)]
    lines = ["text,label," + ",".join(columns)]
    lines += [f"row {i} about things,{'ab'[i % 2]}," + ",".join(f"{c}-{i % 3}" for c in columns) for i in range(12)]
    ingest_upload("\n".join(lines).encode(), "wide.csv", "wide", "hashing-test", "text", "label", columns)
    corpus = load_corpus("wide")
    hover_label, id_label = corpus_hover(corpus, None, "label")
    assert corpus_hover(corpus, None, None)[1] == id_label == corpus_hover(corpus, None, "c0")[1]
    assert "c5: c5-0" in hover_label[0] and "c6" not in hover_label[0]  # the first six columns
    hover_c7, id_c7 = corpus_hover(corpus, None, "c7")
    assert id_c7 != id_label and hover_c7[0].splitlines()[2] == "c7: c7-0"  # brought in, first after the label
