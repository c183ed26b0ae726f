"""``compress-eval``: what float16, int8, binary and PCA codes of a stored collection cost in
nearest neighbours and in downstream accuracy, with and without float32 re-scoring."""

from __future__ import annotations

import argparse

from embedlab.analysis import compression as comp
from embedlab.cli._common import (
    SEED_MAX,
    add_json_flag,
    emit,
    integer,
    progress_bar,
    show_progress,
)


def register(commands: argparse._SubParsersAction) -> None:
    """Add the ``compress-eval`` sub-command."""
    parser = commands.add_parser(
        "compress-eval", help="bytes per vector, recall@10 and downstream accuracy of compressed vectors of a collection",
        description="Compress a stored collection's unit vectors (float16; int8 with per-dimension min/max of the collection;"
                    " binary sign codes scored by Hamming distance; PCA to d dimensions fitted on the collection) and measure"
                    " bytes per vector (codes + calibration shared by the collection), recall@10 of a seeded sample of the"
                    " collection's own rows against exact float32 cosine search (each query excluding itself), and, when the"
                    " collection has labels, cross-validated logistic-regression accuracy on the compressed vectors."
                    " SCHEME+rescore re-ranks the top RESCORE×10 candidates with the float32 vectors (kept on disk).")
    parser.add_argument("collection", metavar="COLLECTION", help="a stored collection (or the dataset name it was ingested as)")
    parser.add_argument("--schemes", nargs="+", metavar="SCHEME",
                        help="float32, float16, int8, binary, pca-<d>, each optionally +rescore (default: all, with and"
                             " without re-scoring, PCA to 32, 64, 128 and 256 dimensions where the vectors are longer)")
    parser.add_argument("--queries", type=integer(10, 5_000), default=comp.DEFAULT_QUERIES, metavar="N",
                        help=f"rows sampled as queries (default {comp.DEFAULT_QUERIES})")
    parser.add_argument("--rescore", type=integer(1, 50), default=comp.DEFAULT_RESCORE, metavar="F",
                        help=f"re-score the top F×10 candidates (default {comp.DEFAULT_RESCORE})")
    parser.add_argument("--seed", type=integer(0, SEED_MAX), default=comp.DEFAULT_SEED, metavar="S",
                        help=f"seed of the query sample and the folds (default {comp.DEFAULT_SEED})")
    parser.add_argument("--downstream-rows", type=integer(0, 100_000), default=comp.DEFAULT_DOWNSTREAM_ROWS, metavar="N",
                        help=f"rows (a seeded sample) for the downstream accuracy; 0 = skip it (default {comp.DEFAULT_DOWNSTREAM_ROWS:,})")
    parser.add_argument("--folds", type=integer(2, 10), default=comp.DEFAULT_FOLDS, metavar="K",
                        help=f"cross-validation folds (default {comp.DEFAULT_FOLDS})")
    add_json_flag(parser)
    parser.set_defaults(handler=cmd_compress_eval)


def cmd_compress_eval(args: argparse.Namespace) -> int:
    with progress_bar("compressing", enabled=show_progress(args), unit="scheme") as progress:
        progress.stage(f"reading {args.collection}")
        report = comp.evaluate_collection(args.collection, args.schemes, queries=args.queries, rescore=args.rescore,
                                          seed=args.seed, downstream_rows=args.downstream_rows, folds=args.folds,
                                          progress=progress)

    def human() -> None:
        print(report.settings())
        print(f"{'scheme':<18} {'bytes/vector':>12} {'on disk':>9} {'recall@10':>9} {'accuracy':>9} {'macro-F1':>9} {'seconds':>8}")
        for r in report.results:
            accuracy = f"{r.accuracy:9.3f}" if r.accuracy is not None else f"{'–':>9}"
            f1 = f"{r.macro_f1:9.3f}" if r.macro_f1 is not None else f"{'–':>9}"
            print(f"{r.scheme:<18} {r.bytes_per_vector:12.1f} {r.disk_bytes_per_vector:9.0f} {r.recall:9.3f} {accuracy} {f1}"
                  f" {r.seconds:8.2f}")
        print("bytes/vector: codes + the collection's calibration shared out; on disk: + the float32 vectors a re-scored"
              " scheme re-ranks with. A re-scored scheme's accuracy is its codes'.")

    emit(args, report.as_dict(), human)
    return 0
