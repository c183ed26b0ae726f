"""Comparing spaces: ``compare-models`` (two models on the same rows: neighbourhood agreement, CKA,
Spearman ρ, clusters of each) and ``drift`` (two corpora or two periods under one model: centroid
distance, MMD with a permutation p-value, a domain classifier's AUC, cluster shares)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from embedlab.analysis.comparison import settings as cs
from embedlab.cli._common import (
    SEED_MAX,
    add_json_flag,
    emit,
    integer,
    progress_bar,
    show_progress,
)

if TYPE_CHECKING:
    from embedlab.analysis.comparison.drift import Sides
    from embedlab.corpus import Corpus


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``compare-models`` and ``drift``."""
    models = commands.add_parser(
        "compare-models", help="where two models agree on the same texts: kNN overlap, CKA, Spearman rho, clusters",
        description="Match the rows of two collections by their text (the same data ingested with two models) and compare"
                    " the two spaces: per row, the share of its k nearest rows (exact cosine, itself excluded, ties to the"
                    " lower row) that both models share; linear CKA on every matched row; Spearman's rho between the two"
                    " models' cosines of every pair of a seeded sample of rows; k-means clusters of each space and their"
                    " adjusted Rand index; the rows that agree least, with their neighbours in each model. With"
                    " --compressed SCHEME, COLLECTION_B may be left out: the collection is compared with its own"
                    " compressed codes (float16, int8, binary, pca-<d>).")
    models.add_argument("collection_a", metavar="COLLECTION_A", help="a stored collection (or the dataset name it was ingested as)")
    models.add_argument("collection_b", metavar="COLLECTION_B", nargs="?", help="the same texts made by another model")
    models.add_argument("--model-a", metavar="M", help="when COLLECTION_A names a dataset stored with several models: this one")
    models.add_argument("--model-b", metavar="M", help="when COLLECTION_B names a dataset stored with several models: this one")
    models.add_argument("-k", type=integer(1, cs.MAX_K), default=cs.DEFAULT_K, help=f"neighbours per row (default {cs.DEFAULT_K})")
    models.add_argument("--compressed", metavar="SCHEME",
                        help="compare with this collection's own codes under SCHEME (float16, int8, binary, pca-<d>) instead")
    models.add_argument("--sample", type=integer(cs.MIN_SAMPLE, cs.MAX_SAMPLE), default=cs.DEFAULT_SAMPLE, metavar="N",
                        help=f"rows (a seeded sample) whose pairwise cosines give Spearman's rho (default {cs.DEFAULT_SAMPLE:,})")
    models.add_argument("--seed", type=integer(0, SEED_MAX), default=cs.DEFAULT_SEED, metavar="S",
                        help=f"seed of the sample and of k-means (default {cs.DEFAULT_SEED})")
    models.add_argument("--clusters", type=integer(0, cs.MAX_CLUSTERS), default=cs.DEFAULT_CLUSTERS, metavar="K",
                        help=f"k-means clusters of each space, 0 = none (default {cs.DEFAULT_CLUSTERS})")
    models.add_argument("--least", type=integer(0, 1000), default=10, metavar="N",
                        help="rows that agree least to list, with their neighbours (default 10)")
    add_json_flag(models)
    models.set_defaults(handler=cmd_compare_models)

    drift = commands.add_parser(
        "drift", help="how far two corpora (or two periods of one) are apart under one model: centroids, MMD, AUC",
        description="Two collections made by the same model, or one collection split by a column (--split-column with"
                    " --split-at for numbers or dates: side A before the point, side B from it; or --split-values for"
                    " values: side A those values, side B --versus values or every other row). Figures: the Euclidean"
                    " distance between the sides' mean vectors; the unbiased MMD² with a Gaussian kernel (bandwidth: the"
                    " median distance) and its permutation p-value; a domain classifier's stratified k-fold ROC AUC"
                    " (standardised logistic regression, C = 0.01; 0.5 = indistinguishable) - both on a seeded sample of at most"
                    " --max-rows rows of each side; the share of each side in each k-means cluster of both, with its"
                    " c-TF-IDF terms; the rows most typical of each side.")
    drift.add_argument("collection_a", metavar="COLLECTION_A", help="a stored collection (or the dataset name it was ingested as)")
    drift.add_argument("collection_b", metavar="COLLECTION_B", nargs="?", help="a second collection made by the same model")
    drift.add_argument("--model", metavar="M", help="when a collection name is a dataset stored with several models: this one")
    drift.add_argument("--split-column", metavar="C", help="split COLLECTION_A by this column instead of comparing two collections")
    drift.add_argument("--split-at", metavar="V", help="a number or a date: side A below it, side B from it on")
    drift.add_argument("--split-values", nargs="+", metavar="V", help="side A: the rows whose value is one of these")
    drift.add_argument("--versus", nargs="+", metavar="W", help="with --split-values, side B: these values (default: every other row)")
    drift.add_argument("--max-rows", type=integer(cs.MIN_MAX_ROWS, cs.MAX_ROWS), default=cs.DEFAULT_MAX_ROWS, metavar="N",
                       help=f"rows of each side (a seeded sample) for MMD and the classifier (default {cs.DEFAULT_MAX_ROWS:,})")
    drift.add_argument("--permutations", type=integer(cs.MIN_PERMUTATIONS, cs.MAX_PERMUTATIONS), default=cs.DEFAULT_PERMUTATIONS,
                       metavar="P", help=f"permutations of the MMD test (default {cs.DEFAULT_PERMUTATIONS})")
    drift.add_argument("--folds", type=integer(2, cs.MAX_FOLDS), default=cs.DEFAULT_FOLDS, metavar="K",
                       help=f"cross-validation folds of the classifier (default {cs.DEFAULT_FOLDS})")
    drift.add_argument("--seed", type=integer(0, SEED_MAX), default=cs.DEFAULT_SEED, metavar="S",
                       help=f"seed of the samples, permutations, folds and k-means (default {cs.DEFAULT_SEED})")
    drift.add_argument("--clusters", type=integer(0, cs.MAX_CLUSTERS), default=cs.DEFAULT_CLUSTERS, metavar="K",
                       help=f"k-means clusters of both sides together, 0 = none (default {cs.DEFAULT_CLUSTERS})")
    add_json_flag(drift)
    drift.set_defaults(handler=cmd_drift)


