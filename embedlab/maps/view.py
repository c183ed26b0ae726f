"""What a map shows, computed in the engine: colours per point, hover text, cluster labels,
the neighbours of a picked point, and the rows a filter keeps. The page draws them; the image
and recommendation maps use the same functions.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from embedlab.errors import InputError
from embedlab.vectors import cosine_scores

MAX_LEGEND_GROUPS = 60  # values a legend can still hold; more get a colour each without a legend
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    "#393b79", "#e6550d", "#31a354", "#843c39", "#7b4173", "#3182bd", "#fd8d3c", "#74c476", "#ad494a", "#a55194",
    "#2e91e5", "#e15f99", "#1ca71c", "#fb0d0d", "#da16ff", "#b68100", "#750d86", "#eb663b", "#511cfb", "#00a08b",
    "#fb00d1", "#fc0080", "#b2828d", "#6c7c32", "#778aae", "#862a16", "#a777f1", "#620042", "#1616a7", "#da60ca",
)
ColourMode = Literal["none", "groups", "many-groups", "scale"]
FilterMode = Literal["value", "range", "regex"]
REGEX_SECONDS = 2.0  # a pattern that backtracks for longer over the texts is refused, not run to the end
MAX_PATTERN_CHARS = 500


@dataclass(frozen=True)
class Colours:
    """Colours of every point: a code per point (its group's rank by size) and the group names
    and counts, or a number per point for a continuous scale."""

    mode: ColourMode
    codes: np.ndarray | None = None
    names: tuple[str, ...] = ()
    counts: tuple[int, ...] = ()
    values: np.ndarray | None = None

    @property
    def groups(self) -> int:
        return len(self.names)

    def legend(self) -> tuple[tuple[str, str, int], ...]:
        """(name, colour, count) per group, up to ``MAX_LEGEND_GROUPS`` (more: no legend)."""
        if self.mode != "groups":
            return ()
        return tuple((name, PALETTE[i % len(PALETTE)], count) for i, (name, count) in enumerate(zip(self.names, self.counts, strict=True)))

    def note(self, column: str) -> str:
        """What a legend cannot say: too many groups, or a continuous scale."""
        if self.mode == "many-groups":
            repeat = " (colours repeat)" if self.groups > len(PALETTE) else ""
            return f"{self.groups:,} values of {column}: too many for a legend{repeat}; hover a point to read its value."
        if self.mode == "scale":
            assert self.values is not None
            return f"{column} is numeric: coloured on a scale from {float(self.values.min()):g} (dark) to {float(self.values.max()):g} (yellow)."
        return ""


def colours_for(values: Sequence[object] | np.ndarray | None, numeric: bool = False) -> Colours:
    """Group ``values`` (biggest group first, code 0); numbers with more values than a legend
    holds go on a continuous scale instead."""
    if values is None:
        return Colours("none")
    series = pd.Series([str(v) for v in values], dtype=object)
    counts = series.value_counts(sort=True)
    if numeric and len(counts) > MAX_LEGEND_GROUPS:
        numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float32)
        if np.isfinite(numbers).all():
            return Colours("scale", values=numbers)
    names = [str(name) for name in counts.index]
    rank = {name: i for i, name in enumerate(names)}
    codes = np.fromiter((rank[v] % 65_535 for v in series), dtype=np.uint16, count=len(series))
    mode: ColourMode = "groups" if len(names) <= MAX_LEGEND_GROUPS else "many-groups"
    return Colours(mode, codes, tuple(names), tuple(int(c) for c in counts.to_numpy()))


def shorten(text: str, limit: int) -> str:
    """One line of at most ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def hover_lines(texts: Sequence[str], columns: dict[str, Sequence[object]], limit: int = 160) -> list[str]:
    """Plain hover text per point (shown as text in the browser, never as HTML): the text
    shortened, then ``name: value`` for each column."""
    names = {name: shorten(name, 24) for name in columns}
    values = {name: [shorten(str(v), 48) for v in column] for name, column in columns.items()}
    return ["\n".join([shorten(text, limit), *(f"{names[c]}: {values[c][i]}" for c in columns)]) for i, text in enumerate(texts)]


def cluster_labels(coords: np.ndarray, labels: np.ndarray, terms: dict[int, list[str]], words: int = 2) -> list[dict[str, object]]:
    """Where to write each cluster's name on the map: its members' median position, and its
    top terms (noise, label -1, gets none)."""
    out: list[dict[str, object]] = []
    for cluster, top in terms.items():
        members = labels == cluster
        if cluster < 0 or not members.any():
            continue
        centre = np.median(coords[members], axis=0)
        point: dict[str, object] = {"x": float(centre[0]), "y": float(centre[1]), "text": f"{cluster}: " + ", ".join(top[:words])}
        if coords.shape[1] == 3:
            point["z"] = float(centre[2])
        out.append(point)
    return out


@dataclass(frozen=True)
class Neighbour:
    """One neighbour of a picked point in the original space."""

    index: int
    cosine: float
    euclidean: float
    on_map: bool  # also among the point's nearest on the map


@dataclass(frozen=True)
class Neighbours:
    """A picked point's nearest neighbours in the original space (as TensorBoard's projector
    lists them: cosine and Euclidean distance), and how many of them the map keeps near."""

    index: int
    k: int
    items: tuple[Neighbour, ...]

    @property
    def kept_on_map(self) -> int:
        return sum(1 for item in self.items if item.on_map)


def neighbours_of(vectors: np.ndarray, coords: np.ndarray, index: int, k: int = 10) -> Neighbours:
    """The ``k`` nearest rows to row ``index`` by cosine in ``vectors`` (exact, numpy), with
    their Euclidean distances, and whether each is among the ``k`` nearest on the map."""
    n = len(vectors)
    if len(coords) != n:
        raise InputError(f"{n} vectors but {len(coords)} map points.")
    if not 0 <= index < n:
        raise InputError(f"Point {index} does not exist (there are {n} points).")
    if n < 2:
        raise InputError("Neighbours need at least two points.")
    k = max(1, min(k, n - 1))
    raw = np.asarray(vectors, dtype=np.float32)
    scores = cosine_scores(raw, raw[index])
    scores[index] = -np.inf
    nearest = np.argpartition(-scores, k - 1)[:k]
    nearest = nearest[np.argsort(-scores[nearest], kind="stable")]
    euclidean = np.linalg.norm(raw[nearest] - raw[index], axis=1)
    distances = np.linalg.norm(np.asarray(coords, dtype=np.float64) - coords[index], axis=1)
    distances[index] = np.inf
    on_map = set(np.argpartition(distances, k - 1)[:k].tolist())
    items = tuple(Neighbour(int(i), float(scores[i]), float(d), int(i) in on_map) for i, d in zip(nearest, euclidean, strict=True))
    return Neighbours(index, k, items)


@dataclass(frozen=True)
class Match:
    """The rows a filter keeps, and a line that says what was matched."""

    rows: np.ndarray
    description: str

    @property
    def count(self) -> int:
        return int(len(self.rows))


def bound(text: object) -> float | None:
    """A range bound as typed: empty means none; otherwise a number, or an error that says so."""
    cleaned = str(text or "").strip()
    if not cleaned:
        return None
    try:
        return float(cleaned)
    except ValueError:
        raise InputError(f"{cleaned!r} is not a number; a range bound is a number such as 3 or 2.5.") from None


@dataclass(frozen=True)
class RowFilter:
    """A filter as a user types it (the page's boxes, the link): a column, how to match, and the
    typed texts of each way. ``apply`` reads the one that ``mode`` names."""

    column: str = "text"
    mode: FilterMode = "value"
    value: str = ""
    low: str = ""
    high: str = ""
    pattern: str = ""

    def apply(self, texts: Sequence[str], metadata: pd.DataFrame) -> Match | None:
        """The rows kept, or None when nothing is typed for the chosen way (no filter)."""
        if self.mode == "range":
            low, high = bound(self.low), bound(self.high)
            if low is None and high is None:
                return None
            return match_rows(texts, metadata, "range", column=self.column, low=low, high=high)
        typed = self.value if self.mode == "value" else self.pattern
        if not str(typed or "").strip():
            return None
        return match_rows(texts, metadata, self.mode, column=self.column, value=str(typed).strip(), pattern=str(typed))


def match_rows(texts: Sequence[str], metadata: pd.DataFrame, mode: FilterMode, *, column: str = "text", value: str = "",
               low: float | None = None, high: float | None = None, pattern: str = "") -> Match:
    """Rows whose ``column`` equals ``value``, lies in [``low``, ``high``] (numbers), or matches
    the regular expression ``pattern`` (``column`` "text": the texts). A pattern that backtracks
    for more than ``REGEX_SECONDS`` over all rows is refused with a message, not run to the end."""
    if column == "text":
        cells: Sequence[object] = texts
    elif column in metadata.columns:
        cells = metadata[column].tolist()
    else:
        raise InputError(f"No column {column!r}; the columns are: text, {', '.join(map(str, metadata.columns))}.")
    if mode == "value":
        rows = np.flatnonzero(np.asarray([str(cell) == value for cell in cells], dtype=bool))
        return Match(rows, f"{column} = {value!r}")
    if mode == "range":
        numbers = pd.to_numeric(pd.Series(cells), errors="coerce").to_numpy(dtype=float)
        if not np.isfinite(numbers).any():
            raise InputError(f"Column {column!r} holds no numbers; filter it by value or by a pattern.")
        lo = -np.inf if low is None else low
        hi = np.inf if high is None else high
        if lo > hi:
            raise InputError(f"The range is empty: {lo:g} is above {hi:g}.")
        rows = np.flatnonzero((numbers >= lo) & (numbers <= hi))
        return Match(rows, f"{lo:g} ≤ {column} ≤ {hi:g}")
    if mode == "regex":
        return Match(_regex_rows(cells, pattern), f"{column} matches /{pattern}/")
    raise InputError(f"Unknown filter {mode!r}; use value, range or regex.")


def _regex_rows(cells: Sequence[object], pattern: str) -> np.ndarray:
    import regex

    if not pattern:
        raise InputError("Type a pattern to match.")
    if len(pattern) > MAX_PATTERN_CHARS:
        raise InputError(f"The pattern is {len(pattern):,} characters; the limit is {MAX_PATTERN_CHARS}.")
    try:
        compiled = regex.compile(pattern, regex.IGNORECASE | regex.V0)
    except regex.error as error:
        raise InputError(f"{pattern!r} is not a valid regular expression: {error}.") from None
    deadline = time.monotonic() + REGEX_SECONDS
    found = []
    for row, cell in enumerate(cells):
        left = deadline - time.monotonic()
        try:
            if left <= 0:
                raise TimeoutError
            if compiled.search(str(cell), timeout=left) is not None:
                found.append(row)
        except TimeoutError:
            raise InputError(
                f"The pattern {pattern!r} took more than {REGEX_SECONDS:g} s over the rows (nested repeats such as (a+)+"
                " backtrack exponentially); simplify it."
            ) from None
    return np.asarray(found, dtype=np.int64)
