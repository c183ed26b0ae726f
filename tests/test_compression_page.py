"""The Compression page under AppTest: evaluate a labelled collection, the table equals the
engine's figures, the chart has one point per scheme, the view comes back from a link, and the
dot-versus-cosine example shows both lists."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from embedlab.analysis import compression as comp
from embedlab.backends.hashing import HashingEncoder
from embedlab.corpus import load_corpus
from embedlab.ingest import build_records, ingest_records, parse_upload
from embedlab.store import close_all_stores

REPO = Path(__file__).resolve().parents[1]
PAGE = str(REPO / "pages" / "compression.py")


def make_collection() -> str:
    topics = ("bank rates markets stocks", "goal match team coach", "flu vaccine doctor hospital")
    lines = ["text,label"] + [f"{topics[i % 3]} story {i} number {i * 7},t{i % 3}" for i in range(90)]
    report = ingest_records("stories", "hashing-test", build_records(parse_upload("\n".join(lines).encode(), "s.csv"), "text", "label", []))
    close_all_stores()  # the page opens its own store, as the server does
    return report.collection


def decode(values: object) -> list:
    if isinstance(values, dict) and "bdata" in values:
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"])).tolist()
    return list(values)


@pytest.mark.slow  # GloVe (the dot-versus-cosine section) loads once per process
def test_evaluate_a_collection_and_reopen_it_from_its_link(hashing_encoder: HashingEncoder) -> None:
    name = make_collection()
    at = AppTest.from_file(PAGE, default_timeout=300).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="cmp_collection").value == name
    at.multiselect(key="cmp_pick").set_value(["float32", "int8", "binary", "pca-32"]).run()
    at.number_input(key="cmp_queries").set_value(40).run()
    next(b for b in at.button if b.label == "Evaluate (cached)").click().run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert table["scheme"].tolist() == ["float32", "int8", "binary", "pca-32", "int8+rescore", "binary+rescore", "pca-32+rescore"]
    expected = comp.evaluate_corpus(load_corpus(name), table["scheme"].tolist(), queries=40)
    close_all_stores()
    assert table["recall@10"].tolist() == [round(r.recall, 4) for r in expected.results]
    assert table["bytes / vector"].tolist()[:3] == [256.0, round(64 + 2 * 64 * 4 / 90, 1), 8.0]
    assert table["accuracy"].notna().all()
    chart = at.get("plotly_chart")[0].proto.spec
    import json

    traces = json.loads(chart)["data"]
    assert [len(decode(t["x"])) for t in traces] == [4, 3]  # compressed only; re-scored
    assert at.query_params["cmp_run"] == "true" and at.query_params["cmp_schemes"] == "float32,int8,binary,pca-32"

    # the dot-versus-cosine example: GloVe's "good" disagrees most among the demo words
    assert any(m.value == "good" for m in at.metric)
    dot, cosine = at.dataframe[1].value, at.dataframe[2].value
    assert len(dot) == len(cosine) == 10 and "you" in dot["word"].tolist()

    # a shared link opens the same view
    again = AppTest.from_file(PAGE, default_timeout=300)
    again.query_params.update({key: at.query_params[key] for key in at.query_params})
    again.run()
    assert not again.exception
    assert again.dataframe[0].value["recall@10"].tolist() == table["recall@10"].tolist()
    assert again.multiselect(key="cmp_pick").value == ["float32", "int8", "binary", "pca-32"]


def test_without_collections_the_page_says_what_to_do() -> None:
    at = AppTest.from_file(PAGE, default_timeout=300)
    at.query_params.update({"cmp_word": "zzzznotaword"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("No collection yet" in i.value for i in at.info)
    assert any("zzzznotaword" in e.value for e in at.error)  # out of vocabulary, said plainly
