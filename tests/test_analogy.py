"""Analogies: 3CosAdd / 3CosMul on a toy space with a known answer, and on GloVe against gensim."""

from __future__ import annotations

import numpy as np
import pytest

import embedlab  # noqa: F401
from embedlab.analysis.analogy import (
    analogy_picture,
    batch_accuracy,
    parse_analogies,
    solve_analogy,
)
from embedlab.backends.words import KeyedWordVectors
from embedlab.errors import InputError, OutOfVocabularyError


@pytest.fixture
def toy() -> KeyedWordVectors:
    """Gender and royalty as orthogonal unit parts (equal norms): king - man + woman = queen exactly."""
    from gensim.models import KeyedVectors

    rng = np.random.default_rng(0)
    base = {
        "man": [1.0, 0.0, 1.0, 0.0, 0.0],
        "woman": [0.0, 1.0, 1.0, 0.0, 0.0],
        "king": [1.0, 0.0, 0.0, 1.0, 0.0],
        "queen": [0.0, 1.0, 0.0, 1.0, 0.0],
        "apple": [0.1, 0.1, 0.0, 0.0, 1.0],
    }
    words = list(base) + [f"noise{i}" for i in range(20)]
    vectors = np.array(list(base.values()) + list(rng.normal(0, 0.05, (20, 5)) + [0, 0, 0, 0, -1]), dtype=np.float32)
    kv = KeyedVectors(vector_size=5)
    kv.add_vectors(words, vectors)
    return KeyedWordVectors("toy", kv)


def test_3cosadd_finds_the_parallel_word(toy: KeyedWordVectors) -> None:
    result = solve_analogy(toy, "man", "king", "woman", k=3)
    assert result.best == "queen"
    assert result.answers[0].score == pytest.approx(1.0, abs=1e-5)
    assert [a.score for a in result.answers] == sorted((a.score for a in result.answers), reverse=True)
    assert not {"man", "king", "woman"} & {a.word for a in result.answers}


def test_unrestricted_ranking_lets_an_input_win_and_says_why(toy: KeyedWordVectors) -> None:
    # shift 'queen' so the exact answer is worse than 'king' itself
    toy.kv.vectors[toy.kv.key_to_index["queen"]] = [0.0, 0.3, 0.0, 0.3, 1.0]
    toy.kv.fill_norms(force=True)
    result = solve_analogy(toy, "man", "king", "woman", k=5, exclude_inputs=False)
    assert result.best in {"king", "woman"}
    assert "inputs" in result.note
    restricted = solve_analogy(toy, "man", "king", "woman", k=5)
    assert restricted.best not in {"king", "woman", "man"}


def test_expected_answer_rank_and_score(toy: KeyedWordVectors) -> None:
    result = solve_analogy(toy, "man", "king", "woman", expected="apple", k=2)
    assert result.expected_rank is not None and result.expected_rank > 1
    assert result.expected_score is not None and result.expected_score < result.answers[0].score
    inputs = solve_analogy(toy, "man", "king", "woman", expected="king")
    assert inputs.expected_rank is None and "excluded" in inputs.note


def test_unknown_words_and_bad_method_are_named(toy: KeyedWordVectors) -> None:
    with pytest.raises(OutOfVocabularyError, match="'zebra'"):
        solve_analogy(toy, "man", "zebra", "woman")
    with pytest.raises(InputError, match="3cosadd"):
        solve_analogy(toy, "man", "king", "woman", method="cosine")
    with pytest.raises(InputError, match="between 1"):
        solve_analogy(toy, "man", "king", "woman", k=0)


def test_parse_analogies_names_the_bad_line() -> None:
    quads = parse_analogies(": section\nman king woman queen\n\nParis France Tokyo Japan\n")
    assert [(q.a, q.d, q.line) for q in quads] == [("man", "queen", 2), ("Paris", "Japan", 4)]
    with pytest.raises(InputError, match="Line 3"):
        parse_analogies("a b c d\ne f g h\nonly three words\n")
    with pytest.raises(InputError, match="No analogies"):
        parse_analogies("\n# comment\n")


def test_batch_accuracy_counts_hits_misses_and_skips(toy: KeyedWordVectors) -> None:
    quads = parse_analogies("man king woman queen\nman king woman apple\nman king unicorn queen")
    result = batch_accuracy(toy, quads)
    assert (result.n, result.correct, len(result.skipped)) == (2, 1, 1)
    assert result.accuracy == pytest.approx(0.5)
    assert result.misses[0].expected == "apple" and result.misses[0].predicted == "queen"
    assert result.misses[0].line == 2


def test_picture_has_offsets_for_both_pairs(toy: KeyedWordVectors) -> None:
    result = solve_analogy(toy, "man", "king", "woman")
    picture = analogy_picture(toy, result)
    assert picture.arrows == [("man", "king"), ("woman", "queen")]
    points = dict(zip(picture.words, zip(picture.x, picture.y, strict=True), strict=True))
    offset_ab = np.subtract(points["king"], points["man"])
    offset_cd = np.subtract(points["queen"], points["woman"])
    assert np.allclose(offset_ab, offset_cd, atol=1e-6)  # exactly parallel in the toy space
    from sklearn.decomposition import PCA

    # the picture's PCA is fitted on the pictured words only (unit rows): scikit-learn on the same rows
    unit = np.stack([toy.kv[w] / np.linalg.norm(toy.kv[w]) for w in picture.words]).astype(np.float64)
    assert picture.explained_variance == pytest.approx(PCA(n_components=2).fit(unit).explained_variance_ratio_.sum(), abs=1e-9)


@pytest.mark.slow
def test_glove_answers_equal_gensim_for_both_methods() -> None:
    from embedlab.backends import get_word_vectors

    glove = get_word_vectors("glove-6b-50d")
    for a, b, c in [("man", "king", "woman"), ("france", "paris", "japan"), ("walk", "walked", "run")]:
        ours = solve_analogy(glove, a, b, c, k=5)
        theirs = glove.kv.most_similar(positive=[b, c], negative=[a], topn=5)
        assert [x.word for x in ours.answers] == [w for w, _ in theirs]
        assert [x.score for x in ours.answers] == pytest.approx([s for _, s in theirs], abs=1e-5)
        ours_mul = solve_analogy(glove, a, b, c, k=5, method="3cosmul")
        theirs_mul = glove.kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=5)
        assert [x.word for x in ours_mul.answers] == [w for w, _ in theirs_mul]
        assert [x.score for x in ours_mul.answers] == pytest.approx([s for _, s in theirs_mul], abs=1e-4)
    assert solve_analogy(glove, "man", "king", "woman").best == "queen"
    assert solve_analogy(glove, "Paris", "France", "Tokyo").best == "japan"  # lower-cased lookup
    fail = solve_analogy(glove, "finger", "hand", "leaf", expected="tree")
    assert fail.best != "tree" and fail.expected_rank is not None and fail.expected_rank > 1


def test_no_candidate_left_is_explained_not_silent() -> None:
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vector_size=2)
    kv.add_vectors(["the", "of", "and"], np.array([[0.1, 0.2], [0.5, 0.6], [0.3, 0.1]], dtype=np.float32))
    result = solve_analogy(KeyedWordVectors("three", kv), "of", "and", "the")
    assert result.answers == [] and "every word of the vocabulary is one of the inputs" in result.note
    assert result.as_dict()["note"] == result.note
