"""Image commands: ingest-images, image-search, classify."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from embedlab import datasets
from embedlab.cli._common import (
    add_json_flag,
    emit,
    integer,
    progress_bar,
    show_progress,
)
from embedlab.errors import InputError
from embedlab.images.safety import ImageUpload

BACKENDS = "efficientnet-lite0, conse or clip"


def register(commands: argparse._SubParsersAction) -> None:
    """Add the image sub-commands."""
    from embedlab.images.safety import IMAGE_LIMITS
    from embedlab.images.search import DEFAULT_COLLECTION, DEFAULT_TEMPLATE

    ingest = commands.add_parser("ingest-images", help="store images (a folder, a ZIP, an image, or a built-in gallery)",
                                 description=IMAGE_LIMITS.describe() + " Built-in: " + ", ".join(datasets.names("images")) + ".")
    ingest.add_argument("path", metavar="PATH", help="a folder, a ZIP, an image file, or " + " / ".join(datasets.names("images"))
                        + "; in a folder or a ZIP, each image's folder is its label (as torchvision's ImageFolder:"
                        " cats/a.png is a cat; one folder wrapping them all is skipped)")
    ingest.add_argument("--collection", metavar="NAME", help="collection name (default: the gallery's name, else required)")
    ingest.add_argument("--backend", default="conse", metavar="B", help=f"{BACKENDS} (default conse)")
    _top_t(ingest)
    add_json_flag(ingest)
    ingest.set_defaults(handler=cmd_ingest_images)

    find = commands.add_parser("image-search", help="the images nearest to a text or an image")
    find.add_argument("query", metavar="QUERY", help="text, or the path of an image file")
    find.add_argument("--collection", default=DEFAULT_COLLECTION, metavar="NAME", help=f"default {DEFAULT_COLLECTION} (the built-in gallery)")
    find.add_argument("-k", type=integer(1, 100), default=5, help="how many results (default 5)")
    find.add_argument("--backend", metavar="B", help=f"{BACKENDS} (default: clip when its weights load, else conse)")
    _top_t(find)
    add_json_flag(find)
    find.set_defaults(handler=cmd_image_search)

    label = commands.add_parser("classify", help="zero-shot labels of an image: a probability per label")
    label.add_argument("image", type=Path, metavar="IMAGE")
    label.add_argument("--labels", nargs="+", required=True, metavar="L",
                       help="two or more candidate labels, separated by spaces (quote a label of several words)")
    label.add_argument("--template", default=DEFAULT_TEMPLATE, metavar="T", help=f"prompt, {{}} = the label (default {DEFAULT_TEMPLATE!r})")
    label.add_argument("--backend", metavar="B", help="conse or clip (default: clip when its weights load, else conse)")
    _top_t(label)
    add_json_flag(label)
    label.set_defaults(handler=cmd_classify)

    score = commands.add_parser("classify-collection", help="zero-shot accuracy and confusion matrix on a labelled image collection")
    score.add_argument("collection", metavar="COLLECTION", help="e.g. gallery-faces, gallery-digits, or a stored collection")
    score.add_argument("--labels", nargs="+", metavar="L",
                       help="labels to score, separated by spaces (quote a label of several words: --labels cat 'cup of coffee');"
                            " default: the collection's own (its folder names, for a folder or ZIP)")
    score.add_argument("--template", default=DEFAULT_TEMPLATE, metavar="T", help=f"prompt, {{}} = the label (default {DEFAULT_TEMPLATE!r})")
    score.add_argument("--text", action="append", default=[], metavar="LABEL=WORDS",
                       help="words to put in the template for a label, e.g. background='patch of texture' (repeatable)")
    score.add_argument("--backend", metavar="B", help="conse or clip (default: clip when its weights load, else conse)")
    _top_t(score)
    add_json_flag(score)
    score.set_defaults(handler=cmd_classify_collection)


def _top_t(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--top-t", type=integer(1, 1_000), default=10, metavar="T",
                        help="ConSE: how many top ImageNet classes make an image's vector (default 10)")


def _backend(args: argparse.Namespace) -> str | None:
    """The backend asked for, with ConSE's T applied (``conse-t5`` for T = 5)."""
    from embedlab.backends.images import CONSE_TOP_T
    from embedlab.images.models import conse_with
    from embedlab.images.search import resolve_backend

    if args.top_t == CONSE_TOP_T:
        return args.backend
    name = args.backend or resolve_backend(None, text=False)
    if name != "conse":
        raise InputError(f"--top-t applies to conse only (the model here is {name}).")
    return conse_with(args.top_t)


