"""Contextual versus static commands: ``contextual`` (one word's contextual vectors, sentence by
sentence) and ``word-order`` (mean word vectors versus a sentence model on reordered texts)."""

from __future__ import annotations

import argparse

from embedlab.cli._common import add_json_flag, emit, progress_bar, show_progress


def register(commands: argparse._SubParsersAction) -> None:
    """Add the contextual sub-commands."""
    from embedlab.analysis.contextual import (
        DEFAULT_TEXT_MODEL,
        DEFAULT_WORD_MODEL,
        MAX_SENTENCES,
    )

    ctx = commands.add_parser(
        "contextual", help="a word's contextual vectors in several sentences and their cosine matrix",
        description="The word's vector in each sentence is the sentence model's token embeddings (last hidden state)"
                    " of its word pieces, mean-pooled; the word is matched case-insensitively as a whole word (its first"
                    " occurrence). A sentence may start with a sense tag in brackets, '[river] We sat on the bank', and"
                    " then the output adds the mean cosine within and across senses.")
    ctx.add_argument("word", help="the word (or phrase) to follow")
    ctx.add_argument("sentences", nargs="+", metavar="SENTENCE", help=f"sentences that use the word (2 to {MAX_SENTENCES})")
    ctx.add_argument("--model", default=DEFAULT_TEXT_MODEL,
                     help=f"a sentence-transformers text model (default {DEFAULT_TEXT_MODEL})")
    ctx.add_argument("--static", default=DEFAULT_WORD_MODEL, metavar="MODEL",
                     help=f"the static word model whose single vector and neighbours are shown beside (default {DEFAULT_WORD_MODEL})")
    add_json_flag(ctx)
    ctx.set_defaults(handler=cmd_contextual)

    order = commands.add_parser(
        "word-order", help="cosine of reordered texts under mean word vectors and under a sentence model",
        description="Each pair is two texts separated by '|' (\"dog bites man | man bites dog\"). Mean word vectors ignore"
                    " order, so the same words give cosine 1.0; a sentence model reads the order.")
    order.add_argument("pairs", nargs="*", metavar="PAIR", help="'text | text' (default: four built-in pairs)")
    order.add_argument("--word-model", default=DEFAULT_WORD_MODEL, help=f"default {DEFAULT_WORD_MODEL}")
    order.add_argument("--model", default=DEFAULT_TEXT_MODEL, help=f"the sentence model (default {DEFAULT_TEXT_MODEL})")
    add_json_flag(order)
    order.set_defaults(handler=cmd_word_order)


def cmd_contextual(args: argparse.Namespace) -> int:
    from embedlab.analysis.contextual import contextual_word, static_word
    from embedlab.errors import EmbedlabError

    with progress_bar("contextual", enabled=show_progress(args)) as bar:
        bar.stage(f"encoding {len(args.sentences)} sentences with {args.model}")
        result = contextual_word(args.word, args.sentences, args.model)
        try:
            static = static_word(args.word, args.static)
            static_document: dict[str, object] = {"model": static.model, "key": static.key,
                                                  "neighbors": [{"word": w, "score": s} for w, s in static.neighbors]}
        except EmbedlabError as error:
            static, static_document = None, {"model": args.static, "error": str(error)}
    document = {**result.as_dict(), "static": static_document}

    def human() -> None:
        print(f"{result.word!r} in {len(result.uses)} sentences, {result.model} token embeddings (mean of the word's pieces)")
        for number, use in enumerate(result.uses, 1):
            sense = f"[{use.sense}] " if use.sense else ""
            print(f"{number:3d}. {sense}{use.sentence}   pieces: {' '.join(use.pieces)}")
        print("cosine similarity:")
        print("     " + "".join(f"{n:>7d}" for n in range(1, len(result.uses) + 1)))
        for number, row in enumerate(result.matrix, 1):
            print(f"{number:3d}. " + "".join(f"{value:7.3f}" for value in row))
        if result.senses is not None:
            print(f"mean cosine within a sense {result.senses.within:.3f} ({result.senses.within_pairs} pairs),"
                  f" across senses {result.senses.across:.3f} ({result.senses.across_pairs} pairs)")
        if static is not None:
            print(f"{static.model} has one vector for {static.key!r} in every sentence; its nearest words: "
                  + ", ".join(f"{w} ({s:.2f})" for w, s in static.neighbors))
        else:
            print(f"{args.static}: {static_document['error']}")

    emit(args, document, human)
    return 0


def cmd_word_order(args: argparse.Namespace) -> int:
    from embedlab.analysis.contextual import (
        ORDER_PAIRS,
        parse_pairs_of_texts,
        word_order,
    )

    pairs = parse_pairs_of_texts("\n".join(args.pairs)) if args.pairs else list(ORDER_PAIRS)
    with progress_bar("word order", enabled=show_progress(args)) as bar:
        bar.stage(f"encoding {2 * len(pairs)} texts")
        rows = word_order(pairs, args.word_model, args.model)
    document = {"word_model": args.word_model, "model": args.model,
                "pairs": [{"first": r.first, "second": r.second, "word_cosine": r.word_cosine,
                           "sentence_cosine": r.sentence_cosine, "same_words": r.same_words, "unknown": list(r.unknown)}
                          for r in rows]}

    def human() -> None:
        print(f"{'mean ' + args.word_model:>24s} {args.model:>12s}  pair")
        for r in rows:
            word = "—" if r.word_cosine is None else f"{r.word_cosine:.4f}"
            unknown = f"  (unknown: {', '.join(r.unknown)})" if r.unknown else ""
            print(f"{word:>24s} {r.sentence_cosine:12.4f}  {r.first} | {r.second}{unknown}")

    emit(args, document, human)
    return 0
