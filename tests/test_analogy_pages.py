"""AppTest of the Analogies and Evaluate pages: real GloVe, values read back, URL state, errors."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import embedlab  # noqa: F401
from embedlab.analysis.analogy import solve_analogy
from embedlab.analysis.evaluation import evaluate_similarity

PAGES = Path(__file__).resolve().parents[1] / "pages"


def page(name: str) -> AppTest:
    return AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=240)


def decode(values: object) -> np.ndarray:
    """plotly 7 writes arrays as {'dtype', 'bdata'} (base64)."""
    if isinstance(values, dict) and "bdata" in values:
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]))
    return np.asarray(values)


@pytest.mark.slow
def test_analogy_demo_shows_queen_the_failure_and_the_picture() -> None:
    at = page("analogies").run()
    assert not at.exception and "Guided demo" in at.info[0].value
    at.button[0].click().run()
    assert not at.exception and not at.error
    answers = at.dataframe[0].value
    expected = solve_analogy("glove-6b-50d", "man", "king", "woman", k=10)
    assert list(answers["word"]) == [a.word for a in expected.answers]
    assert answers["score"].iloc[0] == pytest.approx(expected.answers[0].score, abs=1e-4)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rank of 'queen'"] == "1" and metrics["Score of 'queen'"] == f"{expected.answers[0].score:.4f}"
    demo = at.dataframe[1].value.set_index("expected")
    assert demo.loc["queen", "top answer"] == "queen" and demo.loc["japan", "top answer"] == "japan"
    assert demo.loc["tree", "top answer"] != "tree" and demo.loc["tree", "expected rank"] > 1
    chart = at.get("plotly_chart")[0].proto.spec
    import json

    spec = json.loads(chart)
    names = [trace.get("name") for trace in spec["data"]]
    assert {"a", "b", "c", "answer"} <= set(names)
    assert len(spec["layout"]["annotations"]) == 2  # the two arrows
    assert at.query_params["an_a"] == "man" and at.query_params["an_expected"] == "queen"


@pytest.mark.slow
def test_unrestricted_ranking_from_the_url_warns_and_unknown_words_are_named() -> None:
    at = page("analogies")
    at.query_params.update({"an_model": "glove-6b-50d", "an_a": "man", "an_b": "king", "an_c": "woman",
                            "an_exclude": "false", "an_k": "3"})
    at.run()
    assert not at.exception
    assert at.dataframe[0].value["word"].iloc[0] == "king"
    assert any("one of the inputs" in w.value for w in at.warning)
    at.text_input[1].set_value("qqzzxx").run()
    assert not at.exception and any("qqzzxx" in e.value for e in at.error)


def test_batch_mode_counts_and_lists_misses() -> None:
    at = page("analogies")
    at.query_params.update({"an_model": "glove-6b-50d", "an_mode": "batch"})
    at.run()
    at.text_area[0].set_value("man king woman queen\nfinger hand leaf tree\nman king woman zzqqxx\n").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Analogies scored"] == "2" and metrics["Skipped (unknown words)"] == "1"
    assert float(metrics["Accuracy (top-1, inputs excluded)"]) == pytest.approx(0.5)
    misses = at.dataframe[0].value
    assert list(misses["expected"]) == ["tree"] and list(misses["line"]) == [2]
    at.text_area[0].set_value("man king woman\n").run()
    assert any("Line 1" in e.value for e in at.error)


@pytest.mark.slow
def test_evaluate_demo_figures_equal_the_engine() -> None:
    at = page("evaluate").run()
    assert not at.exception
    table = at.dataframe[0].value.set_index("benchmark")
    ws = evaluate_similarity("glove-6b-50d", "ws353")
    assert table.loc["ws353", "Spearman ρ"] == pytest.approx(ws.spearman, abs=1e-4)
    assert set(table.index) == {"ws353", "simlex999", "men", "rw", "mturk771", "rg"}
    at.button[0].click().run()
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Questions used"] == "14,877" and metrics["Accuracy"] == "0.497"  # gensim's figures
    assert at.query_params["ev_run"] == "true" and at.session_state["ev_restrict"] == 30000
    assert "ev_restrict" not in at.query_params  # the default stays out of the link


def test_evaluate_a_tiny_uploaded_model_explains_what_cannot_be_scored() -> None:
    from embedlab.wordvec_upload import load_word_vectors

    _, report = load_word_vectors(b"king 1 0 1\nqueen 0 1 1\nman 1 0 0\nwoman 0 1 0\n", "tiny.txt", persist=False)
    at = page("evaluate")
    at.query_params.update({"ev_model": report.name, "ev_run": "true", "ev_restrict": "30000"})
    at.run()
    assert not at.exception and not at.error
    assert sum("pairs of" in w.value for w in at.warning) == 6  # every similarity benchmark explained
    from embedlab.analysis.evaluation import evaluate_analogies

    engine = evaluate_analogies(report.name, "google")
    assert engine.n == 2  # only the family questions built from these four words
    assert {m.label: m.value for m in at.metric}["Questions used"] == str(engine.n)
    assert any("capital-world" in w.value for w in at.warning)  # empty sections are named


@pytest.mark.slow
def test_a_model_trained_by_the_cli_in_another_process_is_listed_and_usable(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [str(Path(sys.executable).parent / "embedlab"), "train", "word2vec", "--dim", "16", "--epochs", "2", "--out",
         str(tmp_path / "lee.txt"), "--json"],
        capture_output=True, text=True, env=os.environ.copy(), timeout=300, check=True,
    )
    name = json.loads(done.stdout)["name"]
    at = page("analogies")
    at.query_params.update({"an_model": name, "an_a": "man", "an_b": "he", "an_c": "woman", "an_k": "3"})
    at.run()
    assert not at.exception and not at.error
    assert name in at.selectbox[0].options and at.selectbox[0].value == name
    assert len(at.dataframe[0].value) == 3


@pytest.mark.slow
def test_the_demo_table_of_four_analogies_comes_back_from_its_link() -> None:
    """Issue 22 defect 3: a reload or the link of the guided demo lost the table of four analogies."""
    at = page("analogies").run()
    at.button[0].click().run()
    again = page("analogies")
    again.query_params.update({key: at.query_params[key] for key in at.query_params})
    again.run()
    assert not again.exception and not again.error
    assert len(again.dataframe) == 2 and again.dataframe[1].value.equals(at.dataframe[1].value)
    assert [s.value for s in again.subheader] == [s.value for s in at.subheader]
