"""Explore commands: ingest, ingest-dataset, collections, delete, search, project, cluster, export."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from embedlab import datasets
from embedlab.cli._common import (
    SEED_MAX,
    add_json_flag,
    aligned,
    emit,
    integer,
    number,
    progress_bar,
    show_progress,
)
from embedlab.config import DEFAULT_CHUNK_WORDS, DEFAULT_OVERLAP_WORDS, UPLOAD_LIMITS
from embedlab.errors import InputError
from embedlab.maps.clustering import CLUSTER_METHODS, ClusterParams
from embedlab.maps.projection import (
    LAST_VIEW_RULE,
    METHODS,
    UMAP_METRICS,
    ProjectionParams,
)

if TYPE_CHECKING:
    from embedlab.maps.clustering import ClusterParams

DEFAULT_MODEL = "minilm"
PROJECT_OUT_SUFFIXES = (".csv", ".parquet", ".npy")


def _chunk_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--chunk-size", type=integer(0, 2_000), default=DEFAULT_CHUNK_WORDS, help=f"words per chunk, 0 = no chunking (default {DEFAULT_CHUNK_WORDS})")
    parser.add_argument("--overlap", type=integer(0, 1_000), default=DEFAULT_OVERLAP_WORDS, help=f"words shared by neighbouring chunks (default {DEFAULT_OVERLAP_WORDS})")


def _map_options(parser: argparse.ArgumentParser, inherit: bool = False) -> None:
    """Projection settings. With ``inherit`` (export) an option not given is None, so it can
    come from the collection's last view before falling back to the default."""
    base = ProjectionParams()

    def default(value: object) -> object:
        return None if inherit else value

    def say(value: object) -> str:
        return f"default: the collection's last view, else {value}" if inherit else f"default {value}"

    parser.add_argument("--method", choices=list(METHODS), default=default(base.method), help=f"projection ({say(base.method)})")
    parser.add_argument("--dims", type=int, choices=[2, 3], default=default(base.dims), help=f"2 or 3 ({say(base.dims)})")
    parser.add_argument("--n-neighbors", type=integer(2, 200), default=default(base.n_neighbors), help=f"UMAP n_neighbors ({say(base.n_neighbors)})")
    parser.add_argument("--min-dist", type=number(0.0, 1.0), default=default(base.min_dist), help=f"UMAP min_dist ({say(base.min_dist)})")
    parser.add_argument("--metric", choices=list(UMAP_METRICS), default=default(base.metric), help=f"UMAP/t-SNE metric ({say(base.metric)})")
    parser.add_argument("--perplexity", type=number(2.0, 100.0), default=default(base.perplexity), help=f"t-SNE perplexity ({say(30)})")
    seed_help = "random seed of the map and the clusters" if inherit else "random seed"
    parser.add_argument("--seed", type=integer(0, SEED_MAX), default=default(base.seed), help=f"{seed_help} ({say(base.seed)})")
    parallel = "UMAP on every core without a seed (faster, not reproducible)"
    if inherit:
        parser.add_argument("--parallel", action=argparse.BooleanOptionalAction, default=None, help=f"{parallel}; {say('off')}")
    else:
        parser.add_argument("--parallel", action="store_true", help=parallel)


