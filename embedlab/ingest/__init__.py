"""Data in: uploads parsed and validated (``uploads``), texts chunked into records with their
metadata (``records``), records encoded into the store (``into_store``). Built-in datasets come
from the dataset catalogue (``embedlab.datasets``)."""

from __future__ import annotations

from embedlab.config import (
    DEFAULT_CHUNK_WORDS,
    DEFAULT_OVERLAP_WORDS,
    UPLOAD_LIMITS,
    UploadLimits,
)
from embedlab.ingest.into_store import (
    INGEST_SETTINGS,
    IngestReport,
    check_dataset_name,
    dataset_announcement,
    ingest_dataset,
    ingest_records,
    ingest_upload,
)
from embedlab.ingest.records import (
    Records,
    build_records,
    chunk_text,
    dataset_records,
    load_dataset,
)
from embedlab.ingest.uploads import (
    FORMATS,
    RESERVED_KEYS,
    TEXT_COLUMN_NAMES,
    Table,
    detect_format,
    metadata_key,
    parse_upload,
)

__all__ = [
    "DEFAULT_CHUNK_WORDS",
    "DEFAULT_OVERLAP_WORDS",
    "FORMATS",
    "INGEST_SETTINGS",
    "RESERVED_KEYS",
    "TEXT_COLUMN_NAMES",
    "UPLOAD_LIMITS",
    "IngestReport",
    "Records",
    "Table",
    "UploadLimits",
    "build_records",
    "check_dataset_name",
    "chunk_text",
    "dataset_records",
    "detect_format",
    "dataset_announcement",
    "ingest_dataset",
    "ingest_records",
    "ingest_upload",
    "load_dataset",
    "metadata_key",
    "parse_upload",
]
