"""The console script: models, similarity, neighbors; JSON shapes and error exits. The tests that
read or write a collection run on the embedded store and on a ``chroma run`` server (``both_stores``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from embedlab.backends.hashing import HashingEncoder
from embedlab.cli import main
from embedlab.store import open_store

EMBEDLAB = shutil.which("embedlab", path=str(Path(sys.executable).parent)) or "embedlab"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EMBEDLAB, *args], capture_output=True, text=True, env=os.environ.copy(), timeout=300)


def test_console_script_lists_the_four_backends_available_on_this_device() -> None:
    done = run_cli("models", "--json")
    assert done.returncode == 0, done.stderr
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    assert {"minilm", "use-multilingual", "glove-6b-50d", "word2vec-gn-bolukbasi"} <= set(rows)
    for row in rows.values():
        assert set(row) == {"name", "kind", "dim", "device", "available"}
    assert all(rows[n]["available"] for n in ("minilm", "use-multilingual", "glove-6b-50d", "word2vec-gn-bolukbasi"))
    from embedlab.device import resolve_device

    assert rows["minilm"]["device"] == resolve_device()


@pytest.mark.slow
def test_similarity_json_is_a_symmetric_matrix(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["similarity", "glove-6b-50d", "king", "queen", "car", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["model"] == "glove-6b-50d" and document["texts"] == ["king", "queen", "car"]
    matrix = document["matrix"]
    assert matrix[0][0] == pytest.approx(1.0) and matrix[0][1] == pytest.approx(matrix[1][0])
    assert matrix[0][1] > matrix[0][2]


@pytest.mark.slow
def test_word_neighbors_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["neighbors", "glove-6b-50d", "paris", "-k", "5", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["query"] == "paris" and len(document["neighbors"]) == 5
    assert set(document["neighbors"][0]) == {"key", "score"}
    scores = [n["score"] for n in document["neighbors"]]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.both_stores  # also on a chroma run server
def test_text_model_neighbors_search_a_collection(hashing_encoder: HashingEncoder, capsys: pytest.CaptureFixture[str]) -> None:
    open_store().add_texts("notes", hashing_encoder, ["cats purr softly", "stocks fell today", "dogs bark loudly"])
    assert main(["neighbors", "hashing-test", "cats purr", "--collection", "notes", "-k", "2", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["neighbors"][0]["key"] == "cats purr softly" and len(document["neighbors"]) == 2


@pytest.mark.parametrize(
    "args, message",
    [
        (["neighbors", "minilm", "cat"], "has no vocabulary: pass --collection"),
        (["neighbors", "glove-6b-50d", "qqqzzzxx"], "Not in the vocabulary of 'glove-6b-50d': 'qqqzzzxx'"),
        (["similarity", "no-such-model", "a", "b"], "Unknown model 'no-such-model'"),
        (["similarity", "glove-6b-50d", "king", "zzqqxx"], "'zzqqxx'"),
        (["similarity", "glove-6b-50d", *[f"w{i}" for i in range(51)]], "Too many words: 51; the limit is 50"),
        (["similarity", "minilm", "", "a cat"], "Item 1 is empty"),
    ],
)
def test_errors_exit_2_with_a_specific_message(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


@pytest.mark.both_stores  # also on a chroma run server
def test_a_missing_collection_exits_2_with_its_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["neighbors", "minilm", "cat", "--collection", "missing"]) == 2
    captured = capsys.readouterr()
    assert "No collection named 'missing'" in captured.err and captured.out == ""


def test_files_and_bugs_end_in_one_line_not_a_traceback(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """An unreadable file exits 2 with the path; an unexpected exception exits 1 in one line."""
    import embedlab.cli.core as core

    def unreadable(args):
        raise FileNotFoundError(2, "No such file or directory", "/nowhere/x.txt")

    def bug(args):
        raise ZeroDivisionError("division by zero")

    monkeypatch.delenv("EMBEDLAB_DEBUG", raising=False)
    for handler, code, message in ((unreadable, 2, "No such file or directory: /nowhere/x.txt"),
                                   (bug, 1, "unexpected ZeroDivisionError: division by zero (a bug")):
        monkeypatch.setattr(core, "cmd_models", handler)
        assert main(["models"]) == code
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_json_never_prints_nan(capsys: pytest.CaptureFixture[str]) -> None:
    """Strict JSON has no NaN: such a value is printed as null."""
    import argparse

    import numpy as np

    from embedlab.cli._common import emit

    emit(argparse.Namespace(json=True), {"score": float("nan"), "scores": np.array([1.0, np.inf]), "n": np.int64(3)}, lambda: None)
    assert json.loads(capsys.readouterr().out) == {"score": None, "scores": [1.0, None], "n": 3}


@pytest.mark.slow
def test_a_closed_pipe_ends_quietly() -> None:
    """``embedlab ... --json | head -c 10`` on ~400 kB of output (more than a pipe holds):
    no BrokenPipeError traceback."""
    texts = " ".join(f"s{i}" for i in range(200))
    done = subprocess.run(f"'{EMBEDLAB}' similarity minilm {texts} --json | head -c 10", shell=True, capture_output=True, text=True, timeout=300)
    assert done.stdout.startswith('{"model"')
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr


@pytest.mark.both_stores  # also on a chroma run server
def test_human_output_writes_control_characters_out(hashing_encoder: HashingEncoder, capsys: pytest.CaptureFixture[str]) -> None:
    """A stored text with ANSI escapes once recoloured the terminal of whoever searched it."""
    hostile = "red \x1b[31malert\x1b[0m \x1b]0;pwned\x07 bell\u202eevil"
    open_store().add_texts("notes", hashing_encoder, [hostile, "dogs bark loudly"])
    assert main(["neighbors", "hashing-test", "red alert", "--collection", "notes", "-k", "1"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "red \\x1b[31malert\\x1b[0m" in out and "\\u202eevil" in out
    assert main(["neighbors", "hashing-test", "red alert", "--collection", "notes", "-k", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["neighbors"][0]["key"] == hostile  # JSON keeps the text exact
    assert main(["neighbors", "hashing-test", "x", "--collection", "no\x1b[2Jsuch"]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "no\\x1b[2Jsuch" in err
