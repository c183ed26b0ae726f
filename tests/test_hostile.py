"""The hostile corpus (tests/hostile, listed in its MANIFEST.json): every file goes through the
engine function the page's upload calls and through the CLI. Each refused file gets its own
message, the CLI exits 2 in one line within bounded memory, and nothing stored changes; the
files that are accepted (formula cells, markup, terminal escapes) come out harmless."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from embedlab.backends.hashing import HashingEncoder
from embedlab.errors import EmbedlabError
from embedlab.store import close_all_stores, open_store

HOSTILE = Path(__file__).resolve().parent / "hostile"
MANIFEST: dict[str, dict[str, str]] = {k: v for k, v in json.loads((HOSTILE / "MANIFEST.json").read_text()).items() if k != "_"}
REFUSED = sorted(name for name, case in MANIFEST.items() if "message" in case)
EMBEDLAB = str(Path(sys.executable).with_name("embedlab"))
MAX_RSS_MB = 1_500  # the CLI with torch imported and a word model loaded stays well under this


def engine_path(path: str, data: bytes, name: str) -> Any:
    """What the page does with an upload of this kind (the same engine call)."""
    if path == "ingest":
        from embedlab.ingest import ingest_upload

        return ingest_upload(data, name, "hostile", "hashing-test")
    if path == "vectors":
        from embedlab.wordvec_upload import load_word_vectors

        return load_word_vectors(data, name, persist=False)
    if path == "wordsets":
        from embedlab.bias.wordsets import parse_wordset_upload

        return parse_wordset_upload(data, name)
    if path == "text":
        from embedlab.training.corpora import parse_uploaded_text

        return parse_uploaded_text(data)
    if path == "edges":
        from embedlab.training.graphs import parse_edge_list

        return parse_edge_list(data)
    raise AssertionError(path)


def cli_args(path: str, file: Path, out: Path) -> list[str]:
    return {
        "ingest": ["ingest", str(file), "--collection", "hostile"],
        "vectors": ["load-vectors", str(file)],
        "wordsets": ["weat", "glove-6b-50d", "--sets", str(file)],
        "text": ["train", "word2vec", "--text", str(file), "--out", str(out / "w2v.txt")],
        "edges": ["train", "deepwalk", "--edges", str(file), "--out", str(out / "dw.txt")],
    }[path]


def keep_collection(hashing_encoder: HashingEncoder) -> tuple[str, list[str]]:
    """A collection that must come through every hostile file unchanged."""
    store = open_store()
    store.add_texts("keep", hashing_encoder, [f"kept row {i}" for i in range(20)])
    rows = store.get_all(store.resolve("keep"), include_embeddings=False)
    return store.resolve("keep"), sorted(rows["ids"])


def assert_kept(name: str, ids: list[str]) -> None:
    store = open_store()
    assert [c.dataset for c in store.collections()] == ["keep"]
    assert sorted(store.get_all(name, include_embeddings=False)["ids"]) == ids


def test_the_corpus_is_what_make_py_writes_and_the_manifest_lists_it() -> None:
    from tests.hostile.make import CASES

    files = {p.name for p in HOSTILE.iterdir() if p.is_file() and p.name not in ("make.py", "MANIFEST.json", "__init__.py")}
    assert files == set(MANIFEST) == set(CASES) and len(files) >= 25
    assert all((HOSTILE / name).read_bytes() == data for name, data in CASES.items())


@pytest.mark.parametrize("name", REFUSED)
def test_the_page_upload_path_refuses_each_file_with_its_message(name: str, hashing_encoder: HashingEncoder) -> None:
    case = MANIFEST[name]
    kept, ids = keep_collection(hashing_encoder)
    from embedlab.backends import catalogue

    models = catalogue().names()
    with pytest.raises(EmbedlabError, match=case["message"]):
        engine_path(case["path"], (HOSTILE / name).read_bytes(), name)
    assert_kept(kept, ids)
    assert catalogue().names() == models


@pytest.mark.slow
def test_the_cli_refuses_each_file_in_one_line_within_bounded_memory(tmp_path: Path, hashing_encoder: HashingEncoder) -> None:
    kept, ids = keep_collection(hashing_encoder)
    close_all_stores()
    env = {**os.environ}

    def refuse(name: str) -> str | None:
        """Run the command on one file in its own process; what is wrong with its answer, or None."""
        case = MANIFEST[name]
        out_dir = tmp_path / name  # each command its own --out folder (they run side by side)
        out_dir.mkdir()
        process = subprocess.Popen([EMBEDLAB, *cli_args(case["path"], HOSTILE / name, out_dir)], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = process.communicate(timeout=300)
        # what a terminal shows: a cleared progress bar (carriage returns) and one line
        message = [line.rsplit("\r", 1)[-1] for line in err.decode("utf-8", "replace").strip().split("\n")]
        if out:
            return f"{name}: wrote to stdout {out[:200]!r}"  # a script reading stdout must get nothing half-done
        # progress may come first as whole lines (stderr is not a terminal here); the answer is one line, the last
        answers = [line for line in message if line.startswith("embedlab:")]
        if (process.returncode != 2 or answers != message[-1:] or not re.search(case["message"], message[-1])
                or any("Traceback" in line for line in message)):
            return f"{name}: exit {process.returncode}, stderr {message[-3:]!r}"
        return None

    from concurrent.futures import ThreadPoolExecutor

    # the ingests one after another (each would open the embedded store, which admits one process),
    # the other commands (they never open the store) beside them, two at a time
    ingests = [name for name in REFUSED if MANIFEST[name]["path"] == "ingest"]
    others = [name for name in REFUSED if name not in ingests]
    with ThreadPoolExecutor(max_workers=3) as pool:
        serial = pool.submit(lambda: [refuse(name) for name in ingests])
        with ThreadPoolExecutor(max_workers=2) as side:
            failures = [problem for problem in side.map(refuse, others) if problem]
        failures += [problem for problem in serial.result() if problem]
    assert not failures, "\n".join(failures)
    assert_kept(kept, ids)
    assert not list((Path(env["EMBEDLAB_HOME"]) / "models").glob("*")) if (Path(env["EMBEDLAB_HOME"]) / "models").exists() else True


PEAK = """
import atexit, sys
def peak():  # VmHWM: this process's own peak since exec (ru_maxrss would carry pytest's over the fork)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            sys.__stderr__.write("\\nVmHWM " + line.split()[1] + "\\n")
atexit.register(peak)
from embedlab.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_memory_stays_bounded_on_the_biggest_hostile_files(tmp_path: Path) -> None:
    """The gzip bomb (200 MB cap on 300 MB inside), the giant JSONL line and the 100,000 words:
    the peak resident memory of each CLI process, as the kernel counts it."""
    for name in ("gzip_bomb.txt.gz", "giant_line.jsonl", "words_100k.txt", "nul_row_4000.csv"):
        case = MANIFEST[name]
        done = subprocess.run([sys.executable, "-c", PEAK, *cli_args(case["path"], HOSTILE / name, tmp_path)],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 2, (name, done.stderr[-500:])
        peak_mb = int(re.findall(r"VmHWM (\d+)", done.stderr)[-1]) / 1024
        assert peak_mb < MAX_RSS_MB, f"{name}: {peak_mb:.0f} MB"


def test_formula_cells_are_escaped_in_the_csv_export(hashing_encoder: HashingEncoder) -> None:
    from embedlab.corpus import load_corpus
    from embedlab.ingest import ingest_upload
    from embedlab.maps.export import csv_bytes

    ingest_upload((HOSTILE / "formula.csv").read_bytes(), "formula.csv", "formula", "hashing-test", "text", "label")
    corpus = load_corpus("formula")
    exported = csv_bytes(corpus.metadata.assign(text=corpus.texts)[["text", "label"]]).decode()
    assert "'=HYPERLINK" in exported and "'@SUM(1)" in exported and "'+cmd" in exported
    assert not re.search(r"^(=|@|\+)", exported, flags=re.MULTILINE)


def test_markup_stays_text_in_the_hover(hashing_encoder: HashingEncoder) -> None:
    from embedlab.corpus import corpus_hover, load_corpus
    from embedlab.ingest import ingest_upload

    ingest_upload((HOSTILE / "html.csv").read_bytes(), "html.csv", "html", "hashing-test")
    hover, _ = corpus_hover(load_corpus("html"), None)
    assert any(line.startswith("<img src=x onerror=alert(1)>") for line in hover)  # shown as text by the map (textContent)
    js = (Path(__file__).resolve().parents[1] / "embedlab" / "ui" / "pointmap.js").read_text()
    assert not re.search(r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML", js)  # never parses hover or labels as HTML


def test_terminal_escapes_are_written_out_by_the_cli(hashing_encoder: HashingEncoder, capsys: pytest.CaptureFixture[str]) -> None:
    from embedlab.cli import main
    from embedlab.ingest import ingest_upload

    ingest_upload((HOSTILE / "ansi.csv").read_bytes(), "ansi.csv", "ansi", "hashing-test")
    assert main(["search", "ansi", "red alert", "-k", "2"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\\x1b[31mred alert" in out
