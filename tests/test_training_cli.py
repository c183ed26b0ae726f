"""CLI: `embedlab train` writes word2vec files that the safe loader reads back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import embedlab  # noqa: F401
from embedlab.backends import backend_names, catalogue
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


def strict_json(text: str) -> dict:
    """json.loads that fails on NaN/Infinity (not JSON, though Python writes them)."""
    return json.loads(text, parse_constant=lambda constant: pytest.fail(f"{constant} in JSON output"))


def test_train_deepwalk_reports_auc(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Seeded, so the figures are fixed: AUC 0.75 for DeepWalk (chance 0.5), 0.72 for node2vec."""
    out = tmp_path / "karate.txt"
    assert main(["train", "deepwalk", "--graph", "karate", "--out", str(out), "--json"]) == 0
    document = strict_json(capsys.readouterr().out)
    assert document["algorithm"] == "deepwalk" and document["nodes"] == 34 and document["params"]["walk_length"] == 40
    assert document["auc"] > 0.7 and document["held_out"] == 16 and document["separation"] > 0.25
    assert out.read_text().splitlines()[0] == "34 32"
    assert main(["train", "deepwalk", "--graph", "karate", "--p", "0.5", "--q", "2", "--walk-length", "30",
                 "--out", str(out), "--json"]) == 0
    node2vec = strict_json(capsys.readouterr().out)
    assert node2vec["algorithm"] == "node2vec" and node2vec["params"]["walk_length"] == 30
    assert node2vec["auc"] > 0.65 and node2vec["separation"] > 0.25


def test_a_graph_too_small_to_evaluate_gets_null_and_a_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edges = tmp_path / "tri.txt"
    edges.write_text("a b\nb c\nc a\n")
    out = tmp_path / "tri-out.txt"
    assert main(["train", "deepwalk", "--edges", str(edges), "--out", str(out), "--json"]) == 0
    captured = capsys.readouterr()
    document = strict_json(captured.out)
    assert document["auc"] is None and "no non-edges" in document["auc_note"]
    assert document["separation"] is None and "same group" in document["separation_note"]
    assert "RuntimeWarning" not in captured.err
    assert main(["train", "deepwalk", "--edges", str(edges), "--out", str(out)]) == 0
    assert "ROC AUC n/a (every pair of nodes is linked" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["word2vec", "--dim", "0"], "argument --dim: must be between 2 and 300, got 0"),
        (["deepwalk", "--dim", "0"], "argument --dim: must be between 2 and 300, got 0"),
        (["deepwalk", "--walk-length", "0"], "argument --walk-length: must be between 2 and 200, got 0"),
        (["word2vec", "--max-documents", "0"], "argument --max-documents: must be between 1 and 100,000, got 0"),
        (["word2vec", "--max-documents", "-3"], "argument --max-documents: must be between 1 and 100,000, got -3"),
        (["deepwalk", "--held-out", "0"], "argument --held-out: must be a number between 0.05 and 0.5, got 0"),
    ],
)
def test_zero_is_refused_not_taken_for_the_default(argv: list[str], message: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x.txt"
    assert main(["train", *argv, "--epochs", "1", "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists() and not [n for n in backend_names() if n.startswith("trained:")]


def test_max_documents_zero_is_refused_for_a_text_file_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "docs.txt"
    text.write_text("\n".join(["the cat sat on the mat with another cat"] * 30))
    assert main(["train", "word2vec", "--text", str(text), "--max-documents", "0", "--out", str(tmp_path / "x.txt")]) == 2
    assert "argument --max-documents: must be between 1" in capsys.readouterr().err


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs Linux /proc")
def test_an_unwritable_out_is_an_error_and_registers_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "docs.txt"
    text.write_text("\n".join(["the cat sat on the mat with another cat"] * 30))
    assert main(["train", "word2vec", "--text", str(text), "--min-count", "1", "--epochs", "1",
                 "--out", "/proc/embedlab-x.txt"]) == 2
    assert "Cannot write --out /proc/embedlab-x.txt" in capsys.readouterr().err
    assert not [n for n in backend_names() if n.startswith("trained:")]
    assert not catalogue().saved.folder().exists() or not list(catalogue().saved.folder().iterdir())
    assert main(["train", "deepwalk", "--graph", "florentine", "--out", "/proc/embedlab-y.txt"]) == 2
    assert "Cannot write --out /proc/embedlab-y.txt" in capsys.readouterr().err


def test_train_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "fasttext", "--epochs", "0", "--out", str(tmp_path / "x.txt")]) == 2
    assert "argument --epochs: must be between 1" in capsys.readouterr().err
    assert main(["train", "word2vec", "--text", str(tmp_path / "missing.txt"), "--out", str(tmp_path / "x.txt")]) == 2
    assert "No such file" in capsys.readouterr().err


def test_train_fasttext_and_doc2vec_dbow_on_the_news_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ft.txt"
    assert main(["train", "fasttext", "--corpus", "news", "--max-documents", "150", "--dim", "16", "--epochs", "2",
                 "--min-n", "2", "--max-n", "4", "--cbow", "--out", str(out), "--json"]) == 0
    fasttext = json.loads(capsys.readouterr().out)
    assert fasttext["documents"] == 150 and fasttext["params"]["min_n"] == 2 and fasttext["params"]["sg"] == 0
    assert out.read_text().splitlines()[0] == f"{fasttext['vocabulary']} 16"
    dbow = tmp_path / "d2v.txt"
    assert main(["train", "doc2vec", "--corpus", "lee", "--dim", "12", "--epochs", "2", "--dbow", "--out", str(dbow), "--json"]) == 0
    doc2vec = json.loads(capsys.readouterr().out)
    assert doc2vec["params"]["dm"] == 0 and "sg" not in doc2vec["params"]  # the architecture of doc2vec is dm, not sg
    assert main(["train", "doc2vec", "--corpus", "lee", "--dim", "12", "--epochs", "2", "--out", str(dbow), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] != doc2vec["name"]  # PV-DM is another model


def test_train_deepwalk_on_an_edge_list_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edges = tmp_path / "edges.txt"
    ring = [f"a{i} a{(i + 1) % 12} left" for i in range(12)] + [f"b{i} b{(i + 1) % 12} right" for i in range(12)] + ["a0 b0"]
    edges.write_text("# two rings joined by one edge\n" + "\n".join(ring) + "\n")
    out = tmp_path / "nodes.txt"
    assert main(["train", "deepwalk", "--edges", str(edges), "--dim", "8", "--epochs", "3", "--out", str(out), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["nodes"] == 24 and document["algorithm"] == "deepwalk"
    assert out.read_text().splitlines()[0] == "24 8"


def test_a_long_text_file_is_fine_when_fewer_documents_are_asked_for(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "many.txt"
    text.write_text("\n".join(f"line {i} about cats and dogs and birds" for i in range(100_050)))
    out = tmp_path / "w.txt"
    assert main(["train", "word2vec", "--text", str(text), "--max-documents", "200", "--dim", "8", "--epochs", "1",
                 "--out", str(out), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["documents"] == 200
    assert main(["delete-model", document["name"], "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"deleted": document["name"]}
    assert document["name"] not in backend_names()
    assert main(["delete-model", "glove-6b-50d"]) == 2
    assert "built-in model" in capsys.readouterr().err
    assert main(["delete-model", "trained:nothing-here"]) == 2
    assert "No uploaded, trained or debiased model" in capsys.readouterr().err
