"""Views that rest on an upload survive a reload and open from their link (issue 22, defect 2):
each page below is given a file through its uploader, and the same view is then opened in a new
session from the page's link alone (no upload: what a reload or a new tab does). The file is kept
on the server by its content (``embedlab.links.keep_file``); a link made elsewhere asks for it."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

PAGES = Path(__file__).resolve().parents[1] / "pages"


def page(name: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=240)
    at.query_params.update(params)
    return at


def from_link(at: AppTest, name: str) -> AppTest:
    """The page opened afresh from ``at``'s current link (a reload, a shared link in a new tab)."""
    return page(name, **{key: at.query_params[key] for key in at.query_params}).run()


def frames(at: AppTest) -> list:
    return [d.value.reset_index(drop=True) for d in at.dataframe]


def ok(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def asks_again(name: str, **params: str) -> None:
    elsewhere = page(name, **params).run()
    assert not elsewhere.exception
    assert any("not on this server" in w.value and "upload it again" in w.value for w in elsewhere.warning), \
        [w.value for w in elsewhere.warning]


def test_crosslingual_pairs_from_a_file(hashing_encoder) -> None:
    at = page("crosslingual", xl_model="hashing-test", xl_compare="false").run()
    pairs = "\n".join(f"the {w} is red\tdas {w} ist rot" for w in ("house", "car", "dog", "tree", "book")) + "\n"
    at.file_uploader(key="xl_pair_file").upload("pairs.tsv", pairs.encode(), "text/tab-separated-values")
    at.run()
    ok(at)
    scores = at.dataframe[0].value  # the pair scores
    assert scores["pairs"].tolist() == [5]
    again = from_link(at, "crosslingual")
    ok(again)
    assert again.dataframe[0].value.equals(scores)
    asks_again("crosslingual", xl_model="hashing-test", xl_compare="false", xl_file="0" * 32)


@pytest.mark.slow  # GloVe loads once per process
def test_analogies_batch_from_a_file() -> None:
    at = page("analogies", an_model="glove-6b-50d", an_mode="batch").run()
    at.file_uploader(key="an_batch_file").upload("mine.txt", b"man king woman queen\nparis france tokyo japan\nwalk walked run ran\n",
                                                 "text/plain")
    at.run()
    ok(at)
    metrics = [(m.label, m.value) for m in at.metric]
    assert ("Analogies scored", "3") in metrics
    again = from_link(at, "analogies")
    ok(again)
    assert [(m.label, m.value) for m in again.metric] == metrics
    asks_again("analogies", an_model="glove-6b-50d", an_mode="batch", an_file="0" * 32)


def test_train_node_embedding_of_an_uploaded_edge_list() -> None:
    edges = "\n".join(f"n{i} n{(i * 7 + 3) % 30} {'a' if i < 15 else 'b'}" for i in range(30)) + "\n" + \
        "\n".join(f"n{i} n{(i + 1) % 30}" for i in range(30)) + "\n"
    at = page("train", tr_graph="upload").run()
    at.file_uploader(key="tr_edges").upload("club.txt", edges.encode(), "text/plain")
    at.run()
    at.button(key="tr_embed").click().run()
    ok(at)
    metrics = [(m.label, m.value) for m in at.metric]
    assert any(label == "Link prediction ROC AUC" for label, _ in metrics), metrics
    again = from_link(at, "train")
    ok(again)
    assert [(m.label, m.value) for m in again.metric] == metrics  # the same seeded run on the kept file
    asks_again("train", tr_graph="upload", tr_edges_file="0" * 32, tr_nodes_shown="true")


def test_bias_sets_from_an_uploaded_file() -> None:
    sets = (b"tools: hammer, saw, drill, wrench, chisel\nweapons: gun, sword, knife, rifle, spear\n"
            b"calm: peace, calm, quiet, gentle, rest\nangry: war, fight, anger, rage, attack\n")
    at = page("bias", bias_test="custom", bias_model="glove-6b-50d").run()
    at.file_uploader(key="bias_upload").upload("sets.txt", sets, "text/plain")
    at.run()
    for role, name in zip(("X", "Y", "A", "B"), ("tools", "weapons", "calm", "angry"), strict=True):
        at.selectbox(key=f"bias_set_{role}").set_value(f"upload:{name}")
    at.run()
    ok(at)
    effect = [(m.label, m.value) for m in at.metric]
    assert effect and at.query_params["bias_set_X"] == "upload:tools"
    again = from_link(at, "bias")
    ok(again)
    assert [(m.label, m.value) for m in again.metric] == effect
    assert again.selectbox(key="bias_set_Y").value == "upload:weapons"


@pytest.mark.slow  # EfficientNet-Lite0 on the gallery of the warm home
def test_images_search_by_an_uploaded_picture(warm_home: Path) -> None:
    from embedlab import datasets

    coffee = next(item for item in datasets.images("gallery") if item.name == "coffee")
    at = page("images", img_mode="Image → image", img_backend="efficientnet-lite0").run()
    at.file_uploader(key="img_query_file").upload("my-coffee.png", coffee.data, "image/png")
    at.run()
    ok(at)
    names = [m.value for m in at.markdown if m.value.startswith("**1.")]
    assert names and "coffee" in names[0]
    again = from_link(at, "images")
    ok(again)
    assert [m.value for m in again.markdown if m.value.startswith("**1.")] == names
