"""Uploads (every bad-input row of SECURITY.md), chunking, built-in datasets, ingest and resume.
The tests that write to the store run on the embedded store and on a ``chroma run`` server
(``both_stores``); the real-model ingest runs on the embedded store."""

from __future__ import annotations

import itertools
import json
import tomllib
from pathlib import Path

import numpy as np
import pytest

from embedlab import datasets
from embedlab.backends.hashing import HashingEncoder
from embedlab.errors import BadUploadError, InputError
from embedlab.ingest import (
    UPLOAD_LIMITS,
    UploadLimits,
    build_records,
    chunk_text,
    dataset_records,
    ingest_dataset,
    ingest_records,
    ingest_upload,
    load_dataset,
    parse_upload,
)
from embedlab.store import STATUS_COMPLETE, STATUS_INGESTING, open_store

REPO = Path(__file__).resolve().parents[1]


# -- limits and good files -------------------------------------------------------------------


def test_engine_cap_matches_streamlit_upload_cap() -> None:
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert UPLOAD_LIMITS.max_megabytes == config["server"]["maxUploadSize"]
    assert f"{UPLOAD_LIMITS.max_megabytes} MB" in UPLOAD_LIMITS.describe()


def test_parses_csv_tsv_jsonl_and_text() -> None:
    csv = parse_upload(b'id,text,label\n1,"Hello, world",a\n2,Second text,b\n', "data.csv")
    assert csv.columns == ["id", "text", "label"] and csv.frame.loc[0, "text"] == "Hello, world"
    tsv = parse_upload(b"text\tkind\nfirst\tx\nsecond\ty\n", "data.tsv")
    assert tsv.frame["kind"].tolist() == ["x", "y"]
    jsonl = parse_upload(b'{"text": "one", "n": 3}\n\n{"text": "two", "tags": ["a"]}\n', "data.jsonl")
    assert jsonl.frame["text"].tolist() == ["one", "two"] and jsonl.frame.loc[1, "tags"] == '["a"]' and jsonl.frame.loc[1, "n"] == ""
    text = parse_upload("\ufefffirst line\n\n  second line  \n".encode(), "notes.txt")
    assert text.frame["text"].tolist() == ["first line", "second line"] and text.guess_text_column() == "text"


def test_values_stay_strings_and_the_longest_column_is_guessed() -> None:
    table = parse_upload(b"code,body\n007,a much longer piece of text here\nNA,another long sentence for the body\n", "x.csv")
    assert table.frame["code"].tolist() == ["007", "NA"]  # no numeric or NA conversion
    assert table.guess_text_column() == "body"


# -- every bad upload gets its own message ---------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"a,b\n1,2\n", "sheet.xlsx", "Unsupported file type '.xlsx'"),
        (b"", "empty.csv", "is empty"),
        (b"   \n\n", "blank.csv", "is empty"),
        (b"text\nfine\n\x00\x01\x02binary", "bin.csv", "binary file"),
        ("text\nok\ncaf\u00e9\n".encode("latin-1"), "latin.csv", "line 3, column 4"),
        (b"a,b\n1,2\n3,4,5\n", "ragged.csv", "line 3: 3 fields where the header has 2"),
        (b'text\n"never closed\nmore\n', "quote.csv", "line 2: a quoted field opens there and is never closed"),
        (b'text\nok\nfine\n"never closed\nmore\n', "quote4.csv", "line 4: a quoted field opens there"),
        (b"text,text\na,b\n", "twice.csv", "two columns named 'text'"),
        ("text\ncaf\u00e9\n".encode("utf-16"), "wide.csv", "is UTF-16 text; save it as UTF-8"),
        (b"[" * 200_000 + b"\n", "deep.jsonl", "line 1 nests JSON arrays or objects too deeply"),
        (b'{"text": "ok", "n": ' + b"9" * 5000 + b"}\n", "long-number.jsonl", "a number with more than 4,300 digits"),
        (b'{"text": "ok"}\n{"text": "half \\ud800 pair"}\n', "surrogate.jsonl", "line 2: column 'text' holds an unpaired UTF-16 surrogate"),
        (b"text,label\n", "header.csv", "header but no data rows"),
        (b"text,label\n,\n,\n", "blank-cells.csv", "no column with any text"),
        (b'{"text": "ok"}\n{"text": broken}\n', "bad.jsonl", "line 2 is not valid JSON"),
        (b'{"text": "ok"}\n[1, 2]\n', "list.jsonl", "line 2 is a JSON list"),
        (b"\n\n", "nothing.jsonl", "is empty"),
    ],
)
def test_each_bad_upload_names_its_problem(data: bytes, name: str, message: str) -> None:
    with pytest.raises(BadUploadError) as caught:
        parse_upload(data, name)
    assert message in str(caught.value)


