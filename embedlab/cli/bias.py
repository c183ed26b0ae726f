"""Bias commands: weat (SEAT for text models), bias-direction, debias."""

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
from embedlab.errors import InputError


def register(commands: argparse._SubParsersAction) -> None:
    """Add the bias sub-commands."""
    weat = commands.add_parser(
        "weat",
        help="WEAT tests of Caliskan et al. 2017 on a word model (SEAT sentences for a text model)",
    )
    weat.add_argument("model", help="model name (see `embedlab models`)")
    weat.add_argument("--test", default="all", help="test number 1-10, or 'all' (default)")
    weat.add_argument("--permutations", type=integer(10_000, 1_000_000), default=10_000, help="random partitions when exact is too many (≥ 10,000; default 10,000)")
    weat.add_argument("--seed", type=integer(0, SEED_MAX), default=0, help="seed of the random partitions (default 0)")
    weat.add_argument("--words", action="store_true", help="also list each target word's association s(w, A, B)")
    weat.add_argument("--sets", metavar="FILE", help="word sets file: JSON {name: [words]} or lines 'name: w1, w2'")
    weat.add_argument("--custom", nargs=4, metavar=("X", "Y", "A", "B"),
                      help="run one custom test on four named sets (from --sets, 'wefe:NAME' or 'T<n> NAME'; see --list-sets)")
    weat.add_argument("--list-sets", action="store_true", help="list the named word sets available to --custom and exit")
    add_json_flag(weat)
    weat.set_defaults(handler=cmd_weat)

    direction = commands.add_parser("bias-direction", help="gender direction (PCA of she-he, ...), its explained variance and word projections")
    direction.add_argument("model", help="word model name")
    direction.add_argument("--words", nargs="+", metavar="W", help="words to project (default: the 320 professions of Bolukbasi et al.)")
    direction.add_argument("--axis", nargs=2, metavar=("POSITIVE", "NEGATIVE"), help="use the axis POSITIVE − NEGATIVE instead of the gender PCA direction")
    direction.add_argument("-c", type=number(0.0, 3.0), default=1.0, help="strictness c of DirectBias_c (default 1)")
    direction.add_argument("--neutral", nargs="+", metavar="W",
                           help="words that should be neutral, for DirectBias_c (default: Bolukbasi's gender-neutral professions)")
    add_json_flag(direction)
    direction.set_defaults(handler=cmd_bias_direction)

    debias = commands.add_parser("debias", help="hard-debias a word model (neutralise + equalise) and compare before/after")
    debias.add_argument("model", help="word model name")
    debias.add_argument("--out", required=True, help="name of the new backend")
    debias.add_argument("--no-analogies", action="store_true", help="skip the Google analogy accuracy (the slowest part)")
    debias.add_argument("--seed", type=integer(0, SEED_MAX), default=0, help="seed of the WEAT random partitions (default 0)")
    debias.add_argument("--permutations", type=integer(10_000, 1_000_000), default=10_000, help="WEAT random partitions when exact is too many (default 10,000)")
    debias.add_argument("-c", type=number(0.0, 3.0), default=1.0, help="strictness c of DirectBias_c before and after (default 1)")
    add_json_flag(debias)
    debias.set_defaults(handler=cmd_debias)


def _fmt(value: float | None, spec: str = ".3f") -> str:
    return "n/a" if value is None else format(value, spec)


def cmd_weat(args: argparse.Namespace) -> int:
    from embedlab.backends import BackendKind, backend_kind
    from embedlab.bias.seat import seat
    from embedlab.bias.weat import weat

    kind = backend_kind(args.model)
    if kind not in (BackendKind.WORDS, BackendKind.TEXT):
        raise InputError(f"{args.model!r} is a {kind} model; WEAT needs a word model (or a text model for SEAT).")
    library = _library(args)
    if args.list_sets:
        emit(args, {name: list(s.words) for name, s in library.items()}, lambda: _print_sets(library))
        return 0
    tests = _tests(args, library)
    probe = weat if kind == BackendKind.WORDS else seat
    results = []
    with progress_bar("WEAT tests" if kind == BackendKind.WORDS else "SEAT tests", enabled=show_progress(args), unit="test") as progress:
        for done, test in enumerate(tests, start=1):
            results.append(probe(args.model, test, n_permutations=args.permutations, seed=args.seed))
            progress(done, len(tests))
    document = [r.as_dict(with_associations=args.words) for r in results]
    emit(args, document, lambda: _print_weat(args, "SEAT (sentences)" if kind == BackendKind.TEXT else "WEAT", results))
    return 0


def _print_sets(library: dict) -> None:
    for name, word_set in library.items():
        more = " …" if len(word_set) > 8 else ""
        print(f"{name} ({len(word_set)}): {', '.join(word_set.words[:8])}{more}")


def _tests(args: argparse.Namespace, library: dict) -> list:
    """The tests asked for: ``--custom X Y A B`` from the library's sets, one paper test, or all."""
    from embedlab.bias.wordsets import custom_test, weat_test, weat_tests

    if not args.custom:
        return list(weat_tests()) if str(args.test).lower() == "all" else [weat_test(args.test)]
    missing = [name for name in args.custom if name not in library]
    if missing:
        raise InputError(f"Unknown word set(s): {', '.join(missing)}. See `embedlab weat MODEL --list-sets`.")
    x, y, a, b = ((name, library[name].words) for name in args.custom)
    return [custom_test(x, y, a, b)]


