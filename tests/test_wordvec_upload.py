"""Uploading word vectors: real files load safely; every hostile case gets its own message."""

from __future__ import annotations

import gzip
import io
import json
import struct
from pathlib import Path

import numpy as np
import pytest

from embedlab.analysis.analogy import solve_analogy
from embedlab.backends import backend_names, catalogue, get_word_vectors
from embedlab.backends.base import BackendKind
from embedlab.backends.words import word2vec_bolukbasi_file
from embedlab.errors import BadUploadError, InputError
from embedlab.packagedata import package_dir
from embedlab.wordvec_upload import (
    WordVectorLimits,
    load_word_vectors,
    load_word_vectors_file,
    word2vec_bytes,
)
from tests.conftest import restart_catalogue


def saved_dir() -> Path:
    return catalogue().saved.folder()

GLOVE_TEXT = package_dir("gensim") / "test/test_data/test_glove.txt"


def text_w2v(words: list[str], vectors: np.ndarray, header: str | None = None) -> bytes:
    head = header if header is not None else f"{len(words)} {vectors.shape[1]}"
    lines = [head] + [w + " " + " ".join(f"{v:.5f}" for v in row) for w, row in zip(words, vectors, strict=True)]
    return ("\n".join(lines) + "\n").encode()


def binary_w2v(words: list[bytes], vectors: np.ndarray, header: bytes | None = None) -> bytes:
    out = io.BytesIO()
    out.write(header if header is not None else f"{len(words)} {vectors.shape[1]}\n".encode())
    for word, row in zip(words, vectors, strict=True):
        out.write(word + b" " + row.astype("<f4").tobytes() + b"\n")
    return out.getvalue()


@pytest.fixture
def small() -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(1)
    return [f"w{i}" for i in range(30)], rng.normal(size=(30, 8)).astype(np.float32)


def test_real_glove_text_file_loads_and_is_registered() -> None:
    backend, report = load_word_vectors(GLOVE_TEXT.read_bytes(), "test_glove.txt")
    assert report.format == "glove" and report.header_words is None
    assert (report.words, report.dim) == (len(GLOVE_TEXT.read_text(encoding="utf8").splitlines()), 50)
    assert report.name.startswith("user:test-glove-") and report.name in backend_names(BackendKind.WORDS)
    assert "the" in backend and get_word_vectors(report.name) is backend


@pytest.mark.slow
def test_real_word2vec_binary_gzipped_equals_the_builtin_and_survives_restart() -> None:
    raw = word2vec_bolukbasi_file().read_bytes()
    backend, report = load_word_vectors(gzip.compress(raw, compresslevel=1), "GoogleNews-subset.bin.gz")
    assert report.format == "word2vec-binary" and report.words == 26_423 and report.dim == 300
    builtin = get_word_vectors("word2vec-gn-bolukbasi")
    assert np.array_equal(backend.kv["queen"], builtin.kv["queen"])
    assert solve_analogy(report.name, "man", "king", "woman").best == "queen"
    # a restart: the run-time instance is gone; listing models finds the saved copy again,
    # registered lazily (read on first use)
    restart_catalogue()
    assert report.name in backend_names(BackendKind.WORDS)
    again = get_word_vectors(report.name)
    assert again._loaded is None and again.dim == 300 and again.vocab_size == 26_423  # read on first use only
    assert np.array_equal(again.kv["queen"], builtin.kv["queen"])
    assert solve_analogy(report.name, "man", "king", "woman").best == "queen"
    catalogue().remove(report.name)
    assert report.name not in backend_names() and not list(saved_dir().iterdir())


def test_text_round_trip_through_download_bytes(small) -> None:  # type: ignore[no-untyped-def]
    words, vectors = small
    backend, _ = load_word_vectors(text_w2v(words, vectors), "mine.vec", persist=False)
    exported = word2vec_bytes(backend)
    again, report = load_word_vectors(exported, "again.txt", persist=False, register_backend=False)
    assert report.format == "word2vec-text"
    assert np.allclose(again.kv.vectors, backend.kv.vectors, atol=1e-5)
    binary, report_b = load_word_vectors(word2vec_bytes(backend, binary=True), "b.bin", persist=False, register_backend=False)
    assert report_b.format == "word2vec-binary" and np.array_equal(binary.kv.vectors, backend.kv.vectors)


