"""Downstream evaluation beyond the core: the TF-IDF baseline fitted inside each fold (equal to
scikit-learn's own pipeline under cross_val_score), mean word vectors checked by hand, the
datasets (stratified cap, upload, collection), the disk cache, the rank agreement, the CLI's
JSON, the page, and one real-data check on news."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from embedlab.analysis import downstream as ds
from embedlab.analysis.downstream import (
    ClassifierScores,
    Comparison,
    IntrinsicScores,
    RepresentationResult,
    cross_validate,
    mean_word_vectors,
    rank_agreement,
    tfidf_model,
)
from embedlab.errors import InputError
from tests.conftest import shown

REPO = Path(__file__).resolve().parents[1]
TOPICS = {
    "sport": ["the match ended with a late goal", "our striker scored twice in the final", "the coach praised the team",
              "fans cheered the winning goal", "the league title race is close", "a penalty decided the cup tie"],
    "money": ["the bank raised interest rates", "shares fell as markets opened", "inflation hit a ten year high",
              "investors sold bonds and stocks", "the central bank cut rates again", "profits rose at the lender"],
    "food": ["bake the bread for forty minutes", "add salt and pepper to the soup", "the chef grilled fresh fish",
             "stir the sauce until it thickens", "serve the cake with cream", "roast the vegetables in olive oil"],
}


def _texts(repeat: int = 3) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for copy in range(repeat):
        for label, lines in TOPICS.items():
            for number, line in enumerate(lines):
                texts.append(f"{line} story {copy}{number}")
                labels.append(label)
    return texts, labels


def _labelled_csv(repeat: int = 3) -> bytes:
    texts, labels = _texts(repeat)
    return ("text,topic\n" + "\n".join(f'"{t}",{label}' for t, label in zip(texts, labels, strict=True)) + "\n").encode()


def test_tfidf_baseline_equals_scikit_learns_pipeline_under_cross_val_score() -> None:
    """cross_val_score clones and fits the whole pipeline on each training fold, so its figures are
    those of a vectoriser that never saw the test fold; ours must be the same, fold by fold."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline

    texts, labels = _texts()
    ours = cross_validate(texts, labels, folds=3, seed=4, model=tfidf_model)
    pipeline = make_pipeline(TfidfVectorizer(sublinear_tf=True), LogisticRegression(max_iter=2000))
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=4)
    theirs = cross_val_score(pipeline, np.array(texts, dtype=object), np.array(labels), cv=folds, scoring="accuracy")
    assert ours.fold_accuracy == pytest.approx(tuple(theirs))
    assert ours.accuracy > 0.5  # three topics: well above a third


def test_a_word_seen_only_in_the_test_fold_does_not_help() -> None:
    """Each text's only clue is a word unique to it: a vectoriser fitted on all texts would still
    learn nothing from it, but one fitted on the test fold could. Fold-fitted TF-IDF scores chance."""
    labels = ["a", "b"] * 20
    texts = [f"common filler unique{i}" for i in range(40)]
    scores = cross_validate(texts, labels, folds=5, seed=0, model=tfidf_model)
    assert scores.accuracy <= 0.6


def _tiny_words():
    from gensim.models import KeyedVectors

    from embedlab.backends.words import KeyedWordVectors

    kv = KeyedVectors(vector_size=2)
    kv.add_vectors(["the", "cat", "dog", "don"], np.array([[1, 1], [1, 0], [0, 1], [4, 2]], dtype=np.float32))
    return KeyedWordVectors("tiny", kv)


def test_mean_word_vectors_by_hand() -> None:
    vectors, coverage = mean_word_vectors(_tiny_words(), ["The cat, the DOG!", "Zebra zebra", "don't"])
    # The, cat, the, DOG → the, cat, the, dog (lower-case vocabulary): ([1,1]+[1,0]+[1,1]+[0,1]) / 4
    assert vectors[0].tolist() == pytest.approx([0.75, 0.75])
    assert vectors[1].tolist() == [0.0, 0.0]  # no known word: the zero vector, counted below
    assert vectors[2].tolist() == pytest.approx([4.0, 2.0])  # don't → don, t; t is unknown
    assert coverage.tokens == 4 + 2 + 2
    assert coverage.oov_tokens == 3 and coverage.rows_without_known_word == 1 and coverage.lowercased


