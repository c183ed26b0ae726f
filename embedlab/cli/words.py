"""Word-vector commands: analogy, eval-analogies, eval-similarity, train, load-vectors.

Uploaded and trained models saved under ``EMBEDLAB_HOME/wordvectors`` are registered (lazily)
when the parser is built, so ``user:…`` and ``trained:…`` names work in every command.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

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
from embedlab.training.corpora import TrainingLimits

SIMILARITY_CHOICES = ["ws353", "simlex999", "men", "rw", "mturk771", "rg", "all"]


def register(commands: argparse._SubParsersAction) -> None:
    """Add the word-vector sub-commands."""
    analogy = commands.add_parser("analogy", help="solve A : B :: C : ? with a word model")
    analogy.add_argument("model", help="word model name (see `embedlab models`)")
    analogy.add_argument("a")
    analogy.add_argument("b")
    analogy.add_argument("c")
    analogy.add_argument("-k", type=integer(1, 100), default=5, help="how many answers (default 5)")
    analogy.add_argument("--method", choices=["3cosadd", "3cosmul"], default="3cosadd")
    analogy.add_argument("--expected", help="an expected answer: report its rank and score")
    analogy.add_argument("--include-inputs", action="store_true", help="do not exclude A, B, C from the answers")
    add_json_flag(analogy)
    analogy.set_defaults(handler=cmd_analogy)

    ea = commands.add_parser("eval-analogies", help="accuracy on the Google (or MSR) analogy benchmark")
    ea.add_argument("model")
    ea.add_argument("--restrict-vocab", type=integer(1, 3_000_000), default=30_000, help="search the first N words only (default 30000)")
    ea.add_argument("--dataset", choices=["google", "msr"], default="google")
    ea.add_argument("--method", choices=["3cosadd", "3cosmul"], default="3cosadd")
    add_json_flag(ea)
    ea.set_defaults(handler=cmd_eval_analogies)

    es = commands.add_parser("eval-similarity", help="Spearman correlation with human word-similarity scores")
    es.add_argument("model")
    es.add_argument("--dataset", choices=SIMILARITY_CHOICES, default="ws353")
    add_json_flag(es)
    es.set_defaults(handler=cmd_eval_similarity)

    train = commands.add_parser("train", help="train word2vec, fasttext, doc2vec or deepwalk/node2vec vectors")
    train.add_argument("algorithm", choices=["word2vec", "fasttext", "doc2vec", "deepwalk"])
    source = train.add_argument_group("input")
    source.add_argument("--corpus", choices=["lee", "news", "healthtweets"], default="lee", help="built-in corpus (default lee)")
    source.add_argument("--text", type=Path, help="a UTF-8 text file, one document per line (instead of --corpus)")
    source.add_argument("--max-documents", type=integer(1, TrainingLimits().max_documents), default=None,
                        help=f"use the first N documents (default all, up to {TrainingLimits().max_documents:,})")
    source.add_argument("--graph", choices=["karate", "lesmis", "florentine"], default="karate", help="deepwalk: built-in graph")
    source.add_argument("--edges", type=Path, help="deepwalk: an edge list file 'source target [group]' per line")
    hyper = train.add_argument_group("hyper-parameters")
    hyper.add_argument("--dim", type=integer(2, 300), default=None, help="vector size (default 100; 32 for deepwalk)")
    hyper.add_argument("--window", type=integer(1, 20), default=5)
    hyper.add_argument("--min-count", type=integer(1, 1_000), default=2)
    hyper.add_argument("--epochs", type=integer(1, 50), default=5)
    hyper.add_argument("--negative", type=integer(1, 30), default=5, help="negative samples")
    hyper.add_argument("--cbow", action="store_true", help="CBOW instead of skip-gram (word2vec, fasttext)")
    hyper.add_argument("--dbow", action="store_true", help="doc2vec: PV-DBOW instead of PV-DM")
    hyper.add_argument("--min-n", type=integer(1, 10), default=3, help="fasttext: shortest character n-gram")
    hyper.add_argument("--max-n", type=integer(1, 10), default=6, help="fasttext: longest character n-gram")
    hyper.add_argument("--p", type=number(0.01, 100.0), default=1.0, help="node2vec return parameter (1 = DeepWalk)")
    hyper.add_argument("--q", type=number(0.01, 100.0), default=1.0, help="node2vec in-out parameter (1 = DeepWalk)")
    hyper.add_argument("--walks", type=integer(1, 100), default=10, help="walks per node")
    hyper.add_argument("--walk-length", type=integer(2, 200), default=None, help="steps per walk (default 40, as in DeepWalk)")
    hyper.add_argument("--held-out", type=number(0.05, 0.5), default=0.2, help="fraction of edges held out for link prediction (0.05 to 0.5)")
    hyper.add_argument("--seed", type=integer(0, SEED_MAX), default=0)
    hyper.add_argument("--workers", type=int, default=1, choices=[1, 2], help="1 = reproducible (default)")
    train.add_argument("--out", type=Path, required=True, help="write the vectors here in word2vec format (.bin = binary)")
    add_json_flag(train)
    train.set_defaults(handler=cmd_train)

    load = commands.add_parser("load-vectors", help="check and add a word2vec/GloVe file as a word model")
    load.add_argument("path", type=Path)
    load.add_argument("--format", choices=["auto", "word2vec-text", "word2vec-binary", "glove"], default="auto")
    add_json_flag(load)
    load.set_defaults(handler=cmd_load_vectors)

    remove = commands.add_parser("delete-model", help="remove an uploaded, trained or debiased word model, or a fine-tuned text model, and its saved files")
    remove.add_argument("name", help="model name (see `embedlab models`)")
    add_json_flag(remove)
    remove.set_defaults(handler=cmd_delete_model)


def cmd_analogy(args: argparse.Namespace) -> int:
    from embedlab.analysis.analogy import solve_analogy

    result = solve_analogy(args.model, args.a, args.b, args.c, k=args.k, method=args.method,
                           exclude_inputs=not args.include_inputs, expected=args.expected)

    def human() -> None:
        print(f"{result.a} : {result.b} :: {result.c} : ?   ({result.method}, {result.model})")
        for answer in result.answers:
            print(f"{answer.score:8.4f}  {answer.word}")
        if result.expected:
            rank = "excluded" if result.expected_rank is None else f"rank {result.expected_rank}, score {result.expected_score:.4f}"
            print(f"expected {result.expected}: {rank}")
        if result.note:
            print(f"note: {result.note}")

    emit(args, result.as_dict(), human)
    return 0


def cmd_eval_analogies(args: argparse.Namespace) -> int:
    from embedlab.analysis.evaluation import evaluate_analogies

    with progress_bar("analogies", enabled=show_progress(args), unit="question") as progress:
        result = evaluate_analogies(args.model, args.dataset, restrict_vocab=args.restrict_vocab,
                                    method=args.method, progress=progress)

    def human() -> None:
        print(f"{result.dataset} analogies, {result.method}, first {result.restrict_vocab:,} words of {result.model}")
        for section in result.sections:
            shown = f"{section.accuracy:6.3f}" if section.n else "   n/a"
            print(f"  {section.name:<28} {shown}  ({section.correct}/{section.n})")
        for group in (result.semantic, result.syntactic):
            if group:
                shown = f"{group.accuracy:6.3f}" if group.n else "   n/a"
                print(f"  {group.name:<28} {shown}  ({group.correct}/{group.n})")
        if not result.n:
            print(f"no usable question: all {result.oov:,} have a word outside the first {result.restrict_vocab:,} words")
        else:
            print(f"accuracy {result.accuracy:.4f} on {result.n:,} questions; {result.oov:,} skipped (words outside the vocabulary)")

    emit(args, result.as_dict(), human)
    return 0


def cmd_eval_similarity(args: argparse.Namespace) -> int:
    from embedlab.analysis.evaluation import SIMILARITY_DATASETS, evaluate_similarity

    names = list(SIMILARITY_DATASETS) if args.dataset == "all" else [args.dataset]
    results = [evaluate_similarity(args.model, name) for name in names]
    document = results[0].as_dict() if len(results) == 1 else {"datasets": {r.dataset: r.as_dict() for r in results}}

    def human() -> None:
        print(f"{'dataset':<10} {'spearman':>8} {'pairs':>6} {'oov':>5}   ({args.model})")
        for r in results:
            print(f"{r.dataset:<10} {r.spearman:8.4f} {r.pairs:6d} {r.oov:5d}")

    emit(args, document, human)
    return 0


def _check_out(out: Path) -> None:
    """Refuse an --out path that cannot be written before any training starts."""
    if out.exists() and out.is_dir():
        raise InputError(f"--out {out} is a directory; give a file path.")
    if not out.parent.exists():
        raise InputError(f"--out: folder {out.parent} does not exist.")
    if not os.access(out.parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise InputError(f"--out {out} cannot be written here (no write permission).")


def _write_vectors(wv: object, out: Path, binary: bool) -> None:
    """Write word2vec to --out; a failed write is a clear error, not a traceback (e.g. a read-only
    file system such as /proc, which permission checks do not catch)."""
    try:
        wv.save_word2vec_format(str(out), binary=binary)  # type: ignore[attr-defined]
    except OSError as error:
        raise InputError(f"Cannot write --out {out}: {error.strerror or error}.") from error


def cmd_train(args: argparse.Namespace) -> int:
    from embedlab import training

    out: Path = args.out
    _check_out(out)
    binary = out.suffix == ".bin"
    if args.algorithm == "deepwalk":
        if args.edges:
            if not args.edges.is_file():
                raise InputError(f"No such file: {args.edges}")
            graph = training.parse_edge_list(args.edges.read_bytes())
            source = str(args.edges)
        else:
            graph = training.builtin_graph(args.graph)
            source = args.graph
        params = dict(walks_per_node=args.walks, walk_length=args.walk_length, p=args.p, q=args.q,
                      vector_size=args.dim, window=args.window, epochs=args.epochs, negative=args.negative,
                      seed=args.seed, workers=args.workers)
        params = {k: v for k, v in params.items() if v is not None}  # unset: the engine's defaults
        with progress_bar("training", enabled=show_progress(args), unit="epoch") as progress:
            result = training.embed_graph(graph, held_out=args.held_out, progress=progress, **params)
        _write_vectors(result.wv, out, binary)
        separation = training.group_separation(result)
        document = {"algorithm": result.method, "graph": source, "nodes": len(result.nodes),
                    "edges": graph.number_of_edges(), "auc": result.auc, "held_out": result.held_out,
                    "separation": separation, "params": result.params,
                    "epoch_seconds": result.epoch_seconds, "seed": args.seed, "out": str(out)}
        if result.auc is None:
            document["auc_note"] = result.auc_note
        if separation is None:
            document["separation_note"] = training.group_separation_note(result)

        def human() -> None:
            auc = f"n/a ({result.auc_note})" if result.auc is None else f"{result.auc:.3f}"
            shown = f"n/a ({document['separation_note']})" if separation is None else f"{separation:+.3f}"
            print(f"{result.method} on {source}: {len(result.nodes)} nodes, seed {args.seed}; link prediction ROC AUC {auc}"
                  f" on {result.held_out} held-out edges; group separation {shown}; vectors written to {out}")

        emit(args, document, human)
        return 0

    if args.text and not args.text.is_file():
        raise InputError(f"No such file: {args.text}")
    size = {} if args.dim is None else {"vector_size": args.dim}  # unset: the engine's default (100)
    with progress_bar("training", enabled=show_progress(args), unit="epoch") as progress:
        fitted = training.fit_word_vectors(
            args.algorithm, args.corpus, text=args.text.read_bytes() if args.text else None, text_name=str(args.text),
            max_documents=args.max_documents, architecture="CBOW" if args.cbow else "skip-gram",
            doc_architecture="PV-DBOW" if args.dbow else "PV-DM", progress=progress, window=args.window,
            min_count=args.min_count, epochs=args.epochs, negative=args.negative, min_n=args.min_n, max_n=args.max_n,
            seed=args.seed, workers=args.workers, **size,
        )
    trainer, source = fitted.trainer, fitted.source
    _write_vectors(trainer.wv_, out, binary)  # first: a failed write must not leave a registered model behind
    backend = trainer.to_backend()
    document = {**trainer.report_.as_dict(), "corpus": source, "out": str(out)}

    def human_words() -> None:
        r = trainer.report_
        print(f"{r.algorithm} on {source}: {r.documents:,} documents, {r.tokens:,} tokens, {r.vocabulary:,} words,"
              f" seed {r.seed}; saved as model {backend.name!r} and written to {out}", file=sys.stdout)

    emit(args, document, human_words)
    return 0


def cmd_delete_model(args: argparse.Namespace) -> int:
    from embedlab.backends import catalogue

    catalogue().remove(args.name)
    emit(args, {"deleted": args.name}, lambda: print(f"deleted {args.name}"))
    return 0


def cmd_load_vectors(args: argparse.Namespace) -> int:
    from embedlab.wordvec_upload import load_word_vectors_file

    _, report = load_word_vectors_file(args.path, fmt=args.format)
    document = {"name": report.name, "format": report.format, "words": report.words, "dim": report.dim,
                "warnings": report.warnings}

    def human() -> None:
        print(f"{report.name}: {report.words:,} words, {report.dim}-d ({report.format})")
        for warning in report.warnings:
            print(f"warning: {warning}")

    emit(args, document, human)
    return 0
