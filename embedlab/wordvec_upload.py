"""Safe loading of user word vectors: word2vec text/binary and GloVe text, optionally gzipped.

Never unpickles (no ``KeyedVectors.load``): only ``load_word2vec_format`` with ``limit=`` and,
for GloVe, ``no_header=True``. Before gensim allocates anything we check the bytes ourselves:
size caps (also after decompression, read with a bound so a gzip bomb stops early), a pickle
or zip signature, the header counts against the caps and against the bytes actually present,
and the vector dimension. Words that are not valid UTF-8 are retried with
``unicode_errors='replace'``. The bytes are written under a neutral suffix (gensim picks a
decompressor from the file extension, so ``x.bz2`` would otherwise be opened as bzip2).
After loading, a repeated word keeps its first vector (gensim leaves empty slots for the
others, which a saved copy would turn into a header that overcounts its rows) and all-zero
vectors are dropped (they have no direction: cosine would divide by zero), each with a warning.

``read_word_vectors`` is pure: bytes in, a ``KeyedWordVectors`` named
``user:<slug>-<content hash>`` out. ``load_word_vectors`` also adds it to the catalogue (and
saves it), the one path uploads share with training and debiasing.
"""

from __future__ import annotations

import hashlib
import io
import re
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

import numpy as np

from embedlab.backends import memoize_models
from embedlab.backends.base import WordVectors
from embedlab.backends.words import KeyedWordVectors
from embedlab.errors import BadUploadError, InputError

if TYPE_CHECKING:
    from gensim.models import KeyedVectors
from embedlab.cache import memoize

WordVectorFormat = Literal["auto", "word2vec-text", "word2vec-binary", "glove"]
FORMATS: tuple[WordVectorFormat, ...] = get_args(WordVectorFormat)


@dataclass(frozen=True)
class WordVectorLimits:
    """Caps on uploaded word vectors, stated in the UI and enforced here."""

    max_bytes: int = 200 * 1024 * 1024  # upload size, and size after decompression
    max_vocab: int = 500_000  # words kept (more are cut with a warning, via limit=)
    max_dim: int = 1_000
    max_cells: int = 50_000_000  # words x dimension (200 MB of float32)

    def describe(self) -> str:
        return (
            f"up to {self.max_bytes // 2**20} MB (also after gunzip), at most {self.max_dim:,} dimensions,"
            f" the first {self.max_vocab:,} words (and at most {self.max_cells:,} numbers in all);"
            " a repeated word keeps its first vector and all-zero vectors are dropped, each with a warning"
        )


WORDVEC_LIMITS = WordVectorLimits()
MAX_ABS_VALUE = 1e15  # beyond this, squared norms overflow float32
_TEXT_BYTES = set(range(32, 256)) | {9, 10, 13}
_PICKLE_PREFIXES = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")


@dataclass(frozen=True)
class UploadReport:
    """What was loaded, and anything the user should know (cut vocabulary, replaced bytes)."""

    name: str
    format: str
    words: int
    dim: int
    header_words: int | None
    warnings: list[str] = field(default_factory=list)


def _decompress(data: bytes, limits: WordVectorLimits) -> bytes:
    """gunzip with a bound: stop as soon as the output passes the byte cap."""
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = io.BytesIO()
    try:
        chunk = decompressor.decompress(data, limits.max_bytes + 1 - out.tell())
        out.write(chunk)
        while decompressor.unconsumed_tail and out.tell() <= limits.max_bytes:
            out.write(decompressor.decompress(decompressor.unconsumed_tail, limits.max_bytes + 1 - out.tell()))
    except zlib.error as error:
        raise BadUploadError(f"The file starts like gzip but cannot be decompressed ({error}).") from error
    if out.tell() > limits.max_bytes:
        raise BadUploadError(
            f"The gzip file expands to more than {limits.max_bytes // 2**20} MB (the limit); refused before"
            " unpacking the rest."
        )
    if not decompressor.eof:
        raise BadUploadError("The gzip file is truncated: the compressed stream ends early.")
    return out.getvalue()


