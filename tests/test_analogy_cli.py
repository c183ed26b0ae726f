"""CLI: analogy, eval-analogies, eval-similarity, load-vectors with the JSON keys of the issue."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import embedlab  # noqa: F401
from embedlab.backends import backend_names, catalogue
from embedlab.cli import main


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_analogy_json_answers_queen(capsys: pytest.CaptureFixture[str]) -> None:
    document = run_json(capsys, "analogy", "glove-6b-50d", "man", "king", "woman", "-k", "3")
    assert [a["word"] for a in document["answers"]][0] == "queen"
    assert len(document["answers"]) == 3 and set(document["answers"][0]) == {"word", "score"}
    mul = run_json(capsys, "analogy", "glove-6b-50d", "man", "king", "woman", "--method", "3cosmul", "--expected", "queen")
    assert mul["method"] == "3cosmul" and mul["expected_rank"] == 1


def test_analogy_unknown_word_exits_2_with_the_word(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analogy", "glove-6b-50d", "man", "qqqzzz", "woman"]) == 2
    assert "'qqqzzz'" in capsys.readouterr().err


def test_eval_similarity_json_keys(capsys: pytest.CaptureFixture[str]) -> None:
    document = run_json(capsys, "eval-similarity", "word2vec-gn-bolukbasi", "--dataset", "simlex999")
    assert {"spearman", "pairs", "oov"} <= set(document)
    assert document["pairs"] + document["oov"] == 999 and 0.3 < document["spearman"] < 0.6


def test_eval_analogies_json_keys(capsys: pytest.CaptureFixture[str]) -> None:
    document = run_json(capsys, "eval-analogies", "word2vec-gn-bolukbasi", "--restrict-vocab", "3000")
    assert {"accuracy", "n", "sections"} <= set(document)
    assert document["restrict_vocab"] == 3000 and "family" in document["sections"]
    assert document["n"] == sum(s["n"] for s in document["sections"].values())
    # this lower-case vocabulary has no capital city: such a section has no accuracy, not 0.0
    assert document["sections"]["capital-world"] == {"accuracy": None, "correct": 0, "n": 0}
    # each section as gensim's evaluate_word_analogies scores it on the same vectors and vocabulary
    from embedlab.analysis.evaluation import dataset_path
    from embedlab.backends import get_word_vectors

    kv = get_word_vectors("word2vec-gn-bolukbasi").kv  # type: ignore[attr-defined]
    _, sections = kv.evaluate_word_analogies(str(dataset_path("google")), restrict_vocab=3000)
    theirs = {s["section"]: (len(s["correct"]), len(s["correct"]) + len(s["incorrect"])) for s in sections[:-1]}
    assert {name: (s["correct"], s["n"]) for name, s in document["sections"].items()} == theirs
    family = document["sections"]["family"]
    assert family["n"] > 0 and family["accuracy"] == pytest.approx(family["correct"] / family["n"])


def test_no_usable_question_means_no_accuracy(capsys: pytest.CaptureFixture[str]) -> None:
    document = run_json(capsys, "eval-analogies", "glove-6b-50d", "--restrict-vocab", "5")
    assert document["n"] == 0 and document["accuracy"] is None
    assert all(section["accuracy"] is None for section in document["sections"].values())


def test_load_vectors_then_use_them_by_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    glove = tmp_path / "tiny.txt"
    glove.write_text("king 1 0 1 0\nqueen 0 1 1 0\nman 1 0 0 0\nwoman 0 1 0 0\napple 0 0 0 1\n")
    loaded = run_json(capsys, "load-vectors", str(glove))
    assert loaded["format"] == "glove" and loaded["words"] == 5 and loaded["name"].startswith("user:tiny-")
    answer = run_json(capsys, "analogy", loaded["name"], "man", "king", "woman", "-k", "1")
    assert answer["answers"][0]["word"] == "queen"
    catalogue().remove(loaded["name"])
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x80\x04\x95pickle")
    assert main(["load-vectors", str(bad)]) == 2
    assert "pickle" in capsys.readouterr().err
    assert not [n for n in backend_names() if n.startswith("user:bad")]
