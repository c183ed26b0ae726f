"""Remote embeddings: any server that speaks OpenAI's ``POST /v1/embeddings`` (OpenAI itself,
Ollama, text-embeddings-inference, vLLM, llama.cpp's server, infinity, ``embedlab
serve-embeddings``) as a text model named ``api:<name>``.

Endpoints come from two places:

- the environment: ``EMBEDLAB_API_BASE`` (the base URL, ending in ``/v1``), ``EMBEDLAB_API_KEY``
  and ``EMBEDLAB_API_DIMENSIONS``; then ``api:<model>`` is that server's model ``<model>``, and
  ``EMBEDLAB_API_MODELS`` (comma-separated) lists the ones the model table shows;
- ``EMBEDLAB_HOME/api_endpoints.toml``: one ``[[endpoint]]`` table per model with ``name`` (the
  model is ``api:<name>``), ``base_url``, ``model``, ``key_env`` (the *name* of the environment
  variable that holds the key, never the key), and optional ``batch_size``, ``dimensions``,
  ``timeout`` and ``retry_seconds``.

A key is sent in the ``Authorization`` header only: it never appears in a URL, a link, a log or
an error message. Requests are batched (``batch_size`` inputs each, halved when the server says
the request is too large), 429 and 5xx answers and dropped connections are retried with
exponential backoff (honouring ``Retry-After``) for at most ``retry_seconds``, and every answer
is checked (JSON, one vector per input in ``index`` order, float or base64, the dimension, finite
numbers). Every failure is one ``ApiEmbeddingError`` naming the endpoint and the status.
"""

from __future__ import annotations

import base64
import os
import random
import re
import threading
import time
import tomllib
from dataclasses import dataclass
from typing import Any

import numpy as np

from embedlab import config
from embedlab.backends.base import BackendKind, BackendSpec, BatchedEncoder
from embedlab.errors import ApiEmbeddingError, InputError

API_PREFIX = "api:"
ENDPOINTS_FILE = "api_endpoints.toml"
DEFAULT_BATCH = 256  # inputs per request (OpenAI takes up to 2,048; serve-embeddings 256 by default)
DEFAULT_TIMEOUT = 60.0
DEFAULT_RETRY_SECONDS = 60.0
API_HINT = ("set EMBEDLAB_API_BASE (e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1) and EMBEDLAB_API_KEY,"
            f" or describe the endpoint in EMBEDLAB_HOME/{ENDPOINTS_FILE}")


@dataclass(frozen=True)
class Endpoint:
    """One remote model: where it is, what the server calls it, how to authenticate and batch."""

    name: str  # the model is api:<name> in EmbedLab
    base_url: str
    model: str
    key_env: str | None = None
    batch_size: int = DEFAULT_BATCH
    dimensions: int | None = None
    timeout: float = DEFAULT_TIMEOUT
    retry_seconds: float = DEFAULT_RETRY_SECONDS
    source: str = "environment"
    key_required: bool = True  # a file's key_env must be set; EMBEDLAB_API_KEY is optional (local servers need none)

    @property
    def label(self) -> str:
        """How messages name the endpoint: model and server, never the key."""
        return f"api:{self.name} ({self.model} at {self.base_url})"

    def key(self) -> str | None:
        return os.environ.get(self.key_env) if self.key_env else None

    def problem(self) -> str | None:
        """Why this endpoint cannot be used here, without asking the server (None when it can)."""
        if not self.base_url:
            return "EMBEDLAB_API_BASE is not set"
        if not self.base_url.startswith(("http://", "https://")):
            return f"its base URL {self.base_url!r} is not http(s)"
        if self.key_env and self.key_required and not os.environ.get(self.key_env):
            return f"the environment variable {self.key_env} (its key) is not set"
        return None


def _positive(value: Any, what: str, cast: type) -> Any:
    try:
        number = cast(value)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be a number, got {value!r}.") from None
    if not number > 0:
        raise InputError(f"{what} must be above 0, got {value!r}.")
    return number


