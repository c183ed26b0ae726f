"""Maps of a vector space: UMAP, PCA and t-SNE in 2-D or 3-D, for every point.

Results are cached on disk keyed by a hash of the vectors and the parameters, so reopening a
corpus shows its map at once. UMAP's numba functions compile on first use (10-30 s here);
``warm_up_umap()`` pays that in a background thread when the app starts.
"""

from __future__ import annotations

import threading
import time
import warnings
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

import numpy as np

from embedlab import cache
from embedlab.errors import InputError

Method = Literal["umap", "pca", "tsne"]
METHODS: tuple[str, ...] = ("umap", "pca", "tsne")
UMAP_METRICS: tuple[str, ...] = ("cosine", "euclidean", "manhattan", "correlation")
TSNE_MAX_POINTS = 20_000  # Barnes-Hut t-SNE beyond this takes many minutes on 2 cores
def estimated_seconds(method: str, points: int) -> float:
    """Roughly how long a first map of ``points`` takes on a 2-core machine (reading the
    collection included), from the figures measured here: UMAP 5.8 s at 20,000 points and 38 s
    at 63,326 (t ≈ a·n^1.63), t-SNE about twice UMAP, PCA ~2.5 µs a point."""
    reading = 0.05e-3 * points
    if method == "pca":
        return reading + 2.5e-6 * points + 0.5
    umap = 5.7e-7 * points**1.63 + 2.0
    return reading + (2 * umap if method == "tsne" else umap)


MIN_POINTS = 3

# umap-learn warns that a seed turns off its parallelism: expected, we seed on purpose (the
# bench compares against bare UMAP with the same seed). Process-wide, as catch_warnings is not
# thread-safe and the warm-up runs in a thread.
warnings.filterwarnings("ignore", message=r"n_jobs value .* overridden", category=UserWarning)


@dataclass(frozen=True)
class ProjectionParams:
    """Settings of one map. ``seed`` makes UMAP and t-SNE reproducible (shown in the UI).

    ``parallel`` (UMAP only) drops the seed so umap-learn can use every core: faster on big
    corpora, but two runs differ slightly. The first result is cached like any other map."""

    method: str = "umap"
    dims: int = 2
    n_neighbors: int = 15
    min_dist: float = 0.1
    metric: str = "cosine"
    perplexity: float = 30.0
    seed: int = 42
    parallel: bool = False

    def validate(self, n_points: int) -> ProjectionParams:
        """Check the settings against the data; returns the settings actually used."""
        if self.method not in METHODS:
            raise InputError(f"Unknown projection {self.method!r}; use one of {', '.join(METHODS)}.")
        if self.dims not in (2, 3):
            raise InputError(f"A map has 2 or 3 dimensions, not {self.dims}.")
        if n_points < MIN_POINTS:
            raise InputError(f"A map needs at least {MIN_POINTS} points; this collection has {n_points}.")
        if self.method == "umap":
            if not 2 <= self.n_neighbors <= 200:
                raise InputError(f"n_neighbors must be between 2 and 200, got {self.n_neighbors}.")
            if not 0.0 <= self.min_dist <= 1.0:
                raise InputError(f"min_dist must be between 0 and 1, got {self.min_dist}.")
            if self.metric not in UMAP_METRICS:
                raise InputError(f"Unknown UMAP metric {self.metric!r}; use one of {', '.join(UMAP_METRICS)}.")
            return replace(self, n_neighbors=min(self.n_neighbors, n_points - 1))
        if self.method == "tsne":
            if n_points > TSNE_MAX_POINTS:
                raise InputError(
                    f"t-SNE is limited to {TSNE_MAX_POINTS:,} points here (this collection has {n_points:,});"
                    " use UMAP, which maps every point in a fraction of the time."
                )
            if self.metric not in UMAP_METRICS:
                raise InputError(f"Unknown t-SNE metric {self.metric!r}; use one of {', '.join(UMAP_METRICS)}.")
            if self.perplexity <= 0:
                raise InputError(f"perplexity must be positive, got {self.perplexity}.")
            return replace(self, perplexity=min(self.perplexity, (n_points - 1) / 3.0))
        return self

    @property
    def randomness(self) -> str:
        """How to reproduce this map, for titles and captions."""
        if self.method == "pca":
            return "deterministic"
        if self.method == "umap" and self.parallel:
            return "parallel, unseeded"
        return f"seed {self.seed}"

    def relevant(self) -> dict[str, Any]:
        """Only the settings that change this method's result (the cache key)."""
        base = {"method": self.method, "dims": self.dims}
        if self.method == "umap":
            umap = {**base, "n_neighbors": self.n_neighbors, "min_dist": self.min_dist, "metric": self.metric}
            return {**umap, "parallel": True} if self.parallel else {**umap, "seed": self.seed}
        if self.method == "tsne":
            return {**base, "perplexity": self.perplexity, "metric": self.metric, "seed": self.seed}
        return base


@dataclass(frozen=True)
class Projection:
    """Map coordinates (n × dims, float32) and how they were made."""

    coords: np.ndarray
    params: ProjectionParams
    seconds: float
    cached: bool
    key: str
    explained_variance: tuple[float, ...] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"params": asdict(self.params), "seconds": round(self.seconds, 3), "cached": self.cached, "key": self.key,
                "explained_variance": list(self.explained_variance) if self.explained_variance else None}


SPECTRAL_MIN_POINTS = 16  # below this UMAP's spectral start fails (k >= N in its eigensolver): start at random


