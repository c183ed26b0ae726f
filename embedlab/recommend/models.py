"""Recommenders as estimators (scikit-learn style: settings in ``__init__``, checked in ``fit``,
seeded). Each gives users and items vectors in one space and scores by their dot product:

- ``ALS`` and ``BPR``: matrix factorisation with ``implicit`` (GPU when CUDA is present); ALS
  counts a user's latest interactions more (``recency_boost``, ``recency_half_life``: tastes
  drift and users rate in sessions, so what someone watched last says most about what is next);
- ``SVD``: truncated SVD of the interaction matrix (scikit-learn), a plain baseline;
- ``Content``: items embedded by a text model from title, year, genres (and uploaded text);
  a user is the rating-weighted mean of the items they liked (cosine space);
- ``Hybrid``: a settable blend of a factor model's score and the content score, written as one
  dot product over concatenated vectors, so it is one query in the store too;
- ``Popular`` and ``Random``: the baselines of the evaluation.
"""

from __future__ import annotations

import importlib.util
import time
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from embedlab.backends.base import Progress
from embedlab.cache import memoize
from embedlab.device import implicit_device
from embedlab.errors import InputError
from embedlab.recommend.data import Interactions
from embedlab.vectors import l2_normalise

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

Method = Literal["als", "bpr", "svd", "content", "hybrid", "popular", "random"]
FACTOR_METHODS: tuple[Method, ...] = ("als", "bpr", "svd")
METHODS: tuple[Method, ...] = ("content", "als", "bpr", "svd", "hybrid", "popular", "random")
Space = Literal["ip", "cosine"]
Weighting = Literal["bm25", "binary"]


@dataclass(frozen=True)
class ModelSpec:
    """Every setting of one recommender; the defaults are the ones evaluated in the README."""

    method: Method = "als"
    factors: int = 64
    regularization: float = 1.0
    iterations: int = 15
    alpha: float = 0.3  # ALS confidence: 1 + alpha x weight per interaction
    weighting: Weighting = "bm25"  # ALS: the weight of an interaction (BM25 damps heavy users and items)
    recency_boost: float = 20.0  # ALS: a user's latest interaction weighs 1 + this (0: time plays no part)
    recency_half_life: float = 5.0  # ALS: ... and the boost halves with every this many of their later interactions
    learning_rate: float = 0.01  # BPR
    seed: int = 42
    text_model: str = "minilm"
    weight: float = 0.9  # hybrid: share of the factor model's score
    mf: Method = "als"  # hybrid: which factor model

    def check(self) -> ModelSpec:
        """Refuse settings the libraries would fail on or silently misuse."""
        if self.method not in METHODS:
            raise InputError(f"Unknown method {self.method!r}: choose one of {', '.join(METHODS)}.")
        if self.mf not in FACTOR_METHODS:
            raise InputError(f"The hybrid's factor model must be one of {', '.join(FACTOR_METHODS)}, got {self.mf!r}.")
        if not 1 <= self.factors <= 1024:
            raise InputError(f"factors must be between 1 and 1024, got {self.factors}.")
        if not 1 <= self.iterations <= 1000:
            raise InputError(f"iterations must be between 1 and 1000, got {self.iterations}.")
        if not (self.regularization >= 0 and np.isfinite(self.regularization)):
            raise InputError(f"regularization must be a finite number ≥ 0, got {self.regularization}.")
        if self.weighting not in ("bm25", "binary"):
            raise InputError(f"weighting must be bm25 or binary, got {self.weighting!r}.")
        if not (self.recency_boost >= 0 and np.isfinite(self.recency_boost)):
            raise InputError(f"recency_boost must be a finite number ≥ 0, got {self.recency_boost}.")
        if not (self.recency_half_life > 0 and np.isfinite(self.recency_half_life)):
            raise InputError(f"recency_half_life must be a finite number > 0, got {self.recency_half_life}.")
        if not (self.alpha > 0 and self.learning_rate > 0):
            raise InputError("alpha and learning_rate must be positive.")
        if not 0.0 <= self.weight <= 1.0:
            raise InputError(f"The hybrid weight must be between 0 and 1, got {self.weight}.")
        return self

    @property
    def space(self) -> Space:
        return "cosine" if self.method == "content" else "ip"

    def relevant(self) -> dict[str, object]:
        """The settings this method reads (others do not change its vectors)."""
        keep = {"method", "seed"}
        if self.method in ("als", "bpr", "svd", "hybrid"):
            keep |= {"factors"}
        if self.method in ("als", "bpr") or (self.method == "hybrid" and self.mf in ("als", "bpr")):
            keep |= {"regularization", "iterations"}
        if self.method == "als" or (self.method == "hybrid" and self.mf == "als"):
            keep |= {"alpha", "weighting", "recency_boost", "recency_half_life"}
        if self.method == "bpr" or (self.method == "hybrid" and self.mf == "bpr"):
            keep |= {"learning_rate"}
        if self.method in ("content", "hybrid"):
            keep |= {"text_model"}
        if self.method == "hybrid":
            keep |= {"weight", "mf"}
        return {k: v for k, v in asdict(self).items() if k in keep}

    def label(self) -> str:
        """A readable name: ``als f=64 reg=0.05 it=20 α=2 seed=42``."""
        short = {"factors": "f", "regularization": "reg", "iterations": "it", "alpha": "α", "learning_rate": "lr",
                 "seed": "seed", "text_model": "text", "weight": "w", "mf": "mf", "weighting": "weights",
                 "recency_boost": "recent+", "recency_half_life": "half-life"}
        parts = [f"{short[k]}={v:g}" if isinstance(v, float) else f"{short[k]}={v}" for k, v in self.relevant().items() if k != "method"]
        return " ".join([self.method, *parts])


