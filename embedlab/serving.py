"""``embedlab serve-embeddings``: EmbedLab's text models over OpenAI's ``POST /v1/embeddings``
protocol, so a team can run one (GPU) machine for encoding and point every app at it (``api:``).

A Starlette app on uvicorn, bound to 127.0.0.1 unless told otherwise, with an optional bearer
token, caps on what one request may ask (items, characters per item), and batching across
concurrent requests: requests for the same model that arrive while a batch is being encoded
join the next batch, so eight users asking at once cost a few model calls, not eight.
Answers follow OpenAI's format (``data[i].embedding`` as floats or base64 float32, ``index``,
``model``, ``usage``); errors are OpenAI's ``{"error": {"message", "type", "code"}}`` with the
matching status.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MAX_ITEMS = 256
MAX_CHARS = 20_000
MAX_BATCH = 64
BATCH_WAIT_SECONDS = 0.005


@dataclass(frozen=True)
class ServeSettings:
    """What the server serves and the caps it applies."""

    models: tuple[str, ...]
    token: str | None = None
    max_items: int = MAX_ITEMS
    max_chars: int = MAX_CHARS
    max_batch: int = MAX_BATCH


@dataclass
class _Waiting:
    texts: list[str]
    future: asyncio.Future[np.ndarray]


@dataclass
class _Batcher:
    """One model's queue: texts of concurrent requests are encoded together, in one thread."""

    encoder: Any
    max_batch: int
    queue: list[_Waiting] = field(default_factory=list)
    busy: bool = False
    requests: int = 0
    batches: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def encode(self, texts: list[str]) -> np.ndarray:
        loop = asyncio.get_running_loop()
        waiting = _Waiting(texts, loop.create_future())
        self.requests += 1
        self.queue.append(waiting)
        if not self.busy:
            self.busy = True
            loop.create_task(self._drain())
        return await waiting.future

    async def _drain(self) -> None:
        try:
            while self.queue:
                await asyncio.sleep(BATCH_WAIT_SECONDS)  # let requests that arrive together join
                taken: list[_Waiting] = []
                count = 0
                while self.queue and (not taken or count + len(self.queue[0].texts) <= self.max_batch):
                    item = self.queue.pop(0)
                    taken.append(item)
                    count += len(item.texts)
                flat = [text for item in taken for text in item.texts]
                self.batches += 1
                try:
                    vectors = await asyncio.to_thread(self._encode, flat)
                except Exception as error:  # every request of the batch gets the error
                    for item in taken:
                        item.future.set_exception(error)
                    continue
                start = 0
                for item in taken:
                    item.future.set_result(vectors[start : start + len(item.texts)])
                    start += len(item.texts)
        finally:
            self.busy = False

    def _encode(self, texts: list[str]) -> np.ndarray:
        with self.lock:
            return np.asarray(self.encoder.encode(texts, batch_size=self.max_batch), dtype=np.float32)


class RequestError(Exception):
    """A request the server refuses: its status, OpenAI's error type and a message."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.kind, self.code = status, message, kind, code


def parse_request(document: Any, settings: ServeSettings) -> tuple[str, list[str], str, int | None]:
    """(model, texts, encoding format, dimensions) of a request body, checked against the caps."""
    if not isinstance(document, dict):
        raise RequestError(400, "The body must be a JSON object.")
    model = document.get("model")
    if not isinstance(model, str) or not model:
        raise RequestError(400, "'model' is required.")
    if model not in settings.models:
        raise RequestError(404, f"The model {model!r} is not served here; served: {', '.join(settings.models)}.",
                           code="model_not_found")
    raw = document.get("input")
    texts = [raw] if isinstance(raw, str) else raw
    if not isinstance(texts, list) or not texts:
        raise RequestError(400, "'input' must be a string or a non-empty list of strings.")
    if not all(isinstance(text, str) for text in texts):
        raise RequestError(400, "'input' must hold strings; token arrays are not accepted here.")
    if len(texts) > settings.max_items:
        raise RequestError(413, f"{len(texts)} inputs; at most {settings.max_items} per request.")
    long = next((i for i, text in enumerate(texts) if len(text) > settings.max_chars), None)
    if long is not None:
        raise RequestError(413, f"input {long} has {len(texts[long]):,} characters; at most {settings.max_chars:,}.")
    fmt = document.get("encoding_format", "float")
    if fmt not in ("float", "base64"):
        raise RequestError(400, f"encoding_format must be 'float' or 'base64', not {fmt!r}.")
    dimensions = document.get("dimensions")
    if dimensions is not None and (not isinstance(dimensions, int) or isinstance(dimensions, bool)):
        raise RequestError(400, "'dimensions' must be a whole number.")
    return model, texts, fmt, dimensions


def answer(model: str, vectors: np.ndarray, texts: list[str], fmt: str) -> dict[str, Any]:
    """OpenAI's answer for ``vectors`` (usage counts words: there is no one tokenizer to count)."""
    def encoded(row: np.ndarray) -> Any:
        if fmt == "base64":
            return base64.b64encode(np.asarray(row, dtype="<f4").tobytes()).decode("ascii")
        return [float(v) for v in row]

    words = sum(len(text.split()) for text in texts)
    return {"object": "list", "model": model,
            "data": [{"object": "embedding", "index": i, "embedding": encoded(row)} for i, row in enumerate(vectors)],
            "usage": {"prompt_tokens": words, "total_tokens": words}}


def create_app(settings: ServeSettings) -> Any:
    """The ASGI app serving ``settings.models`` (each loaded once, at start-up)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from embedlab.backends import get_text_encoder

    batchers = {name: _Batcher(get_text_encoder(name), settings.max_batch) for name in settings.models}

    def refuse(error: RequestError) -> JSONResponse:
        return JSONResponse({"error": {"message": error.message, "type": error.kind, "code": error.code}}, status_code=error.status)

    def authorised(request: Request) -> bool:
        if not settings.token:
            return True
        given = request.headers.get("authorization", "")
        return given.startswith("Bearer ") and hmac.compare_digest(given[len("Bearer "):].encode(), settings.token.encode())

    async def embeddings(request: Request) -> JSONResponse:
        if not authorised(request):
            return refuse(RequestError(401, "A valid bearer token is required.", "authentication_error", "invalid_api_key"))
        try:
            document = await request.json()
        except ValueError:
            return refuse(RequestError(400, "The body is not JSON."))
        try:
            model, texts, fmt, dimensions = parse_request(document, settings)
            batcher = batchers[model]
            if dimensions is not None and dimensions != batcher.encoder.dim:
                raise RequestError(400, f"{model} gives {batcher.encoder.dim}-d vectors; 'dimensions' {dimensions} is not offered.")
        except RequestError as error:
            return refuse(error)
        vectors = await batcher.encode(texts)
        return JSONResponse(answer(model, vectors, texts, fmt))

    async def models(request: Request) -> JSONResponse:
        if not authorised(request):
            return refuse(RequestError(401, "A valid bearer token is required.", "authentication_error", "invalid_api_key"))
        return JSONResponse({"object": "list", "data": [{"id": name, "object": "model", "owned_by": "embedlab"}
                                                         for name in settings.models]})

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "models": list(settings.models),
                             "requests": {name: b.requests for name, b in batchers.items()},
                             "batches": {name: b.batches for name, b in batchers.items()}})

    return Starlette(routes=[Route("/v1/embeddings", embeddings, methods=["POST"]), Route("/v1/models", models),
                             Route("/health", health)])


def serve(settings: ServeSettings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the server until interrupted."""
    import uvicorn

    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
