"""Benchmarks: our batched figures must equal gensim's on the same vectors and settings (the full
analogy sets against gensim's pinned figures, a sample of each section against gensim live)."""

from __future__ import annotations

from pathlib import Path

import pytest

import embedlab  # noqa: F401
from embedlab.analysis.evaluation import (
    SIMILARITY_DATASETS,
    dataset_path,
    evaluate_analogies,
    evaluate_similarity,
    read_pairs_file,
)
from embedlab.backends import get_word_vectors
from embedlab.errors import InputError


@pytest.fixture(scope="module")
def glove():  # type: ignore[no-untyped-def]
    return get_word_vectors("glove-6b-50d")


def test_unknown_benchmark_lists_choices() -> None:
    with pytest.raises(InputError, match="ws353"):
        dataset_path("imdb")


def test_rg_file_with_tab_runs_is_read_whole() -> None:
    pairs = read_pairs_file(dataset_path("rg"))
    assert len(pairs) == 65
    assert ("cushion", "pillow") in {(p.a, p.b) for p in pairs}


#: gensim 4.4's ``KeyedVectors.evaluate_word_analogies`` on GloVe 6B 50d: (score, per section
#: (correct, incorrect)), printed by ``bench/gensim_analogy_reference.py`` (run it again and paste
#: its output here when gensim, the vectors or the benchmark files change). gensim's own loop over
#: every question is the slow part of the check; it runs live below on a sample of each section.
GENSIM_ANALOGIES: dict[tuple[str, int], tuple[float, dict[str, tuple[int, int]]]] = {
    ("google", 30000): (0.4969415876856893, {
        "capital-common-countries": (403, 103),
        "capital-world": (2006, 709),
        "currency": (31, 205),
        "city-in-state": (354, 1849),
        "family": (259, 83),
        "gram1-adjective-to-adverb": (127, 743),
        "gram2-opposite": (45, 335),
        "gram3-comparative": (699, 633),
        "gram4-superlative": (202, 398),
        "gram5-present-participle": (397, 533),
        "gram6-nationality-adjective": (1362, 83),
        "gram7-past-tense": (586, 974),
        "gram8-plural": (680, 376),
        "gram9-plural-verbs": (242, 460),
        "Total accuracy": (7393, 7484),
    }),
    ("msr", 10000): (0.45475773496789257, {
        "all": (1558, 1868),
        "Total accuracy": (1558, 1868),
    }),
}


@pytest.mark.slow
@pytest.mark.parametrize(("dataset", "restrict_vocab"), list(GENSIM_ANALOGIES))
def test_analogy_benchmarks_equal_gensims_figures_on_glove(glove, dataset: str, restrict_vocab: int) -> None:  # type: ignore[no-untyped-def]
    ours = evaluate_analogies(glove, dataset, restrict_vocab=restrict_vocab)
    score, sections = GENSIM_ANALOGIES[(dataset, restrict_vocab)]
    assert ours.accuracy == score
    assert (ours.correct, ours.n - ours.correct) == sections["Total accuracy"]
    assert {s.name: (s.correct, s.incorrect) for s in ours.sections} == {k: v for k, v in sections.items() if k != "Total accuracy"}
    if dataset == "google":
        assert ours.semantic is not None and ours.syntactic is not None
        assert ours.semantic.n + ours.syntactic.n == ours.n
        assert ours.n + ours.oov == ours.questions == 19544
    else:
        assert ours.syntactic is not None and ours.syntactic.n == ours.n and ours.semantic is None


def sample_of_each_section(source: Path, target: Path, every: int) -> Path:
    """Every ``every``-th question of each section of an analogy file, as a file of its own."""
    lines, kept = source.read_text(encoding="utf8").splitlines(), []
    position = 0
    for line in lines:
        if line.startswith(": "):
            kept.append(line)
            position = 0
            continue
        if position % every == 0:
            kept.append(line)
        position += 1
    target.write_text("\n".join(kept) + "\n", encoding="utf8")
    return target


