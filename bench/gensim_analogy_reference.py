"""The gensim figures that tests/test_evaluation.py pins: ``KeyedVectors.evaluate_word_analogies``
on GloVe 6B 50d for the Google set (restrict_vocab 30,000) and MSR (restrict_vocab 10,000),
per section as (correct, incorrect), and the overall score.

gensim's own loop over 19,544 + 8,000 questions takes minutes on a 2-core machine, so the test
compares our figures with these pinned ones and runs gensim live only on a subset of each file.
Run this again (and paste its output into the test) when the vectors, the files or gensim change:

    .venv/bin/python bench/gensim_analogy_reference.py
"""

from __future__ import annotations

import time

from embedlab.analysis.evaluation import dataset_path
from embedlab.backends import get_word_vectors

CASES = (("google", 30_000), ("msr", 10_000))


def reference(dataset: str, restrict_vocab: int) -> tuple[float, dict[str, tuple[int, int]]]:
    """gensim's score and its per-section (correct, incorrect), the total last under "Total accuracy"."""
    kv = get_word_vectors("glove-6b-50d").kv  # type: ignore[attr-defined]
    score, sections = kv.evaluate_word_analogies(str(dataset_path(dataset)), restrict_vocab=restrict_vocab)
    return score, {s["section"]: (len(s["correct"]), len(s["incorrect"])) for s in sections}


def main() -> None:
    for dataset, restrict_vocab in CASES:
        started = time.perf_counter()
        score, sections = reference(dataset, restrict_vocab)
        print(f"# {dataset}, restrict_vocab={restrict_vocab}: gensim took {time.perf_counter() - started:.0f} s")
        print(f"({dataset!r}, {restrict_vocab}): ({score!r}, {{")
        for name, counts in sections.items():
            print(f"    {name!r}: {counts},")
        print("}),")


if __name__ == "__main__":
    main()
