"""Benchmarks: our batched figures must equal gensim's on the same vectors and settings."""

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


@pytest.mark.slow
def test_google_analogies_equal_gensim_on_glove(glove) -> None:  # type: ignore[no-untyped-def]
    ours = evaluate_analogies(glove, "google", restrict_vocab=30_000)
    score, sections = glove.kv.evaluate_word_analogies(str(dataset_path("google")), restrict_vocab=30_000)
    assert ours.accuracy == score
    total = sections[-1]
    assert (ours.correct, ours.n) == (len(total["correct"]), len(total["correct"]) + len(total["incorrect"]))
    theirs = {s["section"]: (len(s["correct"]), len(s["incorrect"])) for s in sections[:-1]}
    assert {s.name: (s.correct, s.incorrect) for s in ours.sections} == theirs
    assert ours.semantic is not None and ours.syntactic is not None
    assert ours.semantic.n + ours.syntactic.n == ours.n
    assert ours.n + ours.oov == ours.questions == 19544


@pytest.mark.slow
def test_msr_equals_gensim_on_glove_with_another_restriction(glove) -> None:  # type: ignore[no-untyped-def]
    ours = evaluate_analogies(glove, "msr", restrict_vocab=10_000)
    score, sections = glove.kv.evaluate_word_analogies(str(dataset_path("msr")), restrict_vocab=10_000)
    assert (ours.accuracy, ours.correct) == (score, len(sections[-1]["correct"]))
    assert ours.syntactic is not None and ours.syntactic.n == ours.n and ours.semantic is None


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


def test_cosmul_evaluation_runs_on_a_small_vocab(glove) -> None:  # type: ignore[no-untyped-def]
    add = evaluate_analogies(glove, "google", restrict_vocab=1_000)
    mul = evaluate_analogies(glove, "google", restrict_vocab=1_000, method="3cosmul")
    assert add.n == mul.n > 0
    assert 0.0 < mul.accuracy <= 1.0
    assert set(add.as_dict()["sections"]) == set(mul.as_dict()["sections"])
