"""A collection whose index cannot be read is its own, named problem (issue 19): listing, the other
collections, the CLI and the Explore page keep working, and the message says which collection it
is and how to delete and rebuild it. A collection written in one go (a recommender's item
vectors) appears only when complete: a real ``kill -9`` mid-write leaves no half collection."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import shown

pytestmark = pytest.mark.slow

EMBEDLAB = str(Path(sys.executable).with_name("embedlab"))
PAGES = Path(__file__).resolve().parents[1] / "pages"
ROWS = 1_500  # enough that Chroma writes the HNSW index files to disk


def env_for(home: Path) -> dict[str, str]:
    env = {**os.environ, "EMBEDLAB_HOME": str(home)}
    env.pop("EMBEDLAB_CHROMA_URL", None)
    return env


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EMBEDLAB, *args], env=env, capture_output=True, text=True, timeout=600)


def make_collections(env: dict[str, str]) -> None:
    """Two collections of random vectors with texts and labels, written by another process."""
    script = f"""
import numpy as np
from embedlab.store import Store, open_store
store = open_store()
rng = np.random.default_rng(0)
for dataset in ("healthy", "broken"):
    name = store.create(dataset, "hashing-elsewhere", 16)
    vectors = rng.normal(size=({ROWS}, 16)).astype(np.float32)
    store.add(name, [f"{{dataset}}-{{i}}" for i in range({ROWS})], vectors, [f"text {{i}} of {{dataset}}" for i in range({ROWS})],
              [{{"label": ["a", "b", "c"][i % 3]}} for i in range({ROWS})])
    store.set_status(name, "complete")
"""
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def damage(home: Path, dataset: str) -> str:
    """Truncate the HNSW files of ``dataset``'s collection, as a write killed half-way can leave
    them ("Error constructing hnsw segment reader"); returns its Chroma name."""
    db = home / "chroma"
    with sqlite3.connect(db / "chroma.sqlite3") as con:
        name, segment = con.execute(
            "select c.name, s.id from segments s join collections c on s.collection = c.id"
            " join collection_metadata m on m.collection_id = c.id"
            " where s.scope = 'VECTOR' and m.key = 'dataset' and m.str_value = ?", (dataset,)).fetchone()
    files = db / segment
    assert (files / "header.bin").exists(), "Chroma kept the index in memory only: nothing to damage"
    for part in ("header.bin", "data_level0.bin"):
        (files / part).write_bytes(b"\0" * 10)
    return name


@pytest.fixture(scope="module")
def damaged_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    home = tmp_path_factory.mktemp("damaged-home")
    make_collections(env_for(home))
    return home, damage(home, "broken")


def test_listing_names_the_damaged_collection_and_the_others_work(damaged_home: tuple[Path, str]) -> None:
    home, broken = damaged_home
    env = env_for(home)
    listed = cli(env, "collections", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {row["dataset"]: row for row in json.loads(listed.stdout)["collections"]}
    assert rows["healthy"]["status"] == "complete" and rows["healthy"]["rows"] == ROWS
    assert rows["broken"]["status"] == "damaged"
    assert broken in rows["broken"]["error"] and f"embedlab delete {broken}" in rows["broken"]["error"]
    human = cli(env, "collections")
    assert human.returncode == 0 and "damaged" in human.stdout and broken in human.stdout

    good = cli(env, "cluster", "healthy", "--k", "3", "--json")
    assert good.returncode == 0, good.stderr
    bad = cli(env, "cluster", "broken", "--k", "3")
    assert bad.returncode == 2, bad.stderr
    assert broken in bad.stderr and "damaged" in bad.stderr and "unexpected" not in bad.stderr.lower()


def test_the_explore_page_keeps_working_and_says_which_collection_is_damaged(damaged_home: tuple[Path, str],
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    home, broken = damaged_home
    monkeypatch.setenv("EMBEDLAB_HOME", str(home))
    at = AppTest.from_file(str(PAGES / "explore.py"), default_timeout=240).run()
    assert not at.exception, [e.message for e in at.exception]
    assert any(broken in shown(w.value) and "damaged" in w.value for w in at.warning)
    assert at.session_state["explore_collection"].startswith("healthy")
    assert any("1,500" in m.value for m in at.metric)  # the healthy collection is mapped


def test_a_damaged_collection_can_be_deleted(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    make_collections(env)
    broken = damage(tmp_path, "broken")
    deleted = cli(env, "delete", broken)
    assert deleted.returncode == 0, deleted.stderr
    listed = json.loads(cli(env, "collections", "--json").stdout)["collections"]
    assert [row["dataset"] for row in listed] == ["healthy"]


# -- a kill -9 while a recommender's item vectors are written ----------------------------------


def interactions(path: Path, users: int = 400, items: int = 30_000, per_user: int = 60) -> Path:
    rng = np.random.default_rng(1)
    lines = ["user,item,rating,timestamp"]
    for user in range(users):
        for rank, item in enumerate(rng.choice(items, size=per_user, replace=False)):
            lines.append(f"u{user},i{item},{1 + int(rng.integers(5))},{1_000_000 + rank}")
    path.write_text("\n".join(lines) + "\n")
    return path


def partial_collections(home: Path) -> list[str]:
    """Collections being written under a temporary name, read from Chroma's catalogue (sqlite
    allows a reader beside the writing process)."""
    try:
        with sqlite3.connect(f"file:{home / 'chroma' / 'chroma.sqlite3'}?mode=ro", uri=True, timeout=1) as con:
            return [row[0] for row in con.execute("select name from collections where name like '%-partial-%'")]
    except sqlite3.Error:
        return []


def test_kill_9_while_item_vectors_are_written_leaves_no_half_collection(tmp_path: Path) -> None:
    env = env_for(tmp_path / "home")
    data = interactions(tmp_path / "many-items.csv")
    args = ["recommend", "--user", "u3", "--dataset", str(data), "--method", "mf", "--factors", "16", "--json"]
    process = subprocess.Popen([EMBEDLAB, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 300
    while not partial_collections(tmp_path / "home"):
        assert process.poll() is None, f"finished before the write could be interrupted: {process.stderr.read().decode()[-1500:]}"  # type: ignore[union-attr]
        assert time.time() < deadline, "the item vectors were never written"
        time.sleep(0.05)
    time.sleep(0.5)  # rows are going in now
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)

    listed = cli(env, "collections", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [row for row in json.loads(listed.stdout)["collections"] if row["kind"] == "items"] == []

    again = cli(env, *args)
    assert again.returncode == 0, again.stderr[-2000:]
    assert len(json.loads(again.stdout)["items"]) == 10
    items = [row for row in json.loads(cli(env, "collections", "--json").stdout)["collections"] if row["kind"] == "items"]
    distinct = len({line.split(",")[1] for line in data.read_text().splitlines()[1:]})
    assert len(items) == 1 and items[0]["status"] == "complete" and items[0]["rows"] == distinct
    assert partial_collections(tmp_path / "home") == []  # the next write removed the leftover
