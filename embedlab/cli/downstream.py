"""Downstream evaluation: ``eval-classify`` (cross-validated logistic regression on several
representations of one labelled dataset, a TF-IDF baseline beside them)."""

from __future__ import annotations

import argparse

from embedlab.cli._common import (
    SEED_MAX,
    add_json_flag,
    emit,
    integer,
    progress_bar,
    show_progress,
)

DEFAULT_MODELS = ("minilm", "glove-6b-50d", "tfidf")


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``eval-classify``."""
    from embedlab.analysis.downstream import (
        DEFAULT_FOLDS,
        DEFAULT_MAX_ROWS,
        DEFAULT_SEED,
        TEXT_MODEL_WORDS,
        TOKEN_RULE,
    )

    parser = commands.add_parser(
        "eval-classify", help="accuracy and macro-F1 of logistic regression on each representation (stratified k-fold, cached)",
        description="Logistic regression on each representation of a labelled dataset, seeded stratified k-fold"
                    " cross-validation, the same folds for every representation; features standardised inside each fold."
                    " Results are cached on disk by the data's content, the model, the folds and the seed.",
        epilog=TOKEN_RULE)
    parser.add_argument("dataset", metavar="DATASET",
                        help="a built-in labelled dataset (news, healthtweets, commons), a CSV/TSV/JSONL file (with"
                             " --label-column), or a stored collection with a label column")
    parser.add_argument("--model", nargs="+", action="extend", metavar="M",
                        help=f"representations: text or word models of the catalogue, 'tfidf' (the baseline), 'stored' (a"
                             f" collection's own vectors) or 'all' (default: {' '.join(DEFAULT_MODELS)})")
    parser.add_argument("--folds", type=integer(2, 10), default=DEFAULT_FOLDS, help=f"cross-validation folds (default {DEFAULT_FOLDS})")
    parser.add_argument("--seed", type=integer(0, SEED_MAX), default=DEFAULT_SEED, help=f"seed of the folds and of any sample (default {DEFAULT_SEED})")
    parser.add_argument("--max-rows", type=integer(100, 100_000), default=DEFAULT_MAX_ROWS,
                        help=f"larger datasets are sampled, stratified by label, to this many rows (default {DEFAULT_MAX_ROWS:,};"
                             " healthtweets has 63,326)")
    parser.add_argument("--words", type=integer(1, 10_000), default=TEXT_MODEL_WORDS,
                        help=f"sentence models read each text's first N words (default {TEXT_MODEL_WORDS})")
    parser.add_argument("--label-column", metavar="NAME", help="the label column of a file")
    parser.add_argument("--text-column", metavar="NAME", help="the text column of a file (default: guessed)")
    parser.add_argument("--intrinsic", action="store_true",
                        help="add each model's word-level scores (WS353, SimLex-999 Spearman; Google analogies for word"
                             " models) and say whether they rank the models as accuracy does")
    add_json_flag(parser)
    parser.set_defaults(handler=cmd_eval_classify)


def cmd_eval_classify(args: argparse.Namespace) -> int:
    from embedlab.analysis import downstream as ds
    from embedlab.errors import InputError

    if args.words < 1:
        raise InputError(f"--words must be at least 1, got {args.words}.")
    with progress_bar("eval-classify", enabled=show_progress(args), unit="text") as bar:
        bar.stage(f"reading {args.dataset}")
        data = ds.labelled_data(args.dataset, label_column=args.label_column, text_column=args.text_column,
                                max_rows=args.max_rows, seed=args.seed)
        names = list(args.model or DEFAULT_MODELS)
        if "all" in names:
            names = ds.representations(data)
        comparison = ds.compare(data, names, folds=args.folds, seed=args.seed, max_words=args.words, progress=bar,
                                stage=lambda text: bar.stage(f"{text}: encoding and {args.folds} fits"))
        intrinsic = [ds.intrinsic_scores(name) for name in names] if args.intrinsic else []
    document = comparison.as_dict()
    for scores in intrinsic:
        document[scores.representation]["intrinsic"] = scores.as_dict()
    agreements = [ds.rank_agreement(comparison, intrinsic, b) for b in ds.INTRINSIC_BENCHMARKS] if intrinsic else []

    def human() -> None:
        print(f"{comparison.description}")
        print(f"{comparison.rows:,} rows, {len(comparison.label_counts)} labels, {comparison.folds}-fold stratified"
              f" cross-validation, seed {comparison.seed}; majority-class rate {comparison.majority_rate:.3f}")
        if comparison.note:
            print(f"({comparison.note})")
        extra = "  ws353  simlex" if intrinsic else ""
        print(f"{'representation':24s} {'accuracy':>15s} {'macro-F1':>8s} {'dim':>5s} {'seconds':>8s}{extra}  reads")
        by_name = {s.representation: s for s in intrinsic}
        for result in comparison.results:
            s = result.scores
            cells = ""
            if intrinsic:
                values = [by_name[result.name].similarity.get(b) for b in ds.INTRINSIC_BENCHMARKS]
                cells = "".join(f" {v:6.3f}" if v is not None else "      –" for v in values)
            words = f"; {result.coverage.oov_share:.1%} of tokens unknown" if result.coverage else ""
            print(f"{result.name:24s} {s.accuracy:.3f} ± {s.accuracy_std:.3f}   {s.macro_f1:.3f} {s.dim or '–':>5} "
                  f"{result.seconds:8.1f}{cells}  {result.reads}{words}{' (cached)' if result.cached else ''}")
        for agreement in agreements:
            print(agreement.verdict)

    emit(args, document, human)
    return 0
