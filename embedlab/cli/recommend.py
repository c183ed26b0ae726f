"""Recommendation commands: ``recommend`` (top-k with reasons, for a user or a profile of liked
items) and ``eval-recommend`` (leave-last-out HR@10, NDCG@10 and coverage)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from embedlab.cli._common import (
    SEED_MAX,
    add_json_flag,
    emit,
    integer,
    number,
    progress_bar,
    show_progress,
)
from embedlab.errors import InputError

CLI_METHODS = ("content", "mf", "hybrid")
EVAL_METHODS = (*CLI_METHODS, "popular", "random")


def _data_options(parser: argparse.ArgumentParser) -> None:
    from embedlab.recommend.data import INTERACTION_LIMITS, MOVIELENS

    parser.add_argument("--dataset", default=MOVIELENS, metavar="NAME",
                        help=f"built-in interactions ({MOVIELENS}, the default), or an interactions file (CSV/TSV/JSONL with user,"
                             " item and optional rating and timestamp columns)")
    parser.add_argument("--items", type=Path, metavar="FILE",
                        help="an items file for an uploaded dataset: item, title and any text columns (year, genres, ...)")
    parser.add_argument("--mf", choices=["als", "bpr", "svd"], default="als", help="the factor model of mf and hybrid (default als)")
    parser.add_argument("--factors", type=integer(2, 256), metavar="N", help="factors of the factor model (default 64)")
    parser.add_argument("--regularization", type=number(0.0, 100.0), metavar="L", help="regularisation (default: ALS 1, BPR 0.01)")
    parser.add_argument("--recency-boost", type=number(0.0, 1_000.0), metavar="B",
                        help="ALS: a user's latest interaction weighs 1 + B, older ones less (default 20; 0: time plays no part)")
    parser.add_argument("--recency-half-life", type=number(0.1, 1_000.0), metavar="H",
                        help="ALS: the boost halves with every H of the user's later interactions (default 5)")
    parser.add_argument("--iterations", type=integer(1, 1_000), metavar="N", help="iterations (default: ALS 15, BPR 100)")
    parser.add_argument("--weight", type=number(0.0, 1.0), metavar="W", help="hybrid: share of the factor score, 0-1 (default 0.9)")
    parser.add_argument("--seed", type=integer(0, SEED_MAX), metavar="S", help="random seed (default 42)")
    parser.epilog = f"Uploaded files: {INTERACTION_LIMITS.max_megabytes} MB, {INTERACTION_LIMITS.max_rows:,} rows at most."


def load_data(args: argparse.Namespace) -> Any:
    """The built-in dataset by name, or the interactions (and items) file named by --dataset."""
    from embedlab.recommend.data import MOVIELENS, load

    if args.dataset == MOVIELENS:
        if args.items is not None:
            raise InputError(f"--items goes with an uploaded interactions file, not with {MOVIELENS}.")
        return load()
    path = Path(args.dataset)
    if not path.is_file():
        raise InputError(f"--dataset {args.dataset!r} is neither {MOVIELENS!r} nor an interactions file.")
    return load(file=path, items_file=args.items)


def spec_from(args: argparse.Namespace, method: str) -> Any:
    """The model settings of one CLI method name (mf means the --mf factor model)."""
    from embedlab.recommend.models import spec_for

    concrete = args.mf if method == "mf" else method
    mf_defaults = {} if concrete != "hybrid" else {"mf": args.mf}
    return spec_for(concrete, factors=args.factors, regularization=args.regularization, iterations=args.iterations,
                    weight=args.weight, seed=args.seed, recency_boost=args.recency_boost,
                    recency_half_life=args.recency_half_life, **mf_defaults)


def register(commands: argparse._SubParsersAction) -> None:
    """Add the recommendation sub-commands."""
    rec = commands.add_parser("recommend", help="top-k recommendations with reasons (MovieLens 100k or your interactions)")
    who = rec.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", metavar="ID", help="a user id of the dataset")
    who.add_argument("--like", action="append", metavar="ITEM",
                     help="an item (id or exact title) you like; repeat it to build a profile (the cold start)")
    rec.add_argument("-k", type=integer(1, 100), default=10, help="how many items (default 10)")
    rec.add_argument("--method", choices=CLI_METHODS, default="mf", help="content, mf (matrix factorisation) or hybrid (default mf)")
    _data_options(rec)
    add_json_flag(rec)
    rec.set_defaults(handler=cmd_recommend)

    ev = commands.add_parser("eval-recommend", help="leave-last-out HR@10, NDCG@10 and coverage (full ranking, cached)")
    ev.add_argument("--method", choices=[*EVAL_METHODS, "all"], default="all", help="one method or all (default all)")
    ev.add_argument("-k", type=integer(1, 100), default=10, help="cut-off (default 10)")
    _data_options(ev)
    add_json_flag(ev)
    ev.set_defaults(handler=cmd_eval)


def cmd_recommend(args: argparse.Namespace) -> int:
    from embedlab.recommend.queries import recommend, recommend_profile

    with progress_bar("recommending", enabled=show_progress(args)) as bar:
        bar.stage("reading the interactions")
        data = load_data(args)
        bar.stage(f"fitting {args.method} and querying the item collection")
        spec = spec_from(args, args.method)
        if args.user is not None:
            result = recommend(data, spec, args.user, args.k)
        else:
            result = recommend_profile(data, spec, args.like, args.k)
    document = {"user": result.user, "method": args.method, "items": [item.as_dict() for item in result.items]}

    def human() -> None:
        print(f"{data.describe()}; {result.label} ({result.space} space, {result.search} search)")
        for rank, item in enumerate(result.items, 1):
            reason = f"  — because you liked {', '.join(item.because)}" if item.because else ""
            print(f"{rank:3d}. {item.score:8.4f}  {item.title} [{item.item}]{reason}")

    emit(args, document, human)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from embedlab.recommend.evaluate import evaluate_all

    if not 1 <= args.k <= 100:
        raise InputError(f"-k must be between 1 and 100, got {args.k}.")
    methods = list(EVAL_METHODS) if args.method == "all" else [args.method]
    data = load_data(args)
    with progress_bar("evaluating", enabled=show_progress(args), unit="method") as bar:

        def progress(done: int, total: int, method: str) -> None:
            bar.stage(f"evaluating {method}" if done < total else "evaluated")
            bar(done, total)

        runs = evaluate_all(data, [spec_from(args, method) for method in methods], args.k, progress, names=methods)
    results = {method: run.metrics for method, run in runs.items()}
    document = {method: metrics.as_dict() for method, metrics in results.items()}

    def human() -> None:
        first = next(iter(results.values()))
        print(f"{data.describe()}; leave-last-out, full ranking over every unseen item, {first.users:,} test users")
        print(f"{'method':10s} {'HR@' + str(args.k):>8s} {'NDCG@' + str(args.k):>8s} {'coverage':>9s}  settings")
        for method, m in results.items():
            print(f"{method:10s} {m.hr:8.4f} {m.ndcg:8.4f} {m.coverage:9.3f}  {m.label}")

    emit(args, document, human)
    return 0