def _print_weat(args: argparse.Namespace, unit: str, results: list) -> None:
    print(f"{unit} on {args.model}; permutation seed {args.seed}")
    print(f"{'test':>4}  {'d':>6}  {'p':>9}  {'paper d':>7}  {'n X/Y/A/B':<15} name")
    for r in results:
        sizes = "/".join(str(r.n_used[k]) for k in ("X", "Y", "A", "B"))
        print(f"{r.test:>4}  {_fmt(r.effect_size, '6.2f')}  {_fmt(r.p_value, '9.2g')}  {_fmt(r.paper_effect_size, '7.2f')}  {sizes:<15} {r.name}")
        if not r.computable:
            print(f"      {r.reason}")
        if r.oov_words:
            print(f"      missing from the model: {', '.join(r.oov_words[:15])}{' …' if len(r.oov_words) > 15 else ''}")
        if r.permutation:
            print(f"      p-value: {r.permutation.describe()}")
        for note in r.notes:
            print(f"      note: {note}")
        if args.words and r.associations:
            for a in r.sorted_associations():
                print(f"        {a.s:+.4f}  {a.group}  {a.word}")


def _library(args: argparse.Namespace) -> dict:
    """Named sets: the paper's, WEFE's and those of ``--sets FILE`` (read and validated)."""
    from pathlib import Path

    from embedlab.bias.wordsets import (
        MAX_UPLOAD_BYTES,
        library_sets,
        parse_wordset_upload,
    )

    library = dict(library_sets())
    if args.sets:
        path = Path(args.sets)
        if not path.is_file():
            raise InputError(f"No such word-set file: {args.sets}")
        if path.stat().st_size > MAX_UPLOAD_BYTES:
            raise InputError(f"{args.sets}: larger than {MAX_UPLOAD_BYTES:,} bytes.")
        library.update(parse_wordset_upload(path.read_bytes(), path.name))
    return library


def cmd_bias_direction(args: argparse.Namespace) -> int:
    from embedlab.bias.direct_bias import direct_bias
    from embedlab.bias.direction import gender_direction, pair_direction, project
    from embedlab.bias.wordsets import bolukbasi

    if args.axis:  # the user's own axis needs no definitional pairs
        axis = pair_direction(args.model, args.axis[0], args.axis[1])
        gender = None
    else:
        axis = gender = gender_direction(args.model)
    words = list(args.words) if args.words else list(bolukbasi().professions)
    placed = project(args.model, words, axis)
    bias = direct_bias(args.model, args.neutral, c=args.c, direction=axis)
    document = {
        "model": placed.model,
        "axis": axis.label,
        "method": axis.method,
        "explained_variance": gender.first_explained if gender else None,
        "explained_variance_ratios": list(gender.explained_variance_ratio) if gender else None,
        "definitional_pairs_used": [list(p) for p in gender.pairs_used] if gender else None,
        "definitional_pairs_missing": [list(p) for p in gender.pairs_missing] if gender else None,
        "projections": [{"word": w, "projection": v} for w, v in placed.sorted()],
        "missing": list(placed.missing),
        "direct_bias": bias.as_dict(),
    }

    def human() -> None:
        if gender is not None:
            print(f"gender direction of {placed.model}: first principal component of {len(gender.pairs_used)} definitional pairs")
            print("explained variance ratio: " + ", ".join(f"{r:.3f}" for r in gender.explained_variance_ratio[:5]) + " …")
        over = f"{bias.n_words} given words" if args.neutral else f"{bias.n_words} gender-neutral professions"
        print(f"DirectBias_{bias.c:g} on {axis.label} over {over}: {bias.value:.4f}")
        if bias.missing:
            print("neutral words missing from the model: " + ", ".join(bias.missing))
        print(f"projections on {axis.label} (positive = {axis.positive_end} side):")
        for word, value in placed.sorted():
            print(f"  {value:+.4f}  {word}")
        if placed.missing:
            print("missing from the model: " + ", ".join(placed.missing))

    emit(args, document, human)
    return 0


def cmd_debias(args: argparse.Namespace) -> int:
    from embedlab.bias.debias import debias

    with progress_bar("hard debias", enabled=show_progress(args)) as progress:
        report = debias(args.model, args.out, analogies=not args.no_analogies, seed=args.seed, c=args.c,
                        n_permutations=args.permutations, progress=progress)
    document = report.as_dict()

    def human() -> None:
        print(f"new backend {report.out!r} (hard-debiased {report.base}; saved, so every command and the app can use it)")
        print(f"gender direction explains {report.explained_variance:.3f} of the definitional variance")
        print(f"neutralised {report.n_neutralised:,} of {report.n_words:,} words; kept {report.n_specific} gender-specific; equalised {len(report.equalize_pairs)} pairs")
        print(f"DirectBias_{report.direct_bias_before.c:g}: before {report.direct_bias_before.value:.4f}  after {report.direct_bias_after.value:.4f}"
              f"  (on the removed axis {report.direct_bias_after_original_axis:.2g})")
        if report.analogy_before is not None:
            print(f"Google analogy accuracy (restrict_vocab={report.analogy_restrict_vocab:,}): before {report.analogy_before:.4f}  after {report.analogy_after:.4f}")
        print(f"{'test':>4}  {'d before':>8}  {'d after':>8}  name")
        for row in document["weat"]:
            print(f"{row['test']:>4}  {_fmt(row['effect_size_before'], '8.2f')}  {_fmt(row['effect_size_after'], '8.2f')}  {row['name']}")

    emit(args, document, human)
    return 0
