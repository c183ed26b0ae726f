"""The Explore page under AppTest: the map of every point, colours, escaped hover, search,
metrics, the last view on reopen, and deleting a collection with confirmation."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from embedlab.backends.hashing import HashingEncoder
from embedlab.ingest import build_records, ingest_records, parse_upload
from embedlab.maps.view import shorten
from embedlab.store import close_all_stores, open_store
from tests.conftest import map_data, shown

REPO = Path(__file__).resolve().parents[1]
PAGE = str(REPO / "pages" / "explore.py")
HOSTILE = '<img src=x onerror="alert(1)"> & friends'


def decode(values: object) -> list:
    """plotly 7 writes arrays as base64 ``{"dtype", "bdata"}``; lists stay lists."""
    if isinstance(values, dict) and "bdata" in values:
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"])).tolist()
    return list(values)


def make_collection(rows: int = 60) -> str:
    topics = {"finance": "bank rates markets stocks", "sport": "goal match team coach", "health": "flu vaccine doctor hospital"}
    lines = ["text,label,source"]
    for i in range(rows):
        topic = list(topics)[i % 3]
        lines.append(f"{topics[topic]} story {i} number {i * 7},{topic},src{i % 2}")
    lines.append(f'"{HOSTILE.replace(chr(34), chr(34) * 2)}",health,src0')
    table = parse_upload("\n".join(lines).encode(), "stories.csv")
    report = ingest_records("stories", "hashing-test", build_records(table, "text", "label", ["source"]))
    close_all_stores()  # the page opens its own store, as the server does
    return report.collection


def draw(at: AppTest) -> AppTest:
    """Press "Draw the map" (the settings form): the view becomes the collection's last view."""
    next(b for b in at.button if b.label == "Draw the map").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def legend(at: AppTest) -> dict[str, int]:
    return {name: count for name, _, count in map_data(at)["legend"]}


def walk(node: object) -> list[object]:
    """Every element under ``node`` (AppTest has no accessor for st.status)."""
    children = getattr(node, "children", None) or {}
    found: list[object] = []
    for child in children.values() if isinstance(children, dict) else children:
        found += [child, *walk(child)]
    return found


def run_page(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=240)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def test_map_shows_every_point_coloured_by_label_with_escaped_hover(hashing_encoder: HashingEncoder) -> None:
    name = make_collection()
    at = run_page({"explore_collection": name, "explore_method": "pca", "explore_k": "3"})
    data = map_data(at)
    assert data["n"] == 61 and data["dims"] == 2  # every point
    coords = np.frombuffer(base64.b64decode(data["coords"]), dtype=np.float32).reshape(61, 2)
    assert np.isfinite(coords).all()
    assert legend(at) == {"finance": 20, "health": 21, "sport": 20}
    codes = np.frombuffer(base64.b64decode(data["codes"]), dtype=np.uint16)
    assert sorted(np.bincount(codes).tolist()) == [20, 20, 21]
    # hover text goes to the browser as text (set with textContent there, never parsed as HTML)
    assert any(HOSTILE in h for h in data["hover"])
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Points"] == "61" and metrics["Clusters"] == "3"
    assert float(metrics["ARI vs labels"]) > 0.5  # the hashing vectors separate the three topics
    from sklearn.decomposition import PCA
    from sklearn.manifold import trustworthiness

    from embedlab.corpus import load_corpus

    vectors = load_corpus(name).vectors.astype(np.float64)
    close_all_stores()
    expected = trustworthiness(vectors, PCA(n_components=2).fit_transform(vectors), n_neighbors=10, metric="cosine")
    assert float(metrics["Trustworthiness"]) == pytest.approx(expected, abs=1.5e-3)  # shown with 3 decimals
    assert at.query_params["explore_method"] == "pca"


def test_colour_by_cluster_search_and_3d(hashing_encoder: HashingEncoder) -> None:
    name = make_collection()
    at = run_page({"explore_collection": name, "explore_method": "pca", "explore_k": "4"})
    at.selectbox(key="explore_colour").set_value("cluster").run()
    assert sorted(legend(at)) == ["0", "1", "2", "3"] and sum(legend(at).values()) == 61
    assert len(map_data(at)["labels"]) == 4  # each cluster's top terms drawn on the map
    at.text_input(key="explore_query").set_value("flu vaccine").run()
    assert not at.exception
    assert len(map_data(at)["hits"]) == 10
    hit_table = next(df.value for df in at.dataframe if "score" in df.value.columns)
    assert len(hit_table) == 10 and hit_table["label"].iloc[0] == "health"
    at.selectbox(key="explore_dims").set_value(3)  # map settings live in a form: submit it to redraw
    draw(at)
    assert map_data(at)["dims"] == 3


