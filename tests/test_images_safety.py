"""SECURITY.md's image and ZIP rows, one test each: the hostile file gets its own message, the
rest of the upload still goes in, nothing is written outside EMBEDLAB_HOME, and the store and
the server's process survive."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from embedlab.errors import BadUploadError
from embedlab.images.safety import (
    IMAGE_LIMITS,
    ImageLimits,
    check_image,
    read_uploads,
    read_zip,
    sniff,
)


def png(size: tuple[int, int] = (32, 24), colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def encoded(fmt: str, size: tuple[int, int] = (20, 20)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, format=fmt)
    return buffer.getvalue()


def zipped(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


GOOD = png()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "BMP"])
def test_each_allowed_format_opens(fmt: str) -> None:
    item = check_image(encoded(fmt), f"x.{fmt.lower()}")
    assert item.format == fmt and (item.width, item.height) == (20, 20) and len(item.id) == 32


# -- "type= in st.file_uploader is checked by the browser only": content is sniffed ----------------

def test_a_text_file_named_png_is_refused_by_its_content() -> None:
    with pytest.raises(BadUploadError, match="fake.png: not an image"):
        check_image(b"hello, I am text pretending to be a picture", "fake.png")


# -- "exotic formats with decoder CVEs": only the allow-list reaches a decoder -----------------------

@pytest.mark.parametrize("fmt, named", [("TIFF", "TIFF"), ("ICO", "ICO"), ("PDF", "PDF")])
def test_exotic_formats_are_refused_before_decoding(fmt: str, named: str) -> None:
    data = encoded(fmt, (16, 16))
    assert sniff(data) == named
    with pytest.raises(BadUploadError, match=f"a {named} file; only JPEG, PNG, WEBP, GIF, BMP"):
        check_image(data, f"picture.{fmt.lower()}")


def test_svg_and_psd_magic_are_refused() -> None:
    with pytest.raises(BadUploadError, match="SVG"):
        check_image(b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>', "x.svg")
    with pytest.raises(BadUploadError, match="PSD"):
        check_image(b"8BPS\x00\x01" + b"\x00" * 40, "x.psd")


# -- "decompression bomb": pixel cap, Pillow's warning as an error -----------------------------------

def test_a_decompression_bomb_is_refused_without_decoding() -> None:
    bomb = encoded("PNG", (6000, 6000))  # 36 M pixels of one colour: ~100 KB compressed
    assert len(bomb) < 1_000_000
    with pytest.raises(BadUploadError, match="decompression bomb"):
        check_image(bomb, "bomb.png")


def test_pillows_bomb_warning_is_an_error_here() -> None:
    small_cap = ImageLimits(max_pixels=10_000)
    with pytest.raises(BadUploadError, match="decompression bomb"):
        check_image(encoded("PNG", (150, 150)), "big.png", limits=small_cap)  # 22,500 px > cap


def test_a_png_header_claiming_huge_dimensions_is_refused() -> None:
    data = bytearray(png((10, 10)))
    data[16:24] = struct.pack(">II", 100_000, 100_000)  # IHDR width/height (CRC now wrong too)
    with pytest.raises(BadUploadError):
        check_image(bytes(data), "liar.png")


# -- "malformed file": img.load() inside a try --------------------------------------------------------

def test_a_truncated_image_gets_its_message() -> None:
    data = encoded("JPEG", (300, 300))
    with pytest.raises(BadUploadError, match="truncated.jpg: a damaged JPEG file"):
        check_image(data[: len(data) // 3], "truncated.jpg")


def test_an_empty_file_and_an_oversized_file_are_refused() -> None:
    with pytest.raises(BadUploadError, match="empty"):
        check_image(b"", "empty.png")
    with pytest.raises(BadUploadError, match="at most 1 MB"):
        check_image(GOOD + b"\x00" * 2_000_000, "padded.png", limits=ImageLimits(max_file_megabytes=1))


# -- ZIP rows ---------------------------------------------------------------------------------------

def test_a_zip_of_images_goes_in_and_bad_members_each_get_a_message() -> None:
    archive = zipped({"a.png": GOOD, "dir/b.jpg": encoded("JPEG"), "notes.txt": b"just text", "c.tiff": encoded("TIFF"),
                      "broken.png": GOOD[:40]})
    result = read_zip(archive, "photos.zip")
    assert sorted(item.name for item in result.items) == ["a.png", "dir/b.jpg"]
    reasons = {r.name: r.reason for r in result.rejected}
    assert set(reasons) == {"photos.zip/notes.txt", "photos.zip/c.tiff", "photos.zip/broken.png"}
    assert "not an image" in reasons["photos.zip/notes.txt"] and "TIFF" in reasons["photos.zip/c.tiff"]
    assert "damaged" in reasons["photos.zip/broken.png"]


def test_dot_dot_names_are_only_displayed_never_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.parent.iterdir())
    result = read_zip(zipped({"../../escape.png": GOOD, "/abs/root.png": png(colour=(1, 2, 3))}), "evil.zip")
    assert [item.name for item in result.items] == ["../../escape.png", "/abs/root.png"]
    assert not list(tmp_path.rglob("*.png")) and sorted(p.name for p in tmp_path.parent.iterdir()) == before


def test_a_zip_bomb_member_is_refused_by_its_ratio() -> None:
    bomb = zipped({"zeros.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 5_000_000, "fine.png": GOOD})
    result = read_zip(bomb, "bomb.zip")
    assert [item.name for item in result.items] == ["fine.png"]
    assert "possible zip bomb" in result.rejected[0].reason and result.rejected[0].name == "bomb.zip/zeros.png"


def test_a_zip_over_the_total_size_is_refused_before_reading() -> None:
    members = {f"{i}.png": GOOD + bytes(300_000) for i in range(4)}  # declares 1.2 MB unpacked
    result = read_zip(zipped(members, zipfile.ZIP_STORED), "big.zip", ImageLimits(max_zip_total_megabytes=1))
    assert not result.items and "unpacks to" in result.rejected[0].reason


def test_thousands_of_members_are_refused() -> None:
    many = zipped({f"{i}.png": GOOD for i in range(IMAGE_LIMITS.max_zip_members + 1)}, zipfile.ZIP_STORED)
    result = read_zip(many, "many.zip")
    assert not result.items and f"{IMAGE_LIMITS.max_zip_members + 1:,} files" in result.rejected[0].reason


def overlapping_zip() -> bytes:
    """Two central-directory entries pointing at the same local file (Fifield's overlap)."""
    data = bytearray(zipped({"a.png": GOOD}, zipfile.ZIP_STORED))
    end = data.rindex(b"PK\x05\x06")
    central_at = struct.unpack("<I", data[end + 16 : end + 20])[0]
    central = bytes(data[central_at:end])
    second = central.replace(b"a.png", b"b.png")
    count = 2
    eocd = bytearray(data[end:])
    eocd[8:10] = struct.pack("<H", count)
    eocd[10:12] = struct.pack("<H", count)
    eocd[12:16] = struct.pack("<I", len(central) * 2)
    return bytes(data[:central_at]) + central + second + bytes(eocd)


def test_overlapping_entries_are_refused() -> None:
    archive = overlapping_zip()
    assert len(zipfile.ZipFile(io.BytesIO(archive)).infolist()) == 2
    result = read_zip(archive, "overlap.zip")
    assert not result.items and "overlap" in result.rejected[0].reason


def test_a_member_that_lies_about_its_size_is_read_with_a_bound() -> None:
    data = bytearray(zipped({"a.png": GOOD + bytes(3000)}, zipfile.ZIP_STORED))
    # shrink the declared size in the central directory: a reader trusting it would read past
    at = data.rindex(b"PK\x01\x02")
    data[at + 24 : at + 28] = struct.pack("<I", 10)
    result = read_zip(bytes(data), "liar.zip", ImageLimits())
    assert not result.items and result.rejected


def test_encrypted_and_nested_zips_get_their_messages() -> None:
    inner = zipped({"x.png": GOOD})
    archive = bytearray(zipped({"inner.zip": inner, "ok.png": GOOD}, zipfile.ZIP_STORED))
    result = read_zip(bytes(archive), "outer.zip")
    assert [i.name for i in result.items] == ["ok.png"] and "nested" in result.rejected[0].reason
    encrypted = bytearray(zipped({"secret.png": GOOD}, zipfile.ZIP_STORED))
    for marker in (b"PK\x03\x04", b"PK\x01\x02"):
        at = encrypted.index(marker)
        offset = 6 if marker == b"PK\x03\x04" else 8
        encrypted[at + offset] |= 0x1
    result = read_zip(bytes(encrypted), "locked.zip")
    assert not result.items and "encrypted" in result.rejected[0].reason


def test_not_a_zip_and_the_rest_of_the_upload_still_goes_in() -> None:
    result = read_uploads([("a.png", GOOD), ("broken.zip", b"PK\x03\x04garbage"), ("b.gif", encoded("GIF")),
                           ("bomb.png", encoded("PNG", (6000, 6000)))])
    assert [item.name for item in result.items] == ["a.png", "b.gif"]
    assert [r.name for r in result.rejected] == ["broken.zip", "bomb.png"]


def test_control_characters_in_names_are_not_shown_raw() -> None:
    result = read_zip(zipped({"evil\x1b[31mred.png": GOOD}), "z.zip")
    assert "\x1b" not in result.items[0].name


def test_the_store_and_its_collections_survive_a_hostile_upload(hashing_image_backend: str) -> None:
    from embedlab.images.store import ingest_images, load_item
    from embedlab.store import open_store

    first = ingest_images("mine", hashing_image_backend, read_uploads([("a.png", GOOD)]).items)
    upload = read_uploads([("bomb.png", encoded("PNG", (6000, 6000))), ("fake.png", b"text"), ("b.png", png(colour=(0, 0, 255)))])
    second = ingest_images("mine", hashing_image_backend, upload.items, rejected=upload.rejected)
    assert (first.added, second.added, second.skipped, len(second.rejected)) == (1, 1, 0, 2)
    info = open_store().info(second.chroma_name)
    assert info.count == 2 and info.complete
    assert load_item(read_uploads([("a.png", GOOD)]).items[0].id).format == "PNG"  # kept on disk by content hash
    with pytest.raises(BadUploadError, match="No image to store: bomb.png"):
        ingest_images("mine", hashing_image_backend, [], rejected=upload.rejected)
    assert open_store().info(second.chroma_name).count == 2


@pytest.fixture
def hashing_image_backend() -> str:
    """A deterministic image encoder (mean colour and a coarse grid) in the catalogue."""
    from embedlab.backends import catalogue
    from embedlab.backends.base import BackendKind, BatchedEncoder

    class TinyImages(BatchedEncoder):
        kind = BackendKind.IMAGE
        device = "cpu"
        dim = 12

        def __init__(self) -> None:
            self.name = "tiny-images"
            self.calls = 0

        def _encode_batch(self, batch: list, batch_size: int) -> np.ndarray:
            self.calls += len(batch)
            return np.stack([np.asarray(im.convert("RGB").resize((2, 2)), dtype=np.float32).reshape(-1) + 1 for im in batch])

    catalogue().add(TinyImages(), "session", persist=False)
    return "tiny-images"


def test_upload_caps_on_files_and_bytes() -> None:
    few = ImageLimits(max_files=2)
    result = read_uploads([("a.png", GOOD), ("b.png", png(colour=(0, 1, 2))), ("c.png", png(colour=(3, 4, 5)))], few)
    assert len(result.items) == 2 and "more than 2 files" in result.rejected[0].reason
    small = ImageLimits(max_upload_megabytes=1)
    big = encoded("BMP", (600, 600))  # ~1.08 MB uncompressed BMP
    result = read_uploads([("a.png", GOOD), ("big.bmp", big)], small)
    assert [i.name for i in result.items] == ["a.png"] and "over 1 MB" in result.rejected[0].reason


def test_cli_ingests_a_folder_with_a_message_per_bad_file(tmp_path: Path, hashing_image_backend: str,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from embedlab.cli import main

    folder = tmp_path / "pictures"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.png").write_bytes(GOOD)
    (folder / "sub" / "b.jpg").write_bytes(encoded("JPEG"))
    (folder / "notes.txt").write_text("not a picture")
    assert main(["ingest-images", str(folder), "--collection", "folder", "--backend", hashing_image_backend, "--json"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert (report["images"], report["added"], [r["name"] for r in report["rejected"]]) == (2, 2, ["notes.txt"])
    assert "embedlab: skipped notes.txt: not an image" in captured.err
    assert main(["ingest-images", str(folder), "--collection", "folder", "--backend", hashing_image_backend, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["added"] == 0  # stored once: nothing encoded again
    assert main(["ingest-images", str(tmp_path / "missing"), "--collection", "x"]) == 2


def test_folder_names_in_a_zip_or_a_folder_become_labels(tmp_path) -> None:
    """Issue 22 defect 5: folder names inside an uploaded ZIP were ignored (one colour on the map, no
    labels for classify-collection); now each image's folder is its label, as torchvision's ImageFolder."""
    import io
    import zipfile

    from PIL import Image

    from embedlab.cli.images import _read_path
    from embedlab.images.safety import read_uploads

    def png(colour: str) -> bytes:
        buffer = io.BytesIO()
        Image.new("RGB", (8, 8), colour).save(buffer, "PNG")
        return buffer.getvalue()

    members = {"pets/cats/a.png": png("red"), "pets/cats/b.png": png("orange"), "pets/dogs/c.png": png("blue")}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        archive.writestr("__MACOSX/pets/cats/._a.png", b"\x00\x05\x16\x07 not an image")
    upload = read_uploads([("pets.zip", buffer.getvalue())])
    assert {(item.name, item.label) for item in upload.items} == {("pets/cats/a.png", "cats"), ("pets/cats/b.png", "cats"),
                                                                  ("pets/dogs/c.png", "dogs")}
    flat = io.BytesIO()
    with zipfile.ZipFile(flat, "w") as archive:
        archive.writestr("cats/a.png", members["pets/cats/a.png"])
        archive.writestr("loose.png", members["pets/dogs/c.png"])
    assert {(i.name, i.label) for i in read_uploads([("flat.zip", flat.getvalue())]).items} == {("cats/a.png", "cats"), ("loose.png", "")}

    for name, data in members.items():  # the same tree on disk, for `embedlab ingest-images FOLDER`
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    assert sorted(i.label for i in _read_path(tmp_path / "pets").items) == ["cats", "cats", "dogs"]


def test_label_messages_speak_the_language_of_where_they_were_typed() -> None:
    """The command line takes labels as separate words; only the page's box separates them by commas."""
    from embedlab.errors import InputError
    from embedlab.images.search import parse_labels

    with pytest.raises(InputError) as on_the_command_line:
        parse_labels(["cat"])
    assert "commas" not in str(on_the_command_line.value) and "cat dog car" in str(on_the_command_line.value)
    with pytest.raises(InputError, match="separated by commas"):
        parse_labels("cat")