def environment_endpoint(model: str) -> Endpoint:
    """The endpoint of ``api:<model>`` on the server of ``EMBEDLAB_API_BASE``."""
    dimensions = os.environ.get("EMBEDLAB_API_DIMENSIONS", "").strip()
    return Endpoint(model, os.environ.get("EMBEDLAB_API_BASE", "").strip().rstrip("/"), model, "EMBEDLAB_API_KEY",
                    dimensions=_positive(dimensions, "EMBEDLAB_API_DIMENSIONS", int) if dimensions else None,
                    retry_seconds=_positive(os.environ.get("EMBEDLAB_API_RETRY_SECONDS", DEFAULT_RETRY_SECONDS),
                                            "EMBEDLAB_API_RETRY_SECONDS", float), key_required=False)


def configured_endpoints() -> dict[str, Endpoint]:
    """The endpoints of ``EMBEDLAB_HOME/api_endpoints.toml`` by name (none when there is no file);
    a file that cannot be read is an error naming the file and the problem."""
    path = config.embedlab_home() / ENDPOINTS_FILE
    if not path.exists():
        return {}
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise InputError(f"{path}: not a readable TOML file ({error}).") from None
    endpoints: dict[str, Endpoint] = {}
    for number, table in enumerate(document.get("endpoint", []), start=1):
        if not isinstance(table, dict):
            raise InputError(f"{path}: endpoint {number} is not a table ([[endpoint]]).")
        missing = [key for key in ("name", "base_url", "model") if not str(table.get(key, "")).strip()]
        if missing:
            raise InputError(f"{path}: endpoint {number} lacks {', '.join(missing)}.")
        unknown = set(table) - {"name", "base_url", "model", "key_env", "batch_size", "dimensions", "timeout", "retry_seconds"}
        if unknown:
            raise InputError(f"{path}: endpoint {table['name']!r} has unknown keys: {', '.join(sorted(unknown))}.")
        if table.get("key_env") and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(table["key_env"])):
            raise InputError(f"{path}: key_env of endpoint {number} must name an environment variable (such as"
                             " OPENAI_API_KEY) that holds the key, not hold the key.")
        name = str(table["name"]).strip()
        endpoints[name] = Endpoint(
            name, str(table["base_url"]).strip().rstrip("/"), str(table["model"]).strip(),
            str(table["key_env"]).strip() if table.get("key_env") else None,
            _positive(table.get("batch_size", DEFAULT_BATCH), f"{path}: batch_size of {name!r}", int),
            _positive(table["dimensions"], f"{path}: dimensions of {name!r}", int) if table.get("dimensions") else None,
            _positive(table.get("timeout", DEFAULT_TIMEOUT), f"{path}: timeout of {name!r}", float),
            _positive(table.get("retry_seconds", DEFAULT_RETRY_SECONDS), f"{path}: retry_seconds of {name!r}", float),
            str(path),
        )
    return endpoints


def endpoint_of(name: str) -> Endpoint:
    """The endpoint of the model ``api:<name>``: the file's when it names it, else the environment's."""
    bare = name[len(API_PREFIX):] if name.startswith(API_PREFIX) else name
    return configured_endpoints().get(bare) or environment_endpoint(bare)


def api_settings_stamp() -> str:
    """A fingerprint of everything the endpoints are read from (the environment's settings and
    the endpoints file's content), so the catalogue reads them again only when they change."""
    import hashlib

    path = config.embedlab_home() / ENDPOINTS_FILE
    try:
        content = path.read_bytes()
    except OSError:
        content = b""
    settings = [os.environ.get(name, "") for name in
                ("EMBEDLAB_API_BASE", "EMBEDLAB_API_MODELS", "EMBEDLAB_API_MODEL", "EMBEDLAB_API_DIMENSIONS", "EMBEDLAB_API_RETRY_SECONDS")]
    return hashlib.sha256("\x00".join(settings).encode() + b"\x00" + content).hexdigest()


def listed_endpoints() -> list[Endpoint]:
    """The endpoints the model table shows: the file's, then ``EMBEDLAB_API_MODELS`` (or, when
    neither names one, the environment's default model, listed unavailable until it is set up)."""
    endpoints = list(configured_endpoints().values())
    names = [m.strip() for m in os.environ.get("EMBEDLAB_API_MODELS", "").split(",") if m.strip()]
    if not names and not endpoints:
        names = [os.environ.get("EMBEDLAB_API_MODEL", "text-embedding-3-small").strip()]
    taken = {endpoint.name for endpoint in endpoints}
    return endpoints + [environment_endpoint(name) for name in names if name not in taken]


