"""Gender direction (vs. scikit-learn PCA as in Bolukbasi et al.'s code), projections, direct
bias (vs. a plain loop) and hard debiasing on the real word models."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.decomposition import PCA

from embedlab.backends import backend_names, get_backend, get_word_vectors
from embedlab.bias.debias import HardDebias, check_out_name, debias
from embedlab.bias.direct_bias import direct_bias, direct_bias_value
from embedlab.bias.direction import gender_direction, pair_direction, project
from embedlab.bias.wordsets import bolukbasi
from embedlab.errors import InputError, OutOfVocabularyError

W2V = "word2vec-gn-bolukbasi"


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


@pytest.mark.parametrize("model", [W2V, "glove-6b-50d"])
def test_gender_direction_equals_bolukbasi_pca(model: str) -> None:
    """Bolukbasi's code: centre each definitional pair, stack both words, PCA (scikit-learn)."""
    backend = get_word_vectors(model)
    direction = gender_direction(backend)
    rows = []
    for a, b in bolukbasi().definitional_pairs:
        ka, kb = (w.lower() for w in (a, b)) if model.startswith("glove") else (a, b)
        va, vb = _unit(backend.kv[ka].astype(np.float64)), _unit(backend.kv[kb].astype(np.float64))
        centre = (va + vb) / 2
        rows += [va - centre, vb - centre]
    pca = PCA(n_components=10).fit(np.array(rows))
    assert abs(float(pca.components_[0] @ direction.vector)) == pytest.approx(1.0, abs=1e-5)
    assert direction.explained_variance_ratio == pytest.approx(tuple(pca.explained_variance_ratio_), abs=1e-5)
    assert np.linalg.norm(direction.vector) == pytest.approx(1.0, abs=1e-6)
    assert len(direction.pairs_used) == 10 and not direction.pairs_missing
    # oriented towards "she": she projects positively, he negatively
    she_he = project(backend, ["she", "he"], direction)
    assert she_he.values[0] > 0 > she_he.values[1]


def test_word2vec_direction_figures_and_professions() -> None:
    direction = gender_direction(W2V)
    assert direction.first_explained > 0.5  # Bolukbasi et al. report a dominant first component
    assert direction.first_explained > 3 * direction.explained_variance_ratio[1]
    placed = project(W2V, ["nurse", "homemaker", "programmer", "architect", "notaword_qq"], direction)
    values = dict(zip(placed.words, placed.values, strict=True))
    assert values["nurse"] > values["programmer"] and values["homemaker"] > values["architect"]
    assert placed.missing == ("notaword_qq",)
    ranked = placed.sorted()
    assert [v for _, v in ranked] == sorted((v for _, v in ranked), reverse=True)


def test_pair_axis_and_errors() -> None:
    axis = pair_direction(W2V, "rich", "poor")
    assert axis.label == "rich – poor" and axis.method == "pair"
    values = dict(zip(*[project(W2V, ["rich", "poor"], axis).words, project(W2V, ["rich", "poor"], axis).values], strict=True))
    assert values["rich"] > values["poor"]
    with pytest.raises(OutOfVocabularyError, match="zzqqx"):
        pair_direction(W2V, "rich", "zzqqx")
    with pytest.raises(InputError, match="two different words"):
        pair_direction(W2V, "rich", "rich")
    with pytest.raises(InputError, match="at least two definitional pairs"):
        gender_direction(W2V, [("she", "he"), ("qqzz1", "qqzz2")])


def test_direct_bias_matches_a_plain_loop() -> None:
    backend = get_word_vectors(W2V)
    direction = gender_direction(backend)
    words = ["nurse", "programmer", "doctor", "teacher", "engineer"]
    for c in (0.0, 0.5, 1.0, 2.0):
        ours = direct_bias(backend, words, c=c, direction=direction)
        total = 0.0
        for word in words:
            vector = backend.kv[word].astype(np.float64)
            cosine = float(vector @ direction.vector.astype(np.float64)) / float(np.linalg.norm(vector))
            total += (1.0 if abs(cosine) > 0 else 0.0) if c == 0 else abs(cosine) ** c
        assert ours.value == pytest.approx(total / len(words), rel=1e-6), c
    default = direct_bias(backend)
    assert default.n_words == len([w for w in bolukbasi().neutral_professions() if w in backend])
    assert 0.03 < default.value < 0.2  # Bolukbasi et al. report 0.08 on the full w2vNEWS
    with pytest.raises(InputError, match="c must be"):
        direct_bias(backend, words, c=-1)
    with pytest.raises(InputError, match="at least one word"):
        direct_bias_value(np.zeros(0))