def register(commands: argparse._SubParsersAction) -> None:
    """Add the Explore sub-commands."""
    ingest = commands.add_parser("ingest", help="encode a CSV/TSV/JSONL/TXT file into a collection", description=UPLOAD_LIMITS.describe())
    ingest.add_argument("file", type=Path, metavar="FILE")
    ingest.add_argument("--collection", required=True, metavar="NAME", help="collection (dataset) name")
    ingest.add_argument("--text-column", metavar="C",
                        help="column holding the text (default: one named text, content, body, sentence or document, else the longest texts)")
    ingest.add_argument("--label-column", metavar="L", help="column holding a label (colours, ARI/NMI)")
    ingest.add_argument("--column", action="append", default=[], metavar="COL", help="extra metadata column to keep (repeatable)")
    ingest.add_argument("--model", default=DEFAULT_MODEL, metavar="M", help=f"text model (default {DEFAULT_MODEL})")
    _chunk_options(ingest)
    add_json_flag(ingest)
    ingest.set_defaults(handler=cmd_ingest)

    dataset = commands.add_parser("ingest-dataset", help="encode a built-in dataset (news, healthtweets, commons, lee)")
    dataset.add_argument("dataset", choices=datasets.names("texts"), metavar="DATASET", help=", ".join(datasets.names("texts")))
    dataset.add_argument("--collection", required=True, metavar="NAME")
    dataset.add_argument("--model", default=DEFAULT_MODEL, metavar="M")
    dataset.add_argument("--limit", type=integer(1, 100_000_000), metavar="N", help="only the first N documents")
    dataset.add_argument("--sample", type=integer(1, 100_000_000), metavar="N",
                         help="a random sample of N documents (seeded by --seed), kept in the dataset's order")
    dataset.add_argument("--seed", type=integer(0, SEED_MAX), default=0, metavar="S", help="seed of --sample (default 0)")
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

    search = commands.add_parser("search", help="semantic search in a collection (or rows like one of its rows)")
    search.add_argument("collection", metavar="COLLECTION")
    search.add_argument("query", metavar="QUERY", nargs="?", help="text to search for (or use --like)")
    search.add_argument("-k", type=integer(1, 100), default=10, help="how many results (default 10)")
    search.add_argument("--like", metavar="ID", help="rows nearest to the stored row ID (its own vector: no model needed)")
    search.add_argument("--model", metavar="M",
                        help="text model for the query; needed for a collection another program made (same dimension)")
    add_json_flag(search)
    search.set_defaults(handler=cmd_search)

    project = commands.add_parser("project", help="map a collection to 2-D or 3-D (cached); the map becomes its last view's",
                                  description="Map a collection to 2-D or 3-D (cached). " + LAST_VIEW_RULE)
    project.add_argument("collection", metavar="COLLECTION")
    _map_options(project)
    project.add_argument("--out", type=Path, metavar="FILE", help="write id,x,y(,z) as .csv, .parquet or .npy")
    add_json_flag(project)
    project.set_defaults(handler=cmd_project)

    cluster = commands.add_parser("cluster", help="cluster a collection on its full vectors; the clusters become its last view's",
                                  description="Cluster a collection on its full vectors. " + LAST_VIEW_RULE)
    cluster.add_argument("collection", metavar="COLLECTION")
    clusters = ClusterParams()  # the defaults, defined once
    cluster.add_argument("--method", choices=list(CLUSTER_METHODS), default=clusters.method)
    cluster.add_argument("--k", type=integer(2, 200), default=clusters.k, help=f"k-means clusters (default {clusters.k})")
    cluster.add_argument("--min-cluster-size", type=integer(2, 10_000), default=clusters.min_cluster_size,
                         help=f"HDBSCAN min_cluster_size (default {clusters.min_cluster_size})")
    cluster.add_argument("--seed", type=integer(0, SEED_MAX), default=clusters.seed)
    add_json_flag(cluster)
    cluster.set_defaults(handler=cmd_cluster)

    export = commands.add_parser(
        "export", help="export a collection with map coordinates and clusters",
        description=LAST_VIEW_RULE + " Each option given overrides one setting.",
    )
    export.add_argument("collection", metavar="COLLECTION")
    export.add_argument("--format", choices=["csv", "parquet", "projector"], required=True)
    export.add_argument("--out", type=Path, required=True, metavar="PATH", help="file (csv, parquet) or folder (projector)")
    _map_options(export, inherit=True)
    export.add_argument("--cluster-method", choices=list(CLUSTER_METHODS), default=None,
                        help=f"clustering (default: the collection's last view, else {clusters.method})")
    export.add_argument("--k", type=integer(2, 200), default=None, help=f"k-means clusters (default: the collection's last view, else {clusters.k})")
    export.add_argument("--min-cluster-size", type=integer(2, 10_000), default=None,
                        help=f"HDBSCAN min_cluster_size (default: the collection's last view, else {clusters.min_cluster_size})")
    export.add_argument("--no-view", action="store_true", help="ignore the collection's last view: settings not given take the defaults")
    export.add_argument("--no-map", action="store_true", help="leave out map coordinates and clusters")
    add_json_flag(export)
    export.set_defaults(handler=cmd_export)


