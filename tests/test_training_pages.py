"""AppTest of the Train page: training, the unseen-word demo, node embeddings and uploads."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import embedlab  # noqa: F401
from embedlab.backends import backend_names, model_status
from tests.conftest import shown

PAGES = Path(__file__).resolve().parents[1] / "pages"


def page() -> AppTest:
    return AppTest.from_file(str(PAGES / "train.py"), default_timeout=240)


def engine_result(at: AppTest, graph):  # type: ignore[no-untyped-def]
    """The node embedding the page should show: the engine run with the page's own settings."""
    from embedlab.training import embed_graph

    q = at.session_state
    return embed_graph(graph, held_out=float(q["tr_held_out"]), walks_per_node=int(q["tr_walks"]),
                       walk_length=int(q["tr_walk_length"]), p=float(q["tr_p"]), q=float(q["tr_q"]),
                       vector_size=int(q["tr_node_dim"]), epochs=int(q["tr_node_epochs"]), window=int(q["tr_node_window"]),
                       negative=int(q["tr_node_negative"]), seed=int(q["tr_node_seed"]))


def map_faction_accuracy(at: AppTest, factions: set[str]) -> float:
    """From the plotted node map: the share of faction members nearer their own faction's centre
    than the other's (chance: about 0.5)."""
    def decode(values: object) -> np.ndarray:  # plotly 7 writes arrays as base64
        if isinstance(values, dict) and "bdata" in values:
            return np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]))
        return np.asarray(values, dtype=float)

    spec = json.loads(next(c for c in at.get("plotly_chart") if "PCA of" in c.proto.spec).proto.spec)
    points = {t["name"]: np.c_[decode(t["x"]), decode(t["y"])] for t in spec["data"] if t.get("name") in factions}
    assert set(points) == factions
    centres = {name: xy.mean(axis=0) for name, xy in points.items()}
    right = sum(int(min(centres, key=lambda c: np.linalg.norm(p - centres[c])) == name) for name, xy in points.items() for p in xy)
    return right / sum(len(xy) for xy in points.values())


@pytest.mark.slow
def test_demo_trains_a_backend_and_embeds_the_karate_club() -> None:
    at = page().run()
    assert not at.exception
    at.button[0].click().run()
    assert not at.exception and not at.error
    trained = [n for n in backend_names() if n.startswith("trained:word2vec-")]
    assert len(trained) == 1 and trained[0] in at.success[0].value
    assert len(at.dataframe[0].value) == 10  # one row per epoch
    metrics = {m.label: m.value for m in at.metric}
    from embedlab.training import builtin_graph, group_separation

    expected = engine_result(at, builtin_graph("karate"))
    assert metrics["Method"] == "deepwalk" and metrics["Link prediction ROC AUC"] == f"{expected.auc:.3f}"
    # seeded; chance is 0.5. The page's walks of 20 steps give 0.613; DeepWalk's 40 (the engine default) 0.746
    assert float(metrics["Link prediction ROC AUC"]) > 0.6
    assert metrics["Group separation"] == f"{group_separation(expected):+.3f}" and float(metrics["Group separation"]) > 0.1
    assert map_faction_accuracy(at, {"Mr. Hi", "Officer"}) >= 0.9
    # the unseen-word tab: FastText answers from n-grams, Word2Vec cannot
    assert any("never seen in training" in shown(c.value) for c in at.caption)
    assert any("no subwords" in shown(w.value) for w in at.warning)
    assert at.query_params["tr_epochs"] == "10"


def test_upload_tab_refuses_a_pickle_then_adds_real_glove_vectors() -> None:
    import gzip

    from embedlab.packagedata import package_dir

    at = page().run()
    before = set(backend_names())
    uploader = at.file_uploader(key="tr_vectors_file")
    uploader.set_value(("model.kv", b"\x80\x04\x95" + b"\x00" * 40, "application/octet-stream")).run()
    assert not at.exception
    assert any("pickle" in e.value and "refused" in e.value for e in at.error)
    assert set(backend_names()) == before
    glove = (package_dir("gensim") / "test/test_data/test_glove.txt").read_bytes()
    at.file_uploader(key="tr_vectors_file").set_value(("test_glove.txt.gz", gzip.compress(glove), "application/gzip")).run()
    assert not at.exception and not at.error
    added = [n for n in backend_names() if n.startswith("user:test-glove-")]
    assert len(added) == 1 and added[0] in shown(at.success[0].value) and "50-d (glove)" in at.success[0].value
    assert added[0] in set(at.dataframe[-1].value["name"])  # the table of uploaded and trained models


def test_doc2vec_from_the_url_lists_similar_documents() -> None:
    at = page()
    at.query_params.update({"tr_algorithm": "doc2vec", "tr_epochs": "2", "tr_dim": "20", "tr_docs": "120"})
    at.run()
    at.button(key="tr_train").click().run()
    assert not at.exception and not at.error
    assert "trained:doc2vec-" in at.success[0].value and "120 documents" in at.success[0].value
    nearest = next(d.value for d in at.dataframe if "first words" in d.value.columns)
    assert len(nearest) == 5 and 0 not in set(nearest["document"])


