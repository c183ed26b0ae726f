"""Reading images and ZIPs of images from users, as SECURITY.md says.

- Content is sniffed from the magic bytes (the browser's ``type=`` is not a check); only JPEG,
  PNG, WEBP, GIF and BMP are opened, and Pillow is told so (``formats=``): no other decoder
  (TIFF, PSD, EPS, JPEG 2000, ...) ever sees user bytes.
- A pixel cap: ``Image.MAX_IMAGE_PIXELS`` is lowered, Pillow's ``DecompressionBombWarning`` is
  an error here, and ``img.load()`` runs inside a try so a malformed file gets its message.
- ZIPs are never extracted: ``infolist()`` is checked (member count, total declared size,
  compression ratio, overlapping entries, encryption), each member is read into memory with a
  bound, and member paths are only ever displayed (``../evil.png`` is a name, not a path).
- Each bad file gets its own message; the rest of the upload still goes in.
"""

from __future__ import annotations

import io
import itertools
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from embedlab.backends.images import to_rgb
from embedlab.config import UPLOAD_LIMITS
from embedlab.errors import BadUploadError
from embedlab.images.item import EMBED_MAX_SIDE, ImageItem

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP")
#: magic bytes -> format, for what we open and for what we name when we refuse it
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "JPEG"), (b"\x89PNG\r\n\x1a\n", "PNG"), (b"GIF87a", "GIF"), (b"GIF89a", "GIF"), (b"BM", "BMP"),
    (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"), (b"8BPS", "PSD"), (b"%!PS", "PostScript/EPS"), (b"%PDF", "PDF"),
    (b"\x00\x00\x00\x0cjP  ", "JPEG 2000"), (b"\xff\x4f\xff\x51", "JPEG 2000"), (b"\x00\x00\x01\x00", "ICO"),
    (b"icns", "ICNS"), (b"gimp xcf", "XCF"), (b"PK\x03\x04", "ZIP"), (b"PK\x05\x06", "ZIP"),
    (b"\x1f\x8b", "gzip"), (b"qoif", "QOI"), (b"\x76\x2f\x31\x01", "OpenEXR"),
)


@dataclass(frozen=True)
class ImageLimits:
    """Caps on image uploads, stated in the UI and the CLI help, enforced here."""

    max_upload_megabytes: int = UPLOAD_LIMITS.max_megabytes  # same as server.maxUploadSize
    max_file_megabytes: int = 20
    max_pixels: int = 25_000_000  # Pillow's own default is ~89 M; a 5000 x 5000 photo is the most we decode
    max_zip_members: int = 1_000
    max_zip_total_megabytes: int = 200
    max_zip_ratio: float = 100.0  # uncompressed / compressed size of one member
    max_files: int = 1_000
    max_jpeg_scans: int = 100  # progressive JPEGs have about 10; each scan is another pass over every pixel

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_megabytes * 1024 * 1024

    @property
    def max_zip_total_bytes(self) -> int:
        return self.max_zip_total_megabytes * 1024 * 1024

    def describe(self) -> str:
        return (f"JPEG, PNG, WEBP, GIF or BMP images, or a ZIP of them: up to {self.max_upload_megabytes} MB per upload,"
                f" {self.max_file_megabytes} MB and {self.max_pixels / 1e6:.0f} megapixels per image,"
                f" {self.max_zip_members:,} files and {self.max_zip_total_megabytes} MB unpacked per ZIP.")


IMAGE_LIMITS = ImageLimits()


