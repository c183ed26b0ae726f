"""Explore commands: ingest, ingest-dataset, collections, delete, search, project, cluster, export."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from embedlab.cli._common import add_json_flag, emit, progress_bar
from embedlab.errors import InputError
from embedlab.ingest import DATASETS, DEFAULT_CHUNK_WORDS, DEFAULT_OVERLAP_WORDS, UPLOAD_LIMITS
from embedlab.projection import METHODS, UMAP_METRICS, ProjectionParams

DEFAULT_MODEL = "minilm"


def _chunk_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_WORDS, help=f"words per chunk, 0 = no chunking (default {DEFAULT_CHUNK_WORDS})")
    parser.add_argument("--overlap", type=int, default=DEFAULT_OVERLAP_WORDS, help=f"words shared by neighbouring chunks (default {DEFAULT_OVERLAP_WORDS})")


def _map_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--method", choices=list(METHODS), default="umap", help="projection (default umap)")
    parser.add_argument("--dims", type=int, choices=[2, 3], default=2, help="2 or 3 (default 2)")
    parser.add_argument("--n-neighbors", type=int, default=15, help="UMAP n_neighbors (default 15)")
    parser.add_argument("--min-dist", type=float, default=0.1, help="UMAP min_dist (default 0.1)")
    parser.add_argument("--metric", choices=list(UMAP_METRICS), default="cosine", help="UMAP/t-SNE metric (default cosine)")
    parser.add_argument("--perplexity", type=float, default=30.0, help="t-SNE perplexity (default 30)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--parallel", action="store_true", help="UMAP on every core without a seed (faster, not reproducible)")


def register(commands: argparse._SubParsersAction) -> None:
    """Add the Explore sub-commands."""
    ingest = commands.add_parser("ingest", help="encode a CSV/TSV/JSONL/TXT file into a collection", description=UPLOAD_LIMITS.describe())
    ingest.add_argument("file", type=Path, metavar="FILE")
    ingest.add_argument("--collection", required=True, metavar="NAME", help="collection (dataset) name")
    ingest.add_argument("--text-column", metavar="C", help="column holding the text (default: the longest texts)")
    ingest.add_argument("--label-column", metavar="L", help="column holding a label (colours, ARI/NMI)")
    ingest.add_argument("--column", action="append", default=[], metavar="COL", help="extra metadata column to keep (repeatable)")
    ingest.add_argument("--model", default=DEFAULT_MODEL, metavar="M", help=f"text model (default {DEFAULT_MODEL})")
    _chunk_options(ingest)
    add_json_flag(ingest)
    ingest.set_defaults(handler=cmd_ingest)

    dataset = commands.add_parser("ingest-dataset", help="encode a built-in dataset (news, healthtweets, commons, lee)")
    dataset.add_argument("dataset", choices=list(DATASETS), metavar="DATASET", help=", ".join(DATASETS))
    dataset.add_argument("--collection", required=True, metavar="NAME")
    dataset.add_argument("--model", default=DEFAULT_MODEL, metavar="M")
    dataset.add_argument("--limit", type=int, metavar="N", help="only the first N documents")
    _chunk_options(dataset)
    add_json_flag(dataset)
    dataset.set_defaults(handler=cmd_ingest_dataset)

    listing = commands.add_parser("collections", help="list stored collections")
    add_json_flag(listing)
    listing.set_defaults(handler=cmd_collections)

    delete = commands.add_parser("delete", help="delete a collection")
    delete.add_argument("name", metavar="NAME")
    add_json_flag(delete)
    delete.set_defaults(handler=cmd_delete)

    search = commands.add_parser("search", help="semantic search in a collection")
    search.add_argument("collection", metavar="COLLECTION")
    search.add_argument("query", metavar="QUERY")
    search.add_argument("-k", type=int, default=10, help="how many results (default 10)")
    add_json_flag(search)
    search.set_defaults(handler=cmd_search)

    project = commands.add_parser("project", help="map a collection to 2-D or 3-D (cached)")
    project.add_argument("collection", metavar="COLLECTION")
    _map_options(project)
    project.add_argument("--out", type=Path, metavar="FILE", help="write id,x,y(,z) as .csv, .parquet or .npy")
    add_json_flag(project)
    project.set_defaults(handler=cmd_project)

    cluster = commands.add_parser("cluster", help="cluster a collection on its full vectors")
    cluster.add_argument("collection", metavar="COLLECTION")
    cluster.add_argument("--method", choices=["kmeans", "hdbscan"], default="kmeans")
    cluster.add_argument("--k", type=int, default=8, help="k-means clusters (default 8)")
    cluster.add_argument("--min-cluster-size", type=int, default=15, help="HDBSCAN min_cluster_size (default 15)")
    cluster.add_argument("--seed", type=int, default=42)
    add_json_flag(cluster)
    cluster.set_defaults(handler=cmd_cluster)

    export = commands.add_parser("export", help="export a collection with map coordinates and clusters")
    export.add_argument("collection", metavar="COLLECTION")
    export.add_argument("--format", choices=["csv", "parquet", "projector"], required=True)
    export.add_argument("--out", type=Path, required=True, metavar="PATH", help="file (csv, parquet) or folder (projector)")
    _map_options(export)
    export.add_argument("--cluster-method", choices=["kmeans", "hdbscan"], default="kmeans")
    export.add_argument("--k", type=int, default=8)
    export.add_argument("--min-cluster-size", type=int, default=15)
    export.add_argument("--no-map", action="store_true", help="leave out map coordinates and clusters")
    add_json_flag(export)
    export.set_defaults(handler=cmd_export)


def _show_progress(args: argparse.Namespace) -> bool:
    return sys.stderr.isatty() or not args.json


def cmd_ingest(args: argparse.Namespace) -> int:
    from embedlab.ingest import ingest_upload

    path: Path = args.file
    if not path.is_file():
        raise InputError(f"{path} is not a file.")
    if path.stat().st_size > UPLOAD_LIMITS.max_bytes:
        raise InputError(f"{path} is {path.stat().st_size / 1024 / 1024:.1f} MB; the limit is {UPLOAD_LIMITS.max_megabytes} MB.")
    with progress_bar("encoding", enabled=_show_progress(args)) as progress:
        report = ingest_upload(
            path.read_bytes(), path.name, args.collection, args.model, args.text_column, args.label_column, args.column,
            chunk_size=args.chunk_size, overlap=args.overlap, progress=progress,
        )
    emit(args, report.as_dict(), lambda: _print_report(report.as_dict()))
    return 0


def cmd_ingest_dataset(args: argparse.Namespace) -> int:
    from embedlab.ingest import ingest_dataset

    with progress_bar("encoding", enabled=_show_progress(args)) as progress:
        report = ingest_dataset(args.dataset, args.collection, args.model, limit=args.limit, chunk_size=args.chunk_size,
                                overlap=args.overlap, progress=progress)
    emit(args, report.as_dict(), lambda: _print_report(report.as_dict()))
    return 0


def _print_report(report: dict) -> None:
    print(
        f"{report['collection']}: {report['rows']:,} rows from {report['documents']:,} documents;"
        f" {report['added']:,} encoded, {report['skipped']:,} already stored ({report['seconds']:.1f} s)"
    )


def cmd_collections(args: argparse.Namespace) -> int:
    from embedlab.store import open_store

    infos = open_store().collections()
    document = {"collections": [
        {"name": i.name, "dataset": i.dataset, "model": i.backend, "rows": i.count, "created": i.created, "status": i.status, "dim": i.dim}
        for i in infos
    ]}

    def human() -> None:
        if not infos:
            print("No collections yet: `embedlab ingest-dataset news --collection news --limit 200` makes one.")
            return
        print(f"{'name':<40} {'dataset':<20} {'model':<18} {'rows':>8}  created                    status")
        for i in infos:
            print(f"{i.name:<40} {i.dataset[:20]:<20} {i.backend[:18]:<18} {i.count:>8,}  {i.created:<26} {i.status}")

    emit(args, document, human)
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from embedlab.corpus import forget_collection
    from embedlab.store import open_store

    store = open_store()
    name = store.resolve(args.name)
    store.delete(name)
    forget_collection(name)
    emit(args, {"deleted": name}, lambda: print(f"deleted {name}"))
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from embedlab.analysis.search import search_collection

    found = search_collection(args.collection, args.query, args.k)
    document = {"results": [{"id": h.id, "text": h.text, "score": h.score} for h in found.hits], "method": found.method}

    def human() -> None:
        for hit in found.hits:
            print(f"{hit.score:7.4f}  {' '.join(hit.text.split())[:110]}")

    emit(args, document, human)
    return 0


def _params(args: argparse.Namespace) -> ProjectionParams:
    """Projection settings from the command line."""
    return ProjectionParams(args.method, args.dims, args.n_neighbors, args.min_dist, args.metric, args.perplexity, seed=args.seed, parallel=args.parallel)


def cmd_project(args: argparse.Namespace) -> int:
    import pandas as pd

    from embedlab.corpus import load_corpus, remember_view
    from embedlab.projection import project

    corpus = load_corpus(args.collection)
    if not args.json:
        print(f"mapping {len(corpus):,} points with {args.method} …", file=sys.stderr)
    projection = project(corpus.vectors, _params(args), digest=corpus.digest)
    remember_view(corpus.info.name, {"projection": projection.as_dict()["params"]})
    document = {"collection": corpus.info.name, "points": len(corpus), **projection.as_dict()}
    if args.out:
        frame = pd.DataFrame(projection.coords, columns=list("xyz"[: projection.params.dims]))
        frame.insert(0, "id", corpus.ids)
        suffix = args.out.suffix.lower()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".csv":
            frame.to_csv(args.out, index=False)
        elif suffix == ".parquet":
            frame.to_parquet(args.out, index=False)
        elif suffix == ".npy":
            np.save(args.out, projection.coords, allow_pickle=False)
        else:
            raise InputError(f"--out must end in .csv, .parquet or .npy, not {suffix or '(nothing)'!r}.")
        document["out"] = str(args.out)
    else:
        document["coords"] = projection.coords.round(5)

    def human() -> None:
        how = "from the cache" if projection.cached else f"in {projection.seconds:.1f} s"
        print(f"{corpus.info.name}: {len(corpus):,} points mapped with {projection.params.method} ({projection.params.dims}-D, {projection.params.randomness}) {how}")
        if args.out:
            print(f"wrote {args.out}")

    emit(args, document, human)
    return 0


def cmd_cluster(args: argparse.Namespace) -> int:
    from embedlab.analysis.clustering import ClusterParams, cluster
    from embedlab.corpus import load_corpus

    corpus = load_corpus(args.collection)
    params = ClusterParams(args.method, args.k, args.min_cluster_size, args.seed)
    result = cluster(corpus.vectors, corpus.texts, params, corpus.labels, digest=corpus.digest)
    document = {"collection": corpus.info.name, **result.as_dict()}

    def human() -> None:
        sil = "n/a" if result.silhouette is None else f"{result.silhouette:.3f}"
        line = f"{len(result.clusters)} clusters, silhouette {sil}"
        if result.ari is not None:
            line += f", ARI {result.ari:.3f}, NMI {result.nmi:.3f} against the labels"
        if result.noise:
            line += f", {result.noise:,} noise points"
        print(line)
        for c in result.clusters:
            print(f"  {c.id:>4} {c.size:>7,}  {', '.join(c.terms)}")

    emit(args, document, human)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from embedlab.analysis.clustering import ClusterParams, cluster
    from embedlab.corpus import load_corpus
    from embedlab.export import export_frame, write_export
    from embedlab.projection import project

    corpus = load_corpus(args.collection)
    coords = labels = None
    if not args.no_map:
        coords = project(corpus.vectors, _params(args), digest=corpus.digest).coords
        params = ClusterParams(args.cluster_method, args.k, args.min_cluster_size, args.seed)
        labels = cluster(corpus.vectors, corpus.texts, params, corpus.labels, digest=corpus.digest).labels
    frame = export_frame(corpus.ids, corpus.texts, corpus.metadata, coords, labels)
    files = write_export(args.format, args.out, frame, corpus.vectors)
    document = {"collection": corpus.info.name, "format": args.format, "rows": len(frame), "files": [str(f) for f in files]}
    emit(args, document, lambda: print(f"wrote {len(frame):,} rows to " + ", ".join(str(f) for f in files)))
    return 0
