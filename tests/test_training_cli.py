"""CLI: `embedlab train` writes word2vec files that the safe loader reads back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import embedlab  # noqa: F401
from embedlab.backends import backend_names, unregister
from embedlab.cli import main
from embedlab.wordvec_upload import load_word_vectors_file


def test_train_word2vec_on_uploaded_text_writes_binary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "docs.txt"
    text.write_text("\n".join(["the cat sat on the mat with another cat"] * 30 + ["dogs chase cats in the park"] * 30))
    out = tmp_path / "vectors.bin"
    assert main(["train", "word2vec", "--text", str(text), "--dim", "8", "--epochs", "2", "--min-count", "1",
                 "--seed", "3", "--out", str(out), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["algorithm"] == "word2vec" and document["seed"] == 3 and len(document["epoch_seconds"]) == 2
    _, report = load_word_vectors_file(out, persist=False, register_backend=False)
    assert report.format == "word2vec-binary" and report.words == document["vocabulary"] and report.dim == 8
    assert document["name"] in backend_names()
    unregister(document["name"])


def test_train_deepwalk_reports_auc(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "karate.txt"
    assert main(["train", "deepwalk", "--graph", "karate", "--p", "0.5", "--q", "2", "--epochs", "2",
                 "--out", str(out), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["algorithm"] == "node2vec" and document["nodes"] == 34 and 0.0 <= document["auc"] <= 1.0
    assert out.read_text().splitlines()[0] == "34 32"


def test_train_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "fasttext", "--epochs", "0", "--out", str(tmp_path / "x.txt")]) == 2
    assert "epochs must be" in capsys.readouterr().err
    assert main(["train", "word2vec", "--text", str(tmp_path / "missing.txt"), "--out", str(tmp_path / "x.txt")]) == 2
    assert "No such file" in capsys.readouterr().err