def _lower_pillow_cap(limits: ImageLimits = IMAGE_LIMITS) -> None:
    """Pillow's own bomb check at our cap (its default is ~89 M pixels)."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = limits.max_pixels


@dataclass(frozen=True)
class Rejected:
    """A file of an upload that did not go in, and why (``name`` is for display only)."""

    name: str
    reason: str

    def message(self) -> str:
        return f"{self.name}: {self.reason}"


@dataclass
class ImageUpload:
    """What an upload gave: the images that passed, one message per file that did not."""

    items: list[ImageItem] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    def extend(self, other: ImageUpload) -> None:
        self.items += other.items
        self.rejected += other.rejected


def display_name(name: str, limit: int = 120) -> str:
    """A member or file name fit to show: control characters replaced, length bounded. It is
    never used as a path."""
    cleaned = "".join("�" if unicodedata.category(ch).startswith("C") else ch for ch in str(name))
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def folder_labels(names: Sequence[str]) -> dict[str, str]:
    """Each member's label from its folder, as torchvision's ``ImageFolder``: the first folder of
    its path (``cats/a.png`` is a cat). When every member sits below one and the same top folder
    (a ZIP made of the folder ``pets/`` holding ``cats/`` and ``dogs/``), that wrapper is skipped,
    as ``ImageFolder`` pointed at ``pets`` would. A member at the top has no label. Names are only
    read as text here, never used as paths."""
    paths = {name: [p for p in str(name).replace("\\", "/").split("/") if p not in ("", ".", "..")] for name in names}
    parts = {name: path[:-1] for name, path in paths.items()}
    # macOS's __MACOSX/ copies and hidden files (.DS_Store) are no images: they do not decide the wrapper
    folders = [parts[name] for name, path in paths.items() if path and not path[-1].startswith(".") and path[0] != "__MACOSX"]
    if folders and all(len(f) >= 2 for f in folders) and len({f[0] for f in folders}) == 1:
        parts = {name: f[1:] for name, f in parts.items()}
    return {name: display_name(f[0], 80) if f else "" for name, f in parts.items()}


def sniff(data: bytes) -> str | None:
    """The format the magic bytes say (None when unknown)."""
    head = data[:16]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    stripped = data[:256].lstrip().lower()
    if stripped.startswith((b"<svg", b"<?xml")) or b"<svg" in stripped:
        return "SVG"
    return None


def jpeg_scans(data: bytes) -> int:
    """How many scans (SOS segments) a JPEG holds, counted from its markers without decoding.
    A baseline JPEG has one, a progressive one about ten; each scan is a pass over the whole
    image, so a file of thousands of empty scans takes minutes to decode."""
    scans, position, size = 0, 2, len(data)
    while position + 4 <= size:
        if data[position] != 0xFF:
            position = data.find(b"\xff", position)  # entropy-coded data up to the next marker
            if position < 0:
                break
            continue
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0x00 or 0xD0 <= marker <= 0xD7 or marker == 0x01:  # stuffed byte, restart marker, TEM: no length
            position += 2
            continue
        if marker == 0xD9:  # end of image
            break
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        if marker == 0xDA:
            scans += 1
        position += 2 + max(length, 2)
    return scans


def open_image(data: bytes, name: str = "image", limits: ImageLimits = IMAGE_LIMITS) -> Any:
    """Decode ``data`` after every check; returns a loaded PIL image (first frame of a GIF).
    Raises BadUploadError with a message naming the problem."""
    from PIL import Image, UnidentifiedImageError

    shown = display_name(name)
    if not data:
        raise BadUploadError(f"{shown}: the file is empty.")
    if len(data) > limits.max_file_bytes:
        raise BadUploadError(f"{shown}: {len(data) / 2**20:.1f} MB; an image may be at most {limits.max_file_megabytes} MB.")
    kind = sniff(data)
    if kind is None:
        raise BadUploadError(f"{shown}: not an image (its first bytes match no image format). Allowed: {', '.join(ALLOWED_FORMATS)}.")
    if kind not in ALLOWED_FORMATS:
        raise BadUploadError(f"{shown}: a {kind} file; only {', '.join(ALLOWED_FORMATS)} images are opened here.")
    if kind == "JPEG" and (scans := jpeg_scans(data)) > limits.max_jpeg_scans:
        raise BadUploadError(f"{shown}: a JPEG of {scans:,} scans; at most {limits.max_jpeg_scans} are decoded (a progressive"
                             " photo has about ten; thousands make a decoding bomb).")
    _lower_pillow_cap(limits)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow's "Corrupt EXIF data" and the like: the file's problem, said below if it fails
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=list(ALLOWED_FORMATS))
            width, height = image.size
            if width * height > limits.max_pixels:
                raise BadUploadError(f"{shown}: {width:,} × {height:,} pixels is over the cap of {limits.max_pixels:,}"
                                     " (a possible decompression bomb).")
            if image.format != kind:
                raise BadUploadError(f"{shown}: its bytes say {kind} but it decodes as {image.format}.")
            image.seek(0)
            image.load()
            image = _upright(image)
        except BadUploadError:
            raise
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
            raise BadUploadError(f"{shown}: refused as a possible decompression bomb ({error}).") from None
        except UnidentifiedImageError:
            raise BadUploadError(f"{shown}: a damaged or unreadable {kind} file.") from None
        except (OSError, SyntaxError, ValueError, EOFError, IndexError, MemoryError) as error:
            raise BadUploadError(f"{shown}: a damaged {kind} file ({type(error).__name__}: {str(error)[:160]}).") from None
    return image


def _upright(image: Any) -> Any:
    """``image`` turned as its EXIF orientation says (a phone photo marked Orientation=6 is
    stored sideways); images without the tag are returned as they are."""
    from PIL import ImageOps

    orientation = image.getexif().get(0x0112, 1) if hasattr(image, "getexif") else 1
    if orientation in (None, 1):
        return image
    return ImageOps.exif_transpose(image)


def check_image(data: bytes, name: str, label: str = "", caption: str = "", limits: ImageLimits = IMAGE_LIMITS) -> ImageItem:
    """An ``ImageItem`` of ``data`` once it decodes safely (BadUploadError otherwise); its width
    and height are those of the upright picture."""
    image = open_image(data, name, limits)
    return ImageItem(display_name(name), bytes(data), str(sniff(data)), int(image.width), int(image.height), label, caption)


def _overlapping(infos: list[zipfile.ZipInfo]) -> bool:
    """True when two members' data overlap in the archive (the overlapping-entries zip bomb)."""
    spans = sorted((info.header_offset, info.header_offset + 30 + len(info.orig_filename.encode("utf-8", "replace"))
                    + info.compress_size) for info in infos)
    return any(later[0] < earlier[1] for earlier, later in itertools.pairwise(spans))


