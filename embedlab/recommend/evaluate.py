"""Offline evaluation: leave-last-out by timestamp, full ranking over every unseen item.

- Split: for each user with at least two distinct items, the interaction with the latest
  timestamp is held out. Ties in that timestamp are common (415 of MovieLens' 943 users rated
  several movies in their last second: one page of ratings), and nothing in the data orders
  them, so one of the tied rows is drawn at random with a fixed split seed (``SPLIT_SEED``,
  shown with the results). Any fixed rule favours some method: "highest item id" holds out the
  newest, least popular movie and halves most-popular's HR@10 (0.050 against 0.078–0.084 for a
  random draw); "last row in the file" follows how the data was written, not what users did.
  Every interaction of that user with that item leaves training.
- Ranking: each held-out user's scores over *all* items, minus the items they saw in training
  (no sampled negatives: ranking the held-out item among 100 random others inflates every
  metric and can even reorder methods, Krichene & Rendle, KDD 2020). Equal scores are ordered
  by item index, so the ranking is deterministic.
- Metrics at k (10): HR@k (the held-out item is in the top k), NDCG@k (1/log2(1 + rank) when it
  is, with one relevant item the ideal DCG is 1) and catalogue coverage (distinct items in
  anyone's top k / all items). Results are cached on disk by (data, settings, k).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embedlab.cache import on_disk
from embedlab.errors import InputError
from embedlab.recommend.data import Interactions
from embedlab.recommend.models import ModelSpec, fit, spec_for

EVAL_VERSION = "2"  # 2: ties in the last timestamp drawn with SPLIT_SEED (1: highest item id)
SPLIT_SEED = 0


@dataclass(frozen=True)
class Split:
    """Training interactions (row indices into the data) and one held-out item per test user."""

    train: np.ndarray
    users: np.ndarray
    held_out: np.ndarray


@dataclass(frozen=True)
class RankingMetrics:
    """HR@k, NDCG@k and coverage of one method, with what they were measured on."""

    method: str
    label: str
    k: int
    hr: float
    ndcg: float
    coverage: float
    users: int
    items: int
    fit_seconds: float

    def as_dict(self) -> dict[str, float]:
        """The CLI's shape: ``{"hr@10", "ndcg@10", "coverage"}``."""
        return {f"hr@{self.k}": self.hr, f"ndcg@{self.k}": self.ndcg, "coverage": self.coverage}


def leave_last_out(data: Interactions, seed: int = SPLIT_SEED, rows: np.ndarray | None = None) -> Split:
    """The leave-last-out split of ``data`` (of only the interactions ``rows`` when given: a
    validation split inside a training split); ties in a user's last timestamp are drawn with
    ``seed`` (see the module)."""
    rows = np.arange(len(data)) if rows is None else np.asarray(rows)
    draw = np.random.default_rng(seed).random(len(data))[rows]
    user, item = data.user[rows], data.item[rows]
    order = np.lexsort((draw, data.timestamp[rows], user))  # by user, then time, then the seeded draw
    user_sorted = user[order]
    last = np.flatnonzero(np.r_[user_sorted[1:] != user_sorted[:-1], True])
    users, held = user[order[last]], item[order[last]]
    # users whose only item is the held-out one have nothing to learn from
    pairs = np.unique(np.stack([user, item], 1), axis=0)
    distinct = np.bincount(pairs[:, 0], minlength=data.n_users)
    keep = distinct[users] >= 2
    users, held = users[keep], held[keep]
    held_of_user = np.full(data.n_users, -1, np.int64)
    held_of_user[users] = held
    train = rows[held_of_user[user] != item]
    return Split(train=train, users=users.astype(np.int64), held_out=held.astype(np.int64))


def top_k(scores: np.ndarray, seen: Sequence[np.ndarray], k: int) -> np.ndarray:
    """Top-k item indices per row of ``scores`` after removing each row's seen items; equal
    scores in item order."""
    scores = np.array(scores, dtype=np.float64, copy=True)
    for row, items in enumerate(seen):
        scores[row, items] = -np.inf
    # a stable sort of -score keeps equal scores in item order
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


def rank_of(scores: np.ndarray, seen: Sequence[np.ndarray], targets: np.ndarray) -> np.ndarray:
    """1-based rank of each row's target among its unseen items (ties: lower item index first)."""
    ranks = np.empty(len(targets), np.int64)
    for row, (items, target) in enumerate(zip(seen, targets, strict=True)):
        values = scores[row].astype(np.float64)
        mask = np.ones(values.shape[0], bool)
        mask[items] = False
        score = values[target]
        ahead = (values > score) & mask
        tied_before = (values == score) & mask & (np.arange(values.shape[0]) < target)
        ranks[row] = int(ahead.sum() + tied_before.sum()) + 1
    return ranks


def hit_rate(ranks: np.ndarray, k: int) -> float:
    """Share of users whose held-out item ranks within the top k."""
    return float(np.mean(ranks <= k)) if len(ranks) else 0.0


