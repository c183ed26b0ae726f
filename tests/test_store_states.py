"""A hypothesis state machine over the store wrapper, as chromadb tests its own client: random
sequences of adds, re-adds, deletes and refused re-ingests with other settings, checked after
every step against a plain-Python model (count, no duplicate ids, stored texts and metadata,
search equal to exact numpy search, or recall@5 of HNSW), and read back from a new process at
the end of each sequence; on the embedded store and on a real ``chroma run`` server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from embedlab.backends.hashing import HashingEncoder
from embedlab.errors import InputError
from embedlab.ingest.into_store import ingest_records
from embedlab.ingest.records import Records
from embedlab.store import (
    Store,
    close_all_stores,
    collection_name,
    content_id,
    open_store,
)
from tests.conftest import start_chroma_server

pytestmark = pytest.mark.slow

WORDS = ["cat", "dog", "stock", "market", "river", "bank", "flu", "vaccine", "rain", "sun", "tea", "goal"]
TEXTS = [f"{a} {b} {c}" for a, b, c in zip(WORDS, WORDS[3:] + WORDS[:3], WORDS[7:] + WORDS[:7], strict=True)] + \
        [f"{a} and {b}" for a in WORDS[:6] for b in WORDS[6:9]]
DATASETS = ("alpha", "beta")
READ_BACK = """
import json, sys
from embedlab.store import Store
from pathlib import Path
where = sys.argv[1]
store = Store(url=where) if where.startswith("http") else Store(path=Path(where))
out = {}
for info in store.collections():
    rows = store.get_all(info.name, include_embeddings=False)
    out[info.dataset] = {i: [d, m] for i, d, m in zip(rows["ids"], rows["documents"], rows["metadatas"])}