def test_extension_does_not_pick_a_decompressor(small) -> None:  # type: ignore[no-untyped-def]
    words, vectors = small
    _, report = load_word_vectors(text_w2v(words, vectors), "looks-like.bz2", persist=False)
    assert report.words == 30


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "empty"),
        (b"PK\x03\x04rest-of-a-zip", "ZIP archive"),
        (b"BZh91AY&SY", "Only gzip"),
        (b"\x93NUMPY\x01\x00", "NumPy"),
        (b"0 50\n", "announces 0 words"),
        (b"10 5000\nthe 0.1\n", "5,000 dimensions; the limit is 1,000"),
        (b"10 -3\n", "not positive"),
        (b"3 4\nthe 0.1 0.2 0.3 0.4\n", "only 1 lines follow"),
        (b"100000000 300\nthe " + b"0.1 " * 299 + b"0.1\n", "truncated or its header is wrong"),
        (b"2 4\nthe 0.1 0.2 0.3\nof 0.1 0.2 0.3 0.4\n", "line 2 has 3 numbers"),
        (b"the 0.1 0.2 0.3\nof 0.1 0.2\n", r"Line 2 has 2 numbers after the word 'of'; every line needs 3"),
        (b"the 0.1 0.2 0.3\n" * 3999 + b"of 0.1 0.2 0.3 0.4\n", r"Line 4,000 has 4 numbers after the word 'of'"),
        (b"the 0.1 0.2 0.3\nof 0.1 two 0.3\n", r"Line 2: 'two' after the word 'of' is not a number"),
        (b"3 3\nthe 0.1 0.2 0.3\nof 0.1 0.2 0.3\nand 0.1 0.2\n", r"Line 4 has 2 numbers after the word 'and'.*the header"),
        (b"the 0.1 zero 0.3\n", "not 'word followed by numbers'"),
        (b"2 3\nthe 0.1 0.2 0.3\nof 0.1 nan 0.3\n", "NaN or infinite"),
        (b"2 3\nthe 0.1 0.2 0.3\nof 0.1 1e39 0.3\n", "NaN or infinite"),
        (b"2 3\nthe 0.1 0.2 0.3\nof 0.1 1e30 0.3\n", "Vector values reach 1e"),
        (b"\x00\x01\x02\x03binary junk" * 10, "binary data without a word2vec header"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\xff" * 20, "cannot be decompressed"),
        (gzip.compress(b"2 3\nthe 0.1 0.2 0.3\n", mtime=0)[:-12], "truncated"),  # mtime 0: one test id in every process
    ],
)
def test_hostile_files_get_specific_messages(payload: bytes, message: str) -> None:
    with pytest.raises(BadUploadError, match=message):
        load_word_vectors(payload, "x.txt", persist=False)
    assert not [n for n in backend_names() if n.startswith("user:x-")]


def test_pickle_is_refused_before_anything_is_unpickled(tmp_path: Path, small) -> None:  # type: ignore[no-untyped-def]
    from gensim.models import KeyedVectors

    words, vectors = small
    kv = KeyedVectors(vector_size=8)
    kv.add_vectors(words, vectors)
    kv.save(str(tmp_path / "model.kv"))  # gensim's pickle format
    with pytest.raises(BadUploadError, match="pickle.*refused"):
        load_word_vectors_file(tmp_path / "model.kv", persist=False)


