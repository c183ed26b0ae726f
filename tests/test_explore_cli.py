"""The Explore CLI: ingest, collections, search, project, cluster, export, delete, and errors; on the
embedded store and on a ``chroma run`` server (``both_stores``), the console script with the real
model on the embedded store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from embedlab.backends.hashing import HashingEncoder
from embedlab.cli import main

ROWS = [
    ("Stocks fell as the central bank raised interest rates", "finance"),
    ("Markets rallied after the bank held rates steady", "finance"),
    ("Bond yields climbed on inflation fears", "finance"),
    ("The striker scored twice in the cup final", "sport"),
    ("A late goal won the match for the home team", "sport"),
    ("The coach praised the team after the final whistle", "sport"),
    ("New vaccine trial shows strong immune response", "health"),
    ("Doctors warn of a severe flu season this winter", "health"),
    ("Hospital wait times rise as flu cases grow", "health"),
    ("=HYPERLINK(\"http://evil\")", "health"),
]


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def news_csv(tmp_path: Path) -> Path:
    path = tmp_path / "news.csv"
    pd.DataFrame(ROWS, columns=["headline", "topic"]).to_csv(path, index=False)
    return path


@pytest.mark.both_stores  # also on a chroma run server
def test_cli_round_trip(capsys: pytest.CaptureFixture[str], hashing_encoder: HashingEncoder, news_csv: Path, tmp_path: Path) -> None:
    report = run_json(capsys, "ingest", str(news_csv), "--collection", "headlines", "--text-column", "headline",
                      "--label-column", "topic", "--model", "hashing-test")
    assert report["rows"] == 10 and report["added"] == 10 and report["skipped"] == 0
    again = run_json(capsys, "ingest", str(news_csv), "--collection", "headlines", "--text-column", "headline",
                     "--label-column", "topic", "--model", "hashing-test")
    assert again["added"] == 0 and again["skipped"] == 10

    listing = run_json(capsys, "collections")["collections"]
    assert [(c["dataset"], c["model"], c["rows"], c["status"]) for c in listing] == [("headlines", "hashing-test", 10, "complete")]
    name = listing[0]["name"]

    results = run_json(capsys, "search", "headlines", "flu season", "-k", "3")["results"]
    assert len(results) == 3 and set(results[0]) == {"id", "text", "score"}
    assert "flu" in results[0]["text"].lower() and results[0]["score"] >= results[1]["score"] >= results[2]["score"]

    out = tmp_path / "coords.csv"
    projected = run_json(capsys, "project", "headlines", "--method", "pca", "--dims", "3", "--out", str(out))
    coords = pd.read_csv(out)
    assert projected["points"] == 10 and list(coords.columns) == ["id", "x", "y", "z"] and len(coords) == 10
    assert run_json(capsys, "project", "headlines", "--method", "pca", "--dims", "3")["cached"] is True

    clusters = run_json(capsys, "cluster", "headlines", "--k", "3")
    assert {"clusters", "silhouette", "ari", "nmi"} <= set(clusters)
    assert sum(c["size"] for c in clusters["clusters"]) == 10 and all(set(c) == {"id", "size", "terms"} for c in clusters["clusters"])

    csv_path = tmp_path / "export.csv"
    exported = run_json(capsys, "export", "headlines", "--format", "csv", "--out", str(csv_path), "--method", "pca", "--k", "3")
    table = pd.read_csv(csv_path, keep_default_na=False)
    assert exported["rows"] == 10 and {"x", "y", "cluster", "label", "text"} <= set(table.columns)
    assert "'=HYPERLINK(\"http://evil\")" in table["text"].tolist()
    projector = tmp_path / "projector"
    run_json(capsys, "export", "headlines", "--format", "projector", "--out", str(projector), "--method", "pca", "--k", "3")
    assert np.loadtxt(projector / "vectors.tsv", delimiter="\t").shape == (10, 64)
    parquet = tmp_path / "export.parquet"
    run_json(capsys, "export", "headlines", "--format", "parquet", "--out", str(parquet), "--no-map")
    assert len(pd.read_parquet(parquet)) == 10

    assert run_json(capsys, "delete", "headlines") == {"deleted": name}
    assert run_json(capsys, "collections") == {"collections": []}


@pytest.mark.both_stores  # also on a chroma run server
def test_cli_errors_exit_2_with_a_message(capsys: pytest.CaptureFixture[str], hashing_encoder: HashingEncoder, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n{"text": oops}\n')
    assert main(["ingest", str(bad), "--collection", "x", "--model", "hashing-test"]) == 2
    assert "line 2 is not valid JSON" in capsys.readouterr().err
    assert main(["search", "nothing-here", "query"]) == 2
    assert "No collection named 'nothing-here'" in capsys.readouterr().err
    assert main(["ingest", str(tmp_path / "missing.csv"), "--collection", "x"]) == 2
    assert "is not a file" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_ingest_dataset_with_the_real_model(tmp_path: Path, embedlab_home: Path) -> None:
    """The console script in a fresh process: MiniLM on 40 Lee texts, then k-means. Its clusters
    and silhouette equal scikit-learn's KMeans and silhouette_score on the stored vectors."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    from embedlab.corpus import load_corpus
    from embedlab.store import close_all_stores

    env = {**os.environ, "EMBEDLAB_HOME": str(embedlab_home)}
    script = str(Path(sys.executable).with_name("embedlab"))
    done = subprocess.run([script, "ingest-dataset", "lee", "--collection", "lee", "--limit", "40", "--json"],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["model"] == "minilm" and report["documents"] == 40 and report["rows"] >= 40
    clustered = subprocess.run([script, "cluster", "lee", "--k", "4", "--json"], capture_output=True, text=True, env=env, timeout=600)
    assert clustered.returncode == 0, clustered.stderr
    document = json.loads(clustered.stdout)
    assert len(document["clusters"]) == 4 and "ari" not in document  # Lee has no labels
    assert all(c["terms"] for c in document["clusters"])
    corpus = load_corpus("lee")  # the stored MiniLM vectors, in the order the command read them
    close_all_stores()
    assert corpus.vectors.shape == (report["rows"], 384)
    labels = KMeans(n_clusters=4, n_init=3, random_state=42).fit_predict(corpus.vectors)  # the command's defaults
    assert sorted(c["size"] for c in document["clusters"]) == sorted(np.bincount(labels).tolist())
    assert document["silhouette"] == pytest.approx(silhouette_score(corpus.vectors, labels, metric="cosine"), abs=1e-6)


@pytest.mark.both_stores  # also on a chroma run server
def test_project_refuses_a_bad_out_suffix_before_mapping(capsys: pytest.CaptureFixture[str], hashing_encoder: HashingEncoder,
                                                         news_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_json(capsys, "ingest", str(news_csv), "--collection", "headlines", "--text-column", "headline", "--model", "hashing-test")

    def no_work(*args: object, **kwargs: object) -> None:
        raise AssertionError("the map was computed before --out was checked")

    monkeypatch.setattr("embedlab.maps.projection.project", no_work)
    monkeypatch.setattr("embedlab.corpus.load_corpus", no_work)
    assert main(["project", "headlines", "--out", str(tmp_path / "x.txt")]) == 2
    assert "--out must end in .csv, .parquet or .npy, not '.txt'" in capsys.readouterr().err
    assert not (tmp_path / "x.txt").exists()


@pytest.mark.both_stores  # also on a chroma run server
def test_export_uses_the_last_view_unless_options_override_it(capsys: pytest.CaptureFixture[str], hashing_encoder: HashingEncoder,
                                                              news_csv: Path, tmp_path: Path) -> None:
    from embedlab.cli.explore import export_settings
    from embedlab.corpus import last_view, remember_view

    run_json(capsys, "ingest", str(news_csv), "--collection", "headlines", "--text-column", "headline", "--label-column", "topic",
             "--model", "hashing-test")
    name = run_json(capsys, "collections")["collections"][0]["name"]
    remember_view(name, {"projection": {"method": "pca", "dims": 3}, "clusters": {"method": "kmeans", "k": 3, "seed": 7}, "colour": "label"})
    shown = run_json(capsys, "project", "headlines", "--method", "pca", "--dims", "2")  # a new map; the clusters of the view stay
    assert last_view(name)["clusters"]["k"] == 3 and last_view(name)["projection"]["dims"] == 2

    out = tmp_path / "export.csv"
    document = run_json(capsys, "export", "headlines", "--format", "csv", "--out", str(out))
    assert document["projection"] == {"params": {"method": "pca", "dims": 2}, "from": "the collection's last view", "cached": True}
    assert document["clustering"]["params"] == {"method": "kmeans", "k": 3, "seed": 7} and document["clustering"]["clusters"] == 3
    table = pd.read_csv(out, keep_default_na=False)
    assert np.allclose(table[["x", "y"]].to_numpy(), np.asarray(shown["coords"]), atol=1e-4)

    overridden = run_json(capsys, "export", "headlines", "--format", "csv", "--out", str(out), "--dims", "3", "--k", "2")
    assert overridden["projection"]["params"] == {"method": "pca", "dims": 3}
    assert overridden["projection"]["from"] == "the collection's last view, with options given"
    assert overridden["clustering"]["params"]["k"] == 2 and list(pd.read_csv(out).columns)[-4:] == ["x", "y", "z", "cluster"]

    assert main(["export", "headlines", "--format", "csv", "--out", str(out)]) == 0  # the human output says what was used
    said = capsys.readouterr().out
    assert "map: pca 2-D (from the collection's last view)" in said and "clusters: kmeans, k 3, seed 7 (from the collection's last view)" in said

    from embedlab.cli import build_parser

    args = build_parser().parse_args(["export", "headlines", "--format", "csv", "--out", "x.csv"])
    params, cparams, map_from, clusters_from = export_settings(args, None)  # no view (or --no-view): the defaults
    assert (params.method, params.dims, cparams.method, cparams.k) == ("umap", 2, "kmeans", 8)
    assert map_from == clusters_from == "defaults: no saved view"
    args = build_parser().parse_args(["export", "headlines", "--format", "csv", "--out", "x.csv", "--no-view", "--k", "4"])
    params, cparams, map_from, clusters_from = export_settings(args, last_view(name))
    assert (params.method, cparams.k) == ("umap", 4) and map_from == "defaults: last view ignored (--no-view)"
    assert clusters_from == "options given and defaults: last view ignored (--no-view)"


@pytest.mark.both_stores  # also on a chroma run server
def test_cluster_json_says_ari_and_nmi_leave_noise_out(capsys: pytest.CaptureFixture[str], hashing_encoder: HashingEncoder,
                                                      news_csv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_json(capsys, "ingest", str(news_csv), "--collection", "headlines", "--text-column", "headline", "--label-column", "topic",
             "--model", "hashing-test")
    fixed = np.array([0, 0, 0, 1, 1, 1, 2, 2, -1, -1], dtype=np.int32)  # rows are finance×3, sport×3, health×4
    monkeypatch.setattr("embedlab.maps.clustering.fit_labels", lambda vectors, params: fixed)
    document = run_json(capsys, "cluster", "headlines", "--method", "hdbscan", "--min-cluster-size", "2")
    assert document["noise"] == 2 and document["ari_nmi_points"] == 8 and document["ari_nmi_noise_left_out"] == 2
    assert document["ari"] == pytest.approx(1.0) and document["nmi"] == pytest.approx(1.0)  # the 8 clustered points match the topics
    assert main(["cluster", "headlines", "--method", "hdbscan", "--min-cluster-size", "2"]) == 0
    assert "on the 8 clustered points, noise left out" in capsys.readouterr().out


def test_one_last_view_rule_and_one_column_order(capsys: pytest.CaptureFixture[str], hashing_encoder: HashingEncoder,
                                                 tmp_path: Path) -> None:
    """Issue 22 defect 6: `cluster` replaced the clusters of the last view silently while `export --help` said
    only the Explore page and `project` set it, and the page's download and `embedlab export` ordered their
    columns differently (the store returns metadata keys in no fixed order, the snapshot in another)."""
    from embedlab.cli import build_parser
    from embedlab.corpus import corpus_export_frame, last_view, load_corpus, open_corpus
    from embedlab.maps.projection import LAST_VIEW_RULE
    from embedlab.store import open_store

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for command in ("project", "cluster", "export"):
        assert LAST_VIEW_RULE in " ".join(commands[command].format_help().split()).replace("- ", "-"), command
    readme = " ".join((Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8").split())
    assert "the clusters last shown on the Explore page or computed by `embedlab cluster`" in readme

    table = tmp_path / "t.csv"
    pd.DataFrame({"text": [f"{w} row {i}" for i, w in enumerate(["rain", "goal", "bank"] * 6)], "zeta": list("abcdefghijklmnopqr"),
                  "topic": ["x", "y", "z"] * 6, "alpha": range(18), "Mid": ["m"] * 18}).to_csv(table, index=False)
    run_json(capsys, "ingest", str(table), "--collection", "cols", "--label-column", "topic", "--column", "zeta",
             "--column", "alpha", "--column", "Mid", "--model", "hashing-test")
    clustered = run_json(capsys, "cluster", "cols", "--k", "3")
    assert clustered["last_view"] == "clusters"
    assert main(["cluster", "cols", "--k", "3"]) == 0
    assert "now the collection's last view" in capsys.readouterr().out
    name = open_store().resolve("cols")
    assert last_view(name)["clusters"]["k"] == 3

    out = tmp_path / "export.csv"
    run_json(capsys, "export", "cols", "--format", "csv", "--out", str(out), "--method", "pca")
    cli_columns = list(pd.read_csv(out).columns)
    page_columns = list(corpus_export_frame(open_corpus(open_store().info(name)), None, None).columns)  # what the page reads
    store_columns = list(corpus_export_frame(load_corpus(name, use_snapshot=False), None, None).columns)
    assert cli_columns[: len(page_columns)] == page_columns == store_columns
    assert page_columns == ["id", "text", "label", "doc", "zeta", "alpha", "Mid", "chunk", "chunks", "row"]
    assert cli_columns[len(page_columns):] == ["x", "y", "cluster"]
