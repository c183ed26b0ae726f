"""Uploads in: parse and validate CSV, TSV, JSONL and plain text from bytes.

Files are parsed on the server from bytes, never from a path or URL a user typed; every
rejection names what is wrong and where (see SECURITY.md). The same caps as
``server.maxUploadSize`` in ``.streamlit/config.toml`` apply here, so the CLI and the app refuse
the same files.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from embedlab.cache import memoize
from embedlab.config import UPLOAD_LIMITS, UploadLimits
from embedlab.errors import BadUploadError
from embedlab.userjson import check_text_bytes, load_json_text, refuse_lone_surrogates

FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".txt": "text"}
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
        wordy = [c for c in candidates if self.frame[c].astype(str).head(1000).str.contains(r"[^\W\d_]", regex=True).any()]
        if not wordy:
            raise BadUploadError(
                f"{self.name!r} has no column of text: {', '.join(map(repr, columns[:10]))} hold no letters (numbers or"
                " symbols only). Add a column of text, or name the column to embed (text column / --text-column)."
            )
        lengths = {c: self.frame[c].astype(str).str.len().mean() for c in wordy}
        return str(max(lengths, key=lambda c: lengths[c]))


    def offer_text_column(self) -> tuple[str, str | None]:
        """What a form preselects as the text column, and why the user should choose it
        themselves when no column holds text (the form still lets them)."""
        try:
            return self.guess_text_column(), None
        except BadUploadError as error:
            return self.columns[0], str(error)


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
    try:
        return codecs.decode(data, "utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise BadUploadError(
            f"{filename!r} is not UTF-8 text: byte 0x{data[error.start]:02x} at line {line}, column {column}"
            " cannot be decoded. Save the file as UTF-8 and upload it again."
        ) from None


def _check_bytes(data: bytes, filename: str, limits: UploadLimits) -> None:
    """UTF-16 named as such (its NUL bytes would read as a binary file), then size, empty, NUL."""
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise BadUploadError(f"{filename!r} is UTF-16 text; save it as UTF-8 and upload it again.")
    check_text_bytes(data, repr(filename), limits.max_bytes, expected="text")


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
        # index_col=False: a first data row with one field more than the header would otherwise
        # make pandas use the first column as the index and shift every column by one.
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, engine="c",
                               skip_blank_lines=True, index_col=False)
    except pd.errors.ParserWarning:
        long_line, header_fields, fields = _first_long_row(text, sep)
        raise BadUploadError(
            f"{filename!r}, line {long_line}: {fields} fields where the header has {header_fields}."
            " Check the delimiter and the quoting of that line."
        ) from None
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


def _first_long_row(text: str, sep: str) -> tuple[int, int, int]:
    """(line, header fields, fields) of the first row with more fields than the header."""
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    expected = 0
    start = 1
    for row in reader:
        if any(cell.strip() for cell in row):
            if not expected:
                expected = len(row)
            elif len(row) > expected:
                return start, expected, len(row)
        start = reader.line_num + 1
    return start, expected, expected + 1


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


@memoize(max_entries=4)
def parse_upload(data: bytes, filename: str, limits: UploadLimits = UPLOAD_LIMITS) -> Table:
    """Validate and parse uploaded bytes into a Table of string columns.

    Raises BadUploadError naming the problem (size, encoding, line, column, cell) otherwise.
    """
    kind = detect_format(filename)
    _check_bytes(data, filename, limits)
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


def metadata_key(column: str) -> str:
    """The metadata key of a user column: reserved names, and names Chroma refuses as keys
    (``chroma:``, ``#`` and ``$`` prefixes), get a ``col_`` prefix."""
    key = re.sub(r"\s+", "_", column.strip()) or "column"
    if key in RESERVED_KEYS or key.startswith(("chroma:", "#", "$")):
        key = f"col_{key.lstrip('#$')}"
    return key