@pytest.mark.slow
@pytest.mark.parametrize(("dataset", "restrict_vocab", "every"), [("google", 30_000, 7), ("msr", 10_000, 5)])
def test_analogies_equal_gensim_live_on_a_sample_of_each_section(glove, dataset: str, restrict_vocab: int, every: int,  # type: ignore[no-untyped-def]
                                                                 tmp_path: Path) -> None:
    """gensim itself, now, on a seventh (Google) or fifth (MSR) of every section: the pinned figures
    above stay honest."""
    sample = sample_of_each_section(dataset_path(dataset), tmp_path / f"{dataset}.txt", every)
    ours = evaluate_analogies(glove, dataset, restrict_vocab=restrict_vocab, path=sample)
    score, sections = glove.kv.evaluate_word_analogies(str(sample), restrict_vocab=restrict_vocab)
    assert ours.accuracy == score and ours.n > 1000 // every
    assert {s.name: (s.correct, s.incorrect) for s in ours.sections} == \
        {s["section"]: (len(s["correct"]), len(s["incorrect"])) for s in sections[:-1]}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SIMILARITY_DATASETS))
def test_similarity_benchmarks_equal_gensim_on_glove(glove, name: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ours = evaluate_similarity(glove, name)
    # gensim splits on single tabs; give it the same pairs in a clean file (RG uses tab runs)
    clean = tmp_path / f"{name}.tsv"
    clean.write_text("".join(f"{p.a}\t{p.b}\t{p.gold}\n" for p in read_pairs_file(dataset_path(name))))
    pearson, spearman, oov_ratio = glove.kv.evaluate_word_pairs(str(clean))
    assert ours.spearman == pytest.approx(spearman.statistic, abs=1e-9)
    assert ours.pearson == pytest.approx(pearson.statistic, abs=1e-6)
    assert ours.oov_ratio == pytest.approx(oov_ratio)
    assert ours.pairs + ours.oov == len(read_pairs_file(dataset_path(name)))


@pytest.mark.slow
def test_cosmul_evaluation_equals_a_loop_over_gensims_cosmul_scores(glove) -> None:  # type: ignore[no-untyped-def]
    """3CosMul has no gensim evaluation (its ``similarity_function`` argument is ignored), so the
    reference is gensim's evaluation loop written out with gensim's ``most_similar_cosmul`` scores
    in place of ``most_similar``: questions outside the first 2,000 words skipped, the best of
    those 2,000 words that is not an input is the answer, compared case-insensitively. (gensim's
    ``most_similar_cosmul`` does not apply ``restrict_vocab`` itself: it runs on a gensim model of
    those 2,000 words.)"""
    import numpy as np
    from gensim.models import KeyedVectors

    from embedlab.analysis.evaluation import read_analogy_file

    restrict = 2_000
    ours = evaluate_analogies(glove, "google", restrict_vocab=restrict, method="3cosmul")
    keys = glove.kv.index_to_key[:restrict]
    kv = KeyedVectors(vector_size=glove.kv.vector_size)
    kv.add_vectors(keys, glove.kv.vectors[:restrict])
    ok_vocab = {key.upper(): key for key in reversed(keys)}  # the most frequent spelling wins
    _, questions, _ = read_analogy_file(dataset_path("google"))
    correct: dict[str, int] = {}
    incorrect: dict[str, int] = {}
    for q in questions:
        if not all(w in ok_vocab for w in (q.a, q.b, q.c, q.expected)):
            continue
        scores = np.asarray(kv.most_similar_cosmul(positive=[ok_vocab[q.b], ok_vocab[q.c]], negative=[ok_vocab[q.a]], topn=None))
        order = np.argsort(-scores, kind="stable")
        predicted = next(keys[i].upper() for i in order if keys[i].upper() not in {q.a, q.b, q.c})
        tally = correct if predicted == q.expected else incorrect
        tally[q.section] = tally.get(q.section, 0) + 1
    assert ours.n == sum(correct.values()) + sum(incorrect.values()) > 300
    assert ours.correct == sum(correct.values())
    assert {s.name: (s.correct, s.incorrect) for s in ours.sections if s.n} == \
        {name: (correct.get(name, 0), incorrect.get(name, 0)) for name in {*correct, *incorrect}}
    add = evaluate_analogies(glove, "google", restrict_vocab=restrict)
    assert add.n == ours.n and add.correct != ours.correct  # the same questions, scored another way
