"""How the ALS defaults were chosen: a grid on a *validation* split of MovieLens 100k (each
user's last training interaction, held out of the training split), never on the test split.
The test ratios of the best few settings are printed after the choice, to show how far a
validation choice carries (they are not used to choose).

    .venv/bin/python bench/recommend_tune.py [--split-seed 0]

Prints HR@10 of each setting as a multiple of most-popular's on the same split.
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import replace

from embedlab.recommend.data import movielens_100k
from embedlab.recommend.evaluate import SPLIT_SEED, Split, evaluate, leave_last_out
from embedlab.recommend.models import ModelSpec, spec_for


def ratio(data, spec: ModelSpec, split: Split) -> tuple[float, float]:
    """(HR@10 of ``spec``, that HR as a multiple of most-popular's) on ``split``."""
    hr = evaluate(data, spec, split=split).metrics.hr
    popular = evaluate(data, spec_for("popular"), split=split).metrics.hr
    return hr, hr / popular


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split-seed", type=int, default=SPLIT_SEED)
    args = parser.parse_args()
    data = movielens_100k()
    test = leave_last_out(data, args.split_seed)
    validation = leave_last_out(data, args.split_seed, rows=test.train)
    base = spec_for("als")
    grid = {"recency_half_life": (1.0, 2.0, 3.0, 5.0, 8.0), "recency_boost": (0.0, 5.0, 10.0, 20.0, 40.0),
            "regularization": (0.1, 1.0)}
    results = []
    for values in itertools.product(*grid.values()):
        spec = replace(base, **dict(zip(grid, values, strict=True)))
        hr, times = ratio(data, spec, validation)
        results.append((times, hr, spec))
        print(f"validation  {spec.label():70s} HR@10 {hr:.4f}  {times:.2f}x popular", flush=True)
    results.sort(key=lambda r: -r[0])
    print(f"\nchosen on validation: {results[0][2].label()}   (defaults: {base.label()})")
    for times, _hr, spec in results[:5]:
        test_hr, test_times = ratio(data, spec, test)
        print(f"  validation {times:.2f}x  test {test_times:.2f}x (HR@10 {test_hr:.4f})  {spec.label()}")
    plain = replace(base, recency_boost=0.0)
    print(f"  without recency (boost 0): test {ratio(data, plain, test)[1]:.2f}x  {plain.label()}")


if __name__ == "__main__":
    main()
