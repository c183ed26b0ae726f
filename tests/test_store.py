"""The Chroma store, on the embedded client and on a real `chroma run` server: same tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from embedlab.backends.hashing import HashingEncoder
from embedlab.errors import (
    CollectionNotFoundError,
    DimensionMismatchError,
    StoreLockedError,
)
from embedlab.store import (
    STATUS_COMPLETE,
    Store,
    collection_name,
    content_id,
    open_store,
)
from tests.conftest import start_chroma_server


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Chroma server on loopback (the scale-out path of DESIGN.md)."""
    process, url = start_chroma_server(tmp_path_factory.mktemp("chroma-server"))
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(params=["embedded", "server"])
def store(request: pytest.FixtureRequest) -> Store:
    if request.param == "server":
        url = request.getfixturevalue("chroma_server")
        return open_store(url=url)
    return open_store()


def test_collection_names_follow_chroma_rules() -> None:
    for dataset, backend in [("news", "minilm"), ("My Data (v2)!", "st:sentence-transformers/all-mpnet-base-v2"), ("x" * 200, "y"), ("---", "...")]:
        name = collection_name(dataset, backend)
        assert 3 <= len(name) <= 63
        assert re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]", name), name
    assert collection_name("news", "minilm") != collection_name("news", "use-multilingual")
    assert collection_name("news", "minilm") == collection_name("news", "minilm")


def test_content_ids_are_stable_and_distinguish_metadata() -> None:
    assert content_id("hello", {"a": 1}) == content_id("hello", {"a": 1})
    assert content_id("hello", {"a": 1}) != content_id("hello", {"a": 2})
    assert content_id("hello") != content_id("hello!")


def test_store_again_encodes_nothing(store: Store) -> None:
    encoder = HashingEncoder("hashing-store", dim=32)
    texts = [f"document {i} about {['cats', 'dogs', 'cars'][i % 3]}" for i in range(300)]
    first = store.add_texts("unit", encoder, texts, [{"row": i} for i in range(300)])
    assert (first.added, first.skipped) == (300, 0)
    encoded = encoder.calls
    second = store.add_texts("unit", encoder, texts, [{"row": i} for i in range(300)])
    assert (second.added, second.skipped) == (0, 300)
    assert encoder.calls == encoded  # nothing re-encoded
    info = store.info("unit")
    assert info.count == 300 and info.status == STATUS_COMPLETE and info.backend == "hashing-store"


def test_partial_ingest_resumes_with_only_the_missing_rows(store: Store) -> None:
    encoder = HashingEncoder("hashing-resume", dim=32)
    texts = [f"row {i}" for i in range(100)]
    store.add_texts("resume", encoder, texts[:40])
    before = encoder.calls
    report = store.add_texts("resume", encoder, texts)
    assert report.added == 60 and report.skipped == 40
    assert encoder.calls - before == 60
    assert store.info("resume").count == 100


def test_duplicate_rows_in_one_call_are_stored_once(store: Store) -> None:
    encoder = HashingEncoder("hashing-dups", dim=16)
    report = store.add_texts("dups", encoder, ["same", "same", "other"])
    assert report.added == 2 and store.info("dups").count == 2


def test_writes_respect_the_max_batch_size(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "max_batch_size", 7)
    encoder = HashingEncoder("hashing-batch", dim=16)
    name = store.create("batches", encoder.name, encoder.dim)
    collection = store._get(name)
    sizes: list[int] = []
    original = type(collection).add

    def spy(self, ids, **kwargs):
        sizes.append(len(ids))
        return original(self, ids, **kwargs)

    monkeypatch.setattr(type(collection), "add", spy)
    store.add_texts("batches", encoder, [f"t{i}" for i in range(50)], batch_size=4)
    assert sizes and max(sizes) <= 7 and sum(sizes) == 50


def test_search_is_exact_and_agrees_with_hnsw(store: Store) -> None:
    encoder = HashingEncoder("hashing-search", dim=64)
    texts = [f"alpha beta {i}" for i in range(30)] + ["gamma delta epsilon"]
    store.add_texts("search", encoder, texts)
    query = encoder.encode(["gamma delta"])[0]
    exact = store.search("search", query, k=3, exact=True)
    approx = store.search("search", query, k=3, exact=False)
    assert exact.method == "exact" and approx.method == "hnsw"
    assert exact.hits[0].text == "gamma delta epsilon" == approx.hits[0].text
    assert exact.hits[0].score == pytest.approx(approx.hits[0].score, abs=1e-4)


def test_dimension_mismatch_and_missing_collection_are_typed(store: Store) -> None:
    store.add_texts("dims", HashingEncoder("hashing-dims", dim=16), ["a"])
    with pytest.raises(DimensionMismatchError):
        store.search("dims", np.ones(8, dtype=np.float32))
    with pytest.raises(CollectionNotFoundError, match="no-such"):
        store.info("no-such")