#: per-method defaults, chosen on a validation split (each user's second-to-last interaction
#: of MovieLens 100k), never on the test split the README reports
METHOD_DEFAULTS: dict[str, dict[str, float | int]] = {
    "bpr": {"factors": 64, "learning_rate": 0.01, "regularization": 0.01, "iterations": 100},
}


def spec_for(method: str, **settings: object) -> ModelSpec:
    """The spec of ``method`` with its defaults, then ``settings`` (None means the default)."""
    values: dict[str, object] = {**METHOD_DEFAULTS.get(method, {}), "method": method}
    values.update({k: v for k, v in settings.items() if v is not None})
    return ModelSpec(**values).check()  # type: ignore[arg-type]


@dataclass
class FittedModel:
    """A fitted recommender: vectors of users and items (``None`` for random), the space they
    are compared in, and how long the fit took."""

    spec: ModelSpec
    user_vectors: np.ndarray
    item_vectors: np.ndarray
    fit_seconds: float
    device: str = "cpu"
    #: ALS fold-in regulariser and confidence, for a profile of chosen items (cold start)
    fold_in_alpha: float = 1.0
    fold_in_reg: float = 0.05
    #: hybrid only: (columns of the factor part, factor score scale, content score scale)
    blend: tuple[int, float, float] | None = None

    @property
    def space(self) -> Space:
        return self.spec.space

    @property
    def dim(self) -> int:
        return int(self.item_vectors.shape[1])

    def scores(self, users: np.ndarray | None = None) -> np.ndarray:
        """Scores of every item for ``users`` (all users when None): rows of dot products."""
        if self.spec.method == "random":
            rows = np.arange(len(self.user_vectors)) if users is None else np.asarray(users)
            rng = np.random.default_rng(self.spec.seed)
            table = rng.random((len(self.user_vectors), self.item_vectors.shape[0]), dtype=np.float32)
            return table[rows]
        vectors = self.user_vectors if users is None else self.user_vectors[np.asarray(users)]
        return vectors @ self.item_vectors.T

    def profile(self, items: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """A user vector for someone who liked ``items`` (the cold start): for content, the
        weighted mean of their vectors; for factors, the ALS fold-in (one least-squares step
        with the items fixed), which works for any factor space."""
        items = np.asarray(items, dtype=np.int64)
        if not len(items):
            raise InputError("Choose at least one item to build a profile from.")
        w = np.ones(len(items), np.float32) if weights is None else np.asarray(weights, np.float32)
        if self.spec.method == "content":
            return l2_normalise((w[:, None] * self.item_vectors[items]).sum(0, keepdims=True))[0]
        if self.spec.method == "hybrid":
            return self._hybrid_profile(items, w)
        return fold_in(self.item_vectors, items, w, self.fold_in_alpha, self.fold_in_reg)

    def _hybrid_profile(self, items: np.ndarray, w: np.ndarray) -> np.ndarray:
        assert self.blend is not None
        cut, mf_scale, content_scale = self.blend
        mf_part = fold_in(self.item_vectors[:, :cut] * mf_scale, items, w, self.fold_in_alpha, self.fold_in_reg)
        content_items = self.item_vectors[:, cut:] * content_scale
        content_part = l2_normalise((w[:, None] * content_items[items]).sum(0, keepdims=True))[0]
        return np.concatenate([self.spec.weight * mf_part, (1 - self.spec.weight) * content_part]).astype(np.float32)


def fold_in(items_matrix: np.ndarray, items: np.ndarray, weights: np.ndarray, alpha: float, reg: float) -> np.ndarray:
    """The implicit-ALS user vector for a set of items: argmin_u Σ_i c_i (p_i − u·v_i)² + λ|u|²
    with p=1, c=1+αw on the chosen items and p=0, c=1 elsewhere."""
    v = items_matrix.astype(np.float64)
    chosen = v[items]
    confidence = 1.0 + alpha * weights.astype(np.float64)
    gram = v.T @ v + chosen.T @ ((confidence - 1.0)[:, None] * chosen) + reg * np.eye(v.shape[1])
    return np.linalg.solve(gram, chosen.T @ confidence).astype(np.float32)


# -- fitting -------------------------------------------------------------------------------------


def _implicit_device() -> tuple[bool, str]:
    """Whether implicit can use the GPU here (a CUDA build and a CUDA device)."""
    if importlib.util.find_spec("implicit") is None:
        raise InputError("implicit is not installed: pip install implicit==0.7.3")
    device = implicit_device()
    return device == "cuda", device


def _to_numpy(factors: object) -> np.ndarray:
    to_numpy = getattr(factors, "to_numpy", None)
    return np.asarray(to_numpy() if callable(to_numpy) else factors, dtype=np.float32)


def fit_als(train: csr_matrix, spec: ModelSpec) -> tuple[np.ndarray, np.ndarray, str]:
    """implicit's ALS on a users x items matrix: (user vectors, item vectors, device)."""
    from implicit.als import AlternatingLeastSquares
    from implicit.nearest_neighbours import bm25_weight

    if spec.weighting == "bm25":
        train = bm25_weight(train, K1=100, B=0.8).tocsr().astype(np.float32)

    from threadpoolctl import threadpool_limits

    use_gpu, device = _implicit_device()
    with threadpool_limits(1, "blas"):  # implicit's own advice: its threads, not OpenBLAS's
        model = AlternatingLeastSquares(factors=spec.factors, regularization=spec.regularization, alpha=spec.alpha,
                                        iterations=spec.iterations, random_state=spec.seed, use_gpu=use_gpu)
        model.fit(train, show_progress=False)
    return _to_numpy(model.user_factors), _to_numpy(model.item_factors), device


def fit_bpr(train: csr_matrix, spec: ModelSpec) -> tuple[np.ndarray, np.ndarray, str]:
    """implicit's BPR (its item vectors end with an item bias, its user vectors with a 1)."""
    from implicit.bpr import BayesianPersonalizedRanking

    use_gpu, device = _implicit_device()
    model = BayesianPersonalizedRanking(factors=spec.factors, learning_rate=spec.learning_rate, regularization=spec.regularization,
                                        iterations=spec.iterations, random_state=spec.seed, use_gpu=use_gpu)
    model.fit(train, show_progress=False)
    return _to_numpy(model.user_factors), _to_numpy(model.item_factors), device


def fit_svd(train: csr_matrix, spec: ModelSpec) -> tuple[np.ndarray, np.ndarray, str]:
    """Truncated SVD of the 0/1 matrix: users U·S, items V (their dot product is the rank-f
    reconstruction)."""
    from sklearn.decomposition import TruncatedSVD

    shape = train.shape
    components = min(spec.factors, min(shape) - 1)
    if components < 1:
        raise InputError("Truncated SVD needs at least 2 users and 2 items.")
    svd = TruncatedSVD(n_components=components, random_state=spec.seed, algorithm="randomized", n_iter=7)
    users = svd.fit_transform(train).astype(np.float32)
    return users, svd.components_.T.astype(np.float32).copy(), "cpu"


def content_announcement(data: Interactions, text_model: str = "minilm") -> str:
    """What making the content vectors will take here ("Encoding 1,682 texts with minilm, about 40 s
    on this machine"), said before it starts; empty once they are kept."""
    from embedlab.backends import encoding_announcement

    return encoding_announcement(text_model, data.items["text"].tolist())


def content_item_vectors(data: Interactions, text_model: str, progress: Progress | None = None) -> tuple[np.ndarray, float]:
    """The text model's vectors of every item text (``backends.encode_texts``: encoded once, kept
    on disk); returns (vectors, seconds spent encoding: 0 when read back)."""
    from embedlab.backends import encode_texts

    encoded = encode_texts(text_model, data.items["text"].tolist(), progress=progress)
    return encoded.vectors, 0.0 if encoded.cached else encoded.seconds


def content_user_vectors(data: Interactions, rows: np.ndarray, items: np.ndarray) -> np.ndarray:
    """A user is the rating-weighted mean of the items they liked (rated at least their own mean;
    everything when there are no ratings), L2-normalised."""
    from scipy.sparse import csr_matrix

    user, item, rating = data.user[rows], data.item[rows], data.rating[rows].astype(np.float64)
    if data.has_ratings:
        sums = np.bincount(user, weights=rating, minlength=data.n_users)
        counts = np.maximum(np.bincount(user, minlength=data.n_users), 1)
        liked = rating >= (sums / counts)[user]
        weights = np.where(liked, rating, 0.0)
    else:
        weights = np.ones(len(rows))
    matrix = csr_matrix((weights, (user, item)), shape=(data.n_users, data.n_items))
    return l2_normalise(np.asarray(matrix @ items.astype(np.float64)))


def _score_scale(users: np.ndarray, items: np.ndarray, seed: int) -> float:
    """The spread (std) of a model's scores over a seeded sample of user-item pairs."""
    rng = np.random.default_rng(seed)
    u = rng.integers(0, len(users), 20_000)
    i = rng.integers(0, len(items), 20_000)
    spread = float(np.std(np.einsum("ij,ij->i", users[u], items[i])))
    return spread if spread > 0 else 1.0


def fit(data: Interactions, spec: ModelSpec, rows: np.ndarray | None = None) -> FittedModel:
    """Fit ``spec`` on ``data`` (only the interactions ``rows`` when given: the training split)."""
    spec.check()
    rows = np.arange(len(data)) if rows is None else np.asarray(rows)
    started = time.perf_counter()
    device = "cpu"
    blend = None
    if spec.method in FACTOR_METHODS:
        boost = spec.recency_boost if spec.method == "als" else 0.0
        train = _interaction_matrix(data, rows, recency_weights(data, rows, boost, spec.recency_half_life) if boost else None)
        users, items, device = {"als": fit_als, "bpr": fit_bpr, "svd": fit_svd}[spec.method](train, spec)
    elif spec.method == "content":
        items, _ = content_item_vectors(data, spec.text_model)
        users = content_user_vectors(data, rows, items)
    elif spec.method == "hybrid":
        mf = fit(data, replace(spec, method=spec.mf), rows)
        content = fit(data, replace(spec, method="content"), rows)
        mf_scale = _score_scale(mf.user_vectors, mf.item_vectors, spec.seed)
        content_scale = _score_scale(content.user_vectors, content.item_vectors, spec.seed)
        items = np.hstack([mf.item_vectors / mf_scale, content.item_vectors / content_scale]).astype(np.float32)
        users = np.hstack([spec.weight * mf.user_vectors, (1 - spec.weight) * content.user_vectors]).astype(np.float32)
        device = mf.device
        blend = (mf.dim, mf_scale, content_scale)
    elif spec.method == "popular":
        counts = np.bincount(data.item[rows], minlength=data.n_items).astype(np.float32)
        items, users = counts[:, None], np.ones((data.n_users, 1), np.float32)
    else:  # random: scores are drawn from the seed (FittedModel.scores)
        items, users = np.zeros((data.n_items, 1), np.float32), np.zeros((data.n_users, 1), np.float32)
    seconds = time.perf_counter() - started
    return FittedModel(spec, np.ascontiguousarray(users, np.float32), np.ascontiguousarray(items, np.float32), seconds, device,
                       fold_in_alpha=spec.alpha, fold_in_reg=max(spec.regularization, 1e-3), blend=blend)


def recency_weights(data: Interactions, rows: np.ndarray, boost: float, half_life: float) -> np.ndarray:
    """Per interaction in ``rows``: 1 + boost x 2^(-later / half_life), where ``later`` counts the
    same user's interactions (in ``rows``) with a strictly later timestamp, so a user's latest
    interactions weigh 1 + boost, ties weigh the same, and old ones tend to 1."""
    rows = np.asarray(rows)
    stamps = pd.Series(data.timestamp[rows])
    by_user = stamps.groupby(data.user[rows])
    # rank "max" counts the user's rows at or before this time; the rest are strictly later
    later = (by_user.transform("size") - by_user.rank(method="max")).to_numpy(np.float64)
    return 1.0 + boost * np.exp2(-later / half_life)


def _interaction_matrix(data: Interactions, rows: np.ndarray, weights: np.ndarray | None = None) -> object:
    """The users x items matrix of ``rows``: 1 per (user, item) seen, or the largest of its
    ``weights`` when given (a pair seen twice counts once)."""
    from scipy.sparse import csr_matrix

    rows = np.asarray(rows)
    pair = data.user[rows].astype(np.int64) * data.n_items + data.item[rows]
    unique, inverse = np.unique(pair, return_inverse=True)
    if weights is None:
        values = np.ones(len(unique))
    else:
        values = np.zeros(len(unique))
        np.maximum.at(values, inverse, weights)
    return csr_matrix((values.astype(np.float32), (unique // data.n_items, unique % data.n_items)), shape=(data.n_users, data.n_items))


@memoize(max_entries=24, exclude=("data",))
def fitted(data: Interactions, digest: str, spec: ModelSpec) -> FittedModel:
    """``fit`` on the whole of ``data``, once per process per (content digest, settings)."""
    return fit(data, spec)


def fitted_model(data: Interactions, spec: ModelSpec) -> FittedModel:
    """The model of ``spec`` fitted on all of ``data`` (cached in memory)."""
    return fitted(data, data.digest, spec.check())