def cmd_ingest(args: argparse.Namespace) -> int:
    from embedlab.ingest import ingest_upload

    path: Path = args.file
    if not path.is_file():
        raise InputError(f"{path} is not a file.")
    if path.stat().st_size > UPLOAD_LIMITS.max_bytes:
        raise InputError(f"{path} is {path.stat().st_size / 1024 / 1024:.1f} MB; the limit is {UPLOAD_LIMITS.max_megabytes} MB.")
    with progress_bar("encoding", enabled=show_progress(args)) as progress:
        progress.stage(f"reading {path.name}")
        report = ingest_upload(
            path.read_bytes(), path.name, args.collection, args.model, args.text_column, args.label_column, args.column,
            chunk_size=args.chunk_size, overlap=args.overlap, progress=progress, stage=progress.stage,
        )
    emit(args, report.as_dict(), lambda: _print_report(report.as_dict()))
    return 0


def cmd_ingest_dataset(args: argparse.Namespace) -> int:
    from embedlab.ingest import ingest_dataset

    with progress_bar("encoding", enabled=show_progress(args)) as progress:
        progress.stage(f"reading the {args.dataset} dataset")
        report = ingest_dataset(args.dataset, args.collection, args.model, limit=args.limit, sample=args.sample, seed=args.seed,
                                chunk_size=args.chunk_size, overlap=args.overlap, progress=progress, stage=progress.stage)
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
        {"name": i.name, "dataset": i.dataset, "model": i.backend or None, "rows": i.count, "created": i.created, "status": i.status,
         "dim": i.dim, "foreign": i.foreign, "kind": i.kind, **({"error": i.extra.get("error")} if i.damaged else {})}
        for i in infos
    ]}

    def human() -> None:
        if not infos:
            print("No collections yet: `embedlab ingest-dataset news --collection news --limit 200` makes one.")
            return
        rows = [(i.name, i.dataset, i.backend if not i.foreign else f"? ({i.dim}-d)", f"{i.count:,}", i.created,
                 i.status + ("" if i.kind == "texts" else f" ({i.kind})")) for i in infos]
        header = ("name", "dataset", "model", "rows", "created", "status")
        print(aligned([header, *rows], limits={1: 40}, right={3}))
        if any(i.foreign for i in infos):
            print("? : made by another program, which did not say which model made the vectors; map, cluster and"
                  " `search --like ID` work, a text search needs --model of the same dimension.")
        for i in infos:
            if i.damaged:
                print(f"damaged: {i.extra.get('error')}")

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
    from embedlab.analysis.search import search_collection, search_like

    if (args.query is None) == (args.like is None):
        raise InputError("Give a QUERY to search for, or --like ID (one of the two).")
    if args.like is not None:
        found = search_like(args.collection, args.like, args.k)
    else:
        found = search_collection(args.collection, args.query, args.k, model=args.model)
    document = {"results": [{"id": h.id, "text": h.text, "score": h.score} for h in found.hits], "method": found.method}

    def human() -> None:
        for hit in found.hits:
            print(f"{hit.score:7.4f}  {' '.join((hit.text or f'[{hit.id}]').split())[:110]}")

    emit(args, document, human)
    return 0


def _params(args: argparse.Namespace) -> ProjectionParams:
    """Projection settings from the command line."""
    return ProjectionParams(args.method, args.dims, args.n_neighbors, args.min_dist, args.metric, args.perplexity, seed=args.seed, parallel=args.parallel)


