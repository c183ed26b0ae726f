"""``embedlab finetune``: contrastive fine-tuning of the sentence model on a labelled dataset,
saved as a new text model, with before/after figures on a held-out split."""

from __future__ import annotations

import argparse

from embedlab.cli._common import (
    SEED_MAX,
    add_json_flag,
    emit,
    integer,
    number,
    progress_bar,
    show_progress,
)


def register(commands: argparse._SubParsersAction) -> None:
    """Add the ``finetune`` sub-command."""
    from embedlab.analysis.downstream import labelled_datasets
    from embedlab.training.finetune import DEFAULT_BASE, LOSSES, FineTuneSettings

    defaults = FineTuneSettings()
    parser = commands.add_parser(
        "finetune", help="fine-tune the sentence model on a labelled dataset (MNRL or batch-hard triplet) into a new text model",
        description="Fine-tune a sentence-transformers model with its own trainer on the training part of a seeded,"
                    " stratified split; save it as finetuned:NAME (listed by `embedlab models`, removed by `embedlab"
                    " delete-model`); report downstream accuracy (cross-validated logistic regression) and same-label"
                    " retrieval (precision@10, MRR) on the held-out part, before and after.")
    parser.add_argument("dataset", metavar="DATASET",
                        help=f"a built-in labelled dataset ({', '.join(labelled_datasets())}), a CSV/TSV/JSONL file with a"
                             " text and a label column (--label-column), or a stored collection with a label column")
    parser.add_argument("--loss", choices=list(LOSSES), default=defaults.loss,
                        help=f"mnrl: same-label pairs with in-batch negatives; batch-hard-triplet: labels (default {defaults.loss})")
    parser.add_argument("--epochs", type=integer(1, 20), default=defaults.epochs, metavar="N", help=f"passes over the training part (default {defaults.epochs})")
    parser.add_argument("--out", metavar="NAME", help="the new model's name, saved as finetuned:NAME (default: from the dataset and settings)")
    parser.add_argument("--base", default=DEFAULT_BASE, metavar="M", help=f"the sentence-transformers model to start from (default {DEFAULT_BASE})")
    parser.add_argument("--max-rows", type=integer(40, 20_000), default=defaults.max_rows, metavar="N",
                        help=f"rows drawn from the dataset, stratified by label, before the split (default {defaults.max_rows})")
    parser.add_argument("--held-out", type=number(0.1, 0.5), default=defaults.held_out, metavar="F",
                        help=f"share held out for the before/after figures (default {defaults.held_out})")
    parser.add_argument("--batch-size", type=integer(4, 256), default=defaults.batch_size, metavar="N",
                        help=f"pairs (mnrl) or texts (batch-hard-triplet, even) per step (default {defaults.batch_size})")
    parser.add_argument("--learning-rate", type=number(1e-7, 1e-3), default=defaults.learning_rate, metavar="LR",
                        help=f"AdamW's peak learning rate, 10%% linear warm-up then linear decay (default {defaults.learning_rate})")
    parser.add_argument("--max-seq-length", type=integer(16, 512), default=defaults.max_seq_length, metavar="T",
                        help=f"tokens per text while training (default {defaults.max_seq_length})")
    parser.add_argument("--seed", type=integer(0, SEED_MAX), default=defaults.seed, help=f"seeds the sample, the split, the pairs and training (default {defaults.seed})")
    parser.add_argument("--map", choices=["pca", "umap"], default=defaults.map_method, dest="map_method",
                        help=f"how the held-out maps are drawn (kept in the model's note; default {defaults.map_method})")
    parser.add_argument("--text-column", metavar="C", help="a file's text column (default: guessed)")
    parser.add_argument("--label-column", metavar="L", help="a file's label column (required for a file)")
    add_json_flag(parser)
    parser.set_defaults(handler=cmd_finetune)


def cmd_finetune(args: argparse.Namespace) -> int:
    from embedlab.analysis.downstream import labelled_data
    from embedlab.training.finetune import FineTuneSettings, finetune

    settings = FineTuneSettings(loss=args.loss, epochs=args.epochs, max_rows=args.max_rows, held_out=args.held_out,
                                batch_size=args.batch_size, learning_rate=args.learning_rate,
                                max_seq_length=args.max_seq_length, seed=args.seed, map_method=args.map_method).validate()
    with progress_bar("training, steps", show_progress(args), unit="step") as bar:
        bar.stage("reading the dataset")
        data = labelled_data(args.dataset, label_column=args.label_column, text_column=args.text_column, max_rows=None)
        result = finetune(data, settings, base=args.base, out=args.out, progress=bar, stage=bar.stage)
    document = result.figures()

    def human() -> None:
        print(f"{result.name}: {result.base} fine-tuned on {result.dataset} with {settings.loss}, {settings.epochs} epoch(s),"
              f" seed {settings.seed}, {result.train_rows:,} training rows ({len(result.labels)} labels), {result.steps} steps,"
              f" {result.train_seconds:.0f} s training on {result.device} ({result.seconds:.0f} s in all)")
        print(f"held-out split: {result.held_out_rows:,} rows; accuracy: {result.after.folds}-fold logistic regression")
        print(f"{'':<10} {'accuracy':>9} {'macro-F1':>9} {'P@10':>7} {'MRR':>7}")
        for label, scores in (("before", result.before), ("after", result.after)):
            print(f"{label:<10} {scores.accuracy:9.3f} {scores.macro_f1:9.3f} {scores.precision_at_10:7.3f} {scores.mrr:7.3f}")
        if result.dropped_labels:
            print("labels left out (too few rows): " + ", ".join(f"{k} ({v})" for k, v in result.dropped_labels.items()))
        print(f"saved; use it as {result.name} (remove: embedlab delete-model {result.name})")

    emit(args, document, human)
    return 0
