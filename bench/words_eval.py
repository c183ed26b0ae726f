"""Benchmark: our batched analogy evaluation against gensim's ``evaluate_word_analogies``.

Same vectors, same file, same restrict_vocab; the script checks the accuracies are equal and
prints both times and the ratio (machines are noisy: compare ratios, not seconds).

    .venv/bin/python bench/words_eval.py [--models glove-6b-50d word2vec-gn-bolukbasi] [--restrict-vocab 30000]
"""

from __future__ import annotations

import argparse
import time

from report import figure  # bench/report.py (scripts run from bench/)

from embedlab.analysis.evaluation import (
    dataset_path,
    evaluate_analogies,
    evaluate_similarity,
)
from embedlab.backends import get_word_vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", nargs="+", default=["glove-6b-50d", "word2vec-gn-bolukbasi"])
    parser.add_argument("--datasets", nargs="+", default=["google", "msr"])
    parser.add_argument("--restrict-vocab", type=int, default=30_000)
    args = parser.parse_args()
    print(f"{'model':<24} {'set':<7} {'accuracy':>8} {'n':>6} {'ours s':>7} {'gensim s':>8} {'ratio':>6}")
    for name in args.models:
        backend = get_word_vectors(name)
        for dataset in args.datasets:
            started = time.perf_counter()
            ours = evaluate_analogies(backend, dataset, restrict_vocab=args.restrict_vocab)
            ours_s = time.perf_counter() - started
            started = time.perf_counter()
            score, sections = backend.kv.evaluate_word_analogies(str(dataset_path(dataset)), restrict_vocab=args.restrict_vocab)
            gensim_s = time.perf_counter() - started
            assert ours.accuracy == score and ours.correct == len(sections[-1]["correct"]), (ours.accuracy, score)
            figure("words_eval", f"{name} {dataset} analogies (restrict {args.restrict_vocab:,})", ours_s, "s", bare=gensim_s,
                   bare_name="gensim evaluate_word_analogies")
            print(f"{name:<24} {dataset:<7} {ours.accuracy:8.4f} {ours.n:6d} {ours_s:7.2f} {gensim_s:8.2f} {gensim_s / ours_s:5.1f}x")
        similarity = ", ".join(f"{d} {evaluate_similarity(backend, d).spearman:.3f}"
                               for d in ("ws353", "simlex999", "men", "rw", "mturk771", "rg"))
        print(f"{'':<24} similarity ρ: {similarity}")


if __name__ == "__main__":
    main()