def test_hard_debias_neutralises_and_equalises() -> None:
    base = get_word_vectors(W2V)
    estimator = HardDebias().fit(base)
    assert estimator.direction_.first_explained > 0.5 and estimator.equalize_pairs_
    debiased = estimator.transform(base, "debias-test-unregistered")
    g = estimator.direction_.vector.astype(np.float64)
    assert debiased.kv.index_to_key == base.kv.index_to_key  # same words, same order
    neutral = ["nurse", "programmer", "doctor", "receptionist", "architect"]
    after = debiased.kv[neutral].astype(np.float64)
    assert np.abs(after @ g).max() < 1e-5  # on the neutral plane
    assert np.allclose(np.linalg.norm(debiased.kv.vectors, axis=1), 1.0, atol=1e-5)
    # gender-specific words outside the equalize pairs keep their (normalised) vectors
    for word in ("actress", "boyfriend", "waitress"):
        assert np.allclose(debiased.kv[word], base.kv.get_vector(word, norm=True), atol=1e-6)
    # an equalised pair is symmetric about the neutral plane and equidistant to neutral words
    first, second = next(p for p in estimator.equalize_pairs_ if p[0].islower())
    v1, v2 = debiased.kv[first].astype(np.float64), debiased.kv[second].astype(np.float64)
    assert float(v1 @ g) == pytest.approx(-float(v2 @ g), abs=1e-5)
    for word in neutral:
        w = debiased.kv[word].astype(np.float64)
        assert float(w @ v1) == pytest.approx(float(w @ v2), abs=1e-5)
    with pytest.raises(InputError, match="before fit"):
        HardDebias().transform(base, "x")


@pytest.mark.slow
def test_debias_registers_a_backend_with_before_after_figures() -> None:
    report = debias(W2V, "debiased-w2v-test", analogies=True, restrict_vocab=3000)
    assert "debiased-w2v-test" in backend_names()
    backend = get_backend("debiased-w2v-test")
    assert backend.vocab_size == 26_423 and backend.dim == 300
    assert report.direct_bias_after.value < report.direct_bias_before.value / 3
    assert report.direct_bias_after_original_axis < 1e-6
    assert 0.3 < report.analogy_before < 1 and 0.3 < report.analogy_after < 1
    assert abs(report.analogy_after - report.analogy_before) < 0.05  # the cost to quality is small
    doc = report.as_dict()
    assert doc["backend"] == "debiased-w2v-test" and len(doc["weat"]) == 10
    before = {r.test: r for r in report.weat_before}
    after = {r.test: r for r in report.weat_after}
    # gender-term tests move; the flowers/instruments controls barely do
    assert abs(after["8"].effect_size - before["8"].effect_size) > 0.5
    assert abs(after["2"].effect_size - before["2"].effect_size) < 0.1
    again = debias(W2V, "debiased-w2v-test", analogies=False)  # re-making our own name is allowed
    assert again.out == "debiased-w2v-test"
    with pytest.raises(InputError, match="already exists"):  # same name from another base: refused
        debias("glove-6b-50d", "debiased-w2v-test", analogies=False)


@pytest.mark.slow
def test_debias_glove_direct_bias_falls() -> None:
    report = debias("glove-6b-50d", "debiased-glove-test", analogies=False)
    assert report.n_words == 400_000 and report.n_neutralised > 399_000
    assert report.direct_bias_after.value < report.direct_bias_before.value / 3
    assert math.isfinite(report.explained_variance)


def test_out_name_checks() -> None:
    with pytest.raises(InputError, match="already exists"):
        check_out_name("glove-6b-50d")
    with pytest.raises(InputError, match="not allowed"):
        check_out_name("bad name!")
    with pytest.raises(InputError, match="different from"):
        debias(W2V, W2V)
