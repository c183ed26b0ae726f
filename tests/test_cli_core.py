"""The console script: models, similarity, neighbors; JSON shapes and error exits."""

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
        (["neighbors", "minilm", "cat", "--collection", "missing"], "No collection named 'missing'"),
    ],
)
def test_errors_exit_2_with_a_specific_message(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""
