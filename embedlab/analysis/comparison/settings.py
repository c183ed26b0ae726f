"""The comparison's defaults and bounds, shared by the engine, the page and the CLI (no imports,
so ``embedlab --help`` stays quick)."""

from __future__ import annotations

# two models, one corpus
DEFAULT_K = 10
MAX_K = 100
DEFAULT_SAMPLE = 1_000  # rows whose pairwise cosines give Spearman's rho
MIN_SAMPLE = 3
MAX_SAMPLE = 5_000
DEFAULT_CLUSTERS = 8  # k-means clusters of each space (0: none)
MAX_CLUSTERS = 200
DEFAULT_SEED = 0
MIN_ROWS = 3
TIE_RULE = "exact cosine, a row never its own neighbour, equal scores to the lower row"

# two corpora or two periods, one model
DEFAULT_MAX_ROWS = 1_000  # rows of each side (a seeded sample) for MMD and the domain classifier
MIN_MAX_ROWS = 10
MAX_ROWS = 5_000
DEFAULT_PERMUTATIONS = 500
MIN_PERMUTATIONS = 10
MAX_PERMUTATIONS = 10_000
DEFAULT_FOLDS = 5
MAX_FOLDS = 10
TYPICAL = 10  # rows listed as most typical of each side
STEADY_POINTS = 0.02  # a cluster whose share moves less than 2 points is "steady"