def test_mean_word_vectors_ignore_word_order_bit_for_bit() -> None:
    """The word-order comparison (Contextual page) needs cosine exactly 1.0 for reordered texts:
    the same words in another order give the same bits, with repeats and unknown words."""
    from gensim.models import KeyedVectors

    from embedlab.backends.words import KeyedWordVectors

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(200)]
    kv = KeyedVectors(vector_size=16)
    kv.add_vectors(words, (rng.standard_normal((200, 16)) * 10.0 ** rng.integers(-8, 4, (200, 1))).astype(np.float32))
    tokens = [*rng.choice(words, 60).tolist(), "unknownword", "w7", "w7"]
    shuffled = [tokens[i] for i in rng.permutation(len(tokens))]
    vectors, coverage = mean_word_vectors(KeyedWordVectors("random", kv), [" ".join(tokens), " ".join(shuffled)])
    assert vectors[0].tobytes() == vectors[1].tobytes()
    assert coverage.oov_tokens == 2
    expected = np.mean([kv[t].astype(np.float64) for t in tokens if t != "unknownword"], axis=0)
    assert vectors[0] == pytest.approx(expected, rel=1e-5)


def test_a_large_dataset_is_a_stratified_sample_and_the_note_says_so() -> None:
    from embedlab import datasets

    full = Counter(datasets.text_frame("healthtweets")["label"])
    data = ds.builtin_data("healthtweets", max_rows=1600, seed=0)
    assert data.rows == 1600 and data.total_rows == 63326
    assert "stratified sample of 1,600 of 63,326" in data.note
    sampled = Counter(data.labels)
    for label, count in full.items():
        assert abs(sampled[label] - count * 1600 / 63326) <= 1
    assert ds.builtin_data("healthtweets", max_rows=1600, seed=0).texts == data.texts
    assert ds.builtin_data("healthtweets", max_rows=1600, seed=1).texts != data.texts
    with pytest.raises(InputError, match="no labels"):
        ds.builtin_data("lee")


def test_rare_labels_are_left_out_and_named() -> None:
    data = ds.builtin_data("commons")
    kept = ds.without_rare_labels(data, 5)
    assert set(data.label_counts()) - set(kept.label_counts()) == {"GPEW", "Independent", "other"}
    assert "GPEW (2)" in kept.note and kept.rows == 991


def test_scores_are_cached_on_disk_by_content_and_seed(hashing_encoder) -> None:
    data = ds.upload_data(_labelled_csv(), "topics.csv", "topic")
    first = ds.evaluate_representation(data, "hashing-test", folds=3, seed=0)
    calls = hashing_encoder.calls
    again = ds.evaluate_representation(data, "hashing-test", folds=3, seed=0)
    assert not first.cached and again.cached and hashing_encoder.calls == calls
    assert again.scores.fold_accuracy == first.scores.fold_accuracy
    assert np.array_equal(again.scores.confusion, first.scores.confusion)
    other = ds.evaluate_representation(data, "hashing-test", folds=3, seed=1)
    assert not other.cached


def test_a_collection_is_compared_on_its_stored_vectors(hashing_encoder) -> None:
    from embedlab.ingest import ingest_upload
    from embedlab.store import open_store

    ingest_upload(_labelled_csv(), "topics.csv", "topics", "hashing-test", text_column="text", label_column="topic")
    info = open_store().collections()[0]
    data = ds.collection_data(info.name)
    assert data.rows == 54 and data.vectors is not None and "stored" in ds.representations(data)
    comparison = ds.compare(data, ["stored", "tfidf"], folds=3, seed=0)
    # the stored vectors are the hashing encoder's vectors of the stored texts
    expected = cross_validate(hashing_encoder.encode(list(data.texts)), data.labels, folds=3, seed=0)
    assert comparison.result("stored").scores.fold_accuracy == pytest.approx(expected.fold_accuracy)


