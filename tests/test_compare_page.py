"""The Compare page under AppTest: the figures it shows are the engine's (and CKA, the centroid
distance and the AUC equal a computation written here), both maps outline one selection and
ring the picked row's neighbours in each model, colours are shared, the view is in the link, and
mistakes get messages. Maps are PCA here (UMAP's first call compiles for half a minute)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from embedlab.analysis.comparison.drift import drift, split_collection
from embedlab.analysis.comparison.models import compare_models
from embedlab.backends import catalogue
from embedlab.backends.hashing import HashingEncoder
from embedlab.corpus import load_corpus
from embedlab.ingest import build_records, ingest_records, parse_upload
from embedlab.store import close_all_stores
from tests.conftest import map_data

REPO = Path(__file__).resolve().parents[1]
PAGE = str(REPO / "pages" / "compare.py")
TOPICS = ("bank rates markets stocks inflation", "goal match team coach league", "flu vaccine doctor hospital nurse")


def texts(rows: int = 60, offset: int = 0) -> list[str]:
    return [f"{TOPICS[i % 3]} story {i + offset} number {(i + offset) * 7}" for i in range(rows)]


def ingest(dataset: str, model: str, lines: list[str]) -> str:
    csv = "text,label,year\n" + "\n".join(f"{t},{('finance', 'sport', 'health')[i % 3]},{1990 + (i * 7) % 25}"
                                           for i, t in enumerate(lines))
    report = ingest_records(dataset, model, build_records(parse_upload(csv.encode(), f"{dataset}.csv"), "text", "label", ["year"]))
    close_all_stores()  # the page opens its own store, as the server does
    return report.collection


@pytest.fixture
def two_models(hashing_encoder: HashingEncoder) -> tuple[str, str]:
    """The same 60 texts read by two hashing models (64-d and 24-d)."""
    catalogue().add(HashingEncoder("hashing-small", dim=24), "session", persist=False)
    return ingest("stories", "hashing-test", texts()), ingest("stories", "hashing-small", texts())


def run_page(query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=240)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def decode(values: object) -> list:
    """plotly 7 writes arrays as base64 ``{"dtype", "bdata"}``; lists stay lists."""
    if isinstance(values, dict) and "bdata" in values:
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"])).tolist()
    return list(values)


def codes(data: dict) -> list[int]:
    return np.frombuffer(base64.b64decode(data["codes"]), dtype=np.uint16).tolist()


def test_two_models_figures_linked_maps_and_the_link(two_models: tuple[str, str]) -> None:
    first, second = two_models
    at = run_page({"vs_a": first, "vs_b": second, "vs_k": "5", "vs_clusters": "3", "vs_method": "pca",
                   "vs_selected": "1,4,9", "vs_picked": "4"})
    a, b = load_corpus(first), load_corpus(second)
    close_all_stores()
    expected = compare_models(a, b, 5, clusters=3)
    shown = metrics(at)
    assert shown["Rows compared"] == "60" and shown["Mean overlap@5"] == f"{expected.mean:.3f}"
    assert shown["Median overlap@5"] == f"{expected.median:.3f}" and shown["Spearman ρ"] == f"{expected.spearman:.3f}"
    assert shown["ARI of the clusters"] == f"{expected.cluster_ari:.3f}"
    x, y = (np.asarray(c.vectors, dtype=np.float64) for c in (a, b))
    x, y = x - x.mean(0), y - y.mean(0)
    cka = np.linalg.norm(y.T @ x) ** 2 / (np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y))
    assert shown["Linear CKA"] == f"{cka:.3f}"
    histogram = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    assert decode(histogram["y"]) == expected.histogram() and sum(expected.histogram()) == 60

    # the linked selection and the picked row: the same rows outlined on both maps, each model's
    # own neighbours ringed on its map, and the two neighbour lists side by side
    maps = map_data(at, "vs_map_a"), map_data(at, "vs_map_b")
    assert [m["n"] for m in maps] == [60, 60] and [m["selected"] for m in maps] == [[1, 4, 9], [1, 4, 9]]
    assert [m["picked"] for m in maps] == [4, 4]
    assert maps[0]["neighbours"] == expected.neighbours_a[4].tolist() and maps[1]["neighbours"] == expected.neighbours_b[4].tolist()
    assert any("3 selected" in m.value for m in at.markdown)
    near_a = next(df.value for df in at.dataframe if "among hashing-small's 5 too" in df.value.columns)
    near_b = next(df.value for df in at.dataframe if "among hashing-test's 5 too" in df.value.columns)
    assert near_a["neighbour"].tolist() == [a.texts[j] for j in expected.neighbours_a[4]]
    assert near_b["neighbour"].tolist() == [b.texts[j] for j in expected.neighbours_b[4]]
    least = next(df.value for df in at.dataframe if "shared of 5" in df.value.columns and len(df.value) == 20)
    assert least["row"].tolist() == expected.least_agreeing(20)

    at.selectbox(key="vs_colour").set_value("clusters of A").run()
    assert not at.exception
    maps = map_data(at, "vs_map_a"), map_data(at, "vs_map_b")
    assert codes(maps[0]) == codes(maps[1]) and len(maps[0]["legend"]) == 3  # A's clusters coloured on both maps
    assert at.query_params["vs_colour"] == "clusters of A" and at.query_params["vs_selected"] == "1,4,9"
    assert at.query_params["vs_a"] == first and at.query_params["vs_b"] == second and at.query_params["vs_k"] == "5"


def test_drift_of_one_collection_split_by_a_year(two_models: tuple[str, str]) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    first, _ = two_models
    at = run_page({"vs_mode": "drift", "vs_split_collection": first, "vs_split_column": "year", "vs_split_at": "2000",
                   "vs_permutations": "50", "vs_drift_clusters": "3", "vs_drift_method": "pca"})
    corpus = load_corpus(first)
    close_all_stores()
    years = corpus.metadata["year"].astype(int).to_numpy()
    early = years < 2000
    vectors = corpus.vectors.astype(np.float64)
    shown = metrics(at)
    assert shown["Rows A / B"] == f"{early.sum()} / {(~early).sum()}"
    assert shown["Centroid distance"] == f"{np.linalg.norm(vectors[early].mean(0) - vectors[~early].mean(0)):.4f}"
    features, target = np.vstack([vectors[early], vectors[~early]]), np.r_[np.zeros(early.sum()), np.ones((~early).sum())]
    auc = cross_val_score(make_pipeline(StandardScaler(), LogisticRegression(C=0.01, max_iter=2000)), features, target,
                          cv=StratifiedKFold(5, shuffle=True, random_state=0), scoring="roc_auc").mean()
    assert shown["Domain classifier AUC"] == f"{auc:.3f}"
    expected = drift(split_collection(corpus, "year", at="2000"), permutations=50, clusters=3)
    assert shown["MMD²"] == f"{expected.mmd:.5f}" and shown["p-value (permutations)"] == f"{expected.p_value:.4f}"

    joint = map_data(at, "vs_drift_map")
    assert joint["n"] == 60 and {name for name, _, _ in joint["legend"]} == {"year < 2000", "year ≥ 2000"}
    shares = next(df.value for df in at.dataframe if "terms" in df.value.columns)
    assert len(shares) == 3 and shares["rows A"].sum() == early.sum() and shares["rows B"].sum() == (~early).sum()
    typical = [df.value for df in at.dataframe if "probability of its side" in df.value.columns]
    assert [len(t) for t in typical] == [10, 10]
    assert at.query_params["vs_mode"] == "drift" and at.query_params["vs_split_at"] == "2000"


def test_mistakes_get_messages(two_models: tuple[str, str]) -> None:
    first, second = two_models
    other = ingest("elsewhere", "hashing-test", texts(30, offset=500))
    at = AppTest.from_file(PAGE, default_timeout=240)
    for key, value in {"vs_a": first, "vs_b": other, "vs_method": "pca"}.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception and any("share 0 texts" in e.value for e in at.error), [e.value for e in at.error]

    at = AppTest.from_file(PAGE, default_timeout=240)
    for key, value in {"vs_mode": "drift", "vs_source": "collections", "vs_da": first, "vs_db": second}.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception and any("drift compares two corpora in one model" in e.value.replace("\\", "") for e in at.error), [e.value for e in at.error]

    at = AppTest.from_file(PAGE, default_timeout=240)
    for key, value in {"vs_mode": "drift", "vs_split_collection": first, "vs_split_column": "year", "vs_split_at": "soon"}.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception and any("split it at a number" in e.value for e in at.error), [e.value for e in at.error]

    at = AppTest.from_file(PAGE, default_timeout=240)
    at.query_params["vs_a"], at.query_params["vs_method"] = "gone-abc123", "pca"
    at.run()
    assert not at.exception and any("Ignored from the link" in w.value and "gone-abc123" in w.value.replace("\\", "") for w in at.warning)


def test_an_empty_store_says_what_to_do() -> None:
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    assert any("No collection yet" in i.value for i in at.info)
    assert [b.label for b in at.button if "Guided demo" in b.label] == ["▶ Guided demo"]