class _MemberError(Exception):
    """A ZIP member that cannot go in, and why (shown as its reason)."""


_CHUNK = 64 * 1024
_LOCAL_HEADER = b"PK\x03\x04"


def _decompressor(method: int, raw: memoryview) -> tuple[Any, memoryview]:
    """A streaming decompressor for ``method`` that takes a ``max_length``, and the compressed
    bytes it reads. zipfile's own reader inflates a whole bzip2 or LZMA chunk at once, whatever
    size the member declares: a few KB can become gigabytes before any cap applies."""
    import bz2
    import lzma
    import zlib

    if method == zipfile.ZIP_DEFLATED:
        return zlib.decompressobj(-15), raw
    if method == zipfile.ZIP_BZIP2:
        return bz2.BZ2Decompressor(), raw
    if method == zipfile.ZIP_LZMA:  # zip's LZMA: 2 version bytes, a 2-byte size, then LZMA1 properties
        if len(raw) < 9:
            raise _MemberError("a damaged LZMA member (too short).")
        size = int.from_bytes(raw[2:4], "little")
        props = bytes(raw[4 : 4 + size])
        if size != 5 or props[0] >= 9 * 5 * 5:
            raise _MemberError("a damaged LZMA member (bad properties).")
        lc, rest = props[0] % 9, props[0] // 9
        lzma1 = {"id": lzma.FILTER_LZMA1, "lc": lc, "lp": rest % 5, "pb": rest // 5, "dict_size": int.from_bytes(props[1:5], "little")}
        return lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=[lzma1]), raw[4 + size :]
    raise _MemberError(f"compressed with method {method}, which is not read here (stored, deflate, bzip2 and LZMA are).")


