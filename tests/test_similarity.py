"""Similarity maths on a hashing encoder, and on real MiniLM and GloVe."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from embedlab.analysis.similarity import (
    SimilarityResult,
    agreement,
    parse_sentences,
    parse_words,
    ranked_pairs,
    similarity,
    word_neighbors,
)
from embedlab.backends.hashing import HashingEncoder
from embedlab.errors import InputError, OutOfVocabularyError
from embedlab.vectors import cosine_matrix, top_k_cosine


def test_cosine_matrix_matches_the_definition() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(6, 5))
    matrix = cosine_matrix(vectors)
    for i in range(6):
        for j in range(6):
            expected = vectors[i] @ vectors[j] / (np.linalg.norm(vectors[i]) * np.linalg.norm(vectors[j]))
            assert matrix[i, j] == pytest.approx(expected, abs=1e-6)


def test_top_k_is_sorted_and_matches_brute_force() -> None:
    rng = np.random.default_rng(1)
    matrix = rng.normal(size=(500, 16)).astype(np.float32)
    query = rng.normal(size=16).astype(np.float32)
    order, scores = top_k_cosine(query, matrix, 10)
    full = cosine_matrix(np.vstack([query, matrix]))[0, 1:]
    assert list(order) == list(np.argsort(-full)[:10])
    assert np.all(np.diff(scores) <= 1e-7)


def test_parsing_limits_and_messages() -> None:
    assert parse_words("king, queen\nman  woman;king") == ["king", "queen", "man", "woman"]
    assert parse_sentences("  a b \n\n c d \n a b") == ["a b", "c d"]
    with pytest.raises(InputError, match="at least one word"):
        parse_words("  ,, ")
    with pytest.raises(InputError, match="Too many words: 51; the limit is 50"):
        parse_words(" ".join(f"w{i}" for i in range(51)))
    with pytest.raises(InputError, match="Too many sentences: 201"):
        parse_sentences("\n".join(f"s{i}" for i in range(201)))


def test_ranked_pairs_follow_brute_force_cosine(hashing_encoder: HashingEncoder) -> None:
    texts = ["red apple pie", "red apple tart", "blue sky above", "green apple pie"]
    result = similarity("hashing-test", texts)
    vectors = hashing_encoder.encode(texts).astype(np.float64)
    expected = sorted(((float(vectors[i] @ vectors[j]), texts[i], texts[j]) for i in range(4) for j in range(i + 1, 4)),
                      key=lambda item: -item[0])
    most, least = ranked_pairs(result, n=2)
    assert [(p.first, p.second) for p in most] == [(a, b) for _, a, b in expected[:2]]
    assert [(p.first, p.second) for p in least] == [(a, b) for _, a, b in expected[::-1][:2]]
    assert [p.score for p in most] == pytest.approx([s for s, _, _ in expected[:2]], abs=1e-6)


def test_agreement_is_spearman_over_the_shared_pairs() -> None:
    """Hand-worked: pairs (ab, ac, bc) score (0.9, 0.5, 0.1) under one model and (0.2, 0.6, 0.4) under the
    other: ranks (3, 2, 1) and (1, 3, 2), d = (2, -1, -1), rho = 1 - 6 * 6 / (3 * 8) = -0.5."""
    first = SimilarityResult("m1", ["a", "b", "c"], np.array([[1, 0.9, 0.5], [0.9, 1, 0.1], [0.5, 0.1, 1]]), [])
    second = SimilarityResult("m2", ["a", "b", "c"], np.array([[1, 0.2, 0.6], [0.2, 1, 0.4], [0.6, 0.4, 1]]), [])
    verdict = agreement(first, second)
    assert verdict.spearman == pytest.approx(-0.5) and verdict.pairs == 3


@pytest.mark.slow
def test_real_minilm_demo_pairs_cat_with_feline() -> None:
    texts = ["The cat sat on the mat", "A feline rested on the rug", "Dogs are great pets", "Python is a programming language"]
    result = similarity("minilm", texts)
    most, least = ranked_pairs(result, n=1)
    assert {most[0].first, most[0].second} == {"The cat sat on the mat", "A feline rested on the rug"}
    assert "Python is a programming language" in (least[0].first, least[0].second)


@pytest.mark.slow
def test_real_glove_keeps_known_words_and_reports_unknown() -> None:
    result = similarity("glove-6b-50d", ["king", "queen", "notaword-xyz", "car"])
    assert result.labels == ["king", "queen", "car"] and result.unknown == ["notaword-xyz"]
    assert result.matrix[0, 1] > result.matrix[0, 2]
    neighbors = word_neighbors("glove-6b-50d", "king", 5)
    assert len(neighbors.neighbors) == 5 and "king" not in [w for w, _ in neighbors.neighbors]
    with pytest.raises(OutOfVocabularyError, match="notaword-xyz"):
        word_neighbors("glove-6b-50d", "notaword-xyz")


@pytest.mark.slow
def test_agreement_between_two_real_models_is_spearman_on_shared_pairs() -> None:
    words = ["king", "queen", "man", "woman", "cat", "dog", "car", "bicycle", "apple"]
    glove = similarity("glove-6b-50d", words)
    w2v = similarity("word2vec-gn-bolukbasi", words)
    verdict = agreement(glove, w2v)
    rows, cols = np.triu_indices(len(words), k=1)
    expected = spearmanr(glove.matrix[rows, cols], w2v.matrix[rows, cols]).statistic
    assert verdict.spearman == pytest.approx(expected) and verdict.pairs == 36
    assert verdict.spearman > 0.5  # two decent word models broadly agree


@pytest.mark.slow
def test_one_word_rule_on_every_page() -> None:
    """Similarity once said 'Paris, King not in vocabulary' on GloVe while Analogies lower-cased and
    answered, and split 'new york' where Bias joined it. Now one rule: as typed, lower case for a
    lower-case vocabulary; commas separate items and spaces inside an item join a phrase."""
    from embedlab.analysis.analogy import solve_analogy

    result = similarity("glove-6b-50d", ["Paris", "King", "London"])
    assert result.labels == ["Paris", "King", "London"] and result.unknown == []
    assert result.matrix[0, 2] > result.matrix[0, 1]  # paris is nearer london than king
    assert solve_analogy("glove-6b-50d", "Man", "King", "Woman").best == "queen"
    assert parse_words("New York, Paris") == ["New_York", "Paris"]
    assert parse_words("cat dog horse") == ["cat", "dog", "horse"]
    phrases = similarity("word2vec-gn-bolukbasi", parse_words("new york, chicago, banana"))
    items = phrases.labels + phrases.unknown
    assert "new_york" in items and "york" not in items  # looked up as one phrase, never as two words
    assert word_neighbors("glove-6b-50d", "Paris", 3).neighbors[0][0] != "Paris"


def test_the_language_guess_spots_other_languages_and_declines_to_guess() -> None:
    from embedlab.analysis.language import guess_language, other_languages

    assert guess_language("The cat sat on the mat and it was happy") == "English"
    assert guess_language("Ich lese gern Bücher und das Wetter ist schön") == "German"
    assert guess_language("El gato está en la casa de mi madre") == "Spanish"
    assert guess_language("Кошка сидит на ковре") == "Cyrillic-script"
    assert guess_language("猫はマットの上に座った") == "Chinese or Japanese"
    assert guess_language("Kittens") == "unknown"  # one content word: no clue
    assert other_languages(["The weather is nice today", "Das Wetter ist heute schön", "Qué tiempo hace en la playa"]) \
        == {"German": 1, "Spanish": 1}


def test_cosine_scores_equal_scikit_learn_and_give_zero_rows_zero() -> None:
    from sklearn.metrics.pairwise import cosine_similarity

    from embedlab.vectors import cosine_scores

    rng = np.random.default_rng(3)
    matrix = (rng.normal(size=(200, 24)) * rng.uniform(0.1, 9, size=(200, 1))).astype(np.float32)
    matrix[7] = 0
    query = rng.normal(size=24).astype(np.float32) * 4
    expected = cosine_similarity(matrix, query.reshape(1, -1))[:, 0]
    assert np.allclose(cosine_scores(matrix, query), expected, atol=1e-6) and cosine_scores(matrix, query)[7] == 0