def cmd_project(args: argparse.Namespace) -> int:
    import pandas as pd

    from embedlab.corpus import load_corpus, remember_view
    from embedlab.maps.projection import project

    suffix = args.out.suffix.lower() if args.out else ""
    if args.out and suffix not in PROJECT_OUT_SUFFIXES:  # before any work: a map of 60k points takes minutes
        raise InputError(f"--out must end in .csv, .parquet or .npy, not {suffix or '(nothing)'!r}.")
    if args.out and args.out.is_dir():
        raise InputError(f"--out {args.out} is a folder; give a file name such as {args.out / ('map' + suffix)}.")
    corpus = load_corpus(args.collection)
    if not args.json:
        print(f"mapping {len(corpus):,} points with {args.method} …", file=sys.stderr)
    projection = project(corpus.vectors, _params(args), digest=corpus.digest)
    remember_view(corpus.info.name, {"projection": projection.as_dict()["params"]})  # clusters and colour stay
    document = {"collection": corpus.info.name, "points": len(corpus), **projection.as_dict(), "last_view": "map"}
    if args.out:
        frame = pd.DataFrame(projection.coords, columns=list("xyz"[: projection.params.dims]))
        frame.insert(0, "id", corpus.ids)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".csv":
            frame.to_csv(args.out, index=False)
        elif suffix == ".parquet":
            frame.to_parquet(args.out, index=False)
        else:
            np.save(args.out, projection.coords, allow_pickle=False)
        document["out"] = str(args.out)
    else:
        document["coords"] = projection.coords.round(5)

    def human() -> None:
        how = "from the cache" if projection.cached else f"in {projection.seconds:.1f} s"
        print(f"{corpus.info.name}: {len(corpus):,} points mapped with {projection.params.method} ({projection.params.dims}-D, {projection.params.randomness}) {how}")
        print("this map is now the collection's last view (the Explore page and `embedlab export` use it)")
        if args.out:
            print(f"wrote {args.out}")

    emit(args, document, human)
    return 0


def cmd_cluster(args: argparse.Namespace) -> int:
    from embedlab.corpus import load_corpus, remember_view
    from embedlab.maps.clustering import ClusterParams, cluster

    corpus = load_corpus(args.collection)
    params = ClusterParams(args.method, args.k, args.min_cluster_size, args.seed)
    result = cluster(corpus.vectors, corpus.texts, params, corpus.labels, digest=corpus.digest)
    remember_view(corpus.info.name, {"clusters": params.relevant()})  # the map and colour stay (``export`` uses both)
    document = {"collection": corpus.info.name, **result.as_dict(), "last_view": "clusters"}

    def human() -> None:
        sil = "n/a" if result.silhouette is None else f"{result.silhouette:.3f}"
        line = f"{len(result.clusters)} clusters, silhouette {sil}"
        if result.noise:
            line += f", {result.noise:,} noise points"
        if result.ari is not None:
            line += f", ARI {result.ari:.3f}, NMI {result.nmi:.3f} against the labels"
            if result.noise:
                line += f" (on the {result.agreement_points:,} clustered points, noise left out as for silhouette)"
        print(line)
        for c in result.clusters:
            print(f"  {c.id:>4} {c.size:>7,}  {', '.join(c.terms)}")
        print("these clusters are now the collection's last view (the Explore page and `embedlab export` use them)")

    emit(args, document, human)
    return 0


def _setting(given: object, saved: dict, name: str, default: object, kind: type) -> tuple[object, str]:
    """One setting and where it came from: the command line, the last view, or the default."""
    if given is not None:
        return given, "option"
    if name in saved and saved[name] is not None:
        try:
            return kind(saved[name]), "view"
        except (TypeError, ValueError):
            pass  # a damaged view file: fall back to the default
    return default, "default"


def _origin(origins: list[str], missing: str) -> str:
    """Where a group of settings came from, in words; ``missing`` says why the last view gave
    none of them (empty when it holds this group)."""
    if "view" in origins:
        return "the collection's last view" + (", with options given" if "option" in origins else "")
    if "default" not in origins:
        return "options given"
    rest = f"defaults: {missing}" if missing else "defaults"
    return f"options given and {rest}" if "option" in origins else rest