def test_ten_megabyte_cell_is_refused_with_row_and_column() -> None:
    data = b"id,text\n1,short\n2," + b"x" * 10_000_000 + b"\n"
    with pytest.raises(BadUploadError, match=r"row 2, column 'text' holds 10,000,000 characters"):
        parse_upload(data, "big-cell.csv")


def test_jsonl_giant_line_is_refused_before_parsing() -> None:
    data = b'{"text": "ok"}\n{"text": "' + b"y" * 2_000_000 + b'"}\n'
    with pytest.raises(BadUploadError, match=r"line 2 is 2,000,012 bytes"):
        parse_upload(data, "giant.jsonl")


def test_size_row_and_column_caps() -> None:
    small = UploadLimits(max_megabytes=1, max_rows=5, max_columns=3)
    with pytest.raises(BadUploadError, match="the limit is 1 MB"):
        parse_upload(b"text\n" + b"abc\n" * 300_000, "huge.csv", small)
    with pytest.raises(BadUploadError, match="has 6 rows; the limit is 5"):
        parse_upload(b"text\n" + b"row\n" * 6, "rows.csv", small)
    with pytest.raises(BadUploadError, match="more than 5 rows"):
        parse_upload(b'{"text": "r"}\n' * 6, "rows.jsonl", small)
    with pytest.raises(BadUploadError, match="has 4 columns; the limit is 3"):
        parse_upload(b"a,b,c,d\n1,2,3,4\n", "wide.csv", small)


def test_chosen_columns_must_exist_and_hold_text() -> None:
    table = parse_upload(b"title,body\nA title,\nAnother,\n", "t.csv")
    with pytest.raises(BadUploadError, match="No text column 'text'.*title, body"):
        build_records(table, "text")
    with pytest.raises(BadUploadError, match="Column 'body' of 't' is empty in every row"):
        build_records(table, "body")
    with pytest.raises(BadUploadError, match="No label column 'party'"):
        build_records(table, "title", label_column="party")


# -- chunking ------------------------------------------------------------------------------------


def test_chunks_overlap_and_cover_every_word() -> None:
    words = [f"w{i}" for i in range(1, 26)]
    chunks = chunk_text(" ".join(words), size=10, overlap=3)
    pieces = [c.split() for c in chunks]
    assert all(len(p) <= 10 for p in pieces)
    for first, second in itertools.pairwise(pieces):
        assert first[-3:] == second[:3]
    assert pieces[0][0] == "w1" and pieces[-1][-1] == "w25"
    assert set(words) == {w for p in pieces for w in p}


def test_short_text_is_whole_and_bad_settings_are_refused() -> None:
    assert chunk_text("  two words  ", 10, 2) == ["two words"]
    assert chunk_text("   ", 10, 2) == []
    assert chunk_text("a b c d e f", 0, 0) == ["a b c d e f"]
    with pytest.raises(InputError, match="overlap"):
        chunk_text("a b c", 5, 5)