def test_uploaded_edge_list_and_uploaded_text_train_from_the_page() -> None:
    import networkx as nx

    karate = nx.karate_club_graph()
    lines = [f"{u} {v} {karate.nodes[u]['club'].replace(' ', '').replace('.', '')}" for u, v in karate.edges]
    at = page()
    # DeepWalk's walk length (40), as the engine's default
    at.query_params.update({"tr_graph": "upload", "tr_corpus": "upload", "tr_epochs": "2", "tr_min_count": "1",
                            "tr_walk_length": "40"})
    at.run()
    at.file_uploader(key="tr_edges").set_value(("karate.txt", "\n".join(lines).encode(), "text/plain"))
    at.button(key="tr_embed").click().run()
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    from embedlab.training import parse_edge_list

    expected = engine_result(at, parse_edge_list("\n".join(lines).encode()))
    assert metrics["Method"] == "deepwalk" and metrics["Link prediction ROC AUC"] == f"{expected.auc:.3f}"
    assert float(metrics["Link prediction ROC AUC"]) > 0.7  # seeded; chance is 0.5
    assert map_faction_accuracy(at, {"MrHi", "Officer"}) >= 0.85  # (groups given on source nodes only)
    from embedlab.packagedata import package_dir

    lee = (package_dir("gensim") / "test/test_data/lee_background.cor").read_bytes()
    at.file_uploader(key="tr_text").set_value(("lee.txt", lee, "text/plain"))
    at.button(key="tr_train").click().run()
    assert not at.exception and not at.error
    assert "from 300 documents" in at.success[0].value
    at.file_uploader(key="tr_text").set_value(("bad.txt", b"\x00\x01binary", "application/octet-stream"))
    at.button(key="tr_train").click().run()
    assert not at.exception and any("binary file" in e.value for e in at.error)


def test_fasttext_from_the_page_answers_unseen_words_and_can_be_removed() -> None:
    """A probe word the model lacks must not hide the download; the trained FastText keeps its
    n-grams for the unseen-word tab; the model can be removed from the page."""
    at = page()
    at.query_params.update({"tr_algorithm": "fasttext", "tr_epochs": "2", "tr_dim": "20", "tr_docs": "60",
                            "tr_min_n": "2", "tr_max_n": "4", "tr_sg": "CBOW"})
    at.run()
    at.button(key="tr_train").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    name = next(n for n in backend_names() if n.startswith("trained:fasttext-"))
    at.text_input(key="tr_probe").set_value("zzqqxx").run()
    assert not at.exception and not at.error
    assert any("'zzqqxx' is not among the" in i.value for i in at.info)
    assert at.get("download_button") and at.get("download_button")[0].proto.label.startswith("Download")
    at.selectbox(key="tr_oov_model").set_value(name)
    at.text_input(key="tr_oov_word").set_value("governmentalism")
    at.button(key="tr_oov_go").click().run()
    assert not at.exception and not at.error
    assert any("never seen in training" in shown(c.value) and "n-gram" in shown(c.value) for c in at.caption)
    at.selectbox(key="tr_remove_model").set_value(name)
    at.checkbox(key="tr_remove_sure").check().run()
    at.button(key="tr_remove").click().run()
    assert not at.exception and name not in backend_names()
    assert any(f"Removed {name}" in s.value for s in at.success)


def test_doc2vec_pv_dbow_and_node_window_from_the_url() -> None:
    at = page()
    at.query_params.update({"tr_algorithm": "doc2vec", "tr_dm": "PV-DBOW", "tr_epochs": "2", "tr_dim": "16", "tr_docs": "80",
                            "tr_node_window": "3", "tr_node_negative": "2", "tr_node_epochs": "2"})
    at.run()
    at.button(key="tr_train").click().run()
    assert not at.exception and not at.error
    assert "dm=0" in next(r.description for r in model_status() if r.name.startswith("trained:doc2vec-"))
    at.button(key="tr_embed").click().run()
    assert not at.exception and not at.error
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download node vectors (word2vec text format)" in labels


def test_a_graph_too_small_to_evaluate_shows_why_not_a_crash() -> None:
    """A triangle has one group and no non-edge: separation and AUC are '—' with the reason."""
    at = page()
    at.query_params.update({"tr_graph": "upload"})
    at.run()
    at.file_uploader(key="tr_edges").set_value(("triangle.txt", b"a b\nb c\nc a\n", "text/plain"))
    at.button(key="tr_embed").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    metrics = {m.label: m for m in at.metric}
    assert metrics["Group separation"].value == "—" and metrics["Link prediction ROC AUC"].value == "—"
    assert "Not computed" in metrics["Group separation"].help and "Not computed" in metrics["Link prediction ROC AUC"].help


def test_an_upload_removed_then_uploaded_again_is_added_again(embedlab_home: Path) -> None:
    """A cache around the upload once answered a second upload of the same file with "Added"
    while nothing was added or saved."""
    from embedlab.packagedata import package_dir

    glove = (package_dir("gensim") / "test/test_data/test_glove.txt").read_bytes()
    saved = embedlab_home / "wordvectors"
    at = page().run()
    at.file_uploader(key="tr_vectors_file").set_value(("test_glove.txt", glove, "text/plain")).run()
    name = next(n for n in backend_names() if n.startswith("user:test-glove-"))
    assert len(list(saved.glob("*.w2v"))) == 1
    at.selectbox(key="tr_remove_model").set_value(name)
    at.checkbox(key="tr_remove_sure").check().run()
    at.button(key="tr_remove").click().run()
    assert not at.exception and name not in backend_names() and not list(saved.glob("*.w2v"))
    at.file_uploader(key="tr_vectors_file").set_value(None).run()  # the user clears the uploader...
    at.file_uploader(key="tr_vectors_file").set_value(("test_glove.txt", glove, "text/plain")).run()  # ...and uploads again
    assert not at.exception and not at.error
    assert name in backend_names() and len(list(saved.glob("*.w2v"))) == 1
    assert name in shown(at.success[0].value)
