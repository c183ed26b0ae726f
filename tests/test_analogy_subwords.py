"""Analogies on a trained FastText: an unseen a, b or c is built from character n-grams, as on
the Similarity and Neighbours pages; the answers still come from the vocabulary."""

from __future__ import annotations

import json

import numpy as np
import pytest

import embedlab  # noqa: F401
from embedlab.analysis.analogy import solve_analogy, unit_matrix
from embedlab.backends import get_word_vectors
from embedlab.cli import main
from embedlab.errors import OutOfVocabularyError
from embedlab.training import WordEmbeddingTrainer
from embedlab.vectors import l2_normalise
from tests.conftest import restart_catalogue

UNSEEN = "airplanes"





def expected_3cosadd(backend, a: str, b: str, c: str) -> np.ndarray:  # type: ignore[no-untyped-def]
    """cos(d, b - a + c) over the vocabulary, every input vector unit length."""
    va, vb, vc = (l2_normalise(backend.kv.get_vector(w)[None])[0] for w in (a, b, c))
    target = vb - va + vc
    return unit_matrix(backend) @ (target / np.linalg.norm(target))


def test_fasttext_builds_an_unseen_input_from_ngrams(lee: list[list[str]], capsys: pytest.CaptureFixture[str]) -> None:
    backend = WordEmbeddingTrainer("fasttext", vector_size=16, epochs=2, bucket=20_000).fit(lee).to_backend()
    assert UNSEEN not in backend and {"man", "king"} <= set(backend.kv.key_to_index)
    result = solve_analogy(backend.name, "man", "king", UNSEEN, k=5, expected="aircraft")
    assert result.c == UNSEEN and len(result.answers) == 5
    assert all(a.word in backend.kv.key_to_index and a.word not in ("man", "king") for a in result.answers)
    assert "'airplanes' is not in the vocabulary: built from character n-grams" in result.note
    scores = expected_3cosadd(backend, "man", "king", UNSEEN)
    scores[[backend.kv.key_to_index["man"], backend.kv.key_to_index["king"]]] = -np.inf
    best = np.argsort(-scores, kind="stable")[:5]
    assert [a.word for a in result.answers] == [backend.kv.index_to_key[i] for i in best]
    assert [a.score for a in result.answers] == pytest.approx(scores[best].tolist(), abs=1e-5)
    assert result.expected_rank is not None and result.expected_score is not None
    assert len(solve_analogy(backend.name, UNSEEN, "planes", "aircrafts", k=3, method="3cosmul").answers) == 3

    # the CLI (the audit's repro), and a restarted process reading the saved .fbin
    assert main(["analogy", backend.name, "man", "king", UNSEEN, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [a["word"] for a in document["answers"]] == [a.word for a in result.answers[:5]] and "n-grams" in document["note"]
    restart_catalogue()
    restored = get_word_vectors(backend.name)
    assert restored is not backend and getattr(restored, "subwords", False)
    again = solve_analogy(restored, "man", "king", UNSEEN, k=5)
    assert [a.word for a in again.answers] == [a.word for a in result.answers]


def test_an_unseen_expected_answer_and_word2vec_inputs_are_still_refused(lee: list[list[str]]) -> None:
    fasttext = WordEmbeddingTrainer("fasttext", vector_size=8, epochs=1, bucket=5_000).fit(lee[:100]).to_backend(persist=False)
    with pytest.raises(OutOfVocabularyError, match="'zzqqxx'"):  # answers come from the vocabulary only
        solve_analogy(fasttext, "man", "king", "woman", expected="zzqqxx")
    word2vec = WordEmbeddingTrainer("word2vec", vector_size=8, epochs=1).fit(lee[:100]).to_backend(persist=False)
    with pytest.raises(OutOfVocabularyError, match=f"'{UNSEEN}'"):  # no n-grams: no vector
        solve_analogy(word2vec, "man", "king", UNSEEN)