def test_every_chunk_keeps_its_document() -> None:
    long = " ".join(f"t{i}" for i in range(50))
    table = parse_upload(f"id,text,label,doc\nA,{long},x,keep\nB,short one,y,me\n".encode(), "docs.csv")
    records = build_records(table, "text", "label", ["doc"], chunk_size=20, overlap=5, id_column="id")
    docs = [m["doc"] for m in records.metadatas]
    assert records.documents == 2 and docs.count("A") == len(records) - 1 and docs[-1] == "B"
    first = [m for m in records.metadatas if m["doc"] == "A"]
    assert [m["chunk"] for m in first] == list(range(len(first))) and all(m["chunks"] == len(first) for m in first)
    assert all(m["label"] == "x" for m in first) and first[0]["col_doc"] == "keep"  # reserved name renamed
    assert records.columns == ["col_doc"]


# -- built-in datasets -------------------------------------------------------------------------


def test_builtin_datasets_have_their_documented_sizes_and_labels() -> None:
    news = load_dataset("news")
    assert datasets.dataset("news").size == 3824
    assert len(news.frame) == 3823  # one of the 3,824 articles has neither title nor text: skipped
    assert news.frame["label"].nunique() == 9 and "aljazeera.com" in set(news.frame["label"])
    tweets = load_dataset("healthtweets")
    assert len(tweets.frame) == 63326 and tweets.frame["label"].nunique() == 16
    commons = load_dataset("commons")
    assert len(commons.frame) == 1000 and {"Con", "Lab"} <= set(commons.frame["label"])
    lee = load_dataset("lee")
    assert len(lee.frame) == datasets.dataset("lee").size == 300 and lee.label_column is None
    assert len(load_dataset("news", limit=7).frame) == 7
    with pytest.raises(InputError, match="Unknown dataset 'imdb'"):
        load_dataset("imdb")


# -- into the store ----------------------------------------------------------------------------


class FailingEncoder(HashingEncoder):
    """Encodes ``fail_after`` texts, then raises (an interrupted ingest)."""

    def __init__(self, fail_after: int) -> None:
        super().__init__("hashing-test", dim=64)
        self.fail_after = fail_after

    def encode(self, texts, *, batch_size=64, progress=None):  # type: ignore[no-untyped-def]
        if self.calls + len(texts) > self.fail_after:
            raise KeyboardInterrupt("simulated interruption")
        return super().encode(texts, batch_size=batch_size, progress=progress)


@pytest.mark.both_stores  # also on a chroma run server
def test_reingest_encodes_nothing_and_interrupted_ingest_resumes(hashing_encoder: HashingEncoder, monkeypatch: pytest.MonkeyPatch) -> None:
    from embedlab.backends import catalogue

    records = dataset_records("lee", limit=120, chunk_size=40, overlap=8)
    store = open_store()
    failing = FailingEncoder(fail_after=600)
    catalogue().add(failing, "session", persist=False)
    with pytest.raises(KeyboardInterrupt):
        ingest_records("lee", "hashing-test", records, batch_size=16)
    info = store.info("lee")
    assert info.status == STATUS_INGESTING and 0 < info.count < len(records)
    stored_before = info.count

    catalogue().add(hashing_encoder, "session", persist=False)
    seen: list[tuple[int, int]] = []
    report = ingest_records("lee", "hashing-test", records, progress=lambda d, t: seen.append((d, t)))
    assert report.skipped == stored_before and report.added == len(records) - stored_before
    assert hashing_encoder.calls == len(records) - stored_before  # only the rest was encoded
    assert seen[-1] == (report.added, report.added)
    assert store.info("lee").status == STATUS_COMPLETE and store.info("lee").count == len(records)

    again = ingest_records("lee", "hashing-test", records)
    assert again.added == 0 and again.skipped == len(records)
    assert hashing_encoder.calls == len(records) - stored_before


