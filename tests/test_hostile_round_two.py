"""Hostile input, round two (issue 19): each case is built here, small on disk, and failed before
its fix. ZIP members that inflate past their declared size, JPEG scan bombs, EXIF orientation."""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import tracemalloc
import warnings
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from embedlab.errors import BadUploadError
from embedlab.images.safety import (
    ImageLimits,
    check_image,
    jpeg_scans,
    model_image,
    open_image,
    read_uploads,
    read_zip,
)

REPO = Path(__file__).resolve().parents[1]
BOMB_MB = 100  # what the member really holds; its header says 1,000 bytes


def lying_zip(method: int, megabytes: int = BOMB_MB, declared: int = 1000) -> bytes:
    """A ZIP of one member of ``megabytes`` zeros compressed with ``method`` (a few hundred bytes
    for bzip2), whose local and central headers both claim ``declared`` bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive, archive.open("bomb.png", "w") as member:
        block = b"\0" * (1 << 20)
        for _ in range(megabytes):
            member.write(block)
    data = bytearray(buffer.getvalue())
    local = data.index(b"PK\x03\x04")
    data[local + 22 : local + 26] = struct.pack("<I", declared)
    central = data.rindex(b"PK\x01\x02")
    data[central + 24 : central + 28] = struct.pack("<I", declared)
    return bytes(data)


@pytest.fixture(scope="module", params=[zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA], ids=["bzip2", "lzma"])
def bomb(request: pytest.FixtureRequest) -> bytes:
    return lying_zip(request.param)


def test_a_zip_member_that_lies_about_its_size_is_inflated_only_up_to_the_cap(bomb: bytes) -> None:
    limits = ImageLimits()
    assert len(bomb) < 64 * 1024  # a few KB on disk
    tracemalloc.start()
    try:
        result = read_zip(bomb, "bomb.zip", limits)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not result.items and len(result.rejected) == 1
    assert result.rejected[0].name == "bomb.zip/bomb.png"
    assert "1,000" in result.rejected[0].reason or "more than" in result.rejected[0].reason
    # zipfile alone inflated the whole 100 MB chunk before any cap; the cap is 20 MB per image
    assert peak < 3 * limits.max_file_bytes, f"peak {peak / 2**20:.0f} MB"


def test_the_bomb_beside_good_pictures_leaves_them_in(bomb: bytes) -> None:
    good = io.BytesIO()
    Image.new("RGB", (16, 16), (1, 2, 3)).save(good, format="PNG")
    result = read_uploads([("bomb.zip", bomb), ("ok.png", good.getvalue())])
    assert [item.name for item in result.items] == ["ok.png"] and [r.name for r in result.rejected] == ["bomb.zip/bomb.png"]


def test_the_cli_refuses_the_bomb_with_exit_2_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    path.write_bytes(lying_zip(zipfile.ZIP_BZIP2))
    probe = ("import resource, sys\nfrom embedlab.cli import main\n"
             "code = main(['ingest-images', sys.argv[1], '--collection', 'bombs'])\n"
             "print('maxrss_kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\nsys.exit(code)\n")
    done = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "EMBEDLAB_HOME": str(tmp_path / "home")}, cwd=REPO)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "bomb.png" in done.stderr and "unexpected" not in done.stderr.lower()
    rss_mb = int(done.stderr.split("maxrss_kb")[1].split()[0]) / 1024
    assert rss_mb < 1500, f"the CLI reached {rss_mb:.0f} MB"


# -- JPEG scans --------------------------------------------------------------------------------


def jpeg(size: tuple[int, int] = (64, 48), progressive: bool = False, exif: bytes | None = None) -> bytes:
    buffer = io.BytesIO()
    options = {"exif": exif} if exif is not None else {}
    Image.new("RGB", size, (90, 140, 30)).save(buffer, format="JPEG", progressive=progressive, **options)
    return buffer.getvalue()


def scan_bomb(extra_scans: int) -> bytes:
    """A progressive 2000x2000 JPEG whose last scan is repeated ``extra_scans`` times: each repeat
    is a few bytes on disk and another pass over four million pixels for the decoder."""
    data = jpeg((2000, 2000), progressive=True)
    last = data.rindex(b"\xff\xda")
    scan = data[last:-2]  # the last SOS segment and its entropy-coded data, up to EOI
    return data[:-2] + scan * extra_scans + b"\xff\xd9"


def test_scans_are_counted_from_the_markers() -> None:
    assert jpeg_scans(jpeg()) == 1
    assert 2 <= jpeg_scans(jpeg(progressive=True)) <= 20
    assert jpeg_scans(scan_bomb(5_000)) > 5_000


def test_a_jpeg_of_thousands_of_scans_is_refused_before_decoding() -> None:
    bomb = scan_bomb(5_000)
    assert len(bomb) < 1_000_000
    with pytest.raises(BadUploadError, match=r"scan_bomb\.jpg: a JPEG of [\d,]+ scans; at most 100"):
        open_image(bomb, "scan_bomb.jpg")
    result = read_uploads([("scan_bomb.jpg", bomb), ("fine.jpg", jpeg(progressive=True))])
    assert [i.name for i in result.items] == ["fine.jpg"] and "scans" in result.rejected[0].reason


# -- EXIF orientation ----------------------------------------------------------------------------


def exif_with_orientation(value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value
    return exif.tobytes()


def test_a_photo_marked_orientation_6_is_turned_upright() -> None:
    data = jpeg((80, 40), exif=exif_with_orientation(6))  # stored landscape, meant to be seen portrait
    item = check_image(data, "phone.jpg")
    assert (item.width, item.height) == (40, 80) and item.format == "JPEG"
    assert model_image(item).size == (40, 80)


def test_corrupt_exif_raises_no_library_warning() -> None:
    data = bytearray(jpeg((32, 32), exif=exif_with_orientation(1)))
    at = data.index(b"Exif\x00\x00") + 6
    data[at + 4 : at + 8] = b"\xff\xff\xff\x7f"  # the first IFD's offset points far outside the block
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        item = check_image(bytes(data), "odd.jpg")
    assert (item.width, item.height) == (32, 32)
    assert not [w for w in caught if "EXIF" in str(w.message) or "exif" in str(w.message)], [str(w.message) for w in caught]
