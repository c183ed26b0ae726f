"""WEAT speed: our vectorised permutation test against the per-partition recomputation that
WEFE and mlxtend do (bare numpy, measured in the same run), plus the full ten-test run on GloVe.

    .venv/bin/python bench/bias.py

Prints seconds and the ratio; no thresholds (the machine is shared and noisy: read ratios).
"""

from __future__ import annotations

import itertools
import time

import numpy as np
from report import figure  # bench/report.py (scripts run from bench/)

from embedlab import cache
from embedlab.backends import get_word_vectors
from embedlab.bias.weat import permutation_p_value, weat, weat_all
from embedlab.bias.wordsets import weat_test
from embedlab.wordrules import resolve_words


def per_partition_baseline(X: np.ndarray, Y: np.ndarray, A: np.ndarray, B: np.ndarray, partitions: list[tuple[int, ...]]) -> float:
    """What WEFE's loop does: for every partition, recompute the statistic from the vectors."""
    unit = lambda m: m / np.linalg.norm(m, axis=1, keepdims=True)
    pool, A, B = unit(np.vstack([X, Y]).astype(np.float64)), unit(A.astype(np.float64)), unit(B.astype(np.float64))

    def statistic(x: np.ndarray, y: np.ndarray) -> float:
        s = lambda w: (w @ A.T).mean(axis=1) - (w @ B.T).mean(axis=1)
        return float(s(x).sum() - s(y).sum())

    observed = statistic(pool[: len(X)], pool[len(X) :])
    everyone = set(range(len(pool)))
    count = 0
    for chosen in partitions:
        rest = sorted(everyone - set(chosen))
        if statistic(pool[list(chosen)], pool[rest]) >= observed - 1e-10:
            count += 1
    return count / len(partitions)


def main() -> None:
    glove = get_word_vectors("glove-6b-50d")
    weat_all(glove)  # warm up (vocabulary case check, BLAS)
    for test_id in ("6", "1"):
        test = weat_test(test_id)
        keys = [resolve_words(glove, s.words).keys for s in (test.x, test.y, test.a, test.b)]
        X, Y, A, B = (glove.kv[list(k)] for k in keys)
        n, n_x = len(X) + len(Y), len(X)
        if test_id == "6":
            partitions = list(itertools.combinations(range(n), n_x))
            label = f"exact, {len(partitions):,} partitions"
        else:
            rng = np.random.default_rng(0)
            partitions = [tuple(rng.permutation(n)[:n_x]) for _ in range(10_000)]
            label = "10,000 random partitions"
        cache.clear_memory()  # results are memoized by content: time a computation, not a lookup
        started = time.perf_counter()
        ours = weat(glove, test)
        ours_s = time.perf_counter() - started
        started = time.perf_counter()
        base_p = per_partition_baseline(X, Y, A, B, partitions)
        base_s = time.perf_counter() - started
        s_x = np.array([a.s for a in ours.associations if a.group == "X"])
        s_y = np.array([a.s for a in ours.associations if a.group == "Y"])
        started = time.perf_counter()
        permutation_p_value(s_x, s_y)
        core_s = time.perf_counter() - started
        figure("bias", f"WEAT test {test_id} with p-value ({label})", ours_s, "s", bare=base_s,
               bare_name="per-partition recomputation (WEFE, mlxtend)")
        print(f"test {test_id} ({label}): ours {ours_s:.3f} s end to end (p={ours.p_value:.3g}), permutation core {core_s:.4f} s; "
              f"per-partition numpy {base_s:.3f} s (p={base_p:.3g}); ratio {base_s / ours_s:.1f}x end to end, {base_s / core_s:.0f}x core")
    s = np.random.default_rng(1).normal(size=64)
    started = time.perf_counter()
    permutation_p_value(s[:32], s[32:], n_permutations=1_000_000)
    print(f"1,000,000 random partitions of 32+32 associations: {time.perf_counter() - started:.2f} s")
    cache.clear_memory()
    started = time.perf_counter()
    results = weat_all(glove)
    figure("bias", "all ten WEAT tests on GloVe with p-values", time.perf_counter() - started, "s")
    print(f"all ten tests on GloVe 6B 50d with p-values: {time.perf_counter() - started:.2f} s "
          f"(d: {', '.join(f'{r.effect_size:.2f}' for r in results)})")


if __name__ == "__main__":
    main()