@pytest.mark.both_stores  # also on a chroma run server
def test_bad_upload_leaves_earlier_collections_intact(hashing_encoder: HashingEncoder, tmp_path: Path) -> None:
    good = ingest_upload(b"text,label\nthe cat sat,a\nthe dog ran,b\nbirds fly high,a\n", "good.csv", "pets", "hashing-test", label_column="label")
    store = open_store()
    before = store.get_all(good.collection)
    for data, name in ((b"text\n\x00\x00", "bad.csv"), (b'{"text": nope}\n', "bad.jsonl")):
        with pytest.raises(BadUploadError):
            ingest_upload(data, name, "pets", "hashing-test")
    after = store.get_all(good.collection)
    assert after["ids"] == before["ids"] and np.array_equal(after["embeddings"], before["embeddings"])
    assert store.info("pets").status == STATUS_COMPLETE
    meta = after["metadatas"][0]
    assert {"doc", "row", "chunk", "label"} <= set(meta)
    assert json.loads(store.info("pets").extra["columns"]) == []


@pytest.mark.slow
def test_real_minilm_ingest_and_search_of_health_tweets() -> None:
    from embedlab.analysis.search import search_collection

    report = ingest_dataset("healthtweets", "tweets", "minilm", limit=200)
    assert report.rows == 200 and report.added == 200 and report.model == "minilm"
    info = open_store().info("tweets")
    assert info.dim == 384 and info.count == 200 and info.complete
    hits = search_collection("tweets", "healthy snacks that curb hunger", 5).hits
    relevant = [h for h in hits if any(w in h.text.lower() for w in ("snack", "hunger", "hungry", "food", "eat"))]
    assert len(relevant) >= 3, [h.text for h in hits]
    assert ingest_dataset("healthtweets", "tweets", "minilm", limit=200).added == 0


def test_balanced_sample_per_label() -> None:
    table = load_dataset("news", per_label=5)
    assert len(table.frame) == 45 and set(table.frame["label"].value_counts()) == {5}
    with pytest.raises(InputError, match="per_label needs a labelled dataset"):
        load_dataset("lee", per_label=3)


def test_column_names_that_collide_are_refused() -> None:
    with pytest.raises(BadUploadError, match=r"two columns named 'a'"):
        parse_upload(b"a, a\n1,2\n", "spaced.csv")  # ' a' is 'a' once stripped
    with pytest.raises(BadUploadError, match=r"'my col' and 'my_col' \(both are stored as 'my_col'\)"):
        parse_upload(b'{"text": "x", "my col": "1", "my_col": "2"}\n', "keys.jsonl")


@pytest.mark.both_stores  # also on a chroma run server
def test_columns_chroma_refuses_as_keys_are_stored_under_a_prefix(hashing_encoder: HashingEncoder) -> None:
    """Chroma refuses metadata keys starting with '$' or '#': they are stored as col_... and the
    ingest completes (it used to fail after creating an empty collection)."""
    data = b"text,$and,#tag,a.b\nthe cat sat,1,x,p\nthe dog ran,2,y,q\n"
    report = ingest_upload(data, "keys.csv", "keys", "hashing-test", columns=["$and", "#tag", "a.b"])
    stored = open_store().get_all(report.collection)
    assert report.added == 2 and {"col_and", "col_tag", "a.b"} <= set(stored["metadatas"][0])
    assert sorted(m["col_and"] for m in stored["metadatas"]) == ["1", "2"]


def test_unicode_line_separators_stay_inside_their_line() -> None:
    """U+2028/U+2029/U+0085 are legal inside JSON strings and ordinary text: one line each."""
    jsonl = '{"text": "first\u2028still first"}\n{"text": "second\u0085part"}\n'.encode()
    table = parse_upload(jsonl, "seps.jsonl")
    assert table.frame["text"].tolist() == ["first\u2028still first", "second\u0085part"]
    text = "one\u2029doc\r\ntwo\n".encode()
    assert parse_upload(text, "seps.txt").frame["text"].tolist() == ["one\u2029doc", "two"]


