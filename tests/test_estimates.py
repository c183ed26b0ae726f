"""Slow steps say what they do and roughly how long it takes here, before they start (issue 22,
defect 9): the wording, the rates (the reference machine's, then this machine's own once it has
encoded something), and the pages that say it."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from embedlab import estimates
from embedlab.ingest.records import chunk_text
from embedlab.maps.projection import estimated_seconds
from tests.conftest import REPO, shown


def test_the_sentence_said_before_encoding() -> None:
    titles = ["Toy Story (1995) Genres: Animation, Children's, Comedy."] * 1682
    said = estimates.announce_encoding("minilm", titles)
    assert said.startswith("Encoding 1,682 texts with minilm, about ") and said.endswith(" s on this machine.")
    assert estimates.announce_encoding("minilm", ["a short one"]) == ""  # quick work is not announced
    long = ["word " * 400] * 50
    assert estimates.announce_encoding("minilm", long, 128).startswith("Encoding 200 pieces of text with minilm")
    texts = ["word " * n for n in (90, 128, 129, 400, 1000)]
    pieces, _ = estimates.texts_seconds("minilm", texts, 128, overlap_words=32)
    assert pieces == sum(len(chunk_text(t, 128, 32)) for t in texts)  # the ingest's own windows, overlap included
    assert estimates.duration(estimated_seconds("umap", 63_326)) == "about 43 s"  # the map's own model, same wording


def test_this_machines_rate_replaces_the_reference_one() -> None:
    before = estimates.encode_seconds("minilm", 1000)
    estimates.learn("minilm", 1000 * estimates.text_units(12), 100.0)  # this machine took 100 s for 1,000 sentences
    assert estimates.encode_seconds("minilm", 1000) == pytest.approx(100.0)
    assert before < 10 and "about 2 min" in estimates.announce_encoding("minilm", ["one two three four five six seven eight nine ten eleven twelve"] * 1000)


def test_a_kept_encoding_is_not_announced_and_teaches_the_rate(hashing_encoder, monkeypatch: pytest.MonkeyPatch) -> None:
    from embedlab.backends import encode_texts, encoding_announcement

    texts = [f"sentence number {i} with a few more words in it" for i in range(4000)]
    monkeypatch.setattr(estimates, "WORDS_PER_SECOND", {"text": 500.0})  # a slow reference: the first encoding is announced
    assert encoding_announcement("hashing-test", texts).startswith("Encoding 4,000 texts with hashing-test, about")
    clock = iter([0.0, 30.0])
    monkeypatch.setattr("embedlab.backends.time.perf_counter", lambda: next(clock))  # the encoding "took" 30 s
    encode_texts("hashing-test", texts)
    assert estimates.encode_seconds("hashing-test", 4000, 10) == pytest.approx(30.0, rel=0.05)
    assert encoding_announcement("hashing-test", texts) == ""  # kept on disk: nothing to wait for


def test_downstream_says_what_the_comparison_takes_before_it_starts() -> None:
    at = AppTest.from_file(str(REPO / "pages/downstream.py"), default_timeout=120)
    at.query_params.update({"ds_max_rows": "300", "ds_models": "minilm,use-multilingual,tfidf"})
    at.run()
    assert not at.exception
    said = next(shown(i.value) for i in at.info if "Run the comparison" in i.value)
    assert "Encoding 300 texts: minilm about" in said and "use" in said and "on this machine" in said, said
    assert "tfidf" not in said.split("Encoding", 1)[1]