def _comparison(accuracy: dict[str, float]) -> Comparison:
    def result(name: str, value: float) -> RepresentationResult:
        scores = ClassifierScores(name, value, 0.0, value, 0.0, (value,), (value,), ("a", "b"), np.eye(2, dtype=int), 2, 0,
                                  10, 4, 0.0)
        return RepresentationResult(name, "words", scores, "all words", 0.0)

    return Comparison("x", "x", "", 10, {"a": 5, "b": 5}, 2, 0, tuple(result(n, v) for n, v in accuracy.items()))


def test_rank_agreement_says_whether_the_orders_match() -> None:
    intrinsic = [IntrinsicScores(n, {"ws353": v, "simlex999": None}, None, "") for n, v in (("a", 0.7), ("b", 0.5), ("c", 0.3))]
    intrinsic.append(IntrinsicScores("tfidf", {"ws353": None, "simlex999": None}, None, "no word score"))
    same = rank_agreement(_comparison({"a": 0.9, "b": 0.8, "c": 0.6, "tfidf": 0.95}), intrinsic)
    assert same.representations == ("a", "b", "c") and same.kendall == pytest.approx(1.0)
    assert same.verdict.startswith("They agree")
    flipped = rank_agreement(_comparison({"a": 0.6, "b": 0.8, "c": 0.9}), intrinsic)
    assert flipped.kendall == pytest.approx(-1.0) and flipped.spearman == pytest.approx(-1.0)
    assert flipped.verdict.startswith("They disagree") and "by accuracy: c > b > a" in flipped.verdict
    few = rank_agreement(_comparison({"a": 0.6, "tfidf": 0.9}), intrinsic)
    assert few.spearman is None and "at least 3" in few.verdict