@pytest.mark.both_stores  # also on a chroma run server
def test_reingest_with_other_settings_is_refused_and_stores_nothing(hashing_encoder: HashingEncoder) -> None:
    data = b"text,label,source\nthe cat sat on the mat,a,x\nthe dog ran in the park,b,y\nbirds fly high,a,x\n"
    first = ingest_upload(data, "pets.csv", "pets", "hashing-test", label_column="label")
    store = open_store()
    before = store.get_all(first.collection)["ids"]
    for changes, named in (({"label_column": "source"}, "label_column"), ({"columns": ["source"]}, "columns"),
                           ({"chunk_size": 2, "overlap": 0}, "chunk_size")):
        options = {"label_column": "label", **changes}
        with pytest.raises(InputError, match=rf"stored with other settings: {named}"):
            ingest_upload(data, "pets.csv", "pets", "hashing-test", **options)
    assert store.get_all(first.collection)["ids"] == before
    more = ingest_upload(b"text,label\nfish swim,b\n", "more.csv", "pets", "hashing-test", label_column="label")
    assert more.added == 1 and store.info(first.collection).count == 4  # same settings: rows are added


def test_a_column_named_text_is_guessed_before_a_longer_one() -> None:
    table = parse_upload(b"Title,Body,notes\nshort,the body,a much longer note than the body of the row\nx,y,another long note here\n", "n.csv")
    assert table.guess_text_column() == "Body"  # named like a text column, in any case
    table = parse_upload(b"summary,TEXT,content\nlong long long long summary,t1,c1\nanother long long summary,t2,c2\n", "m.csv")
    assert table.guess_text_column() == "TEXT"  # text before content, body, sentence, document
    table = parse_upload(b"code,comment\n1,a longer comment\n2,another comment\n", "x.csv")
    assert table.guess_text_column() == "comment"  # no such name: the longest texts, as before


def test_nested_json_values_are_not_guessed_as_the_text() -> None:
    lines = [json.dumps({"meta": {"source": "wire", "tags": ["a", "b", "c"], "id": i}, "headline": f"news {i}"}) for i in range(3)]
    table = parse_upload("\n".join(lines).encode(), "nested.jsonl")
    assert table.frame.loc[0, "meta"].startswith("{") and table.guess_text_column() == "headline"
    lines = [json.dumps({"text": {"en": f"hello {i}"}, "note": "n"}) for i in range(3)]
    assert parse_upload("\n".join(lines).encode(), "named.jsonl").guess_text_column() == "note"  # even a JSON column called text
    only = parse_upload(b'{"data": {"a": 1}}\n{"data": [1, 2]}\n', "only.jsonl")
    assert only.guess_text_column() == "data"  # nothing else to offer


@pytest.mark.both_stores  # also on a chroma run server
def test_tweets_are_html_unescaped_and_old_escaped_collections_are_not_mixed_in(hashing_encoder: HashingEncoder) -> None:
    """The tweets store '&gt;' and '&amp;': they are read as '>' and '&'. A collection stored
    from the escaped texts (before this) refuses the unescaped ones instead of holding both."""
    tweets = load_dataset("healthtweets").frame["text"]
    assert not tweets.str.contains("&gt;|&amp;|&lt;").any() and tweets.str.contains(" --> ").any()
    escaped = dataset_records("healthtweets", limit=30)
    escaped.text_cleaning = "as-is"  # as the records were before texts were unescaped
    ingest_records("tweets", "hashing-test", escaped)
    with pytest.raises(InputError, match=r"text_cleaning 'as-is' \(now 'html-unescaped'\)"):
        ingest_dataset("healthtweets", "tweets", "hashing-test", limit=30)
    assert ingest_dataset("healthtweets", "fresh-tweets", "hashing-test", limit=30).added == 30


def test_a_nul_byte_far_into_a_file_is_refused_with_its_line() -> None:
    """The NUL check once read only the first 64 KiB: a NUL on row 4,000 reached Chroma and the CSV export."""
    rows = ["text,label"] + [f"row number {i} with some words,a" for i in range(1, 5000)]
    rows[4000] = "row 4000 \x00 hides a NUL,a"
    data = ("\n".join(rows) + "\n").encode()
    assert data.index(b"\x00") > 65536
    with pytest.raises(BadUploadError, match="NUL byte on line 4,001"):
        parse_upload(data, "late-nul.csv")