def test_truncated_binary_names_the_byte_counts(small) -> None:  # type: ignore[no-untyped-def]
    words, vectors = small
    data = binary_w2v([w.encode() for w in words], vectors)
    with pytest.raises(BadUploadError, match=r"announces 30 words of 8 dimensions.*truncated"):
        load_word_vectors(data[: len(data) // 2], "cut.bin", persist=False)


def test_gzip_bomb_stops_at_the_cap() -> None:
    limits = WordVectorLimits(max_bytes=1_000_000)
    bomb = gzip.compress(b"0" * 20_000_000)
    assert len(bomb) < limits.max_bytes
    with pytest.raises(BadUploadError, match="expands to more than"):
        load_word_vectors(bomb, "bomb.gz", limits=limits, persist=False)


def test_vocabulary_cap_cuts_with_a_warning(small) -> None:  # type: ignore[no-untyped-def]
    words, vectors = small
    limits = WordVectorLimits(max_vocab=10)
    backend, report = load_word_vectors(text_w2v(words, vectors), "big.txt", limits=limits, persist=False)
    assert report.words == backend.vocab_size == 10
    assert any("first 10 of 30" in w for w in report.warnings)


def test_undecodable_words_are_replaced_with_a_warning(small) -> None:  # type: ignore[no-untyped-def]
    words, vectors = small
    names = [w.encode() for w in words]
    names[3] = b"caf\xe9"  # latin-1, not UTF-8
    backend, report = load_word_vectors(binary_w2v(names, vectors), "latin.bin", persist=False)
    assert any("not valid UTF-8" in w for w in report.warnings)
    assert "caf\ufffd" in backend
    assert report.format == "word2vec-binary"


def test_format_mismatch_is_explained(small) -> None:  # type: ignore[no-untyped-def]
    words, vectors = small
    with pytest.raises(BadUploadError, match="choose word2vec, not GloVe"):
        load_word_vectors(text_w2v(words, vectors), "a.txt", fmt="glove", persist=False)
    with pytest.raises(BadUploadError, match="choose GloVe"):
        load_word_vectors(GLOVE_TEXT.read_bytes(), "g.txt", fmt="word2vec-text", persist=False)
    with pytest.raises(InputError, match="Unknown word-vector format"):
        load_word_vectors(b"x", "a.txt", fmt="fasttext-bin", persist=False)


def test_same_content_twice_is_one_backend_and_saved_once(small) -> None:  # type: ignore[no-untyped-def]
    words, vectors = small
    data = text_w2v(words, vectors)
    _, first = load_word_vectors(data, "same.txt")
    _, second = load_word_vectors(data, "same.txt")
    assert first.name == second.name
    assert backend_names().count(first.name) == 1
    assert len(list(saved_dir().glob("*.w2v"))) == 1


def test_binary_vectors_are_read_exactly(small) -> None:  # type: ignore[no-untyped-def]
    words, vectors = small
    backend, report = load_word_vectors(binary_w2v([w.encode() for w in words], vectors), "v.bin", persist=False)
    assert report.format == "word2vec-binary"
    assert np.array_equal(backend.kv["w7"], vectors[7])
    assert struct.calcsize("<f") == 4


def test_mutated_files_either_load_or_fail_with_an_embedlab_error() -> None:
    """Seeded fuzzing: truncations, flipped, inserted and deleted bytes of valid text, binary,
    GloVe and gzip files never escape as a raw library exception."""
    from embedlab.errors import EmbedlabError

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(40)]
    vectors = rng.normal(size=(40, 6)).astype(np.float32)
    text = text_w2v(words, vectors)
    bases = [text, binary_w2v([w.encode() for w in words], vectors), b"\n".join(text.splitlines()[1:]) + b"\n",
             gzip.compress(text)]
    outcomes = {"loaded": 0, "refused": 0}
    for case in range(240):
        data = bytearray(bases[case % 4])
        operation = case // 4 % 4
        position = int(rng.integers(len(data)))
        if operation == 0:
            data = data[:position]
        elif operation == 1:
            for _ in range(int(rng.integers(1, 6))):
                data[int(rng.integers(len(data)))] = int(rng.integers(256))
        elif operation == 2:
            data[position:position] = bytes(rng.integers(0, 256, int(rng.integers(1, 20))).tolist())
        else:
            del data[position : position + int(rng.integers(1, 30))]
        try:
            backend, _ = load_word_vectors(bytes(data), "fuzz.txt", persist=False, register_backend=False)
            assert np.isfinite(backend.kv.vectors).all()
            outcomes["loaded"] += 1
        except EmbedlabError:
            outcomes["refused"] += 1
    assert outcomes["loaded"] > 10 and outcomes["refused"] > 10


def test_the_same_upload_from_many_sessions_at_once_gives_one_backend(small) -> None:  # type: ignore[no-untyped-def]
    from concurrent.futures import ThreadPoolExecutor

    words, vectors = small
    data = text_w2v(words, vectors)
    with ThreadPoolExecutor(max_workers=8) as pool:
        reports = list(pool.map(lambda _: load_word_vectors(data, "shared.txt")[1], range(8)))
    assert len({r.name for r in reports}) == 1
    assert backend_names().count(reports[0].name) == 1
    assert len(list(saved_dir().glob("*.w2v"))) == 1 and not list(saved_dir().glob("*.partial"))


def test_every_page_and_command_sees_models_saved_by_another_process(tmp_path: Path) -> None:
    """A model saved under EMBEDLAB_HOME (by the CLI, or before a restart) is listed by the
    registry itself, so Similarity and Bias see it too, not only the Words pages."""
    import subprocess
    import sys

    source = tmp_path / "tiny.txt"
    source.write_text("3 4\nalpha 1 0 0 0\nbeta 0 1 0 0\ngamma 0 0 1 0\n")
    done = subprocess.run([sys.executable, "-m", "embedlab", "load-vectors", str(source), "--json"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    saved = json.loads(done.stdout)["name"]
    from embedlab.backends import BackendKind, backend_names, model_status

    assert saved in backend_names(BackendKind.WORDS)
    assert any(row.name == saved for row in model_status())


@pytest.mark.parametrize("kind", ["glove", "word2vec-text", "word2vec-binary"])
def test_repeated_words_keep_their_first_vector_and_survive_saving(kind: str) -> None:
    """gensim keeps the first vector of a repeated word but sizes the model by the line count:
    the saved file then announced 3 words over 2 rows and a new process failed with EOFError."""
    words = ["the", "the", "of", "and"]
    vectors = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6], [-0.7, 0.1]], dtype=np.float32)
    if kind == "glove":
        data = b"".join(f"{w} {a} {b}\n".encode() for w, (a, b) in zip(words, vectors, strict=True))
    elif kind == "word2vec-text":
        data = text_w2v(words, vectors)
    else:
        data = binary_w2v([w.encode() for w in words], vectors)
    backend, report = load_word_vectors(data, f"dup-{kind}.txt")
    assert report.format == kind and report.words == backend.vocab_size == 3
    assert backend.kv.index_to_key == ["the", "of", "and"] and backend.kv.vectors.shape == (3, 2)
    assert np.allclose(backend.kv["the"], vectors[0])  # the first occurrence wins
    assert any("1 repeated word dropped" in w for w in report.warnings), report.warnings
    # a new process: nothing registered, the saved file read again from disk
    restart_catalogue()
    again = get_word_vectors(report.name)
    assert again._loaded is None and again.vocab_size == 3
    assert again.kv.index_to_key == ["the", "of", "and"] and np.allclose(again.kv["the"], vectors[0])
    assert [w for w, _ in again.neighbors("the", 5)] == ["of", "and"]


