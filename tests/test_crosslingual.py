"""Cross-lingual search and translation-pair retrieval: the parliament samples, accuracy@1 on a
hand-made example whose answer is known, input errors with line numbers, and the real models."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from embedlab import datasets
from embedlab.analysis.crosslingual import (
    BUILT_IN_PAIRS,
    LANGUAGE_DATASETS,
    CorpusSettings,
    Pair,
    built_in_pairs_text,
    pair_retrieval,
    parliament_corpus,
    parse_pair_file,
    parse_pairs,
    search,
)
from embedlab.analysis.language import guess_language
from embedlab.backends import BackendKind, BatchedEncoder, catalogue
from embedlab.backends.hashing import HashingEncoder
from embedlab.cli import main
from embedlab.errors import BadUploadError, InputError


class LookupEncoder(BatchedEncoder):
    """Gives each known text a fixed vector (rows normalised by the base class)."""

    kind = BackendKind.TEXT
    device = "cpu"

    def __init__(self, table: dict[str, list[float]]) -> None:
        self.name = "lookup-test"
        self.table = table
        self.dim = len(next(iter(table.values())))

    def _encode_batch(self, batch: list[str], batch_size: int) -> np.ndarray:
        return np.array([self.table[text] for text in batch], dtype=np.float32)


def test_accuracy_at_1_on_a_known_example() -> None:
    """s1->t1 right; s2's nearest target is t3 (wrong); s3->t3 right: 2/3. Backwards: t1->s1
    right; t2's nearest source is s1 (wrong); t3's nearest is s3 (0.95 beats s2's 0.8): 2/3."""
    table = {"s1": [1, 0, 0], "s2": [0.6, 0, 0.8], "s3": [0, 0.3, 0.95],
             "t1": [1, 0.1, 0], "t2": [0.8, 0.6, 0], "t3": [0, 0, 1]}
    catalogue().add(LookupEncoder(table), "session", persist=False)
    pairs = [Pair("s1", "t1", 1), Pair("s2", "t2", 2), Pair("s3", "t3", 3)]
    scores = pair_retrieval(pairs, "lookup-test")
    assert scores.source_to_target == pytest.approx(2 / 3)
    assert scores.target_to_source == pytest.approx(2 / 3)
    misses = {(m.direction, m.query, m.found) for m in scores.misses}
    assert misses == {("source→target", "s2", "t3"), ("target→source", "t2", "s1")}


def test_pairs_typed_and_uploaded_are_validated_by_line() -> None:
    assert parse_pairs("a ⇥ b\n\nc\td\ne | f") == [Pair("a", "b", 1), Pair("c", "d", 3), Pair("e", "f", 4)]
    with pytest.raises(InputError, match="Line 2"):
        parse_pairs("a ⇥ b\nno separator here\nc ⇥ d")
    with pytest.raises(InputError, match="at least 2 pairs"):
        parse_pairs("a ⇥ b")
    assert parse_pair_file(b"source,target\nhello,hallo\n\"yes, really\",\"ja, wirklich\"\n", "p.csv") == [
        Pair("hello", "hallo", 2), Pair("yes, really", "ja, wirklich", 3)]
    with pytest.raises(BadUploadError, match="line 3 has 3 column"):
        parse_pair_file(b"a\tb\nc\td\ne\tf\tg\n", "p.tsv")
    with pytest.raises(BadUploadError, match="line 2 is not UTF-8"):
        parse_pair_file(b"a\tb\n\xff\xfe\tx\n", "p.tsv")
    assert len(parse_pairs(built_in_pairs_text())) == len(BUILT_IN_PAIRS) == 40


def test_the_four_parliaments_are_datasets_in_their_languages() -> None:
    """Each sample has 1,000 speeches and a language column; the light language guesser
    (independent of the loaders) agrees on most speeches of at least 20 words."""
    for language, name in LANGUAGE_DATASETS.items():
        frame = datasets.text_frame(name)
        assert len(frame) == 1000 and set(frame["language"]) == {language}
        assert datasets.dataset(name).label_column == "label" and frame["label"].str.len().min() > 0
        long = frame[frame["text"].str.split().str.len() >= 20].head(100)
        guesses = [guess_language(text) for text in long["text"]]
        assert guesses.count(language) >= 90, (name, guesses.count(language))
    corpus = parliament_corpus(CorpusSettings(per_language=10, words=20))
    assert corpus.groupby("language").size().to_dict() == {language: 10 for language in LANGUAGE_DATASETS}
    assert corpus["text"].str.split().str.len().max() == 20


def test_search_labels_every_hit_with_its_language(hashing_encoder: HashingEncoder) -> None:
    settings = CorpusSettings(per_language=10, words=20)
    corpus = parliament_corpus(settings)
    german = corpus[corpus["language"] == "German"].iloc[3]
    result = search(german["text"], "hashing-test", k=5, settings=settings)
    assert result.hits[0].text == german["text"] and result.hits[0].language == "German"
    assert result.hits[0].score == pytest.approx(1.0, abs=1e-6)
    assert result.query_language == "German" and not result.language_declared
    assert sum(result.counts.values()) == 5 and list(result.counts) == list(LANGUAGE_DATASETS)
    assert result.only_query_language == (result.counts["German"] == 5)
    declared = search("zzz qqq", "hashing-test", k=3, settings=settings, language="Dutch")
    assert declared.query_language == "Dutch" and declared.language_declared
    calls = hashing_encoder.calls
    search("another query", "hashing-test", k=3, settings=settings)
    assert hashing_encoder.calls == calls + 1  # the passages come from the disk cache; only the query is encoded
    with pytest.raises(InputError, match="Speeches per language"):
        search("x", "hashing-test", settings=CorpusSettings(per_language=5))


def test_translate_pairs_cli_reads_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    catalogue().add(HashingEncoder("hashing-test", dim=256), "session", persist=False)
    path = tmp_path / "pairs.tsv"
    path.write_text("red apple\tapple red\ngreen tree\ttree green\nblue sky\tsky blue\n", encoding="utf-8")
    assert main(["translate-pairs", str(path), "--model", "hashing-test", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document == {"hashing-test": {"pairs": 3, "source_to_target": 1.0, "target_to_source": 1.0, "misses": []}}
    path.write_text("one\ttwo\nthree\n", encoding="utf-8")
    assert main(["translate-pairs", str(path), "--model", "hashing-test"]) == 2
    assert "line 2 has 1 column" in capsys.readouterr().err


@pytest.mark.slow
def test_multilingual_use_finds_translations_minilm_does_not() -> None:
    """Measured on the 40 built-in pairs: USE 1.000 / 1.000, MiniLM 0.450 / 0.300."""
    pairs = parse_pairs(built_in_pairs_text())
    use = pair_retrieval(pairs, "use-multilingual")
    minilm = pair_retrieval(pairs, "minilm")
    assert use.source_to_target >= 0.95 and use.target_to_source >= 0.95
    assert minilm.source_to_target <= 0.6 and minilm.target_to_source <= 0.5
    assert use.source_to_target - minilm.source_to_target >= 0.3
    assert use.target_to_source - minilm.target_to_source >= 0.4
