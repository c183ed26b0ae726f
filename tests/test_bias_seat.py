"""SEAT: templates, sentence-level WEAT on the hashing encoder (logic) and on real MiniLM."""

from __future__ import annotations

import pytest

from embedlab.bias.seat import (
    NAME_TEMPLATES,
    NOUN_TEMPLATES,
    parse_templates,
    seat,
    sentences_for,
)
from embedlab.bias.wordsets import custom_test, weat_test
from embedlab.errors import InputError, WrongBackendKindError


def test_templates_pick_names_and_nouns() -> None:
    sentences = sentences_for(["Amy", "rose", "ice_cream"])
    assert sentences[: len(NAME_TEMPLATES)] == [t.replace("{}", "Amy") for t in NAME_TEMPLATES]
    assert "This is a rose." in sentences and "The ice cream is here." in sentences
    assert len(sentences) == len(NAME_TEMPLATES) + 2 * len(NOUN_TEMPLATES)
    assert sentences_for(["cat"], ["I saw a {}."]) == ["I saw a cat."]
    assert parse_templates("I like {word}.\n\n{word} again") == ["I like {}.", "{} again"]
    assert parse_templates("  ") is None
    with pytest.raises(InputError, match="placeholder"):
        parse_templates("no slot here")


def test_seat_on_hashing_encoder_counts_sentences(hashing_encoder) -> None:
    # hashed bags of tokens: X's sentences share their word with A's, Y's with B's
    test = custom_test(("x", ["cat", "dog"]), ("y", ["saw", "drill", "nail"]), ("a", ["cat", "dog"]), ("b", ["saw", "drill"]))
    result = seat("hashing-test", test, templates=["This is {}.", "A {} here."])
    assert result.unit == "sentence" and result.computable
    assert result.effect_size > 1.0
    assert result.n_used == {"X": 4, "Y": 6, "A": 4, "B": 4}
    assert {a.word for a in result.associations} >= {"This is cat.", "A nail here."}
    assert result.permutation.method == "exact"  # C(10, 4) = 210 partitions
    assert result.as_dict()["oov"] == []
    # unrelated attributes: every association is exactly 0, reported as not computable
    flat = seat("hashing-test", custom_test(("x", ["cat", "dog"]), ("y", ["saw", "nail"]), ("a", ["good", "nice"]), ("b", ["bad", "evil"])),
                templates=["This is {}."])
    assert not flat.computable and "standard deviation 0" in flat.reason


def test_seat_needs_a_text_model() -> None:
    with pytest.raises(WrongBackendKindError, match="text model"):
        seat("glove-6b-50d", weat_test("6"))


@pytest.mark.slow
def test_seat_minilm_career_family_has_the_papers_sign() -> None:
    result = seat("minilm", weat_test("6"), seed=3)
    assert result.model == "minilm"
    assert result.n_used == {"X": 8 * len(NAME_TEMPLATES), "Y": 8 * len(NAME_TEMPLATES), "A": 8 * len(NOUN_TEMPLATES), "B": 8 * len(NOUN_TEMPLATES)}
    assert result.permutation.method == "random" and result.permutation.seed == 3
    assert result.effect_size > 0.5 and result.p_value < 0.01


def test_noun_templates_take_an_before_a_vowel() -> None:
    sentences = sentences_for(["apple", "pear"])
    assert "This is an apple." in sentences and "This is a pear." in sentences and "The apple is here." in sentences
    assert sentences_for(["apple"], ["I saw a {}."]) == ["I saw a apple."]  # the user's templates stay as typed


@pytest.mark.slow
def test_seat_multilingual_use_is_probed_the_same_way() -> None:
    """The numpy multilingual USE goes through the same SEAT path as MiniLM: flowers/insects
    and career/family come out with the paper's sign."""
    flowers = seat("use-multilingual", weat_test("1"), seed=0)
    career = seat("use-multilingual", weat_test("6"), seed=0)
    assert flowers.model == "use-multilingual" and flowers.effect_size > 0.8 and flowers.p_value < 0.01
    assert career.effect_size > 0.5 and career.p_value < 0.01
    assert career.n_used["X"] == 8 * len(NAME_TEMPLATES)
