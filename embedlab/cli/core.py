"""Core commands: models, similarity, neighbors, serve, serve-embeddings."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from embedlab.cli._common import add_json_flag, emit, integer
from embedlab.errors import InputError


def register(commands: argparse._SubParsersAction) -> None:
    """Add the core sub-commands."""
    models = commands.add_parser("models", help="list models, their device and availability")
    add_json_flag(models)
    models.set_defaults(handler=cmd_models)

    sim = commands.add_parser("similarity", help="cosine similarity matrix of words or texts")
    sim.add_argument("model", help="model name (see `embedlab models`)")
    sim.add_argument("texts", nargs="+", metavar="TEXT", help="two or more words or texts")
    add_json_flag(sim)
    sim.set_defaults(handler=cmd_similarity)

    nn = commands.add_parser("neighbors", help="nearest words in a word model, or nearest rows of a collection")
    nn.add_argument("model", help="model name")
    nn.add_argument("query", help="a word (word models) or a text (with --collection)")
    nn.add_argument("-k", type=integer(1, 100), default=10, help="how many neighbours (default 10)")
    nn.add_argument("--collection", help="collection to search (needed for text models)")
    add_json_flag(nn)
    nn.set_defaults(handler=cmd_neighbors)

    serve = commands.add_parser("serve", help="start the web app")
    serve.add_argument("--port", type=integer(1, 65_535), default=8501)
    serve.add_argument("--address", default="127.0.0.1", help="bind address (default loopback only)")
    serve.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                       help="a host name browsers may use to reach the app (behind a proxy, say; repeatable;"
                            " also EMBEDLAB_ALLOWED_HOSTS, comma-separated); other names are refused (DNS rebinding)")
    serve.set_defaults(handler=cmd_serve)

    from embedlab.serving import MAX_BATCH, MAX_CHARS, MAX_ITEMS

    embed = commands.add_parser(
        "serve-embeddings", help="serve text models at an OpenAI-compatible /v1/embeddings (for api: models elsewhere)",
        description="Serves EmbedLab's text models (MiniLM, the multilingual USE, a fine-tuned model, ...) with OpenAI's"
                    " embeddings protocol: POST /v1/embeddings, GET /v1/models, GET /health. Concurrent requests are encoded"
                    " together. Point other machines at it with EMBEDLAB_API_BASE=http://HOST:PORT/v1 and api:MODEL.")
    embed.add_argument("--model", action="append", metavar="NAME", help="a text model to serve (repeatable; default minilm)")
    embed.add_argument("--host", default="127.0.0.1", help="bind address (default loopback only)")
    embed.add_argument("--port", type=integer(1, 65_535), default=8000)
    embed.add_argument("--token-env", metavar="VAR", default="EMBEDLAB_SERVE_TOKEN",
                       help="the environment variable holding the bearer token clients must send (default"
                            " EMBEDLAB_SERVE_TOKEN; unset: no token is asked for)")
    embed.add_argument("--max-items", type=integer(1, 10_000), default=MAX_ITEMS, help=f"inputs per request (default {MAX_ITEMS})")
    embed.add_argument("--max-chars", type=integer(1, 1_000_000), default=MAX_CHARS,
                       help=f"characters per input (default {MAX_CHARS:,})")
    embed.add_argument("--max-batch", type=integer(1, 4_096), default=MAX_BATCH,
                       help=f"inputs encoded together across requests (default {MAX_BATCH})")
    embed.set_defaults(handler=cmd_serve_embeddings)


def cmd_models(args: argparse.Namespace) -> int:
    from embedlab.backends import model_status

    rows = model_status()
    document = [{"name": r.name, "kind": r.kind, "dim": r.dim, "device": r.device, "available": r.available} for r in rows]

    def human() -> None:
        print(f"{'name':<24} {'kind':<10} {'dim':>5} {'device':<7} available")
        for r in rows:
            note = "yes" if r.available else f"no: {r.reason}"
            print(f"{r.name:<24} {r.kind:<10} {r.dim:>5} {r.device:<7} {note}")

    emit(args, document, human)
    return 0


def cmd_similarity(args: argparse.Namespace) -> int:
    from embedlab.analysis.similarity import similarity
    from embedlab.errors import OutOfVocabularyError

    if len(args.texts) < 2:
        raise InputError("Give at least two texts to compare.")
    result = similarity(args.model, list(args.texts))
    if result.unknown:
        raise OutOfVocabularyError(result.unknown, args.model)
    document = {"model": args.model, "texts": result.labels, "matrix": result.matrix.round(6)}

    def human() -> None:
        width = min(max(len(t) for t in result.labels), 30)
        for label, row in zip(result.labels, result.matrix, strict=True):
            print(f"{label[:width]:<{width}} " + " ".join(f"{v:6.3f}" for v in row))

    emit(args, document, human)
    return 0


def cmd_neighbors(args: argparse.Namespace) -> int:
    from embedlab.analysis.similarity import word_neighbors
    from embedlab.backends import BackendKind, backend_kind

    if backend_kind(args.model) == BackendKind.WORDS:
        if args.collection:
            raise InputError("Word models search their own vocabulary; drop --collection.")
        result = word_neighbors(args.model, args.query, args.k)
        items = [{"key": key, "score": score} for key, score in result.neighbors]
    else:
        if not args.collection:
            raise InputError(
                f"{args.model!r} is a text model and has no vocabulary: pass --collection NAME"
                " to search a stored collection (see `embedlab collections`)."
            )
        from embedlab.analysis.search import search_collection

        found = search_collection(args.collection, args.query, args.k, model=args.model)
        items = [{"key": hit.text, "score": hit.score, "id": hit.id} for hit in found.hits]
    document = {"model": args.model, "query": args.query, "neighbors": items}

    def human() -> None:
        for item in items:
            print(f"{item['score']:7.4f}  {item['key']}")

    emit(args, document, human)
    return 0


def app_path() -> Path:
    """``app.py`` of this checkout (the package is installed from the repository)."""
    candidates = [Path(__file__).resolve().parents[2] / "app.py", Path.cwd() / "app.py"]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    raise InputError("app.py not found: run `embedlab serve` from the EmbedLab repository.")


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def allowed_hosts(address: str, extra: list[str]) -> list[str]:
    """The host names the app answers (Streamlit's ``server.allowedHosts``): loopback, the bind
    address unless it is a wildcard, ``--allowed-host`` names and ``EMBEDLAB_ALLOWED_HOSTS``."""
    from_env = [name.strip() for name in os.environ.get("EMBEDLAB_ALLOWED_HOSTS", "").split(",") if name.strip()]
    names = [*LOOPBACK_HOSTS, *([address] if address not in ("0.0.0.0", "::", "") else []), *extra, *from_env]
    return list(dict.fromkeys(name.strip().lower() for name in names))


def cmd_serve(args: argparse.Namespace) -> int:
    app = app_path()
    command = [  # streamlit run, with the Host check on every route (embedlab/ui/serve.py)
        sys.executable, "-m", "embedlab.ui.serve", "run", str(app),
        "--server.address", args.address, "--server.port", str(args.port),
    ]
    for host in allowed_hosts(args.address, args.allowed_host):
        command += ["--server.allowedHosts", host]
    print(f"EmbedLab on http://{args.address}:{args.port}", file=sys.stderr)
    sys.stderr.flush()
    # Become the server (exec, not a child): a SIGTERM or Ctrl-C sent to `embedlab serve` then
    # reaches Streamlit itself. A child left behind kept serving and holding the store's lock.
    os.chdir(app.parent)
    os.execv(sys.executable, command)
    return 0  # not reached


def cmd_serve_embeddings(args: argparse.Namespace) -> int:
    from embedlab.backends import get_text_encoder
    from embedlab.serving import ServeSettings, serve

    models = tuple(dict.fromkeys(args.model or ["minilm"]))
    for name in models:  # names checked and models loaded before the port opens
        get_text_encoder(name)
    token = os.environ.get(args.token_env) or None
    if args.host not in LOOPBACK_HOSTS and token is None:
        print(f"embedlab: serving on {args.host} without a token: anyone who reaches the port can use it"
              f" (set {args.token_env} to ask for one).", file=sys.stderr)
    print(f"EmbedLab embeddings on http://{args.host}:{args.port}/v1 ({', '.join(models)})", file=sys.stderr)
    sys.stderr.flush()
    serve(ServeSettings(models, token, args.max_items, args.max_chars, args.max_batch), args.host, args.port)
    return 0