def test_reopen_shows_the_last_map_from_the_cache(hashing_encoder: HashingEncoder) -> None:
    name = make_collection()
    first = draw(run_page({"explore_collection": name, "explore_method": "pca", "explore_k": "5"}))
    assert first.metric[1].value == "5"
    again = run_page()  # no URL: the last view of the collection comes back
    assert again.selectbox(key="explore_method").value == "pca" and again.number_input(key="explore_k").value == 5
    labels = [str(getattr(node, "label", "")) for node in walk(again.main)]
    status = [label for label in labels if label.startswith("Map of 61 points")]
    assert status and "loaded from the cache" in status[0]


def test_delete_needs_confirmation_and_keeps_other_collections(hashing_encoder: HashingEncoder) -> None:
    name = make_collection()
    table = parse_upload(b"text\nalpha beta\ngamma delta\nepsilon zeta\n", "other.csv")
    other = ingest_records("other", "hashing-test", build_records(table, "text")).collection
    close_all_stores()
    at = run_page({"explore_collection": name, "explore_method": "pca"})
    inspect = at.selectbox(key="explore_inspect")
    inspect.select_index(next(i for i, label in enumerate(inspect.options) if label.startswith("other ·"))).run()
    delete = at.button(key="explore_delete")
    assert delete.disabled
    at.checkbox(key="explore_confirm_delete").check().run()
    at.button(key="explore_delete").click().run()
    assert not at.exception
    remaining = [i.name for i in open_store().collections()]
    assert remaining == [name] and other not in remaining
    assert open_store().info(name).count == 61


def test_a_fresh_home_says_there_are_no_collections_yet() -> None:
    at = run_page()
    assert "No collections yet" in " ".join(i.value for i in at.info)
    assert any("Guided demo" in b.label for b in at.button)