store.close()
print(json.dumps(out, sort_keys=True))
"""


class StoreMachine(RuleBasedStateMachine):
    """The model: dataset -> {id: (text, metadata, vector)} and each dataset's chunk size."""

    store: Store
    location: str

    def __init__(self) -> None:
        super().__init__()
        self.encoder = HashingEncoder("hashing-test", dim=64)  # as the catalogue's (conftest)
        for info in self.store.collections():
            self.store.delete(info.name)
        self.model: dict[str, dict[str, tuple[str, dict[str, Any], np.ndarray]]] = {}
        self.chunk_size: dict[str, int] = {}

    def _ingest(self, dataset: str, picks: list[int], label: str, chunk_size: int) -> tuple[int, int]:
        texts = [TEXTS[i] for i in picks]
        metas: list[dict[str, Any]] = [{"label": label, "doc": str(i)} for i in picks]
        records = Records(texts, metas, documents=len(texts), text_column="text", label_column="label")
        report = ingest_records(dataset, self.encoder.name, records, chunk_size=chunk_size, overlap=0, store=self.store)
        return report.added, report.skipped

    @rule(dataset=st.sampled_from(DATASETS), picks=st.lists(st.integers(0, len(TEXTS) - 1), min_size=1, max_size=12),
          label=st.sampled_from(["x", "y"]))
    def add(self, dataset: str, picks: list[int], label: str) -> None:
        """Add rows (some may be stored already: a re-add stores nothing new)."""
        chunk_size = self.chunk_size.get(dataset, 0)
        added, skipped = self._ingest(dataset, picks, label, chunk_size)
        self.chunk_size[dataset] = chunk_size
        rows = self.model.setdefault(dataset, {})
        before = len(rows)
        order = sorted(range(len(picks)), key=lambda j: len(TEXTS[picks[j]]))  # ingest order (by length)
        for position, j in enumerate(order):
            text, meta = TEXTS[picks[j]], {"label": label, "doc": str(picks[j])}
            record_id = content_id(text, meta)
            if record_id not in rows:
                vector = self.encoder.encode([text])[0]
                rows[record_id] = (text, {"row": position, **meta}, vector)
        assert (added, skipped) == (len(rows) - before, len(picks) - (len(rows) - before))  # what the ingest says it did

    @rule(dataset=st.sampled_from(DATASETS))
    def delete(self, dataset: str) -> None:
        if dataset in self.model:
            self.store.delete(self.store.resolve(dataset))
            del self.model[dataset]
            del self.chunk_size[dataset]

    @rule(dataset=st.sampled_from(DATASETS), picks=st.lists(st.integers(0, len(TEXTS) - 1), min_size=1, max_size=4))
    def reingest_with_other_settings(self, dataset: str, picks: list[int]) -> None:
        """The same texts chunked another way are refused, and nothing stored changes."""
        if dataset not in self.model:
            return
        with pytest.raises(InputError, match="was stored with other settings"):
            self._ingest(dataset, picks, "x", self.chunk_size[dataset] + 50)

    @invariant()
    def stored_rows_equal_the_model(self) -> None:
        listed = {info.dataset: info for info in self.store.collections()}
        assert set(listed) == set(self.model)
        for dataset, rows in self.model.items():
            info = listed[dataset]
            assert info.name == collection_name(dataset, self.encoder.name) and info.count == len(rows)
            stored = self.store.get_all(info.name)
            assert len(stored["ids"]) == len(set(stored["ids"])) == len(rows)
            for record_id, text, meta, vector in zip(stored["ids"], stored["documents"], stored["metadatas"], stored["embeddings"], strict=True):
                assert (text, meta) == rows[record_id][:2]
                assert np.allclose(vector, rows[record_id][2], atol=1e-6)

    @invariant()
    def search_equals_numpy(self) -> None:
        for dataset, rows in self.model.items():
            query = self.encoder.encode(["cat and river and flu"])[0]
            matrix = np.stack([vector for _, _, vector in rows.values()])
            truth = np.sort(matrix @ query)[::-1][:5]
            exact = self.store.search(dataset, query, k=5, exact=True)
            assert np.allclose([hit.score for hit in exact.hits], truth, atol=1e-5)
            assert all(rows[hit.id][0] == hit.text for hit in exact.hits)
            approximate = self.store.search(dataset, query, k=5, exact=False)
            found = sum(hit.score >= truth[-1] - 1e-5 for hit in approximate.hits)
            assert found / len(truth) >= 0.99, (found, len(truth))

    def teardown(self) -> None:
        """The same rows, read by a new process (the embedded store is released for it first)."""
        if not self.location.startswith("http"):
            close_all_stores()
            self.store.close()
        done = subprocess.run([sys.executable, "-c", READ_BACK, self.location], capture_output=True, text=True,
                              timeout=300, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
        assert done.returncode == 0, done.stderr[-2000:]
        read = json.loads(done.stdout)
        assert read == {d: {i: [t, m] for i, (t, m, _) in rows.items()} for d, rows in self.model.items()}


def _run(store: Store, location: str) -> None:
    class Machine(StoreMachine):
        pass

    def fresh_store(self: StoreMachine) -> None:
        self.store = store if location.startswith("http") else open_store(path=Path(location))
        StoreMachine.__init__(self)

    Machine.__init__ = fresh_store  # type: ignore[method-assign]
    Machine.location = location
    run_state_machine_as_test(Machine, settings=settings(max_examples=6, stateful_step_count=10, deadline=None,
                                                         suppress_health_check=list(HealthCheck)))


def test_store_states_embedded(embedlab_home: Path, hashing_encoder: HashingEncoder) -> None:
    _run(open_store(), str((embedlab_home / "chroma").resolve()))


def test_store_states_on_a_chroma_server(tmp_path: Path, hashing_encoder: HashingEncoder) -> None:
    process, url = start_chroma_server(tmp_path / "server")
    try:
        _run(Store(url=url), url)
    finally:
        process.terminate()
        process.wait(timeout=30)