def _refuse_signatures(data: bytes) -> None:
    """Pickles, zips and the like get their own message, before any parsing."""
    if data.startswith(_PICKLE_PREFIXES) or data[:1] == b"\x80":
        raise BadUploadError(
            "This is a Python pickle (a gensim .model/.kv file saved with .save()). Pickles can run code"
            " when loaded, so they are refused. Export the vectors instead:"
            " model.wv.save_word2vec_format('vectors.txt')."
        )
    if data.startswith(b"PK\x03\x04"):
        raise BadUploadError("This is a ZIP archive. Upload the word-vector file itself (optionally .gz).")
    if data.startswith(b"BZh") or data.startswith(b"\xfd7zXZ"):
        raise BadUploadError("Only gzip compression is supported; decompress bzip2/xz files first.")
    if data.startswith(b"\x93NUMPY"):
        raise BadUploadError("This is a NumPy .npy array without words. Upload word2vec or GloVe text instead.")


def _parse_header(line: bytes) -> tuple[int, int] | None:
    """(words, dim) when the first line is a word2vec header, else None."""
    parts = line.split()
    if len(parts) == 2 and all(re.fullmatch(rb"[+-]?\d+", p) for p in parts):
        return int(parts[0]), int(parts[1])
    return None


def _looks_binary(sample: bytes) -> bool:
    """Binary vectors hold raw float32 bytes; text never has control bytes other than tab/CR/LF."""
    return any(byte not in _TEXT_BYTES for byte in sample)