def _load(name: str, model: str | None) -> Corpus:
    """A stored collection by its name, or by its dataset name (and model, when several made it)."""
    from embedlab.corpus import load_corpus
    from embedlab.store import open_store

    store = open_store()
    return load_corpus(store.resolve(name, model), store)


def _models_corpora(args: argparse.Namespace) -> tuple[Corpus, Corpus]:
    from embedlab.analysis.comparison.models import compressed
    from embedlab.errors import InputError

    first = _load(args.collection_a, args.model_a)
    if args.compressed:
        if args.collection_b:
            raise InputError("Give COLLECTION_B or --compressed, not both: --compressed compares a collection with its own codes.")
        return first, compressed(first, args.compressed)
    if not args.collection_b:
        raise InputError("Name two collections (the same texts made by two models), or one with --compressed SCHEME.")
    return first, _load(args.collection_b, args.model_b)


def cmd_compare_models(args: argparse.Namespace) -> int:
    from embedlab.analysis.comparison.models import compare_models

    with progress_bar("nearest neighbours", enabled=show_progress(args)) as progress:
        progress.stage(f"reading {args.collection_a}")
        first, second = _models_corpora(args)
        comparison = compare_models(first, second, args.k, sample=args.sample, seed=args.seed,
                                    clusters=args.clusters, progress=progress)
        document = comparison.as_dict(least=args.least)

    def human() -> None:
        print(f"{document['model_a']} ({document['collection_a']}) against {document['model_b']} ({document['collection_b']}):"
              f" {document['rows']:,} rows matched by text")
        for note in document["notes"]:
            print(note)
        print(f"kNN overlap@{document['k']}: mean {document['knn_overlap_mean']:.4f}, median {document['knn_overlap_median']:.4f}"
              f" ({document['knn']})")
        print("rows sharing 0..k neighbours: " + " ".join(str(c) for c in document["knn_overlap_histogram"]))
        print(f"linear CKA {document['cka']:.4f} (all {document['cka_rows']:,} rows); Spearman rho {document['spearman']:.4f}"
              f" ({document['spearman_pairs']:,} pairs of {document['spearman_rows']:,} rows, seed {document['seed']})")
        if "clusters" in document:
            clusters = document["clusters"]
            print(f"k-means with k={clusters['k']} in each space: ARI {clusters['ari']:.4f}, NMI {clusters['nmi']:.4f}")
        for row in document["least_agreeing"]:
            print(f"\n{row['overlap']:.2f}  {row['text'][:100]}")
            for mine, theirs in zip(row["neighbours_a"][:3], row["neighbours_b"][:3], strict=False):
                print(f"      A: {mine[:60]:<60}  B: {theirs[:60]}")

    emit(args, document, human)
    return 0


