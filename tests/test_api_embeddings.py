"""Remote embeddings (issue 23): ``api:`` models against real OpenAI-compatible servers —
``embedlab serve-embeddings`` read by the official ``openai`` client and by EmbedLab, and
infinity, an independent server of the same MiniLM files — and every failure a server can make,
from a scripted server in this process."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from embedlab.backends import catalogue, encode_texts, get_text_encoder
from embedlab.errors import ApiEmbeddingError

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
EMBEDLAB = str(Path(sys.executable).with_name("embedlab"))
INFINITY = REPO / ".venv-infinity" / "bin" / "infinity_emb"
TOKEN = "test-token-6c1f"
TEXTS = ["The cat sat on the mat", "A feline rested on the rug", "Stock markets fell sharply today", "Dogs are great pets"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen[bytes] | None = None, seconds: float = 240) -> None:
    deadline = time.time() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            assert process is None or process.poll() is None, "the server exited"
            assert time.time() < deadline, f"{url} never answered"
            time.sleep(0.25)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``embedlab serve-embeddings`` (MiniLM and the multilingual USE) with a token; its base URL."""
    port = free_port()
    env = {**os.environ, "EMBEDLAB_HOME": str(tmp_path_factory.mktemp("serve-home")), "EMBEDLAB_SERVE_TOKEN": TOKEN}
    process = subprocess.Popen([EMBEDLAB, "serve-embeddings", "--model", "minilm", "--model", "use-multilingual", "--port", str(port),
                                "--max-items", "64", "--max-chars", "2000"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for(f"http://127.0.0.1:{port}/health", process)
    yield f"http://127.0.0.1:{port}/v1"
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture
def api_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A short retry limit, so the failure tests end in seconds."""
    monkeypatch.setenv("EMBEDLAB_API_RETRY_SECONDS", "1.5")
    yield


def use_endpoint(monkeypatch: pytest.MonkeyPatch, base: str, key: str | None = None) -> None:
    monkeypatch.setenv("EMBEDLAB_API_BASE", base)
    if key is None:
        monkeypatch.delenv("EMBEDLAB_API_KEY", raising=False)
    else:
        monkeypatch.setenv("EMBEDLAB_API_KEY", key)


def in_process(texts: list[str], model: str = "minilm") -> np.ndarray:
    return get_text_encoder(model).encode(texts)


# -- real servers --------------------------------------------------------------------------------


def test_the_openai_client_gets_the_in_process_vectors_from_serve_embeddings(served: str) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=served, api_key=TOKEN, max_retries=0)
    floats = client.embeddings.create(model="minilm", input=TEXTS, encoding_format="float")
    assert [item.index for item in floats.data] == [0, 1, 2, 3] and floats.model == "minilm"
    np.testing.assert_allclose(np.array([item.embedding for item in floats.data]), in_process(TEXTS), atol=1e-5)
    packed = client.embeddings.create(model="minilm", input=TEXTS[:2], encoding_format="base64")
    decoded = np.stack([np.frombuffer(base64.b64decode(item.embedding), "<f4") for item in packed.data])
    np.testing.assert_allclose(decoded, in_process(TEXTS[:2]), atol=1e-5)
    use = client.embeddings.create(model="use-multilingual", input=["Das Wetter ist schön"], encoding_format="float")
    np.testing.assert_allclose(use.data[0].embedding, in_process(["Das Wetter ist schön"], "use-multilingual")[0], atol=1e-5)


def test_serve_embeddings_refuses_what_it_must(served: str) -> None:
    from openai import (
        APIStatusError,
        AuthenticationError,
        BadRequestError,
        NotFoundError,
        OpenAI,
    )

    with pytest.raises(AuthenticationError):
        OpenAI(base_url=served, api_key="wrong", max_retries=0).embeddings.create(model="minilm", input=["x"])
    client = OpenAI(base_url=served, api_key=TOKEN, max_retries=0)
    with pytest.raises(NotFoundError, match="not served here"):
        client.embeddings.create(model="gpt-4", input=["x"])
    with pytest.raises(APIStatusError, match="at most 64 per request") as too_many:  # 413: a client halves its batch
        client.embeddings.create(model="minilm", input=["x"] * 65)
    assert too_many.value.status_code == 413
    with pytest.raises(APIStatusError, match="at most 2,000"):
        client.embeddings.create(model="minilm", input=["x" * 2001])
    with pytest.raises(BadRequestError, match="'dimensions' 128 is not offered"):
        client.embeddings.create(model="minilm", input=["x"], dimensions=128)


def test_concurrent_requests_are_encoded_together(served: str) -> None:
    from openai import OpenAI

    health = served.removesuffix("/v1") + "/health"
    before = json.loads(urllib.request.urlopen(health).read())
    client = OpenAI(base_url=served, api_key=TOKEN, max_retries=0)
    answers: dict[int, np.ndarray] = {}

    def ask(user: int) -> None:
        texts = [f"user {user} asks about topic {i}" for i in range(6)]
        answers[user] = np.array([d.embedding for d in client.embeddings.create(model="minilm", input=texts,
                                                                                  encoding_format="float").data])

    threads = [threading.Thread(target=ask, args=(user,)) for user in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    after = json.loads(urllib.request.urlopen(health).read())
    requests = after["requests"]["minilm"] - before["requests"]["minilm"]
    batches = after["batches"]["minilm"] - before["batches"]["minilm"]
    assert requests == 12 and batches < requests, (requests, batches)
    for user, vectors in answers.items():  # each request got its own rows back
        np.testing.assert_allclose(vectors, in_process([f"user {user} asks about topic {i}" for i in range(6)]), atol=1e-5)


def test_an_api_model_reads_serve_embeddings_like_the_model_itself(served: str, monkeypatch: pytest.MonkeyPatch) -> None:
    use_endpoint(monkeypatch, served, TOKEN)
    remote = get_text_encoder("api:minilm")
    assert remote.dim == 384 and remote.device == "remote"
    np.testing.assert_allclose(remote.encode(TEXTS), in_process(TEXTS), atol=1e-5)

    # wherever a text model works: the similarity matrix, a stored collection and its search
    from embedlab.analysis.similarity import similarity
    from embedlab.ingest import build_records, ingest_records, parse_upload
    from embedlab.store import open_store

    np.testing.assert_allclose(similarity("api:minilm", TEXTS).matrix, similarity("minilm", TEXTS).matrix, atol=1e-5)
    table = parse_upload(("text\n" + "\n".join(TEXTS) + "\n").encode(), "few.csv")
    report = ingest_records("remote-few", "api:minilm", build_records(table, "text", None, [], chunk_size=0, overlap=0))
    hits = open_store().search(report.collection, in_process(["a cat on a rug"])[0], k=2)
    assert {hit.text for hit in hits.hits} == {TEXTS[0], TEXTS[1]}


@pytest.fixture(scope="module")
def infinity() -> Iterator[str]:
    """infinity (a maintained OpenAI-compatible server, its own venv) serving the same MiniLM files."""
    if not INFINITY.exists():
        message = "the infinity venv is missing: ./run.sh setup makes it (.venv-infinity)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from embedlab.backends.sentence import minilm_model_path

    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "INFINITY_ANONYMOUS_USAGE_STATS": "0", "DO_NOT_TRACK": "1"}
    process = subprocess.Popen([str(INFINITY), "v2", "--model-id", str(minilm_model_path()), "--served-model-name", "minilm",
                                "--port", str(port), "--engine", "torch", "--device", "cpu"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(f"http://127.0.0.1:{port}/models", process)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=30)


def test_an_api_model_reads_an_independent_server_the_same(infinity: str, monkeypatch: pytest.MonkeyPatch) -> None:
    use_endpoint(monkeypatch, infinity)  # no key: a local server needs none
    np.testing.assert_allclose(get_text_encoder("api:minilm").encode(TEXTS), in_process(TEXTS), atol=1e-5)


# -- every failure, from a scripted server ---------------------------------------------------------


def _vectors(texts: list[str]) -> list[list[float]]:
    return [[float(len(t)), 1.0, float(i + 1)] for i, t in enumerate(texts)]


def _listed(texts: list[str]) -> list[dict[str, object]]:
    return [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(_vectors(texts))]


def _reply(mode: str, texts: list[str], calls: int, authorization: str | None) -> tuple[int, object]:
    """(status, JSON body) of the scripted server for one request."""
    data = _listed(texts)
    replies: dict[str, tuple[int, object]] = {
        "ok": (200, {"data": data}),
        "base64": (200, {"data": [{"index": i, "embedding": base64.b64encode(np.asarray(v, "<f4").tobytes()).decode()}
                                  for i, v in enumerate(_vectors(texts))]}),
        "shuffled": (200, {"data": list(reversed(data))}),
        "unauthorised": (401, {"error": {"message": f"bad key {authorization}"}}),
        "broken": (500, {"error": {"message": "upstream exploded"}}),
        "dimension": (200, {"data": [{"index": i, "embedding": v + [0.5] * (i % 2)} for i, v in enumerate(_vectors(texts))]}),
        "fewer": (200, {"data": data[:-1]}),
        "large": (413, {"error": {"message": "too large"}}) if len(texts) > 2 else (200, {"data": data}),
    }
    if mode.startswith("busy"):
        return (429, {"error": {"message": "slow down"}}) if calls <= 2 else (200, {"data": data})
    return replies.get(mode, (400, {"error": {"message": "unknown mode"}}))


class Scripted:
    """An OpenAI-compatible server whose behaviour is named in the path: ``/<mode>/v1/embeddings``
    (``garbage`` answers HTML, ``nan`` a NaN; the others as ``_reply`` says)."""

    def __init__(self) -> None:
        import uvicorn
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import JSONResponse, PlainTextResponse, Response
        from starlette.routing import Route

        self.calls: Counter[str] = Counter()
        self.seen_headers: list[dict[str, str]] = []

        async def embeddings(request: Request) -> Response:
            mode = request.path_params["mode"]
            self.calls[mode] += 1
            self.seen_headers.append(dict(request.headers))
            body = await request.json()
            texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
            if mode == "garbage":
                return PlainTextResponse("<html>gateway</html>")
            if mode == "nan":
                return Response(json.dumps({"data": [{"index": 0, "embedding": [1.0, float("nan"), 2.0]}]}), media_type="application/json")
            status, document = _reply(mode, texts, self.calls[mode], request.headers.get("authorization"))
            return JSONResponse(document, status_code=status, headers={"retry-after": "0.1"} if status == 429 else None)

        app = Starlette(routes=[Route("/{mode}/v1/embeddings", embeddings, methods=["POST"])])
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.05)

    def base(self, mode: str) -> str:
        return f"http://127.0.0.1:{self.port}/{mode}/v1"


@pytest.fixture(scope="module")
def scripted() -> Iterator[Scripted]:
    server = Scripted()
    yield server
    server.server.should_exit = True
    server.thread.join(timeout=10)


@pytest.mark.parametrize(("mode", "expected"), [
    ("ok", [[22, 1, 1], [26, 1, 2]]), ("base64", [[22, 1, 1], [26, 1, 2]]), ("shuffled", [[26, 1, 2], [22, 1, 1]]),
])
def test_answers_in_floats_base64_or_any_order_are_read_right(mode: str, expected: list[list[float]], scripted: Scripted,
                                                               monkeypatch: pytest.MonkeyPatch, api_env: None) -> None:
    use_endpoint(monkeypatch, scripted.base(mode))
    monkeypatch.setenv("EMBEDLAB_API_DIMENSIONS", "3")
    vectors = get_text_encoder(f"api:{mode}").encode(TEXTS[:2])
    want = np.asarray(expected, dtype=np.float32) if mode != "shuffled" else np.asarray([[22, 1, 1], [26, 1, 2]], np.float32)
    np.testing.assert_allclose(vectors, want / np.linalg.norm(want, axis=1, keepdims=True), atol=1e-6)


@pytest.mark.parametrize(("mode", "message"), [
    ("unauthorised", r"401 bad key Bearer \*\*\*: check its key"),
    ("broken", r"500 upstream exploded, still after \d+ tries in 1.5 s"),
    ("dimension", "vectors of different lengths in one answer"),
    ("fewer", "1 vectors for 2 inputs"),
    ("garbage", "the answer is not JSON"),
    ("nan", "NaN or infinite"),
])
def test_each_failure_is_one_error_naming_the_endpoint_and_the_status(mode: str, message: str, scripted: Scripted,
                                                                       monkeypatch: pytest.MonkeyPatch, api_env: None) -> None:
    use_endpoint(monkeypatch, scripted.base(mode), "sk-secret-in-test")
    monkeypatch.setenv("EMBEDLAB_API_DIMENSIONS", "3")
    with pytest.raises(ApiEmbeddingError, match=message) as caught:
        get_text_encoder(f"api:{mode}").encode(TEXTS[:2] if mode != "nan" else TEXTS[:1])
    assert f"api:{mode} ({mode} at {scripted.base(mode)})" in str(caught.value)
    assert "sk-secret-in-test" not in str(caught.value)


def test_429_is_retried_until_the_server_answers(scripted: Scripted, monkeypatch: pytest.MonkeyPatch, api_env: None) -> None:
    use_endpoint(monkeypatch, scripted.base("busy-1"), "sk-x")
    monkeypatch.setenv("EMBEDLAB_API_DIMENSIONS", "3")
    assert get_text_encoder("api:busy-1").encode(TEXTS[:2]).shape == (2, 3)
    assert scripted.calls["busy-1"] == 3
    assert scripted.seen_headers[-1]["authorization"] == "Bearer sk-x"


def test_a_request_too_large_is_split(scripted: Scripted, monkeypatch: pytest.MonkeyPatch, api_env: None) -> None:
    use_endpoint(monkeypatch, scripted.base("large"))
    monkeypatch.setenv("EMBEDLAB_API_DIMENSIONS", "3")
    assert get_text_encoder("api:large").encode(TEXTS).shape == (4, 3)


def test_a_server_that_is_down_is_named_within_the_time_limit(monkeypatch: pytest.MonkeyPatch, api_env: None) -> None:
    base = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    use_endpoint(monkeypatch, base)
    started = time.monotonic()
    with pytest.raises(ApiEmbeddingError, match=r"api:down \(down at .*\) failed: unreachable"):
        get_text_encoder("api:down")  # loading asks the server for the dimension
    assert time.monotonic() - started < 10


def test_remote_vectors_are_kept_by_content_so_a_second_encode_makes_no_call(scripted: Scripted, monkeypatch: pytest.MonkeyPatch,
                                                                             api_env: None) -> None:
    use_endpoint(monkeypatch, scripted.base("ok"))
    monkeypatch.setenv("EMBEDLAB_API_DIMENSIONS", "3")
    first = encode_texts("api:ok", ["kept one", "kept two"])
    calls = scripted.calls["ok"]
    second = encode_texts("api:ok", ["kept one", "kept two"])
    assert second.cached and scripted.calls["ok"] == calls
    np.testing.assert_array_equal(first.vectors, second.vectors)


def test_the_model_table_lists_configured_endpoints_with_their_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    embedlab_home: Path) -> None:
    monkeypatch.delenv("EMBEDLAB_API_BASE", raising=False)
    monkeypatch.delenv("EMBEDLAB_API_MODELS", raising=False)
    unset = {row.name: row for row in catalogue().status() if row.name.startswith("api:")}
    assert len(unset) == 1 and all(not row.available and "EMBEDLAB_API_BASE is not set" in row.reason for row in unset.values())
    embedlab_home.mkdir(parents=True, exist_ok=True)
    (embedlab_home / "api_endpoints.toml").write_text(
        '[[endpoint]]\nname = "openai-small"\nbase_url = "https://api.openai.com/v1"\nmodel = "text-embedding-3-small"\n'
        'key_env = "OPENAI_KEY_FOR_TEST"\ndimensions = 512\n\n'
        '[[endpoint]]\nname = "ollama-nomic"\nbase_url = "http://127.0.0.1:11434/v1"\nmodel = "nomic-embed-text"\n')
    monkeypatch.delenv("OPENAI_KEY_FOR_TEST", raising=False)
    rows = {row.name: row for row in catalogue().status()}
    assert not rows["api:openai-small"].available and "OPENAI_KEY_FOR_TEST" in rows["api:openai-small"].reason
    assert rows["api:openai-small"].dim == 512 and rows["api:ollama-nomic"].available
    monkeypatch.setenv("OPENAI_KEY_FOR_TEST", "sk-not-shown")
    rows = {row.name: row for row in catalogue().status()}
    assert rows["api:openai-small"].available and "sk-not-shown" not in json.dumps([r.as_dict() for r in rows.values()])

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "pages" / "home.py"), default_timeout=120).run()
    table = at.dataframe[0].value
    assert {"api:openai-small", "api:ollama-nomic"} <= set(table["name"])


def test_the_cli_says_which_endpoint_failed_and_exits_2(scripted: Scripted, tmp_path: Path) -> None:
    env = {**os.environ, "EMBEDLAB_HOME": str(tmp_path), "EMBEDLAB_API_BASE": scripted.base("unauthorised"),
           "EMBEDLAB_API_KEY": "sk-cli-secret", "EMBEDLAB_API_RETRY_SECONDS": "1"}
    done = subprocess.run([EMBEDLAB, "similarity", "api:unauthorised", "one text", "another text"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "api:unauthorised" in done.stderr and "401" in done.stderr and "sk-cli-secret" not in done.stderr


def test_an_ingest_with_an_api_model_is_kept_by_content_so_a_second_run_asks_nothing(served: str, tmp_path: Path) -> None:
    csv = tmp_path / "rows.csv"
    csv.write_text("text\n" + "\n".join(f"row {i} about subject {i % 7}" for i in range(300)) + "\n")
    env = {**os.environ, "EMBEDLAB_HOME": str(tmp_path / "home"), "EMBEDLAB_API_KEY": TOKEN, "EMBEDLAB_API_RETRY_SECONDS": "1"}
    ok = subprocess.run([EMBEDLAB, "ingest", str(csv), "--collection", "rows", "--model", "api:minilm", "--json"],
                        env={**env, "EMBEDLAB_API_BASE": served}, capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["added"] == 300
    # the same file again with the server gone: nothing is asked of it (every row is stored)
    down = f"http://127.0.0.1:{free_port()}/v1"
    again = subprocess.run([EMBEDLAB, "ingest", str(csv), "--collection", "rows", "--model", "api:minilm", "--json"],
                           env={**env, "EMBEDLAB_API_BASE": down, "EMBEDLAB_API_DIMENSIONS": "384"},
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and json.loads(again.stdout)["added"] == 0, again.stderr