# -- the client ------------------------------------------------------------------------------------


class _Retry(Exception):
    """An answer worth trying again (429, 5xx, a dropped connection), with how long to wait."""

    def __init__(self, status: str, wait: float | None) -> None:
        super().__init__(status)
        self.status, self.wait = status, wait


class ApiEncoder(BatchedEncoder):
    """A remote text model behind the TextEncoder protocol (see the module)."""

    kind = BackendKind.TEXT
    device = "remote"
    whole_calls = True  # requests are cut by the endpoint's batch size, not the caller's

    def __init__(self, endpoint: Endpoint, *, probe: bool = True) -> None:
        import httpx

        if problem := endpoint.problem():
            raise ApiEmbeddingError(endpoint.label, problem)
        self.endpoint = endpoint
        self.name = f"{API_PREFIX}{endpoint.name}"
        self.description = f"{endpoint.model} served at {endpoint.base_url} (OpenAI-compatible /v1/embeddings)"
        self.client = httpx.Client(timeout=endpoint.timeout)
        self.format = "base64"
        self._lock = threading.Lock()
        self.dim = endpoint.dimensions or 0
        if probe and not self.dim:  # the store names a collection's dimension before the first batch
            self.dim = int(self._request(["dimension probe"]).shape[1])

    def _encode_batch(self, batch: list[Any], batch_size: int) -> np.ndarray:
        texts = [str(text) for text in batch]
        parts = [self._request(texts[start : start + self.endpoint.batch_size])
                 for start in range(0, len(texts), self.endpoint.batch_size)]
        return np.concatenate(parts) if parts else np.zeros((0, self.dim), np.float32)

    def _request(self, texts: list[str]) -> np.ndarray:
        """One batch, retried as the module says; halved when the server finds it too large."""
        deadline = time.monotonic() + self.endpoint.retry_seconds
        attempt = 0
        while True:
            try:
                return self._post(texts)
            except _TooLarge:
                if len(texts) == 1:
                    raise ApiEmbeddingError(self.endpoint.label, "413: one input is larger than the server accepts") from None
                half = len(texts) // 2
                return np.concatenate([self._request(texts[:half]), self._request(texts[half:])])
            except _Retry as retry:
                attempt += 1
                wait = retry.wait if retry.wait is not None else min(8.0, 0.25 * 2**attempt) * (0.5 + random.random())
                if time.monotonic() + wait > deadline:
                    raise ApiEmbeddingError(self.endpoint.label, f"{retry.status}, still after {attempt} tries in"
                                            f" {self.endpoint.retry_seconds:g} s") from None
                time.sleep(wait)

    def _post(self, texts: list[str]) -> np.ndarray:
        import httpx

        body: dict[str, Any] = {"model": self.endpoint.model, "input": texts, "encoding_format": self.format}
        if self.endpoint.dimensions:
            body["dimensions"] = self.endpoint.dimensions
        headers = {"Authorization": f"Bearer {key}"} if (key := self.endpoint.key()) else {}
        try:
            answer = self.client.post(f"{self.endpoint.base_url}/embeddings", json=body, headers=headers)
        except httpx.ConnectError as error:
            raise _Retry(f"unreachable ({_without(error, self.endpoint.key())})", None) from None
        except httpx.TimeoutException:
            raise _Retry(f"no answer within {self.endpoint.timeout:g} s", None) from None
        except httpx.HTTPError as error:
            raise _Retry(f"connection failed ({_without(error, self.endpoint.key())})", None) from None
        status = answer.status_code
        if status == 413:
            raise _TooLarge
        if status == 429 or status >= 500:
            raise _Retry(f"{status} {_reason(answer, self.endpoint.key())}", _retry_after(answer))
        if status >= 400:
            raise ApiEmbeddingError(self.endpoint.label, f"{status} {_reason(answer, self.endpoint.key())}"
                                    + (": check its key" if status in (401, 403) else ""))
        if self.format == "base64" and _asks_for_floats(answer):
            self.format = "float"
        return self._vectors(answer, len(texts))

    def _vectors(self, answer: Any, count: int) -> np.ndarray:
        label = self.endpoint.label
        try:
            document = answer.json()
        except ValueError:
            raise ApiEmbeddingError(label, f"{answer.status_code}, but the answer is not JSON") from None
        data = document.get("data") if isinstance(document, dict) else None
        if not isinstance(data, list):
            raise ApiEmbeddingError(label, "the answer has no list of embeddings ('data')")
        if len(data) != count:
            raise ApiEmbeddingError(label, f"{len(data)} vectors for {count} inputs")
        rows: dict[int, np.ndarray] = {}
        for position, item in enumerate(data):
            index = item.get("index", position) if isinstance(item, dict) else None
            if not isinstance(index, int) or not 0 <= index < count or index in rows:
                raise ApiEmbeddingError(label, f"the answer's indices are not 0 to {count - 1}, each once")
            rows[index] = _decode(item.get("embedding"), label)
        width = {row.shape[0] for row in rows.values()}
        if len(width) > 1:
            raise ApiEmbeddingError(label, f"vectors of different lengths in one answer: {sorted(width)}")
        matrix = np.stack([rows[i] for i in range(count)]) if count else np.zeros((0, self.dim), np.float32)
        if self.dim and matrix.shape[1] != self.dim:
            raise ApiEmbeddingError(label, f"{matrix.shape[1]}-d vectors, but this model gives {self.dim}-d")
        if not np.isfinite(matrix).all():
            raise ApiEmbeddingError(label, "the answer holds NaN or infinite numbers")
        return matrix


