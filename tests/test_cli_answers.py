"""What a new user meets first on the command line (issue 22): a mistyped collection is answered
before any model loads, progress is reported on stderr in every mode without empty
``0row [00:00, ?row/s]`` lines, and ``embedlab collections`` keeps its columns aligned."""

from __future__ import annotations

import pytest

from embedlab.backends.catalogue import Catalogue
from embedlab.cli import main

#: every command that takes a collection name, with the rest of what it needs
COLLECTION_COMMANDS = [
    ["image-search", "a cat", "--collection", "nosuch"],
    ["image-search", "a cat", "--collection", "nosuch", "--top-t", "5"],
    ["classify-collection", "nosuch"],
    ["classify-collection", "nosuch", "--top-t", "3"],
    ["search", "nosuch", "a query"],
    ["search", "nosuch", "a query", "--model", "minilm"],
    ["neighbors", "minilm", "a query", "--collection", "nosuch"],
    ["project", "nosuch"],
    ["cluster", "nosuch"],
    ["export", "nosuch", "--format", "csv", "--out", "unused.csv"],
    ["compress-eval", "nosuch"],
    ["eval-classify", "nosuch", "--model", "minilm"],
    ["finetune", "nosuch"],
]


@pytest.mark.parametrize("argv", COLLECTION_COMMANDS, ids=lambda argv: " ".join(argv[:2] + argv[3:]))
def test_a_mistyped_collection_is_answered_before_any_model_loads(argv: list[str], monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """`image-search --collection nosuch` loaded the image-text model first (133 s on a fresh
    machine) before saying the collection does not exist; no command may touch a model first."""

    def no_model(self: Catalogue, name: str) -> None:
        raise AssertionError(f"model {name!r} loaded before the collection name was checked")

    monkeypatch.setattr(Catalogue, "get", no_model)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "No collection named 'nosuch'" in err, err
    assert "unexpected" not in err and "row [" not in err and "image [" not in err, err


def test_progress_shows_no_empty_counter_and_speaks_in_every_mode(capsys: pytest.CaptureFixture[str]) -> None:
    """A stage before anything is counted is its text alone; a bar that counted nothing leaves no
    ``0row [00:00, ?row/s]`` line; ``--json`` still reports progress on stderr (stdout is JSON alone)."""
    from embedlab.cli._common import progress_bar

    with progress_bar("encoding") as bar:
        bar.stage("reading the file")
        bar.stage("loading the model")
    err = capsys.readouterr().err
    assert "0row" not in err and "?row/s" not in err, err
    assert "reading the file…" in err and "loading the model…" in err

    with progress_bar("encoding") as bar:
        bar.stage("loading the model")
        for done in range(0, 101, 50):
            bar(done, 100)
    lines = [line for line in capsys.readouterr().err.splitlines() if line]
    assert "100/100" in lines[-1] and lines[-1].startswith("encoding"), lines  # one whole line per state, in a log
    assert len(lines) == len(set(lines)), lines


def test_ingest_json_reports_progress_on_stderr(hashing_encoder, tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    table = tmp_path / "notes.csv"
    table.write_text("text\n" + "\n".join(f"note number {i} about rivers" for i in range(40)) + "\n", encoding="utf-8")
    assert main(["ingest", str(table), "--collection", "notes", "--model", "hashing-test", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["rows"] == 40
    assert "40/40" in err, err  # it used to print nothing on stderr under --json (11 minutes of silence on a big file)


def test_collections_keep_their_columns_aligned_for_long_names(hashing_encoder, tmp_path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Wide characters (two terminal columns each) pushed the next columns right, and a dataset
    name over 60 characters was cut without a mark; now every column starts at the same terminal
    column on every line, a long dataset ends in "…", and the collection's name is never cut."""
    import unicodedata

    def columns(text: str) -> int:
        return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)

    table = tmp_path / "t.csv"
    table.write_text("text\nalpha\nbeta\n", encoding="utf-8")
    long_name = "a-very-long-dataset-name-that-someone-typed-for-their-own-notes-and-then-some-more"
    for name in ("short", long_name, "数据集 news"):
        assert main(["ingest", str(table), "--collection", name, "--model", "hashing-test", "--json"]) == 0
    capsys.readouterr()
    assert main(["collections"]) == 0
    lines = capsys.readouterr().out.splitlines()[:4]
    from embedlab.store import open_store

    names = [info.name for info in open_store().collections()]
    model_column = {columns(line[: line.rindex(marker)]) for line, marker in zip(lines, ["model", *["hashing-test"] * 3], strict=True)}
    assert len(model_column) == 1, lines
    assert all(any(line.startswith(name + " ") for name in names) for line in lines[1:]), (lines, names)
    assert any("a-very-long-dataset" in line and "…" in line for line in lines), lines