def test_delete_keeps_other_collections(store: Store) -> None:
    encoder = HashingEncoder("hashing-del", dim=16)
    store.add_texts("keep", encoder, ["k1", "k2"])
    store.add_texts("drop", encoder, ["d1"])
    store.delete("drop")
    names = {i.dataset for i in store.collections()}
    assert "drop" not in names and store.info("keep").count == 2


def test_a_second_process_gets_a_clear_error(embedlab_home: Path) -> None:
    store = open_store()
    store.add_texts("owned", HashingEncoder("hashing-lock", dim=8), ["x"])
    code = (
        "import embedlab\nfrom embedlab.store import open_store\n"
        "try:\n    open_store()\nexcept Exception as e:\n    print(type(e).__name__, e)\n"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ.copy(), timeout=120)
    assert other.stdout.startswith(StoreLockedError.__name__), other.stdout + other.stderr[-1000:]
    assert f"pid {os.getpid()}" in other.stdout and "EMBEDLAB_CHROMA_URL" in other.stdout
    assert store.info("owned").count == 1  # the owner's data is untouched


def test_data_survives_a_new_process(embedlab_home: Path) -> None:
    store = open_store()
    store.add_texts("persist", HashingEncoder("hashing-persist", dim=8), ["p1", "p2", "p3"])
    store.close()
    code = "import embedlab\nfrom embedlab.store import open_store\nprint(open_store().info('persist').count)\n"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ.copy(), timeout=120)
    assert other.stdout.strip() == "3", other.stderr[-1000:]


@pytest.mark.slow
def test_an_ingest_stops_within_seconds_when_the_server_dies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ingest once encoded the rest of its 1,024-row chunk (a minute on a CPU) after the
    Chroma server died; now it checks between encoder batches."""
    from embedlab.backends.hashing import HashingEncoder
    from embedlab.errors import StoreError

    process, url = start_chroma_server(tmp_path / "server")
    batches: list[int] = []
    per_chunk = 32

    class SlowEncoder(HashingEncoder):
        def _encode_batch(self, batch: list[str], batch_size: int) -> np.ndarray:
            batches.append(len(batch))
            if len(batches) == per_chunk + 2:  # the first chunk is written; the server dies mid-chunk two
                process.kill()
                process.wait(timeout=20)
            time.sleep(0.25)
            return super()._encode_batch(batch, batch_size)

    monkeypatch.setattr(Store, "write_chunk_batches", per_chunk)
    try:
        store = open_store(url=url)
        texts = [f"record {i} about topic {i % 7}" for i in range(8 * per_chunk * 3)]
        with pytest.raises(StoreError, match="stopped answering|failed"):
            store.add_texts("doomed", SlowEncoder("slow", 32), texts, batch_size=8)
    finally:
        if process.poll() is None:
            process.kill()
    after_death = len(batches) - (per_chunk + 2)
    assert after_death <= 10, f"{after_death} encoder batches after the server died (a chunk is {per_chunk})"


@pytest.mark.slow
def test_two_ingests_of_one_collection_on_a_server_count_each_row_once(chroma_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two processes sharing a Chroma server ingest the same file, the second a little later:
    both once reported every row as added (and encoded all of them); now the rows the other
    stored meanwhile are neither encoded nor counted again."""
    import threading

    from embedlab.backends.hashing import HashingEncoder

    monkeypatch.setattr(Store, "write_chunk_batches", 16)
    started_second = threading.Event()

    class SlowEncoder(HashingEncoder):
        def __init__(self, seconds_per_batch: float) -> None:
            super().__init__("slow", 32)
            self.seconds_per_batch = seconds_per_batch

        def _encode_batch(self, batch: list[str], batch_size: int) -> np.ndarray:
            if self.calls >= 8 * 20:
                started_second.set()  # the first ingest has written its first chunk
            time.sleep(self.seconds_per_batch)
            return super()._encode_batch(batch, batch_size)

    texts = [f"shared record {i} on subject {i % 11}" for i in range(512)]
    first, second = SlowEncoder(0.1), SlowEncoder(0.0)  # the second (a faster machine) overtakes
    reports = {}

    def ingest(label: str, encoder: HashingEncoder) -> None:
        reports[label] = Store(url=chroma_server).add_texts("shared-ingest", encoder, texts, batch_size=8)

    one = threading.Thread(target=ingest, args=("first", first))
    one.start()
    assert started_second.wait(60)
    ingest("second", second)
    one.join(120)
    store = Store(url=chroma_server)
    name = store.resolve("shared-ingest")
    assert store.info(name).count == 512
    assert reports["first"].added + reports["second"].added == 512
    assert reports["first"].added + reports["first"].skipped == 512 == reports["second"].added + reports["second"].skipped
    # the first skips what the second wrote meanwhile (before: 512 + 384 rows encoded in all)
    assert first.calls + second.calls <= 512 + 2 * 128, (first.calls, second.calls)