@pytest.mark.slow
def test_guided_demo_maps_news_by_outlet_with_kmeans(warm_home: Path) -> None:
    """The demo with the real model: 35 articles per outlet through MiniLM, 9 k-means clusters
    (the collection, its map and clusters as the same demo made them for the warm home)."""
    at = run_page()
    next(b for b in at.button if "Guided demo" in b.label).click().run(timeout=600)
    assert not at.exception and not at.error, [e.value for e in at.error]
    info = open_store().info("news-demo")
    assert info.backend == "minilm" and info.count == 315
    assert len(legend(at)) == 9 and "tass.com" in legend(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Points"] == "315" and metrics["Clusters"] == "9"
    assert 0.05 < float(metrics["ARI vs labels"]) < 0.6  # clusters follow topics, partly outlets
    assert at.query_params["explore_k"] == "9" and at.selectbox(key="explore_colour").value == "label"
    reading = " ".join(" ".join(m.value for m in at.markdown).split())  # the demo's text states what this run shows
    claims = {"ARI around 0.2": ("ARI vs labels", 0.15, 0.25), "NMI around 0.3": ("NMI vs labels", 0.25, 0.35),
              "silhouette below 0.1": ("Silhouette", 0.0, 0.1), "trustworthiness close to 0.9": ("Trustworthiness", 0.85, 0.95)}
    for claim, (metric, low, high) in claims.items():
        assert claim in reading and low <= float(metrics[metric]) < high, (claim, metrics[metric])


def test_upload_preview_names_the_collection_after_each_file_and_refuses_bad_ones(hashing_encoder: HashingEncoder) -> None:
    name = make_collection()
    at = run_page({"explore_collection": name, "explore_method": "pca"})
    csv = b"body,topic\nthe cat sat on the mat,pets\nthe dog ran in the park,pets\nstocks fell sharply today,money\n"
    at.file_uploader(key="explore_upload").upload("animals.csv", csv, "text/csv").run()
    assert not at.exception and not at.error
    preview = next(df.value for df in at.dataframe if "topic" in df.value.columns)
    assert list(preview.columns) == ["body", "topic"] and len(preview) == 3  # shown before anything is encoded
    assert "animals" not in [i.dataset for i in open_store().collections()]
    assert at.text_input(key="explore_upload_name").value == "animals"
    assert at.selectbox(key="explore_text_column").value == "body"
    at.selectbox(key="explore_label_column").set_value("topic")
    at.selectbox(key="explore_upload_model").set_value("hashing-test")
    at.button(key="explore_upload_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert open_store().info("animals").count == 3
    assert any("Stored 3 rows from 3 documents" in s.value for s in at.success)

    at.file_uploader(key="explore_upload").set_value(("broken.jsonl", b'{"text": "ok"}\n{"text": nope}\n', "application/json")).run()
    assert not at.exception
    assert any("line 2 is not valid JSON" in e.value for e in at.error)
    assert open_store().info(name).count == 61 and open_store().info("animals").count == 3  # nothing stored is lost

    at.file_uploader(key="explore_upload").set_value(("second batch.txt", b"one line\nanother line\n", "text/plain")).run()
    assert at.text_input(key="explore_upload_name").value == "second batch"


def test_dataset_collection_name_follows_the_dataset(hashing_encoder: HashingEncoder) -> None:
    make_collection()
    at = run_page({"explore_method": "pca"})
    assert at.text_input(key="explore_dataset_name").value == at.selectbox(key="explore_dataset").value
    at.selectbox(key="explore_dataset").set_value("lee").run()
    assert at.text_input(key="explore_dataset_name").value == "lee"
    at.text_input(key="explore_dataset_name").set_value("my lee").run()
    assert at.text_input(key="explore_dataset_name").value == "my lee"  # a typed name is kept


def test_many_clusters_and_numeric_columns_are_still_coloured(hashing_encoder: HashingEncoder) -> None:
    lines = ["text,label,score"] + [f"item {i} words {i % 7} more {i % 11},{'ab'[i % 2]},{i * 1.5}" for i in range(150)]
    table = parse_upload("\n".join(lines).encode(), "scored.csv")
    name = ingest_records("scored", "hashing-test", build_records(table, "text", "label", ["score"])).collection
    close_all_stores()
    at = run_page({"explore_collection": name, "explore_method": "pca", "explore_k": "70", "explore_colour": "cluster"})
    data = map_data(at)
    assert data["legend"] == []  # too many for a legend...
    assert len(set(np.frombuffer(base64.b64decode(data["codes"]), dtype=np.uint16).tolist())) == 70  # ...but a colour each
    assert any("70 values of cluster" in c.value for c in at.caption)
    at.selectbox(key="explore_colour").set_value("score").run()
    data = map_data(at)
    assert data["codes_id"] is None and np.frombuffer(base64.b64decode(data["values"]), dtype=np.float32)[:3].tolist() == [0.0, 1.5, 3.0]


def test_row_filter_reaches_any_row_and_user_text_is_not_markdown(hashing_encoder: HashingEncoder) -> None:
    name = make_collection()
    at = run_page({"explore_collection": name, "explore_method": "pca"})
    at.text_input(key="explore_row_filter").set_value("story 42 ").run()
    rows = at.dataframe(key="explore_rows").value
    assert rows["text"].tolist() == ["bank rates markets stocks story 42 number 294"]
    at.text_input(key="explore_row_filter").set_value("")
    at.text_input(key="explore_query").set_value("[click](http://evil.example) ![x](http://evil.example/x.png)").run()
    shown = " ".join(m.value for m in at.markdown)
    assert "\\[click\\]\\(http\\://evil\\.example\\)" in shown and "](http://evil" not in shown


def test_every_column_colours_the_map_however_many_values(hashing_encoder: HashingEncoder) -> None:
    """A label with 100 values, a unique column and a mostly numeric one are all offered; beyond
    60 values the map keeps one trace with a colour per value, and hover names the value."""
    hostile = "<b>x</b>[who](http://e.x)"
    frame = pd.DataFrame({
        "text": [f"item {i} words {i % 7} more {i % 11}" for i in range(150)],
        "label": [f"group{i % 100}" for i in range(150)],
        "speaker": [f"spk-{i}" for i in range(150)],
        "score": ["n/a" if i % 10 == 0 else str(i) for i in range(150)],
        **{f"extra{j}": [f"e{j}-{i % 3}" for i in range(150)] for j in range(6)},
        hostile: [f"h{i}" for i in range(150)],
    })
    table = parse_upload(frame.to_csv(index=False).encode(), "many.csv")
    others = ["speaker", "score", *(f"extra{j}" for j in range(6)), hostile]
    name = ingest_records("many", "hashing-test", build_records(table, "text", "label", others)).collection
    close_all_stores()
    at = run_page({"explore_collection": name, "explore_method": "pca", "explore_k": "4"})
    options = at.selectbox(key="explore_colour").options
    assert {"label", "speaker", "score", hostile} <= set(options) and options[:2] == ["cluster", "label"]
    assert at.selectbox(key="explore_colour").value == "label"
    data = map_data(at)
    assert data["legend"] == [] and len(set(np.frombuffer(base64.b64decode(data["codes"]), dtype=np.uint16).tolist())) == 100
    assert any("100 values of label" in c.value for c in at.caption)
    for column, value in (("speaker", "spk-17"), ("score", "n/a")):
        at.selectbox(key="explore_colour").set_value(column).run()
        assert not at.exception
        data = map_data(at)
        assert data["legend"] == [] and data["values_id"] is None
        assert any(f"{column}: {value}" in h for h in data["hover"])  # hover names the value beyond 6 columns too
    at.selectbox(key="explore_colour").set_value(hostile).run()
    data = map_data(at)
    assert data["legend_title"] == hostile  # set as text in the browser, never parsed as HTML
    assert any(f"{shorten(hostile, 24)}: h3" in h for h in data["hover"])
    note = next(c.value for c in at.caption if "values of" in c.value)
    assert "](http" not in note and "\\[who\\]\\(http\\://e\\.x\\)" in note and "\\<b\\>" in note  # not a link, not HTML


def test_page_and_cli_export_the_map_that_was_shown(hashing_encoder: HashingEncoder, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from embedlab.cli import main
    from embedlab.corpus import load_corpus
    from embedlab.maps.projection import ProjectionParams, project

    name = make_collection()
    at = draw(run_page({"explore_collection": name, "explore_method": "pca", "explore_k": "5"}))
    assert any("embedlab export" in c.value for c in at.caption)
    close_all_stores()
    out = tmp_path / "map.csv"
    assert main(["export", name, "--format", "csv", "--out", str(out), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["projection"]["params"] == {"method": "pca", "dims": 2} and document["projection"]["cached"] is True
    assert document["projection"]["from"] == document["clustering"]["from"] == "the collection's last view"
    assert document["clustering"]["params"]["k"] == 5 and document["clustering"]["clusters"] == 5
    exported = pd.read_csv(out, keep_default_na=False)
    corpus = load_corpus(name)
    shown = project(corpus.vectors, ProjectionParams("pca", 2), digest=corpus.digest).coords
    assert np.allclose(exported[["x", "y"]].to_numpy(), shown, atol=1e-6) and exported["cluster"].nunique() == 5


def test_a_link_with_numbers_out_of_range_is_clamped_not_a_crash(hashing_encoder: HashingEncoder) -> None:
    """Streamlit raises on a widget value outside its bounds; a shared link must not do that."""
    name = make_collection()
    at = run_page({"explore_collection": name, "explore_method": "pca", "explore_k": "999", "explore_topk": "0",
                   "explore_dims": "5", "explore_colour": "no-such-column"})
    warnings = [shown(w.value) for w in at.warning]
    assert any("explore_k=999 from the link is outside 2–200; using 200" in w for w in warnings), warnings
    assert any("explore_topk=0 from the link is outside 1–100; using 1" in w for w in warnings), warnings
    assert any("explore_dims=5" in w for w in warnings), warnings
    assert at.selectbox(key="explore_dims").value == 2 and at.number_input(key="explore_k").value == 200


def test_a_link_with_some_settings_keeps_the_rest_of_the_last_view(hashing_encoder: HashingEncoder) -> None:
    """A hand-written link (?explore_colour=cluster) changes the colour, not the saved map."""
    name = make_collection()
    draw(run_page({"explore_collection": name, "explore_method": "pca", "explore_k": "5", "explore_colour": "label"}))
    at = run_page({"explore_collection": name, "explore_colour": "cluster"})
    assert at.selectbox(key="explore_colour").value == "cluster"
    assert at.selectbox(key="explore_method").value == "pca" and at.number_input(key="explore_k").value == 5


def test_filter_by_value_range_and_pattern_with_counts(hashing_encoder: HashingEncoder) -> None:
    lines = ["text,label,score"] + [f"item {i} about {'flu' if i % 3 == 0 else 'stocks'} words {i % 7},{'ab'[i % 2]},{i}"
                                    for i in range(90)]
    table = parse_upload("\n".join(lines).encode(), "scored.csv")
    name = ingest_records("scored", "hashing-test", build_records(table, "text", "label", ["score"])).collection
    close_all_stores()
    at = run_page({"explore_collection": name, "explore_method": "pca"})
    at.selectbox(key="explore_filter_column").set_value("label").run()
    at.text_input(key="explore_filter_value").set_value("a").run()
    assert any("45 of 90 points where label = 'a'" in shown(c.value) for c in at.caption)
    assert len(map_data(at)["focus"]) == 45
    at.selectbox(key="explore_filter_column").set_value("score")
    at.selectbox(key="explore_filter_mode").set_value("range").run()
    at.text_input(key="explore_filter_low").set_value("10")
    at.text_input(key="explore_filter_high").set_value("19.5").run()
    assert any("10 of 90 points where 10 ≤ score ≤ 19.5" in shown(c.value) for c in at.caption)
    at.text_input(key="explore_filter_high").set_value("lots").run()
    assert any("'lots' is not a number" in shown(e.value) for e in at.error)
    at.selectbox(key="explore_filter_column").set_value("text")
    at.selectbox(key="explore_filter_mode").set_value("regex").run()
    at.text_input(key="explore_filter_pattern").set_value(r"\bFLU\b").run()
    assert any("30 of 90 points where text matches" in shown(c.value) for c in at.caption)  # any case
    at.text_input(key="explore_filter_pattern").set_value("(unclosed").run()
    assert any("is not a valid regular expression" in shown(e.value) for e in at.error)
    assert not at.exception


def test_a_pattern_that_backtracks_is_stopped_not_run_to_the_end() -> None:
    """Nested repeats backtrack exponentially: the server must not hang on a user's pattern."""
    import time

    from embedlab.errors import InputError
    from embedlab.maps.view import match_rows

    texts = ["a" * 40 + "!"] * 50
    started = time.perf_counter()
    with pytest.raises(InputError, match="took more than 2 s"):
        match_rows(texts, pd.DataFrame(index=range(50)), "regex", pattern="(a|aa)+$")
    assert time.perf_counter() - started < 10


@pytest.mark.slow
def test_the_projector_export_loads_in_tensorboard(hashing_encoder: HashingEncoder, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Served by a real TensorBoard: its projector lists the run, reads our vectors byte for byte and
    the metadata with the map's x/y."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    from embedlab.cli import main
    from embedlab.corpus import load_corpus

    name = make_collection()
    out = tmp_path / "logdir"
    assert main(["export", name, "--format", "projector", "--out", str(out), "--method", "pca", "--json"]) == 0
    files = json.loads(capsys.readouterr().out)["files"]
    assert sorted(Path(f).name for f in files) == ["metadata.tsv", "projector_config.pbtxt", "vectors.tsv"]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    board = subprocess.Popen([str(Path(sys.executable).with_name("tensorboard")), "--logdir", str(out), "--port", str(port),
                              "--host", "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    base = f"http://127.0.0.1:{port}/data/plugin/projector"
    try:
        deadline = time.time() + 120
        while True:
            try:
                runs = json.loads(urllib.request.urlopen(f"{base}/runs", timeout=5).read())
                if runs:
                    break
            except OSError:
                pass
            assert time.time() < deadline, "TensorBoard's projector never listed the run"
            time.sleep(1)
        config = json.loads(urllib.request.urlopen(f"{base}/info?run={runs[0]}", timeout=30).read())
        tensor_name = config["embeddings"][0]["tensorName"]
        query = urllib.parse.urlencode({"run": runs[0], "name": tensor_name})
        tensor = np.frombuffer(urllib.request.urlopen(f"{base}/tensor?{query}", timeout=30).read(), dtype=np.float32)
        metadata = urllib.request.urlopen(f"{base}/metadata?{query}", timeout=30).read().decode()
    finally:
        board.terminate()
        board.wait(30)
    corpus = load_corpus(name)
    assert np.allclose(tensor.reshape(len(corpus), -1), corpus.vectors, atol=1e-5)
    header = metadata.splitlines()[0].split("\t")
    assert {"text", "label", "x", "y", "cluster"} <= set(header) and len(metadata.splitlines()) == len(corpus) + 1


def test_a_new_collection_starts_from_the_defaults_not_another_collections_view(hashing_encoder: HashingEncoder) -> None:
    """A new upload once inherited k=9 from the demo collection."""
    from embedlab.maps.clustering import ClusterParams

    name = make_collection()
    at = draw(run_page({"explore_collection": name, "explore_method": "pca", "explore_k": "9", "explore_neighbors": "30"}))
    csv = b"body\n" + b"\n".join(f"note {i} about topic {i % 4} and more words".encode() for i in range(40)) + b"\n"
    at.file_uploader(key="explore_upload").upload("fresh.csv", csv, "text/csv").run()
    at.selectbox(key="explore_upload_model").set_value("hashing-test")
    at.button(key="explore_upload_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.selectbox(key="explore_collection").value != name
    defaults = ClusterParams()
    assert at.number_input(key="explore_k").value == defaults.k and at.number_input(key="explore_neighbors").value == 15
    at.selectbox(key="explore_collection").set_value(name).run()  # back to the first: its own view again
    assert at.number_input(key="explore_k").value == 9 and at.selectbox(key="explore_method").value == "pca"