def _inflate(method: int, raw: memoryview, budget: int) -> bytes:
    """The bytes of one member, decompressed a chunk at a time and never more than ``budget``
    bytes: reading stops at the cap whatever the member's header says."""
    if method == zipfile.ZIP_STORED:
        return bytes(raw[:budget])
    decompressor, stream = _decompressor(method, raw)
    out = bytearray()
    position = 0
    while len(out) < budget:
        if position < len(stream):
            chunk, position = bytes(stream[position : position + _CHUNK]), position + _CHUNK
        elif getattr(decompressor, "eof", False) or not _pending(decompressor):
            break
        else:
            chunk = b""
        out += decompressor.decompress(chunk, budget - len(out))
        if getattr(decompressor, "eof", False) and position >= len(stream):
            break
    return bytes(out)


def _pending(decompressor: Any) -> bool:
    """Whether a decompressor still holds input it has not turned into output."""
    tail = getattr(decompressor, "unconsumed_tail", None)  # zlib
    if tail is not None:
        return bool(tail)
    return not getattr(decompressor, "needs_input", True)  # bz2 and lzma


def _member_bytes(data: bytes, info: zipfile.ZipInfo, budget: int) -> bytes:
    """One member's bytes (at most ``budget`` + 1, so an overflow shows), CRC-checked when whole."""
    import zlib

    if info.flag_bits & 0x1:
        raise _MemberError("encrypted; password-protected files are not opened.")
    offset = info.header_offset
    if data[offset : offset + 4] != _LOCAL_HEADER:
        raise _MemberError("cannot be read from the ZIP (its local header is missing).")
    start = offset + 30 + int.from_bytes(data[offset + 26 : offset + 28], "little") + int.from_bytes(data[offset + 28 : offset + 30], "little")
    raw = memoryview(data)[start : start + info.compress_size]
    try:
        content = _inflate(info.compress_type, raw, budget + 1)
    except _MemberError:
        raise
    except (OSError, EOFError, ValueError, zlib.error) as error:
        raise _MemberError(f"cannot be read from the ZIP ({type(error).__name__}: {str(error)[:120]}).") from None
    if len(content) <= budget and len(content) != info.file_size:
        raise _MemberError(f"unpacks to {len(content):,} bytes but the ZIP declares {info.file_size:,}: a damaged or forged archive.")
    if len(content) <= budget and zlib.crc32(content) != info.CRC:
        raise _MemberError("damaged inside the ZIP (its checksum does not match).")
    return content


def _archive_problem(infos: list[zipfile.ZipInfo], limits: ImageLimits) -> str | None:
    """Why a whole archive is refused before any member is read (None when it is not)."""
    if len(infos) > limits.max_zip_members:
        return f"{len(infos):,} files; a ZIP may hold at most {limits.max_zip_members:,}."
    declared = sum(info.file_size for info in infos)
    if declared > limits.max_zip_total_bytes:
        return f"unpacks to {declared / 2**20:,.0f} MB; at most {limits.max_zip_total_megabytes} MB (a possible zip bomb)."
    if _overlapping(infos):
        return "its members overlap inside the archive (a zip bomb pattern); nothing was read."
    return None


def _member_problem(info: zipfile.ZipInfo, limits: ImageLimits) -> str | None:
    """Why one member is refused from what the archive declares of it (None when it is not)."""
    if info.file_size > limits.max_file_bytes:
        return f"{info.file_size / 2**20:.1f} MB unpacked; at most {limits.max_file_megabytes} MB per image."
    if info.compress_size and info.file_size / info.compress_size > limits.max_zip_ratio:
        return (f"compressed {info.file_size / info.compress_size:,.0f}:1; at most {limits.max_zip_ratio:.0f}:1"
                " (a possible zip bomb).")
    return None


