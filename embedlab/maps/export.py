"""Data out: a collection with its map coordinates and clusters as CSV, Parquet, or TensorBoard's
projector files (``vectors.tsv``, ``metadata.tsv`` with the map's x/y and the clusters, and the
``projector_config.pbtxt`` that tells TensorBoard which is which: point ``tensorboard --logdir``
at the folder and open the Projector tab).

Text cells that a spreadsheet would run as a formula get a leading apostrophe (OWASP "CSV
injection"): those starting with ``= + - @``, also after leading spaces (spreadsheets trim
them), and those starting with a tab or carriage return. This holds for the CSV export and the
projector's ``metadata.tsv`` (a TSV opens in a spreadsheet just as well). Numbers stored as
numbers (coordinates, clusters) are not text and stay as they are; a text cell such as ``-3``
is escaped like any other (SECURITY.md). Parquet keeps values as they are: it is data, not a
spreadsheet.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from embedlab.errors import InputError

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
EXPORT_FORMATS = ("csv", "parquet", "projector")


def escape_formula(value: object) -> object:
    """``'`` before a string a spreadsheet would treat as a formula (one starting with
    ``= + - @``, tab or carriage return, also after leading whitespace, which spreadsheets
    trim); other values unchanged."""
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_PREFIXES) or value.lstrip().startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def export_frame(
    ids: list[str],
    texts: list[str],
    metadata: pd.DataFrame,
    coords: np.ndarray | None = None,
    clusters: np.ndarray | None = None,
) -> pd.DataFrame:
    """One row per point: id, text, metadata columns, x/y(/z) and cluster."""
    frame = pd.DataFrame({"id": ids, "text": texts})
    if len(metadata.columns):
        extra = metadata.reset_index(drop=True).copy()
        extra.columns = [c if c not in ("id", "text", "x", "y", "z", "cluster") else f"meta_{c}" for c in extra.columns]
        frame = pd.concat([frame, extra], axis=1)
    if coords is not None:
        if len(coords) != len(frame):
            raise InputError(f"{len(coords)} map points for {len(frame)} rows.")
        for axis, name in zip(range(coords.shape[1]), "xyz"[: coords.shape[1]], strict=True):
            frame[name] = coords[:, axis].astype(np.float64)
    if clusters is not None:
        if len(clusters) != len(frame):
            raise InputError(f"{len(clusters)} cluster labels for {len(frame)} rows.")
        frame["cluster"] = np.asarray(clusters, dtype=np.int64)
    return frame


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with formula cells escaped. Rows end in CRLF (RFC 4180), so a cell holding a
    bare carriage return is quoted and cannot split its row in a reader."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(escape_formula)
    safe.columns = [escape_formula(str(c)) for c in safe.columns]
    return safe.to_csv(index=False, lineterminator="\r\n").encode("utf-8")


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """Parquet (pyarrow), values unchanged."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _tsv_cell(value: object) -> str:
    """One metadata.tsv cell: on one line, formula cells escaped like the CSV's."""
    flat = " ".join(str(value).split()) or " "
    return str(escape_formula(flat)) if isinstance(value, str) else flat


def projector_tsvs(vectors: np.ndarray, frame: pd.DataFrame, columns: list[str] | None = None) -> tuple[str, str]:
    """TensorBoard projector files: ``vectors.tsv`` (no header) and ``metadata.tsv``.

    The projector reads a header row in metadata.tsv only when there are two or more columns;
    tabs and new lines inside cells become spaces so every row stays one line, and text cells a
    spreadsheet would run as a formula get a leading ``'`` (see ``escape_formula``).
    """
    if len(vectors) != len(frame):
        raise InputError(f"{len(vectors)} vectors for {len(frame)} rows.")
    vector_lines = ["\t".join(f"{v:.6g}" for v in row) for row in np.asarray(vectors, dtype=np.float32)]
    columns = columns or [c for c in frame.columns if c != "id"]
    if len(columns) == 1:
        meta_lines = [_tsv_cell(v) for v in frame[columns[0]].tolist()]
    else:
        meta_lines = ["\t".join(_tsv_cell(c) for c in columns)]
        meta_lines += ["\t".join(_tsv_cell(v) for v in row) for row in frame[columns].itertuples(index=False)]
    return "\n".join(vector_lines) + "\n", "\n".join(meta_lines) + "\n"


PROJECTOR_FILES = ("vectors.tsv", "metadata.tsv", "projector_config.pbtxt")


def projector_config(name: str = "embedlab") -> str:
    """TensorBoard's ``projector_config.pbtxt`` naming the two files (paths relative to it)."""
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'embeddings {{\n  tensor_name: "{quoted}"\n  tensor_path: "vectors.tsv"\n  metadata_path: "metadata.tsv"\n}}\n'


def projector_files(vectors: np.ndarray, frame: pd.DataFrame, name: str = "embedlab") -> dict[str, str]:
    """The projector's three files by name."""
    vectors_tsv, metadata_tsv = projector_tsvs(vectors, frame)
    return dict(zip(PROJECTOR_FILES, (vectors_tsv, metadata_tsv, projector_config(name)), strict=True))


def projector_zip(vectors: np.ndarray, frame: pd.DataFrame, name: str = "embedlab") -> bytes:
    """The projector files in one zip (for a single download): unzip, run ``tensorboard --logdir`` on the folder."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file, content in projector_files(vectors, frame, name).items():
            archive.writestr(file, content)
    return buffer.getvalue()


def write_export(fmt: str, path: Path, frame: pd.DataFrame, vectors: np.ndarray | None = None, name: str = "embedlab") -> list[Path]:
    """Write ``frame`` as ``fmt`` to ``path`` (a folder for ``projector``); returns the files."""
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"Unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}.")
    path = Path(path)
    if fmt == "projector":
        if vectors is None:
            raise InputError("The projector export needs the vectors.")
        if path.exists() and not path.is_dir():
            raise InputError(f"{path} is a file; the projector export writes two files into a folder.")
        path.mkdir(parents=True, exist_ok=True)
        written = []
        for file, content in projector_files(vectors, frame, name).items():
            (path / file).write_text(content, encoding="utf-8")
            written.append(path / file)
        return written
    if path.is_dir():
        raise InputError(f"{path} is a folder; give a file name such as {path / ('export.' + fmt)}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(csv_bytes(frame) if fmt == "csv" else parquet_bytes(frame))
    return [path]