def umap_model(params: ProjectionParams, n_points: int | None = None) -> Any:
    """The umap-learn estimator for ``params`` (the bench builds its bare baseline the same way);
    a handful of points starts from a seeded random layout, which umap-learn handles, instead of
    the spectral one, which it cannot."""
    import umap

    return umap.UMAP(
        n_components=params.dims,
        n_neighbors=params.n_neighbors,
        min_dist=params.min_dist,
        metric=params.metric,
        random_state=None if params.parallel else params.seed,
        init="random" if n_points is not None and n_points < SPECTRAL_MIN_POINTS else "spectral",
    )


def _compute(vectors: np.ndarray, params: ProjectionParams) -> tuple[np.ndarray, tuple[float, ...] | None]:
    if params.method == "pca":
        from sklearn.decomposition import PCA

        pca = PCA(n_components=params.dims, random_state=params.seed)
        coords = pca.fit_transform(vectors)
        return coords, tuple(float(v) for v in pca.explained_variance_ratio_)
    if params.method == "tsne":
        from sklearn.manifold import TSNE

        tsne = TSNE(n_components=params.dims, perplexity=params.perplexity, metric=params.metric, random_state=params.seed, init="pca")
        return tsne.fit_transform(vectors), None
    wait_for_warm_up()
    return umap_model(params, len(vectors)).fit_transform(vectors), None


def projection_key(vectors: np.ndarray, params: ProjectionParams, digest: str | None = None) -> str:
    """Cache key of a map: the vectors' hash and the settings that matter."""
    return cache.content_key("projection", digest or cache.array_digest(vectors), params.relevant())


def project(
    vectors: np.ndarray,
    params: ProjectionParams | None = None,
    *,
    use_cache: bool = True,
    digest: str | None = None,
) -> Projection:
    """Project ``vectors`` to 2-D or 3-D; read from disk when the same map was made before.

    ``digest`` (the vectors' hash) may be passed when the caller already knows it.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2:
        raise InputError(f"Expected a 2-D array of vectors, got shape {vectors.shape}.")
    params = (params or ProjectionParams()).validate(len(vectors))
    key = projection_key(vectors, params, digest)
    if not use_cache:
        return _projected(key, params=params, vectors=vectors)
    result, hit = _kept_map.call_with_hit(key, params=params, vectors=vectors)
    return replace(result, params=params, key=key, cached=hit)


def _projected(key: str, *, params: ProjectionParams, vectors: np.ndarray) -> Projection:
    """The computation behind ``project``."""
    if not np.isfinite(vectors).all():
        raise InputError("The vectors contain NaN or infinite values; they cannot be mapped.")
    started = time.perf_counter()
    coords, variance = _compute(vectors, params)
    return Projection(np.asarray(coords, dtype=np.float32), params, time.perf_counter() - started, False, key, variance)


def _load_map(arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> Projection:
    variance = meta.get("explained_variance")
    return Projection(arrays["coords"], ProjectionParams(**meta["params"]), float(meta.get("seconds", 0.0)), True, str(meta["key"]),
                      tuple(variance) if variance else None)


_kept_map = cache.on_disk(
    "projection", exclude=("params", "vectors"), load=_load_map,
    dump=lambda p: ({"coords": p.coords}, {"params": asdict(p.params), "seconds": p.seconds, "key": p.key,
                                           "explained_variance": p.explained_variance}),
)(_projected)


# -- numba warm-up -----------------------------------------------------------------------------

WARM_UP_LARGE = 4_200
_WARM_LOCK = threading.Lock()
_WARM_THREAD: threading.Thread | None = None
_WARM_DONE = threading.Event()
_WARM_SECONDS: list[float] = []


def _warm() -> None:
    started = time.perf_counter()
    try:
        rng = np.random.default_rng(0)
        # Below 4,096 points umap-learn finds neighbours exactly; above, with NN-descent, which
        # compiles separately: warm both paths, for the default metric and euclidean.
        small = rng.normal(size=(300, 16)).astype(np.float32)
        large = rng.normal(size=(WARM_UP_LARGE, 16)).astype(np.float32)
        for metric in ("cosine", "euclidean"):
            umap_model(ProjectionParams(n_neighbors=10, metric=metric, seed=0)).fit_transform(small)
        import umap

        umap.UMAP(n_neighbors=15, metric="cosine", random_state=0, n_epochs=10).fit_transform(large)
    except Exception:  # warm-up is an optimisation: a failure shows up on the real call instead
        pass
    finally:
        _WARM_SECONDS.append(time.perf_counter() - started)
        _WARM_DONE.set()


def warm_up_umap() -> threading.Thread:
    """Compile UMAP's numba functions in a background thread, once per process."""
    global _WARM_THREAD
    with _WARM_LOCK:
        if _WARM_THREAD is None:
            _WARM_THREAD = threading.Thread(target=_warm, name="embedlab-umap-warm-up", daemon=True)
            _WARM_THREAD.start()
        return _WARM_THREAD


def wait_for_warm_up(timeout: float | None = None) -> bool:
    """Wait for a running warm-up (two compiles at once would only slow each other down)."""
    if _WARM_THREAD is None:
        return False
    return _WARM_DONE.wait(timeout)


def warm_up_status() -> str:
    """'not started', 'running' or 'done in N s' (shown in the UI)."""
    if _WARM_THREAD is None:
        return "not started"
    if not _WARM_DONE.is_set():
        return "running"
    return f"done in {_WARM_SECONDS[0]:.1f} s"


#: the one rule, said in the help of ``project``, ``cluster`` and ``export``, on the Explore page and in the README
LAST_VIEW_RULE = ("A collection's last view is the map and the clusters last made for it, wherever they were made: the map"
                  " last drawn on the Explore page or by `embedlab project`, the clusters last shown on the Explore page or"
                  " computed by `embedlab cluster` (each replaces only its own part). The Explore page reopens it, and"
                  " `embedlab export` uses it for every setting not given (--no-view: the defaults instead), so an export"
                  " holds what was last seen, with the same columns in the same order as the page's download.")