def read_zip(data: bytes, name: str = "upload.zip", limits: ImageLimits = IMAGE_LIMITS) -> ImageUpload:
    """The images inside a ZIP (nothing is written to disk). A ZIP that breaks a whole-archive
    cap is refused with one message; inside it, each bad member gets its own. Every member is
    inflated a chunk at a time within what is left of the caps, whatever its header declares."""
    shown = display_name(name)
    result = ImageUpload()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as error:
        result.rejected.append(Rejected(shown, f"not a readable ZIP file ({error})."))
        return result
    problem = _archive_problem(infos, limits)
    if problem:
        result.rejected.append(Rejected(shown, problem))
        return result
    left = limits.max_zip_total_bytes
    labels = folder_labels([info.filename for info in infos])
    for info in infos:
        member = f"{shown}/{display_name(info.filename)}"
        try:
            problem = _member_problem(info, limits)
            if problem:
                raise _MemberError(problem)
            content = _member_bytes(data, info, min(limits.max_file_bytes, left))
        except _MemberError as error:
            result.rejected.append(Rejected(member, str(error)))
            continue
        if len(content) > left:
            result.rejected.append(Rejected(member, f"the ZIP unpacks to more than {limits.max_zip_total_megabytes} MB; the rest was not read."))
            break
        if len(content) > limits.max_file_bytes:
            result.rejected.append(Rejected(member, f"unpacks to more than its declared size and more than {limits.max_file_megabytes} MB."))
            continue
        left -= len(content)
        if sniff(content) == "ZIP":
            result.rejected.append(Rejected(member, "a ZIP inside the ZIP; nested archives are not opened."))
            continue
        try:
            result.items.append(check_image(content, display_name(info.filename), labels[info.filename], limits=limits))
        except BadUploadError as error:
            result.rejected.append(Rejected(member, _reason(error, info.filename)))
    return result


def _reason(error: BadUploadError, name: str) -> str:
    """The message of ``error`` without the file name it starts with."""
    text = str(error)
    prefix = f"{display_name(name)}: "
    return text[len(prefix):] if text.startswith(prefix) else text


def read_uploads(files: Iterable[tuple[str, bytes]], limits: ImageLimits = IMAGE_LIMITS,
                 labels: Mapping[str, str] | None = None) -> ImageUpload:
    """Images from uploaded files (each an image or a ZIP of images), with one message per file
    that did not go in. Inside a ZIP, folder names become labels (``folder_labels``); ``labels``
    gives the loose files theirs (a folder read from disk)."""
    result = ImageUpload()
    total = 0
    for count, (name, data) in enumerate(files):
        shown = display_name(name)
        if count >= limits.max_files:
            result.rejected.append(Rejected(shown, f"more than {limits.max_files:,} files in one upload; the rest were not read."))
            break
        total += len(data)
        if total > limits.max_upload_megabytes * 1024 * 1024:
            result.rejected.append(Rejected(shown, f"the upload is over {limits.max_upload_megabytes} MB; this file and the rest were not read."))
            break
        if sniff(data) == "ZIP":
            result.extend(read_zip(data, name, limits))
            continue
        try:
            result.items.append(check_image(data, name, (labels or {}).get(name, ""), limits=limits))
        except BadUploadError as error:
            result.rejected.append(Rejected(shown, _reason(error, name)))
    return result


def prepared(image: Any) -> Any:
    """``image`` as RGB with its longest side at most ``EMBED_MAX_SIDE``."""
    image = to_rgb(image)
    if max(image.size) > EMBED_MAX_SIDE:
        image = image.copy()
        image.thumbnail((EMBED_MAX_SIDE, EMBED_MAX_SIDE))
    return image


def model_image(item: ImageItem) -> Any:
    """The decoded image of ``item``, RGB, downscaled to ``EMBED_MAX_SIDE``: what a model gets."""
    return prepared(open_image(item.data, item.name))
