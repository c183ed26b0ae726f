"""Long inputs of a shareable link, kept on the server under their content hash.

A view whose inputs are long (190 sentences of ~180 characters made a 159 KB address that the
server answers with HTTP 400) puts ``~<hash>`` in the link instead; the text lives under
``EMBEDLAB_HOME/links/``. Such a link opens on any process that shares this EMBEDLAB_HOME; the
page says so. A value above ``MAX_KEPT_CHARS`` is not kept: that view is too big to share.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from embedlab import cache, config

INLINE_MAX_CHARS = 300  # longer values go to the server and the link holds their hash
MAX_KEPT_CHARS = 2_000_000
_REFERENCE = re.compile(r"~([0-9a-f]{20})")


def _folder() -> Path:
    return config.embedlab_home() / "links"


def is_reference(raw: str) -> bool:
    """Whether ``raw`` looks like a kept value's reference (``~`` and 20 hex digits)."""
    return _REFERENCE.fullmatch(raw) is not None


def keep(value: str) -> str | None:
    """The link form of ``value``: itself when short, else ``~<hash>`` with the text kept on
    the server; None when it is too long to keep (the view cannot be shared as a link)."""
    if len(value) <= INLINE_MAX_CHARS and not is_reference(value):
        return value
    if len(value) > MAX_KEPT_CHARS:
        return None
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:20]
    path = _folder() / f"{digest}.txt"
    if not path.exists():
        cache.atomic_write(path, value.encode("utf-8", "surrogatepass"))
    return f"~{digest}"


def expand(raw: str) -> str | None:
    """The value a link holds: ``raw`` itself, or the kept text of a ``~<hash>`` reference
    (None when this server does not have it)."""
    match = _REFERENCE.fullmatch(raw)
    if match is None:
        return raw
    path = _folder() / f"{match.group(1)}.txt"
    try:
        return path.read_bytes().decode("utf-8", "surrogatepass")
    except OSError:
        return None


# -- uploads a view rests on ----------------------------------------------------------------------

MAX_KEPT_FILE_BYTES = 200 * 1024 * 1024
_FILE_ID = re.compile(r"[0-9a-f]{32}")


def keep_file(data: bytes, name: str) -> str:
    """Keep an uploaded file's bytes on the server under their content hash, so a view that rests
    on it (an interactions file, a labelled file) survives a reload and opens from a link on any
    process sharing this EMBEDLAB_HOME; returns the id the link carries. The bytes are only ever
    read back and parsed again by the same checked readers (never unpickled, never executed)."""
    if len(data) > MAX_KEPT_FILE_BYTES:
        raise ValueError(f"{len(data):,} bytes is more than an upload may be")
    digest = hashlib.sha256(data).hexdigest()[:32]
    folder = _folder() / "files"
    if not (folder / f"{digest}.bin").exists():
        cache.atomic_write(folder / f"{digest}.bin", data)
    cache.atomic_write(folder / f"{digest}.name", _display_name(name))
    return digest


def kept_file(file_id: str) -> tuple[bytes, str] | None:
    """The bytes and name of a kept upload, or None when this server does not have it."""
    if not _FILE_ID.fullmatch(file_id or ""):
        return None
    folder = _folder() / "files"
    try:
        return (folder / f"{file_id}.bin").read_bytes(), (folder / f"{file_id}.name").read_text(encoding="utf-8")
    except OSError:
        return None


def _display_name(name: str) -> str:
    """A file name fit to keep and show: the last path part, printable, bounded."""
    last = str(name).replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in last).strip() or "upload"
    return cleaned[:120]