def _read_path(path: Path) -> ImageUpload:
    """Images from a folder (recursively, sorted), a ZIP or one image file; a file bigger than an
    upload may be is not read, and says so with its size."""
    from embedlab.images.safety import (
        IMAGE_LIMITS,
        Rejected,
        folder_labels,
        read_uploads,
    )

    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink())
        if len(files) > IMAGE_LIMITS.max_files:
            raise InputError(f"{path} holds {len(files):,} files; at most {IMAGE_LIMITS.max_files:,} per ingest.")
        named = [(str(p.relative_to(path)), p) for p in files]
    elif path.is_file():
        named = [(path.name, path)]
    else:
        raise InputError(f"{path} is not a file, a folder, or a built-in gallery ({', '.join(datasets.names('images'))}).")
    limit = max(IMAGE_LIMITS.max_upload_megabytes, IMAGE_LIMITS.max_zip_total_megabytes) * 1024 * 1024
    too_big = [Rejected(name, f"{file.stat().st_size / 2**20:,.0f} MB; a file may be at most {limit // 2**20} MB here, so it"
                              " was not read.") for name, file in named if file.stat().st_size > limit]
    labels = folder_labels([name for name, _ in named]) if path.is_dir() else {}  # one folder per label, as ImageFolder
    upload = read_uploads(((name, file.read_bytes()) for name, file in named if file.stat().st_size <= limit), labels=labels)
    upload.rejected = too_big + upload.rejected
    return upload


def cmd_ingest_images(args: argparse.Namespace) -> int:
    from embedlab.images.store import ingest_images

    builtin = args.path in datasets.names("images")
    if builtin:
        items, rejected, source = datasets.images(args.path), [], f"dataset:{args.path}"
        collection = args.collection or args.path
    else:
        if not args.collection:
            raise InputError("--collection NAME is required for a folder, a ZIP or a file.")
        upload = _read_path(Path(args.path).expanduser())
        items, rejected, source, collection = upload.items, upload.rejected, f"upload:{Path(args.path).name}", args.collection
    for bad in rejected:
        print(f"embedlab: skipped {bad.message()}", file=sys.stderr)
    with progress_bar(f"Encoding images with {args.backend}", show_progress(args), unit="image") as bar:
        report = ingest_images(collection, _backend(args) or "conse", items, source=source, rejected=rejected, progress=bar, stage=bar.stage)
    emit(args, report.as_dict(), lambda: print(
        f"{report.collection} ({report.backend}): {report.images:,} images, {report.added:,} encoded,"
        f" {report.skipped:,} already stored, {len(report.rejected):,} refused, {report.seconds:.1f} s"))
    return 0


def cmd_image_search(args: argparse.Namespace) -> int:
    from embedlab.images.search import search
    from embedlab.images.store import require_collection

    require_collection(args.collection)  # a mistyped name is answered before any model loads
    with progress_bar("Preparing the collection", show_progress(args), unit="image") as bar:
        result = search(args.query, args.collection, _backend(args), args.k, progress=bar, stage=bar.stage)

    def human() -> None:
        print(f"{result.collection} · {result.backend} · {result.method}")
        for rank, hit in enumerate(result.hits, 1):
            print(f"{rank:>3}. {hit.score:.4f}  {hit.name}  [{hit.label}]")

    emit(args, result.as_dict(), human)
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    from embedlab.images.safety import IMAGE_LIMITS, open_image
    from embedlab.images.search import classify

    path: Path = args.image.expanduser()
    if not path.is_file():
        raise InputError(f"{path} is not a file.")
    limit = max(IMAGE_LIMITS.max_upload_megabytes, IMAGE_LIMITS.max_zip_total_megabytes) * 1024 * 1024
    if path.stat().st_size > limit:
        raise InputError(f"{path.name}: {path.stat().st_size / 2**20:,.0f} MB; an image may be at most {limit // 2**20} MB here.")
    image = open_image(path.read_bytes(), path.name)
    result = classify([image], args.labels, args.template, _backend(args))

    def human() -> None:
        print(f"{path.name} · {result.backend} · template {result.template!r}")
        for label, p in sorted(zip(result.labels, result.probabilities[0], strict=True), key=lambda pair: -pair[1]):
            print(f"  {p:7.4f}  {label}")

    emit(args, result.as_dict(), human)
    return 0


def cmd_classify_collection(args: argparse.Namespace) -> int:
    from embedlab.images.search import evaluate_zero_shot, resolve_backend
    from embedlab.images.store import ensure_collection, require_collection

    require_collection(args.collection)  # before any model loads
    texts = {}
    for pair in args.text:
        label, sep, words = pair.partition("=")
        if not sep or not label.strip() or not words.strip():
            raise InputError(f"--text takes LABEL=WORDS, got {pair!r}.")
        texts[label.strip()] = words.strip()
    backend = _backend(args)
    with progress_bar("Preparing the collection", show_progress(args), unit="image") as bar:
        ensure_collection(args.collection, resolve_backend(backend, text=True), progress=bar, stage=bar.stage)
    result = evaluate_zero_shot(args.collection, args.labels, args.template, backend, texts=texts)

    def human() -> None:
        print(f"{result.collection} · {result.backend} · template {result.template!r} · {result.n:,} images")
        print(f"zero-shot accuracy {result.accuracy:.3f} (chance {result.chance:.3f}; supervised nearest neighbour"
              f" {result.neighbour_accuracy if result.neighbour_accuracy is None else round(result.neighbour_accuracy, 3)})")
        width = max(len(label) for label in result.labels)
        print(" " * (width + 2) + "  ".join(f"{label[:8]:>8}" for label in result.labels) + "   (rows: true, columns: predicted)")
        for label, row in zip(result.labels, result.confusion, strict=True):
            print(f"{label:>{width}}  " + "  ".join(f"{int(v):>8}" for v in row))

    emit(args, result.as_dict(), human)
    return 0
