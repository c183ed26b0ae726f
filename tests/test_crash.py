"""Crashes: `kill -9` of an ingest while its model starts and while it writes, and of the Chroma
server during an ingest. Afterwards the earlier collection is intact, the interrupted one is
shown as interrupted (CLI and Explore page) and the next ingest resumes to exactly one row per
record. Real processes, the real MiniLM model, the real store (embedded and `chroma run`)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import start_chroma_server

pytestmark = pytest.mark.slow

EMBEDLAB = str(Path(sys.executable).with_name("embedlab"))
ROWS = 2_600
TOPICS = ["rain", "market", "vaccine", "goal", "river", "court", "train", "music", "garden", "planet"]


def write_csv(path: Path, rows: int, tag: str) -> Path:
    lines = ["text,label"] + [f"{tag} note {i} about {TOPICS[i % 10]} and {TOPICS[(i * 7) % 10]},{TOPICS[i % 10]}" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class Ingest:
    """`embedlab ingest` in its own process, its stderr (stages and the progress bar) read as it comes."""

    def __init__(self, env: dict[str, str], csv: Path, collection: str) -> None:
        self.process = subprocess.Popen([EMBEDLAB, "ingest", str(csv), "--collection", collection, "--label-column", "label"],
                                        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.err = b""
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        while chunk := self.process.stderr.read1(4096):  # type: ignore[attr-defined]
            self.err += chunk

    def wait_for(self, condition: object, timeout: float = 600) -> None:
        deadline = time.time() + timeout
        while not condition(self.err.decode("utf-8", "replace")):  # type: ignore[operator]
            assert self.process.poll() is None, f"the ingest ended early: {self.err.decode()[-2000:]}"
            assert time.time() < deadline, f"timed out; stderr so far: {self.err.decode()[-2000:]}"
            time.sleep(0.05)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.reader.join(timeout=10)


def encoded(text: str) -> int:
    """The last count the progress bar showed (``1,234/2,600`` or ``1234/2600``)."""
    counts = re.findall(r"([\d,]+)/[\d,]+ ?\[", text)
    return int(counts[-1].replace(",", "")) if counts else 0


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EMBEDLAB, *args], env=env, capture_output=True, text=True, timeout=900)


def collections(env: dict[str, str]) -> dict[str, dict[str, object]]:
    """``embedlab collections --json`` on ``env``'s store, run in this process (the command's code,
    without a second interpreter start); the embedded store is released again for the next process."""
    import contextlib
    import io

    from embedlab.cli import main
    from embedlab.store import close_all_stores

    saved = {name: os.environ.get(name) for name in ("EMBEDLAB_HOME", "EMBEDLAB_CHROMA_URL")}
    out = io.StringIO()
    try:
        for name in saved:
            if env.get(name):
                os.environ[name] = env[name]
            else:
                os.environ.pop(name, None)
        with contextlib.redirect_stdout(out):
            assert main(["collections", "--json"]) == 0
    finally:
        close_all_stores()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return {c["dataset"]: c for c in json.loads(out.getvalue())["collections"]}


def ingest_to_the_end(env: dict[str, str], csv: Path, collection: str) -> dict[str, object]:
    done = cli(env, "ingest", str(csv), "--collection", collection, "--label-column", "label", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environment = {**os.environ, "EMBEDLAB_HOME": str(tmp_path / "home")}
    environment.pop("EMBEDLAB_CHROMA_URL", None)
    return environment


def test_kill_9_of_an_ingest_during_model_start_up_and_mid_write(env: dict[str, str], tmp_path: Path) -> None:
    first = ingest_to_the_end(env, write_csv(tmp_path / "first.csv", 300, "first"), "first")
    assert first["added"] == 300

    big = write_csv(tmp_path / "big.csv", ROWS, "big")
    starting = Ingest(env, big, "big")
    starting.wait_for(lambda err: "loading the model" in err)
    starting.kill()
    after_start = collections(env)
    assert after_start["first"]["rows"] == 300 and after_start["first"]["status"] == "complete"
    assert "big" not in after_start or after_start["big"]["status"] != "complete"

    writing = Ingest(env, big, "big")
    writing.wait_for(lambda err: encoded(err) >= 1_300)  # the first 1,024-row chunk is written or being written
    writing.kill()
    after_write = collections(env)
    assert after_write["first"]["rows"] == 300 and after_write["first"]["status"] == "complete"
    assert after_write["big"]["status"] == "ingesting" and int(after_write["big"]["rows"]) < ROWS  # type: ignore[call-overload]
    human = cli(env, "collections")
    assert re.search(r"big.*ingesting", human.stdout), human.stdout

    from streamlit.testing.v1 import AppTest

    os.environ["EMBEDLAB_HOME"] = env["EMBEDLAB_HOME"]  # the page, as the server would, on that home
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "pages" / "explore.py"), default_timeout=240)
    at.query_params["explore_collection"] = str(after_write["big"]["name"])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    page_text = " ".join(str(getattr(e, "value", "")) for e in [*at.warning, *at.info, *at.caption, *at.markdown, *at.selectbox])
    page_text += " ".join(str(o) for s in at.selectbox for o in s.options)
    assert "interrupted" in page_text, page_text[:2000]
    from embedlab.store import close_all_stores

    close_all_stores()

    resumed = ingest_to_the_end(env, big, "big")
    assert resumed["added"] == ROWS - int(after_write["big"]["rows"])  # type: ignore[call-overload]
    final = collections(env)
    assert final["big"]["rows"] == ROWS and final["big"]["status"] == "complete" and final["first"]["rows"] == 300


def test_kill_9_of_the_chroma_server_mid_ingest(env: dict[str, str], tmp_path: Path) -> None:
    data = tmp_path / "server-data"
    server, url = start_chroma_server(data)
    env = {**env, "EMBEDLAB_CHROMA_URL": url}
    try:
        ingest_to_the_end(env, write_csv(tmp_path / "first.csv", 200, "first"), "first")
        big = write_csv(tmp_path / "big.csv", ROWS, "big")
        running = Ingest(env, big, "big")
        running.wait_for(lambda err: encoded(err) >= 1_300)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
        died = time.time()
        running.process.wait(timeout=120)
        running.reader.join(timeout=10)
        assert running.process.returncode == 2, running.err.decode()[-3000:]
        assert time.time() - died < 30  # it noticed within seconds, not after a whole chunk
        assert "stopped answering" in running.err.decode() or "failed" in running.err.decode()
    finally:
        if server.poll() is None:
            server.kill()
    port = url.rsplit(":", 1)[1]
    server, url2 = start_chroma_server(data, port=int(port))
    try:
        after = collections(env)
        assert after["first"]["rows"] == 200 and after["first"]["status"] == "complete"
        assert after["big"]["status"] == "ingesting" and int(after["big"]["rows"]) < ROWS  # type: ignore[call-overload]
        resumed = ingest_to_the_end(env, big, "big")
        assert resumed["added"] == ROWS - int(after["big"]["rows"])  # type: ignore[call-overload]
        assert collections(env)["big"]["rows"] == ROWS
    finally:
        server.terminate()
        server.wait(timeout=30)