def export_settings(args: argparse.Namespace, view: dict | None) -> tuple[ProjectionParams, ClusterParams, str, str]:
    """The map and clusters an export uses, and where each came from in words: every setting from
    the command line when given, else from the collection's last view, else the default."""
    from embedlab.maps.clustering import ClusterParams

    ignored = bool(getattr(args, "no_view", False))
    view = {} if ignored else (view or {})
    saved_map, saved_clusters = view.get("projection") or {}, view.get("clusters") or {}
    base, cbase = ProjectionParams(), ClusterParams()
    chosen: dict[str, object] = {}
    map_origins: dict[str, str] = {}
    for name, kind in (("method", str), ("dims", int), ("n_neighbors", int), ("min_dist", float), ("metric", str),
                       ("perplexity", float), ("seed", int), ("parallel", bool)):
        chosen[name], map_origins[name] = _setting(getattr(args, name), saved_map, name, getattr(base, name), kind)
    params = ProjectionParams(**chosen)  # type: ignore[arg-type]
    cluster_chosen: dict[str, object] = {}
    cluster_origins: dict[str, str] = {}
    for name, option, kind in (("method", "cluster_method", str), ("k", "k", int), ("min_cluster_size", "min_cluster_size", int),
                               ("seed", "seed", int)):
        cluster_chosen[name], cluster_origins[name] = _setting(getattr(args, option), saved_clusters, name, getattr(cbase, name), kind)
    cparams = ClusterParams(**cluster_chosen)  # type: ignore[arg-type]
    def missing(group: dict, what: str) -> str:
        if ignored:
            return "last view ignored (--no-view)"
        return "" if group else ("no saved view" if not view else f"the last view has no {what}")

    map_from = _origin([map_origins[key] for key in params.relevant() if key in map_origins], missing(saved_map, "map"))
    clusters_from = _origin([cluster_origins[key] for key in cparams.relevant() if key in cluster_origins],
                            missing(saved_clusters, "clustering"))
    return params, cparams, map_from, clusters_from


def _describe_map(params: ProjectionParams) -> str:
    settings = {key: value for key, value in params.relevant().items() if key not in ("method", "dims")}
    return f"{params.method} {params.dims}-D" + "".join(f", {key} {value}" for key, value in settings.items())


def _describe_clusters(params: ClusterParams) -> str:
    size = f"k {params.k}" if params.method == "kmeans" else f"min_cluster_size {params.min_cluster_size}"
    return f"{params.method}, {size}, seed {params.seed}"


def cmd_export(args: argparse.Namespace) -> int:
    from embedlab.corpus import (
        corpus_clusters,
        corpus_export_frame,
        corpus_map,
        last_view,
        load_corpus,
    )
    from embedlab.maps.export import write_export

    corpus = load_corpus(args.collection)
    projection = clusters = None
    document: dict = {"collection": corpus.info.name, "format": args.format}
    if not args.no_map:
        params, cparams, map_from, clusters_from = export_settings(args, last_view(corpus.info.name))
        projection = corpus_map(corpus, params)
        clusters = corpus_clusters(corpus, cparams)
        document["projection"] = {"params": projection.params.relevant(), "from": map_from, "cached": projection.cached}
        document["clustering"] = {"params": cparams.relevant(), "from": clusters_from, "clusters": len(clusters.clusters),
                                  "noise": clusters.noise}
    frame = corpus_export_frame(corpus, projection, clusters)
    files = write_export(args.format, args.out, frame, corpus.vectors, name=corpus.info.dataset)
    document.update({"rows": len(frame), "files": [str(f) for f in files]})

    def human() -> None:
        if projection is not None:
            print(f"map: {_describe_map(projection.params)} (from {map_from})")
            print(f"clusters: {_describe_clusters(cparams)} (from {clusters_from})")
        print(f"wrote {len(frame):,} rows to " + ", ".join(str(f) for f in files))

    emit(args, document, human)
    return 0
