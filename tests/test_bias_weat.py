"""WEAT: our vectorised statistic, effect size and p-value against a plain loop-over-the-definition
computation on the same vectors, the permutation modes, OOV handling, and the paper's signs on
the real GloVe 6B 50d and word2vec models."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from embedlab.bias.weat import (
    EXACT_LIMIT,
    effect_size,
    permutation_p_value,
    sign_agreement,
    weat,
    weat_all,
    weat_from_vectors,
)
from embedlab.bias.wordsets import (
    PAPER_GLOVE_840B_EFFECT_SIZES,
    bolukbasi,
    custom_test,
    library_sets,
    parse_word_list,
    parse_wordset_upload,
    weat_test,
    weat_tests,
    wefe_sets,
)
from embedlab.errors import BadUploadError, InputError

# ---------------------------------------------------------------- the plain reference ----------


def _cos(u: list[float], v: list[float]) -> float:
    dot = sum(a * b for a, b in zip(u, v, strict=True))
    return dot / (math.sqrt(sum(a * a for a in u)) * math.sqrt(sum(b * b for b in v)))


def _s(w: list[float], A: list[list[float]], B: list[list[float]]) -> float:
    return sum(_cos(w, a) for a in A) / len(A) - sum(_cos(w, b) for b in B) / len(B)


def reference_weat(X, Y, A, B):
    """Caliskan et al.'s definitions written out with loops: statistic, d and the exact p over
    every partition of X ∪ Y into sets of sizes |X| and |Y| (ties count as extreme)."""
    X, Y, A, B = ([list(map(float, row)) for row in M] for M in (X, Y, A, B))
    stat = sum(_s(x, A, B) for x in X) - sum(_s(y, A, B) for y in Y)
    all_s = [_s(w, A, B) for w in X + Y]
    mean_all = sum(all_s) / len(all_s)
    std = math.sqrt(sum((v - mean_all) ** 2 for v in all_s) / len(all_s))
    d = (sum(all_s[: len(X)]) / len(X) - sum(all_s[len(X) :]) / len(Y)) / std
    pool = X + Y
    s_pool = [_s(w, A, B) for w in pool]  # s(w) of a word does not depend on the partition
    count = total = 0
    for chosen in itertools.combinations(range(len(pool)), len(X)):
        rest = [i for i in range(len(pool)) if i not in chosen]
        s_i = sum(s_pool[i] for i in chosen) - sum(s_pool[i] for i in rest)
        total += 1
        if s_i >= stat - 1e-9:
            count += 1
    return stat, d, count / total


def _random_sets(seed: int, sizes: tuple[int, int, int, int], dim: int = 12, shift: float = 0.6) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    a_centre, b_centre = rng.normal(size=dim), rng.normal(size=dim)
    x = rng.normal(size=(sizes[0], dim)) + shift * a_centre
    y = rng.normal(size=(sizes[1], dim)) + shift * b_centre
    a = rng.normal(size=(sizes[2], dim)) + a_centre
    b = rng.normal(size=(sizes[3], dim)) + b_centre
    return {"X": x, "Y": y, "A": a, "B": b}


def _run(vectors: dict[str, np.ndarray], **kwargs):
    labels = {k: [f"{k}{i}" for i in range(len(v))] for k, v in vectors.items()}
    return weat_from_vectors(vectors, labels, test="t", name="t", model="m", set_names={k: k for k in vectors}, **kwargs)


@pytest.mark.parametrize("seed,sizes", [(1, (5, 5, 4, 4)), (2, (4, 6, 3, 5)), (3, (6, 6, 5, 5))])
def test_matches_plain_loops_on_random_vectors(seed: int, sizes: tuple[int, int, int, int]) -> None:
    vectors = _random_sets(seed, sizes)
    ours = _run(vectors)
    stat, d, p = reference_weat(vectors["X"], vectors["Y"], vectors["A"], vectors["B"])
    assert ours.permutation.method == "exact"
    assert ours.permutation.partitions == math.comb(sizes[0] + sizes[1], sizes[0])
    assert ours.statistic == pytest.approx(stat, abs=1e-9)
    assert ours.effect_size == pytest.approx(d, abs=1e-9)
    assert ours.p_value == pytest.approx(p, abs=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("test_id", ["6", "9"])
def test_matches_plain_loops_on_glove(test_id: str) -> None:
    """The same comparison on the real GloVe vectors of two paper tests (exact p-values)."""
    from embedlab.backends import get_word_vectors
    from embedlab.wordrules import resolve_words

    glove = get_word_vectors("glove-6b-50d")
    test = weat_test(test_id)
    ours = weat(glove, test)
    sets = [resolve_words(glove, s.words).keys for s in (test.x, test.y, test.a, test.b)]
    X, Y, A, B = (glove.kv[list(keys)] for keys in sets)  # raw, un-normalised vectors
    stat, d, p = reference_weat(X, Y, A, B)
    assert ours.permutation.method == "exact"
    assert ours.statistic == pytest.approx(stat, abs=1e-6)
    assert ours.effect_size == pytest.approx(d, abs=1e-6)
    assert ours.p_value == pytest.approx(p, abs=1e-12)


def test_random_partitions_agree_with_exact_and_are_seeded() -> None:
    vectors = _random_sets(7, (7, 7, 5, 5), shift=0.15)
    exact = _run(vectors)
    assert exact.permutation.method == "exact" and 0.0 < exact.p_value < 1.0
    randomised = _run(vectors, exact_limit=0, n_permutations=40_000, seed=11)
    assert randomised.permutation.method == "random"
    assert randomised.permutation.seed == 11 and randomised.permutation.partitions == 40_000
    standard_error = math.sqrt(exact.p_value * (1 - exact.p_value) / 40_000)
    assert abs(randomised.p_value - exact.p_value) < 5 * standard_error + 1e-4
    again = _run(vectors, exact_limit=0, n_permutations=40_000, seed=11)
    assert again.p_value == randomised.p_value
    other = _run(vectors, exact_limit=0, n_permutations=40_000, seed=12)
    assert other.p_value != randomised.p_value
    assert randomised.as_dict()["seed"] == 11


def test_exact_limit_switches_to_random() -> None:
    s_x = np.linspace(0.2, 0.4, 10)
    s_y = np.linspace(-0.3, 0.1, 10)  # C(20, 10) = 184,756 > 100,000
    p, how = permutation_p_value(s_x, s_y)
    assert how.method == "random" and how.partitions == 10_000 and how.total_partitions == math.comb(20, 10)
    assert p == pytest.approx(1 / 10_001)  # X dominates Y completely: only the +1 term remains
    p9, how9 = permutation_p_value(s_x[:9], s_y[:9])  # C(18, 9) = 48,620 ≤ 100,000
    assert how9.method == "exact" and how9.partitions == 48_620 <= EXACT_LIMIT
    assert p9 == pytest.approx(1 / 48_620)


def test_too_few_permutations_is_an_input_error() -> None:
    with pytest.raises(InputError, match="at least 10,000"):
        permutation_p_value(np.ones(3), np.zeros(3), n_permutations=500)


def test_effect_size_is_none_when_all_associations_are_equal() -> None:
    assert effect_size(np.ones(3), np.ones(3)) is None


def test_set_with_fewer_than_two_words_is_not_computable() -> None:
    vectors = _random_sets(5, (1, 4, 3, 3))
    result = _run(vectors, oov={"X": ["gone1", "gone2"]})
    assert not result.computable
    assert result.effect_size is None and result.p_value is None
    assert "X 'X' has 1 words left, 2 missing" in result.reason


# ------------------------------------------------------------------------- word sets -----------


def test_ten_paper_tests_and_reference_figures() -> None:
    tests = weat_tests()
    assert [t.id for t in tests] == [str(i) for i in range(1, 11)]
    assert tests[0].x.name == "Flowers" and tests[0].a.name == "Pleasant"
    assert tests[5].x.name == "Male names" and tests[5].a.name == "Career"
    assert [t.paper_effect_size for t in tests] == list(PAPER_GLOVE_840B_EFFECT_SIZES)
    assert "Chip" in tests[2].remove and len(tests[2].x.words) == 50
    with pytest.raises(InputError, match="Unknown WEAT test"):
        weat_test("11")


def test_wefe_and_bolukbasi_lists() -> None:
    sets = wefe_sets()
    assert len(sets) == 31 and "career" in sets and len(sets["career"]) == 8
    assert "wefe:flowers" in library_sets()
    data = bolukbasi()
    assert ("she", "he") in data.definitional_pairs and len(data.professions) == 320
    neutral = data.neutral_professions()
    assert "programmer" in neutral and "actress" not in neutral and "businesswoman" not in neutral


def test_custom_sets_and_uploads() -> None:
    assert parse_word_list("nurse, New York\nteacher;nurse") == ["nurse", "New_York", "teacher"]
    assert parse_word_list(" rose tulip daisy ") == ["rose", "tulip", "daisy"]  # no list separators: spaces separate
    assert parse_word_list("rose tulip, daisy") == ["rose_tulip", "daisy"]
    test = custom_test(("x", ["a", "b"]), ("y", ["c", "d"]), ("A", ["e", "f"]), ("B", ["g", "h"]))
    assert test.label == "x vs y × A vs B"
    with pytest.raises(InputError, match="at least two words"):
        custom_test(("x", ["a"]), ("y", ["c", "d"]), ("A", ["e", "f"]), ("B", ["g", "h"]))
    sets = parse_wordset_upload(b'{"pets": ["cat", "dog"], "tools": ["saw", "drill"]}', "s.json")
    assert sets["pets"].words == ("cat", "dog")
    lines = parse_wordset_upload(b"# comment\npets: cat, dog\ntools: saw, drill\n", "s.txt")
    assert lines["tools"].words == ("saw", "drill")
    with pytest.raises(BadUploadError, match="line 1"):
        parse_wordset_upload(b"no colon here", "bad.txt")
    with pytest.raises(BadUploadError, match="fewer than two"):
        parse_wordset_upload(b"pets: cat", "one.txt")
    with pytest.raises(BadUploadError, match="b.json is not valid JSON"):
        parse_wordset_upload(b"{broken", "b.json")
    with pytest.raises(BadUploadError, match="deep.json nests JSON arrays or objects too deeply"):
        parse_wordset_upload(b'{"a": ' + b"[" * 200_000, "deep.json")
    with pytest.raises(BadUploadError, match="half.json: set 'pets' holds an unpaired UTF-16 surrogate"):
        parse_wordset_upload(b'{"pets": ["cat", "d\\udc00g"]}', "half.json")
    with pytest.raises(BadUploadError, match="not UTF-8"):
        parse_wordset_upload(b"\xff\xfe\x00bad", "bin.txt")


def test_a_custom_test_on_glove_lists_and_drops_unknown_words() -> None:
    """A word model must list the words it does not know and leave them out of the statistic."""
    from embedlab.backends import get_word_vectors

    glove = get_word_vectors("glove-6b-50d")
    test = custom_test(
        ("pets", ["cat", "dog", "qzxqzx"]), ("tools", ["saw", "drill", "hammer"]),
        ("nice", ["lovely", "nice"]), ("nasty", ["awful", "nasty", "vbnvbn"]),
    )
    result = weat(glove, test)
    assert result.oov == {"X": ["qzxqzx"], "Y": [], "A": [], "B": ["vbnvbn"]}
    assert result.oov_words == ["qzxqzx", "vbnvbn"]
    assert result.n_used == {"X": 2, "Y": 3, "A": 2, "B": 2}
    assert {a.word for a in result.associations} == {"cat", "dog", "saw", "drill", "hammer"}
    sets = (["cat", "dog"], ["saw", "drill", "hammer"], ["lovely", "nice"], ["awful", "nasty"])
    stat, d, p = reference_weat(*(glove.kv[words] for words in sets))  # the known words only, raw vectors
    assert result.statistic == pytest.approx(stat, abs=1e-6) and result.effect_size == pytest.approx(d, abs=1e-6)
    assert result.p_value == pytest.approx(p, abs=1e-12)


# ------------------------------------------------------------------ the real models -----------


@pytest.mark.slow
def test_all_ten_tests_on_glove_have_the_papers_signs() -> None:
    results = weat_all("glove-6b-50d", seed=0)
    assert [r.test for r in results] == [str(i) for i in range(1, 11)]
    assert all(r.computable for r in results)
    assert sign_agreement(results) == (10, 10, 10)
    assert all(r.effect_size > 0.5 for r in results)
    assert all(r.p_value < 0.05 for r in results)
    exact = {r.test for r in results if r.permutation.method == "exact"}
    assert exact == {"6", "7", "8", "9", "10"}  # C(16,8) = 12,870 and C(12,6) = 924 partitions
    first = results[0]
    assert first.oov["X"] == ["gladiola"] and first.n_used["X"] == 24  # listed and dropped
    # GloVe is lower-cased: names are looked up lower-cased rather than reported missing
    assert results[5].n_used == {"X": 8, "Y": 8, "A": 8, "B": 8}
    assert results[2].removed and "Chip" in results[2].removed  # the paper's removals


@pytest.mark.slow
def test_word2vec_subset_reports_uncomputable_tests() -> None:
    results = {r.test: r for r in weat_all("word2vec-gn-bolukbasi", seed=0)}
    for test_id in ("6", "10"):
        assert not results[test_id].computable
        assert "need at least 2" in results[test_id].reason
        assert results[test_id].as_dict()["effect_size"] is None
    assert results["6"].oov["Y"]  # the female names are missing, and listed
    assert results["3"].notes and "interpret with care" in results["3"].notes[0]
    computable = [r for r in results.values() if r.computable]
    assert computable and all(r.effect_size > 0 for r in computable)


@pytest.mark.timeout(30)
def test_a_set_of_100_000_words_is_refused_in_linear_time() -> None:
    """A 1 MB file of 10^5 words once cost 92 s of CPU (a list search per word before the cap
    was checked); now the cap is checked on a dict in one pass, well inside this timeout."""
    words = ",".join(f"w{i:05d}" for i in range(100_000))
    data = f"big: {words[: 990_000]}".encode()
    assert len(data) <= 1_000_000
    with pytest.raises(InputError, match=r"Too many words: [0-9,]+; the limit is 500"):
        parse_wordset_upload(data, "big.txt")
    with pytest.raises(InputError, match="Too many words: 100,000; the limit is 500"):
        parse_word_list(",".join(f"w{i}" for i in range(100_000)))