def test_cli_json_shape_and_errors(hashing_encoder, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from embedlab.cli import main

    upload = tmp_path / "topics.csv"
    upload.write_bytes(_labelled_csv())
    code = main(["eval-classify", str(upload), "--label-column", "topic", "--model", "hashing-test", "tfidf",
                 "--folds", "3", "--json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 0 and list(document) == ["hashing-test", "tfidf"]
    # scikit-learn's own pipelines under cross_val_score on the same seeded folds (seed 0, the default)
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    texts, labels = _texts()
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    inputs = {"hashing-test": (make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)), hashing_encoder.encode(texts)),
              "tfidf": (make_pipeline(TfidfVectorizer(sublinear_tf=True), LogisticRegression(max_iter=2000)), np.array(texts, dtype=object))}
    for name, scores in document.items():
        pipeline, features = inputs[name]
        for metric, scoring in (("accuracy", "accuracy"), ("macro_f1", "f1_macro")):
            expected = cross_val_score(pipeline, features, np.array(labels), cv=folds, scoring=scoring).mean()
            assert scores[metric] == pytest.approx(expected, abs=1e-9), (name, metric)
        assert scores["folds"] == 3 and scores["rows"] == 54 and np.sum(scores["confusion"]) == 54
        assert np.trace(scores["confusion"]) == pytest.approx(scores["accuracy"] * 54)  # equal folds of 18
    assert document["hashing-test"]["dim"] == 64
    assert main(["eval-classify", str(upload), "--model", "tfidf", "--json"]) == 2
    assert "--label-column" in capsys.readouterr().err
    assert main(["eval-classify", "no-such-thing", "--json"]) == 2
    assert "neither a built-in labelled dataset" in capsys.readouterr().err


def test_page_compares_an_uploaded_file_and_keeps_its_state(hashing_encoder) -> None:
    from embedlab.analysis.downstream import upload_data
    from embedlab.links import keep_file

    at = AppTest.from_file(str(REPO / "pages/downstream.py"), default_timeout=120)
    at.query_params.update({"ds_source": "upload", "ds_file": keep_file(_labelled_csv(), "topics.csv"),
                            "ds_models": "hashing-test,tfidf", "ds_folds": "3", "ds_run": "true", "ds_confusion": "tfidf"})
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    table = at.dataframe[0].value.set_index("representation")
    # issue 22 defect 8: a missing value (TF-IDF has no fixed dimension) read "None" in its cell
    assert table.isna().to_numpy().any() and all(d.proto.placeholder == "—" for d in at.dataframe[:2])
    data = upload_data(_labelled_csv(), "topics.csv", "topic", text_column="text")
    expected = cross_validate(list(data.texts), data.labels, folds=3, seed=0, model=tfidf_model)
    assert table.loc["tfidf", "accuracy"] == pytest.approx(expected.accuracy, abs=1e-4)
    assert at.selectbox(key="ds_label_column").value == "topic"
    assert at.query_params["ds_models"] == "hashing-test,tfidf" and at.query_params["ds_confusion"] == "tfidf"
    chart = at.get("plotly_chart")
    heat = next(json.loads(c.proto.spec) for c in chart if "confusion" in c.proto.id)
    assert heat["data"][0]["x"] == ["food", "money", "sport"]
    assert any("at least 3" in i.value for i in at.info)  # one word model-free comparison: no ranking
    # issue 22 defect 2: the view rests on the upload, kept by content: its link opens it (above), and a link made
    # on another server says the file must be given again
    assert any("Using the labelled file uploaded before: topics.csv" in shown(c.value) for c in at.caption)
    elsewhere = AppTest.from_file(str(REPO / "pages/downstream.py"), default_timeout=120)
    elsewhere.query_params.update({"ds_source": "upload", "ds_file": "0" * 32, "ds_run": "true"})
    elsewhere.run()
    assert not elsewhere.exception and not elsewhere.dataframe
    assert any("not on this server" in w.value and "upload it again" in w.value for w in elsewhere.warning)


@pytest.mark.slow
def test_news_sample_every_representation_beats_the_majority_class_clearly() -> None:
    """A 400-row stratified news sample: MiniLM, mean GloVe and TF-IDF all beat always guessing the
    biggest outlet by a wide margin (the majority rate counted here from the labels)."""
    data = ds.builtin_data("news", max_rows=400, seed=0)
    majority = max(Counter(data.labels).values()) / data.rows
    assert 0.1 < majority < 0.2  # 9 outlets, the biggest about 15%
    comparison = ds.compare(data, ["minilm", "glove-6b-50d", "tfidf"], folds=5, seed=0)
    for result in comparison.results:
        assert result.scores.accuracy > majority + 0.25, (result.name, result.scores.accuracy, majority)
    assert comparison.result("glove-6b-50d").coverage.oov_share < 0.05  # type: ignore[union-attr]


@pytest.mark.slow
def test_a_sentence_model_is_scored_on_word_benchmarks_by_encoding_each_word() -> None:
    """MiniLM encoding each WS353 word alone: ρ 0.729, the figure ASSETS.md records for it."""
    scores = ds.intrinsic_scores("minilm")
    assert scores.similarity["ws353"] == pytest.approx(0.729, abs=0.001)
    assert scores.google is None and 0.3 < scores.similarity["simlex999"] < 0.6  # type: ignore[operator]


def test_the_selector_shows_what_the_demo_computes_and_run_keeps_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """After the guided demo the selector showed 3 representations while 7 were computed, and Run
    without touching anything dropped to 3: the browser keeps showing (and sends back) a
    multiselect's old value unless the run tells it the new one (``set_value``). The browser is
    played here from the protos: it keeps its value unless told."""
    import streamlit as st

    from embedlab.ui import downstream_view

    ran: list[list[str]] = []

    def comparison(data, names, folds, seed, *rest):  # the comparison itself is tested above; here only what it is given
        ran.append(list(names))
        st.stop()

    monkeypatch.setattr(downstream_view, "run_comparison", comparison)
    at = AppTest.from_file(str(REPO / "pages/downstream.py"), default_timeout=120).run()
    shown = list(at.multiselect(key="ds_models_pick").value)
    assert shown == ["minilm", "glove-6b-50d", "tfidf"]

    def browser_value(before: list[str]) -> list[str]:
        proto = at.multiselect(key="ds_models_pick").proto
        return list(proto.raw_values) if proto.set_value else before

    next(b for b in at.button if "Guided demo" in b.label).click().run()
    everything = list(ds.representations())
    shown = browser_value(shown)
    assert shown == everything and len(ran) == 1 and ran[-1] == everything
    at.multiselect(key="ds_models_pick").set_value(shown)  # what the browser sends back with the next click
    next(b for b in at.button if "Run the comparison" in b.label).click().run()
    assert ran[-1] == everything and browser_value(shown) == everything