def _drift_sides(args: argparse.Namespace) -> Sides:
    from embedlab.analysis.comparison.drift import split_collection, two_collections
    from embedlab.errors import InputError

    first = _load(args.collection_a, args.model)
    if args.split_column:
        if args.collection_b:
            raise InputError("Give COLLECTION_B or --split-column, not both: --split-column splits COLLECTION_A in two.")
        if args.versus and not args.split_values:
            raise InputError("--versus goes with --split-values.")
        return split_collection(first, args.split_column, at=args.split_at, values=args.split_values or (), versus=args.versus or ())
    if args.split_at or args.split_values or args.versus:
        raise InputError("--split-at and --split-values need --split-column.")
    if not args.collection_b:
        raise InputError("Name two collections made by one model, or split one with --split-column C --split-at V.")
    return two_collections(first, _load(args.collection_b, args.model))


def cmd_drift(args: argparse.Namespace) -> int:
    from embedlab.analysis.comparison.drift import drift

    with progress_bar("permutations and folds", enabled=show_progress(args), unit="step") as progress:
        progress.stage(f"reading {args.collection_a}")
        sides = _drift_sides(args)
        result = drift(sides, max_rows=args.max_rows, permutations=args.permutations, folds=args.folds,
                       seed=args.seed, clusters=args.clusters, progress=progress)
        document = result.as_dict()

    def human() -> None:
        print(document["description"] + f" ({document['model']})")
        print(f"centroid distance {document['centroid_distance']:.4f} (cosine of the centroids {document['centroid_cosine']:.4f})")
        print(f"MMD² {document['mmd']:.5f}, permutation p-value {document['p_value']:.4f} ({document['permutations']} permutations,"
              f" {document['sample_a']:,} + {document['sample_b']:,} rows, seed {document['seed']})")
        print(f"domain classifier AUC {document['auc']:.4f} ± {document['auc_std']:.4f} ({document['folds']}-fold;"
              " 0.5 = the sides cannot be told apart)")
        if "clusters" in document:
            clusters = document["clusters"]
            p_value = clusters["p_value"]
            print(f"\nclusters (k-means, k={clusters['k']}; chi-square p of the same mix: "
                  f"{'n/a' if p_value is None else f'{p_value:.3g}'}):")
            print(f"{'cluster':>7} {'share A':>8} {'share B':>8} {'change':>8}  trend          terms")
            for share in clusters["shares"]:
                print(f"{share['name']:>7} {share['share_a']:8.3f} {share['share_b']:8.3f} {share['change']:+8.3f}  {share['trend']:<14} "
                      + ", ".join(share["terms"][:6]))
        for key, name in (("typical_a", document["side_a"]), ("typical_b", document["side_b"])):
            print(f"\nmost typical of {name}:")
            for row in document[key][:5]:
                print(f"  {row['probability']:.3f}  {row['text'][:110]}")

    emit(args, document, human)
    return 0
