"""AppTest of the Train page: training, the unseen-word demo, node embeddings and uploads."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import embedlab  # noqa: F401
from embedlab.backends import backend_names, model_status, unregister
from tests.conftest import shown

PAGES = Path(__file__).resolve().parents[1] / "pages"


@pytest.fixture(autouse=True)
def forget_models():  # type: ignore[no-untyped-def]
    yield
    for name in backend_names():
        if name.startswith(("trained:", "user:")):
            unregister(name)


def page() -> AppTest:
    return AppTest.from_file(str(PAGES / "train.py"), default_timeout=240)


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
    assert metrics["Method"] == "deepwalk" and 0.0 <= float(metrics["Link prediction ROC AUC"]) <= 1.0
    assert float(metrics["Group separation"]) > 0
    # the unseen-word tab: FastText answers from n-grams, Word2Vec cannot
    assert any("never seen in training" in shown(c.value) for c in at.caption)
    assert any("no subwords" in shown(w.value) for w in at.warning)
    assert at.query_params["tr_epochs"] == "10"


def test_upload_tab_refuses_a_pickle_then_adds_real_glove_vectors() -> None:
    import gzip

    from embedlab.backends.words import package_dir

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
    assert len(added) == 1 and added[0] in at.success[0].value and "50-d (glove)" in at.success[0].value
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
    at.query_params.update({"tr_graph": "upload", "tr_corpus": "upload", "tr_epochs": "2", "tr_min_count": "1"})
    at.run()
    at.file_uploader(key="tr_edges").set_value(("karate.txt", "\n".join(lines).encode(), "text/plain"))
    at.button(key="tr_embed").click().run()
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Method"] == "deepwalk" and 0.0 <= float(metrics["Link prediction ROC AUC"]) <= 1.0
    from embedlab.backends.words import package_dir

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
    at.text_input(key="tr_oov_word").set_value("governmentalism").run()
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