def test_all_zero_vectors_are_dropped_with_a_warning_that_names_them() -> None:
    data = b"the 0 0\nof 0.1 0.2\nand 0.3 0.1\npad 0.0 -0.0\n"
    backend, report = load_word_vectors(data, "zeros.txt")
    assert report.words == 2 and "the" not in backend and "pad" not in backend
    warning = next(w for w in report.warnings if "all-zero" in w)
    assert warning.startswith("2 words with an all-zero vector dropped ('the', 'pad')")
    scores = [score for _, score in backend.neighbors("of", 5)]
    assert scores and np.isfinite(scores).all()
    with pytest.raises(BadUploadError, match="Every vector in the file is all zeros"):
        load_word_vectors(b"2 2\nthe 0 0\nof 0 0\n", "nothing.txt", persist=False)
    many = b"".join(f"z{i} 0 0\n".encode() for i in range(12)) + b"ok 1 0\n"
    _, report = load_word_vectors(many, "many.txt", persist=False)
    assert any(w.startswith("12 words") and "and 2 more" in w for w in report.warnings)
    assert "all-zero vectors are dropped" in WordVectorLimits().describe()


def test_zero_rows_already_saved_give_no_nan(capsys: pytest.CaptureFixture[str]) -> None:
    """A model saved before uploads dropped zero vectors: neighbours and analogies stay finite,
    and the JSON output is valid (json.loads refuses NaN here)."""
    from gensim.models import KeyedVectors

    from embedlab.backends.words import KeyedWordVectors
    from embedlab.cli import main

    kv = KeyedVectors(vector_size=2)
    kv.add_vectors(["the", "of", "and", "to"], np.array([[0, 0], [0.1, 0.2], [0.3, 0.1], [0.2, 0.3]], dtype=np.float32))
    backend = KeyedWordVectors("user:legacy-zero", kv)
    catalogue().add(backend, "session", persist=False)

    def strict(text: str) -> dict:
        return json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in JSON output"))

    assert main(["neighbors", "user:legacy-zero", "of", "--json"]) == 0
    document = strict(capsys.readouterr().out)
    assert [n["key"] for n in document["neighbors"]] == ["to", "and"]
    assert main(["neighbors", "user:legacy-zero", "the"]) == 2
    assert "all-zero vector" in capsys.readouterr().err
    assert main(["analogy", "user:legacy-zero", "of", "and", "to", "--json"]) == 0
    answers = strict(capsys.readouterr().out)["answers"]
    assert [a["word"] for a in answers] == ["the"] and answers[0]["score"] == 0.0


def test_a_damaged_saved_file_is_named_not_an_eof_traceback() -> None:
    """Files saved before the duplicate fix announce more words than they hold."""
    from embedlab.errors import EmbedlabError

    _, report = load_word_vectors(b"the 0.1 0.2\nof 0.5 0.6\nand 0.3 0.1\n", "cut.txt")
    path = next(saved_dir().glob("*.w2v"))
    data = path.read_bytes()
    path.write_bytes(b"4" + data[1:])  # header "3 2" becomes "4 2"
    restart_catalogue()
    with pytest.raises(EmbedlabError, match=r"cannot be read.*delete-model"):
        get_word_vectors(report.name).neighbors("the", 1)