def inspect_word_vectors(data: bytes, fmt: str = "auto", limits: WordVectorLimits = WORDVEC_LIMITS) -> tuple[bytes, str, int, int, int | None, list[str]]:
    """Validate raw (maybe gzipped) bytes before gensim sees them.

    Returns (plain bytes, format, words to load, dim, header word count or None, warnings).
    """
    if fmt not in FORMATS:
        raise InputError(f"Unknown word-vector format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    if not data:
        raise BadUploadError("The file is empty.")
    if len(data) > limits.max_bytes:
        raise BadUploadError(f"The file is {len(data) / 2**20:.0f} MB; the limit is {limits.max_bytes // 2**20} MB.")
    warnings: list[str] = []
    if data[:2] == b"\x1f\x8b":
        data = _decompress(data, limits)
        if not data:
            raise BadUploadError("The gzip file contains an empty file.")
    _refuse_signatures(data)
    newline = data.find(b"\n")
    first = data if newline < 0 else data[:newline]
    if len(first) > 1_000_000:
        raise BadUploadError("The first line is longer than 1 MB: this is not a word-vector file.")
    header = _parse_header(first)
    body = b"" if newline < 0 else data[newline + 1 :]

    if fmt == "glove" and header is not None:
        raise BadUploadError(
            f"The first line '{first.decode('ascii', 'replace')}' is a word2vec header; choose word2vec, not GloVe."
        )
    if fmt in ("word2vec-text", "word2vec-binary") and header is None:
        raise BadUploadError(
            "A word2vec file starts with a header line 'WORDS DIMENSION' (two integers); this one starts with "
            f"{first[:60].decode('utf8', 'replace')!r}. GloVe text files have no header: choose GloVe."
        )
    if header is None:  # GloVe text: word then numbers, no header
        words, dim = _inspect_glove(data, first, limits, warnings)
        return data, "glove", words, dim, None, warnings
    count, dim = header
    words, binary = _inspect_word2vec(body, fmt, count, dim, limits, warnings)
    return data, "word2vec-binary" if binary else "word2vec-text", words, dim, count, warnings


def _inspect_glove(data: bytes, first: bytes, limits: WordVectorLimits, warnings: list[str]) -> tuple[int, int]:
    """(words to load, dim) of GloVe text: 'word x1 x2 ...' per line, no header."""
    if _looks_binary(data[:65536]):
        raise BadUploadError("The file is neither text with a header nor GloVe text: it holds binary data without a word2vec header.")
    tokens = first.decode("utf8", "replace").rstrip().split(" ")
    dim = len(tokens) - 1
    if dim < 1:
        raise BadUploadError("Line 1 has no numbers: GloVe text is 'word x1 x2 ...' separated by single spaces.")
    try:
        [float(t) for t in tokens[1:]]
    except ValueError as error:
        raise BadUploadError(f"Line 1 is not 'word followed by numbers' ({error}).") from error
    _check_dim(dim, limits)
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    return _cap_words(lines, dim, limits, warnings), dim


def _inspect_word2vec(body: bytes, fmt: str, count: int, dim: int, limits: WordVectorLimits,
                      warnings: list[str]) -> tuple[int, bool]:
    """(words to load, binary?) of a word2vec file whose header announced ``count`` x ``dim``."""
    if count < 1:
        raise BadUploadError(f"The header announces {count} words; there are no vectors to load.")
    _check_dim(dim, limits)
    words = _cap_words(count, dim, limits, warnings)
    binary = fmt == "word2vec-binary" or (fmt == "auto" and _looks_binary(body[:65536]))
    if binary:
        needed = words * (dim * 4 + 2)
        if len(body) < needed:
            held = len(body) // (dim * 4 + 2)
            raise BadUploadError(
                f"The header announces {count:,} words of {dim} dimensions (binary: at least {needed:,} bytes for"
                f" {words:,} words) but only {len(body):,} bytes follow, room for about {held:,}: the file is"
                " truncated or its header is wrong."
            )
        return words, True
    lines = body.count(b"\n") + (0 if body.endswith(b"\n") or not body else 1)
    if lines < words:
        raise BadUploadError(
            f"The header announces {count:,} words but only {lines:,} lines follow: the file is truncated"
            " or its header is wrong."
        )
    second = body.split(b"\n", 1)[0].decode("utf8", "replace").rstrip().split(" ")
    if len(second) != dim + 1:
        raise BadUploadError(
            f"The header says {dim} dimensions but line 2 has {len(second) - 1} numbers after the word"
            " (fields are separated by single spaces)."
        )
    return words, False


def _check_dim(dim: int, limits: WordVectorLimits) -> None:
    if dim < 1:
        raise BadUploadError(f"The dimension {dim} is not positive.")
    if dim > limits.max_dim:
        raise BadUploadError(f"The vectors have {dim:,} dimensions; the limit is {limits.max_dim:,}.")


def _cap_words(count: int, dim: int, limits: WordVectorLimits, warnings: list[str]) -> int:
    keep = min(count, limits.max_vocab, limits.max_cells // dim)
    if keep < count:
        warnings.append(f"Kept the first {keep:,} of {count:,} words (limit: {limits.describe()}).")
    return keep


def slug(text: str) -> str:
    """A short, safe name part from a file name."""
    stem = re.sub(r"\.(gz|txt|vec|bin|w2v|tsv)$", "", Path(text).name.lower())
    stem = re.sub(r"\.(gz|txt|vec|bin|w2v|tsv)$", "", stem)
    return re.sub(r"[^a-z0-9]+", "-", stem).strip("-")[:24] or "vectors"


@memoize(max_entries=4)
def read_word_vectors(
    data: bytes,
    filename: str = "vectors.txt",
    *,
    fmt: WordVectorFormat = "auto",
    limits: WordVectorLimits = WORDVEC_LIMITS,
) -> tuple[KeyedWordVectors, UploadReport]:
    """Validate and read uploaded word vectors into ``user:<slug>-<hash>`` (pure: nothing is
    registered or written but a temporary file)."""
    from gensim.models import KeyedVectors

    plain, kind, words, dim, header_words, warnings = inspect_word_vectors(data, fmt, limits)
    digest = hashlib.sha256(plain).hexdigest()[:8]
    name = f"user:{slug(filename)}-{digest}"
    with tempfile.TemporaryDirectory(prefix="embedlab-upload-") as tmp:
        path = Path(tmp) / "vectors.upload"  # neutral suffix: gensim must not pick a decompressor
        path.write_bytes(plain)
        kwargs = {"binary": kind == "word2vec-binary", "limit": words, "no_header": kind == "glove"}
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # huge numbers become inf: reported below
                try:
                    kv = KeyedVectors.load_word2vec_format(str(path), unicode_errors="strict", **kwargs)
                except UnicodeDecodeError:
                    kv = KeyedVectors.load_word2vec_format(str(path), unicode_errors="replace", **kwargs)
                    warnings.append("Some words were not valid UTF-8; their bad bytes were replaced by '\ufffd'.")
        except (ValueError, EOFError, OverflowError, MemoryError) as error:
            where = _first_bad_line(plain, dim, header=header_words is not None) if kind != "word2vec-binary" else None
            raise BadUploadError(where or f"Could not read the {kind} file: {error}") from error
    del plain
    duplicates = _drop_duplicate_slots(kv)
    if len(kv) == 0:
        raise BadUploadError("The file holds no vectors.")
    finite = np.isfinite(kv.vectors).all(axis=1)
    if not finite.all():
        bad = [kv.index_to_key[i] for i in np.flatnonzero(~finite)[:5]]
        raise BadUploadError(f"Vectors contain NaN or infinite values (words: {', '.join(map(repr, bad))}).")
    largest = float(np.abs(kv.vectors).max())
    if largest > MAX_ABS_VALUE:
        raise BadUploadError(
            f"Vector values reach {largest:.3g}; word vectors hold small numbers (limit {MAX_ABS_VALUE:.0e})."
            " This does not look like a word-vector file."
        )
    if duplicates:
        warnings.append(f"{duplicates:,} repeated word{'s' if duplicates != 1 else ''} dropped: a word that occurs"
                        " more than once keeps its first vector.")
    kv, zero = _drop_zero_rows(kv)
    if zero:
        shown = ", ".join(repr(w) for w in zero[:10]) + (f" and {len(zero) - 10:,} more" if len(zero) > 10 else "")
        warnings.append(f"{len(zero):,} word{'s' if len(zero) != 1 else ''} with an all-zero vector dropped ({shown}):"
                        " a zero vector has no direction, so no cosine similarity can be computed for it.")
    description = f"uploaded {Path(filename).name}: {len(kv):,} words, {kv.vector_size}-d ({kind})"
    backend = KeyedWordVectors(name, kv, source=f"upload {Path(filename).name}", description=description)
    report = UploadReport(name, kind, len(kv), int(kv.vector_size), header_words, warnings)
    return backend, report


def _first_bad_line(text: bytes, dim: int, *, header: bool) -> str | None:
    """Where a text word-vector file stops being 'word x1 ... x_dim' (only called once gensim
    has refused the file, so the fast path never scans twice), or None if every line is fine."""
    for number, raw in enumerate(text.split(b"\n"), start=1):
        if (header and number == 1) or not raw.strip():
            continue
        fields = raw.decode("utf8", "replace").rstrip().split(" ")
        if len(fields) != dim + 1:
            return (f"Line {number:,} has {len(fields) - 1} numbers after the word {fields[0][:40]!r}; every line"
                    f" needs {dim} (the dimension of {'the header' if header else 'line 1'}), separated by single spaces.")
        for value in fields[1:]:
            try:
                float(value)
            except ValueError:
                return f"Line {number:,}: {value[:40]!r} after the word {fields[0][:40]!r} is not a number."
    return None


def load_word_vectors(
    data: bytes,
    filename: str = "vectors.txt",
    *,
    fmt: WordVectorFormat = "auto",
    limits: WordVectorLimits = WORDVEC_LIMITS,
    register_backend: bool = True,
    persist: bool = True,
) -> tuple[KeyedWordVectors, UploadReport]:
    """Read uploaded word vectors and add them to the catalogue as ``user:<slug>-<hash>``
    (saved when ``persist``): every page and command can use them."""
    backend, report = read_word_vectors(data, filename, fmt=fmt, limits=limits)
    if register_backend:
        from embedlab.backends import catalogue

        catalogue().add(backend, "upload", persist=persist)
    return backend, report


def _drop_duplicate_slots(kv: KeyedVectors) -> int:
    """Cut the rows gensim reserved for repeated words; returns how many there were.

    gensim keeps the first vector of a repeated word but still sizes ``index_to_key`` (None
    entries) and, for text files, the matrix by the line count, so ``len(kv)`` overcounts
    and a saved copy announces more words than it holds. Afterwards keys and rows agree."""
    kept = len(kv.key_to_index)
    extra = len(kv.index_to_key) - kept
    if extra > 0:
        kv.index_to_key = kv.index_to_key[:kept]
        kv.vectors = np.ascontiguousarray(kv.vectors[:kept])
        for attribute, values in list(kv.expandos.items()):
            kv.expandos[attribute] = values[:kept]
        kv.norms = None
    return max(extra, 0)


def _drop_zero_rows(kv: KeyedVectors) -> tuple[KeyedVectors, list[str]]:
    """(vectors without all-zero rows, the dropped words); refuses a file of zero vectors only.

    Dropping (not refusing) keeps big files usable: some published files carry a zero
    padding or unknown-word vector. Norms are taken as gensim takes them, so a row whose norm
    underflows to zero in float32 is dropped too (it would divide by zero)."""
    from gensim.models import KeyedVectors

    norms = np.linalg.norm(kv.vectors, axis=1)
    zero = ~(norms > 0)
    if not zero.any():
        return kv, []
    words = [kv.index_to_key[i] for i in np.flatnonzero(zero)]
    if zero.all():
        raise BadUploadError(f"Every vector in the file is all zeros ({len(words):,} words): there is nothing to compare.")
    keep = np.flatnonzero(~zero)
    clean = KeyedVectors(vector_size=kv.vector_size, count=0, dtype=kv.vectors.dtype)
    clean.add_vectors([kv.index_to_key[i] for i in keep], kv.vectors[keep])
    for attribute, values in kv.expandos.items():  # the word counts (gensim's add_vectors mishandles extras)
        clean.expandos[attribute] = np.asarray(values)[keep]
    return clean, words


def load_word_vectors_file(path: str | Path, *, fmt: WordVectorFormat = "auto", limits: WordVectorLimits = WORDVEC_LIMITS,
                           register_backend: bool = True, persist: bool = True) -> tuple[KeyedWordVectors, UploadReport]:
    """The CLI's entry: read a local file with the same checks as an upload."""
    file = Path(path)
    if not file.is_file():
        raise InputError(f"No such file: {file}")
    if file.stat().st_size > WORDVEC_LIMITS.max_bytes:
        raise BadUploadError(f"The file is {file.stat().st_size / 2**20:.0f} MB; the limit is {WORDVEC_LIMITS.max_bytes // 2**20} MB.")
    return load_word_vectors(file.read_bytes(), file.name, fmt=fmt, limits=limits, register_backend=register_backend,
                             persist=persist)


# ---------------------------------------------------------------- export and persistence


def word2vec_bytes(backend: WordVectors, *, binary: bool = False) -> bytes:
    """The backend's vectors in word2vec format (text by default), for a download button."""
    with tempfile.TemporaryDirectory(prefix="embedlab-export-") as folder:
        path = Path(folder) / "vectors.out"  # neutral suffix: gensim picks compression by extension
        backend.kv.save_word2vec_format(str(path), binary=binary)
        return path.read_bytes()


@memoize_models(max_entries=8)
def word2vec_file(model: str) -> bytes:
    """A catalogue model's vectors as word2vec text (a download button), made once per model."""
    from embedlab.backends import get_word_vectors

    return word2vec_bytes(get_word_vectors(model))


__all__ = [
    "FORMATS",
    "WORDVEC_LIMITS",
    "UploadReport",
    "WordVectorFormat",
    "WordVectorLimits",
    "inspect_word_vectors",
    "load_word_vectors",
    "load_word_vectors_file",
    "read_word_vectors",
    "word2vec_bytes",
    "word2vec_file",
]