class _TooLarge(Exception):
    """413: the request is too large for the server (the batch is halved)."""


def _decode(embedding: Any, label: str) -> np.ndarray:
    """One embedding as float32: a list of numbers, or base64 of little-endian float32."""
    if isinstance(embedding, str):
        try:
            raw = base64.b64decode(embedding, validate=True)
        except ValueError:
            raise ApiEmbeddingError(label, "an embedding is neither numbers nor base64") from None
        if len(raw) % 4:
            raise ApiEmbeddingError(label, "a base64 embedding is not whole float32 numbers")
        return np.frombuffer(raw, dtype="<f4").astype(np.float32)
    if isinstance(embedding, list) and embedding and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in embedding):
        return np.asarray(embedding, dtype=np.float32)
    raise ApiEmbeddingError(label, "an embedding is neither a list of numbers nor base64")


def _asks_for_floats(answer: Any) -> bool:
    """Some servers ignore ``encoding_format`` and answer with lists of floats: fine, use them."""
    try:
        first = answer.json()["data"][0]["embedding"]
    except (ValueError, KeyError, IndexError, TypeError):
        return False
    return isinstance(first, list)


def _reason(answer: Any, key: str | None) -> str:
    """The server's short reason: OpenAI's ``error.message`` when it sends one, else the phrase;
    the key blanked out should the server echo it."""
    try:
        message = answer.json().get("error", {})
        text = message.get("message") if isinstance(message, dict) else str(message)
    except (ValueError, AttributeError):
        text = None
    reason = (text or answer.reason_phrase or "").strip()
    return (reason.replace(key, "***") if key else reason)[:200]


def _retry_after(answer: Any) -> float | None:
    value = answer.headers.get("retry-after", "")
    try:
        return min(max(float(value), 0.0), 60.0)
    except ValueError:
        return None


def _without(error: Exception, key: str | None) -> str:
    """An error's text with the key blanked out, should a library ever put it there."""
    text = str(error)
    return text.replace(key, "***") if key else text


def load_api(name: str) -> ApiEncoder:
    """The loader of ``api:<name>`` (asks the server once for the dimension unless it is configured)."""
    return ApiEncoder(endpoint_of(name))


def check_api(name: str) -> str | None:
    """Why ``api:<name>`` cannot be used here, without a network call (None when it can)."""
    return endpoint_of(name).problem()


def api_spec(name: str) -> BackendSpec:
    """The catalogue row of ``api:<name>``."""
    endpoint = endpoint_of(name)
    full = f"{API_PREFIX}{endpoint.name}"
    return BackendSpec(full, BackendKind.TEXT, endpoint.dimensions or 0, f"remote: {endpoint.base_url or '(not set)'}",
                       f"{endpoint.model} over the OpenAI-compatible /v1/embeddings API"
                       + (f" ({endpoint.source})" if endpoint.source != "environment" else ""),
                       API_HINT, lambda: load_api(full), lambda: check_api(full), lambda: "remote",
                       identity=api_settings_stamp()[:16])