def ndcg(ranks: np.ndarray, k: int) -> float:
    """Mean NDCG@k with one relevant item per user: 1/log2(1 + rank) within k, else 0."""
    if not len(ranks):
        return 0.0
    gains = np.where(ranks <= k, 1.0 / np.log2(ranks + 1.0), 0.0)
    return float(gains.mean())


def coverage(tops: np.ndarray, n_items: int) -> float:
    """Distinct items recommended to anyone in the top-k lists, over all items."""
    return float(len(np.unique(tops)) / n_items) if n_items else 0.0


def seen_items(data: Interactions, rows: np.ndarray, users: np.ndarray) -> list[np.ndarray]:
    """Per user (in ``users`` order), the items they interacted with in ``rows``."""
    user, item = data.user[rows], data.item[rows]
    order = np.argsort(user, kind="stable")
    bounds = np.searchsorted(user[order], np.arange(data.n_users + 1))
    by_user = [item[order[bounds[u]:bounds[u + 1]]] for u in range(data.n_users)]
    return [np.unique(by_user[u]) for u in users]


@dataclass(frozen=True)
class Run:
    """A method's evaluation: metrics, the top-k per test user, and the ranks of held-out items."""

    metrics: RankingMetrics
    tops: np.ndarray
    ranks: np.ndarray


def evaluate(data: Interactions, spec: ModelSpec, k: int = 10, split: Split | None = None) -> Run:
    """Fit on the training split, rank every unseen item for each test user, measure."""
    split = split or leave_last_out(data)
    if not len(split.users):
        raise InputError("Leave-last-out needs users with at least two different items; every user of this data has one,"
                         " so there is nothing to hold out and no hit rate to measure.")
    model = fit(data, spec, split.train)
    scores = model.scores(split.users)
    seen = seen_items(data, split.train, split.users)
    tops = top_k(scores, seen, k)
    ranks = rank_of(scores, seen, split.held_out)
    metrics = RankingMetrics(spec.method if spec.method != "hybrid" else "hybrid", spec.label(), k, hit_rate(ranks, k),
                             ndcg(ranks, k), coverage(tops, data.n_items), len(split.users), data.n_items, model.fit_seconds)
    return Run(metrics, tops, ranks)


def cached_evaluate(data: Interactions, spec: ModelSpec, k: int = 10) -> tuple[Run, bool]:
    """``evaluate`` kept on disk by (data content, settings, k); (run, True when read back)."""
    from embedlab.backends import model_key

    text_model = model_key(spec.text_model) if spec.method in ("content", "hybrid") else None  # name@revision
    return _kept_run.call_with_hit(EVAL_VERSION, data.digest, spec.relevant(), text_model, k, data=data, spec=spec)


@on_disk("recommend-eval", exclude=("data", "spec"), dump=lambda run: ({"tops": run.tops, "ranks": run.ranks}, run.metrics.__dict__),
         load=lambda arrays, meta: Run(RankingMetrics(**meta), arrays["tops"], arrays["ranks"]))
def _kept_run(version: str, digest: str, relevant: dict[str, object], text_model: str | None, k: int, *,
              data: Interactions, spec: ModelSpec) -> Run:
    return evaluate(data, spec, k)


def evaluate_all(
    data: Interactions, specs: Sequence[ModelSpec], k: int = 10, progress: Callable[[int, int, str], None] | None = None,
    *, names: Sequence[str] | None = None,
) -> dict[str, Run]:
    """Every model in ``specs`` (each cached on disk), keyed by ``names`` (default: the method
    names); ``progress(done, total, name)`` before each and at the end. The page's table and
    ``embedlab eval-recommend`` both come from here."""
    keys = list(names) if names is not None else [spec.method for spec in specs]
    if len(keys) != len(specs):
        raise ValueError("one name per spec")
    out: dict[str, Run] = {}
    for done, (key, spec) in enumerate(zip(keys, specs, strict=True)):
        if progress is not None:
            progress(done, len(specs), key)
        out[key] = cached_evaluate(data, spec, k)[0]
    if progress is not None:
        progress(len(specs), len(specs), "done")
    return out


def write_trec_files(data: Interactions, split: Split, tops: np.ndarray, folder: Path, tag: str = "embedlab") -> tuple[Path, Path]:
    """The run (top-k per user, score k − rank + 1 so no two tie) and the qrels (the held-out
    item) in TREC format, as independent tools (ir-measures, trec_eval) read them."""
    folder.mkdir(parents=True, exist_ok=True)
    qrels, run = folder / "qrels.txt", folder / "run.txt"
    k = tops.shape[1]
    qrels.write_text("".join(f"u{data.user_ids[u]} 0 i{data.item_ids[i]} 1\n" for u, i in zip(split.users, split.held_out, strict=True)))
    lines = []
    for u, row in zip(split.users, tops, strict=True):
        lines += [f"u{data.user_ids[u]} Q0 i{data.item_ids[i]} {rank} {k - rank + 1} {tag}\n" for rank, i in enumerate(row, 1)]
    run.write_text("".join(lines))
    return qrels, run


DEFAULT_SPECS: tuple[ModelSpec, ...] = tuple(spec_for(m) for m in ("content", "als", "bpr", "svd", "hybrid", "popular", "random"))
