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
    # VmHWM: the probe's own peak since exec (ru_maxrss carries pytest's peak over fork and exec)
    probe = ("import re, sys\nfrom pathlib import Path\nfrom embedlab.cli import main\n"
             "code = main(['ingest-images', sys.argv[1], '--collection', 'bombs'])\n"
             "peak = re.search(r'VmHWM:\\s+(\\d+)', Path('/proc/self/status').read_text()).group(1)\n"
             "print('maxrss_kb', peak, file=sys.stderr)\nsys.exit(code)\n")
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


# -- numbers from links and flags ----------------------------------------------------------------

PAGES = REPO / "pages"


@pytest.mark.parametrize(("page", "link", "default"), [
    ("recommend", {"rec_weight": "nan", "rec_half_life": "nan", "rec_reg": "nan", "rec_recency": "inf"},
     {"rec_weight": 0.9, "rec_half_life": 5.0, "rec_reg": 0.0, "rec_recency": 20.0}),
    ("explore", {"explore_min_dist": "nan", "explore_perplexity": "-inf"}, {"explore_min_dist": 0.1, "explore_perplexity": 30.0}),
    ("bias", {"bias_c": "nan"}, {"bias_c": 1.0}),
    ("train", {"tr_p": "nan", "tr_held_out": "inf"}, {"tr_p": 1.0, "tr_held_out": 0.2}),
])
def test_a_number_from_a_link_is_finite_or_dropped_with_a_warning(page: str, link: dict[str, str], default: dict[str, float]) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(PAGES / f"{page}.py"), default_timeout=240)
    at.query_params.update(link)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    warned = " ".join(w.value for w in at.warning)
    for key, value in default.items():
        assert at.session_state[key] == value
        assert key.replace("_", "\\_") in warned or key in warned
    assert "not a finite number" in warned


EMBEDLAB = str(Path(sys.executable).with_name("embedlab"))


@pytest.mark.parametrize(("args", "flag"), [
    (["recommend", "--user", "1", "--seed", "-1"], "--seed"),
    (["eval-recommend", "--mf", "bpr", "--seed", "-1"], "--seed"),
    (["weat", "glove-6b-50d", "--seed", "-1"], "--seed"),
    (["weat", "glove-6b-50d", "--permutations", "1000000000"], "--permutations"),
    (["project", "x", "--min-dist", "nan"], "--min-dist"),
    (["recommend", "--user", "1", "--weight", "inf"], "--weight"),
    (["cluster", "x", "--k", "0"], "--k"),
    (["train", "word2vec", "--out", "x.txt", "--epochs", "100000"], "--epochs"),
])
def test_every_numeric_flag_is_checked_with_the_pages_bounds(args: list[str], flag: str, tmp_path: Path) -> None:
    done = subprocess.run([EMBEDLAB, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "EMBEDLAB_HOME": str(tmp_path)})
    assert done.returncode == 2, done.stderr
    assert f"argument {flag}:" in done.stderr and ("between" in done.stderr or "not a" in done.stderr)


def test_a_chroma_url_that_is_not_a_url_is_a_configuration_error(tmp_path: Path) -> None:
    done = subprocess.run([EMBEDLAB, "collections"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "EMBEDLAB_HOME": str(tmp_path), "EMBEDLAB_CHROMA_URL": "http://[::1"})
    assert done.returncode == 2, done.stderr
    assert "EMBEDLAB_CHROMA_URL" in done.stderr and "unexpected" not in done.stderr.lower()


def test_embedlab_serve_checks_the_host_on_every_route(tmp_path: Path) -> None:
    import http.client
    import socket
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([EMBEDLAB, "serve", "--port", str(port)], env={**os.environ, "EMBEDLAB_HOME": str(tmp_path)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def status(path: str, host: str) -> int | None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", path, headers={"Host": host})
            return connection.getresponse().status
        except OSError:
            return None
        finally:
            connection.close()

    try:
        deadline = time.time() + 120
        while status("/_stcore/health", f"127.0.0.1:{port}") != 200:
            assert server.poll() is None and time.time() < deadline, "embedlab serve did not start"
            time.sleep(0.25)
        for path in ("/_stcore/health", "/_stcore/metrics", "/_stcore/host-config", "/"):
            assert status(path, "rebind.attacker.example") == 403, path
            assert status(path, f"localhost:{port}") == 200, path
            assert status(path, f"[::1]:{port}") == 200, path
    finally:
        server.terminate()
        server.wait(timeout=30)


# -- interactions, names and messages that must say the real cause --------------------------------


def interactions_file(rows: list[str]) -> bytes:
    return ("user,item,rating,timestamp\n" + "\n".join(rows) + "\n").encode()


GOOD_ROWS = [f"u{u},i{i},{1 + (u + i) % 5},{1000 + u * 10 + i}" for u in range(4) for i in range(4)]


@pytest.mark.parametrize(("bad_row", "line", "value"), [
    ("u9,i1,1e39,5000", 18, "1e39"), ("u9,i1,1e300,5000", 18, "1e300"), ("u9,i1,3,1e30", 18, "1e30"),
])
def test_an_interaction_number_out_of_range_is_named_with_its_line(bad_row: str, line: int, value: str) -> None:
    from embedlab.recommend.data import read_interactions

    with pytest.raises(BadUploadError, match=rf"line {line}: the (rating|timestamp) '{value}' is out of range"):
        read_interactions(interactions_file([*GOOD_ROWS, bad_row]), "inter.csv")


def test_a_bad_timestamp_is_reported_on_its_own_line_with_its_own_value() -> None:
    from embedlab.recommend.data import read_interactions

    rows = [*GOOD_ROWS[:7], "u1,i3,4,yesterday", *GOOD_ROWS[7:]]
    with pytest.raises(BadUploadError, match=r"line 9: the timestamp 'yesterday' is not a number or an ISO date"):
        read_interactions(interactions_file(rows), "inter.csv")


def test_evaluation_of_users_with_one_interaction_each_says_why_it_cannot_run() -> None:
    from embedlab.errors import InputError
    from embedlab.recommend.data import read_interactions
    from embedlab.recommend.evaluate import evaluate
    from embedlab.recommend.models import spec_for

    data = read_interactions(interactions_file([f"u{u},i{u % 7},3,{1000 + u}" for u in range(30)]), "single.csv")
    with pytest.raises(InputError, match="at least two different items"):
        evaluate(data, spec_for("popular"))


def test_dot_and_cosine_figures_that_print_the_same_are_said_to_be_equal() -> None:
    from embedlab.recommend.explain import DotCosine

    text = DotCosine([1, 2], [2, 1], 6.0, 6.2, 1.5, 1.501, 2, None).explanation()
    assert "as popular (mean 6 interactions per item in both lists)" in text and "as long (mean length 1.50 in both)" in text
    assert "more" not in text.split("Across")[0] and "nan" not in text
    assert "no rank correlation" in text


def test_a_built_in_gallery_name_is_reserved(tmp_path: Path) -> None:
    picture = tmp_path / "x.png"
    Image.new("RGB", (16, 16), (1, 2, 3)).save(picture)
    done = subprocess.run([EMBEDLAB, "ingest-images", str(picture), "--collection", "gallery"], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "EMBEDLAB_HOME": str(tmp_path / "home")})
    assert done.returncode == 2 and "built-in image collection" in done.stderr, done.stderr


def test_a_huge_image_is_refused_for_its_size_not_called_empty(tmp_path: Path) -> None:
    huge = tmp_path / "huge.jpg"
    with huge.open("wb") as stream:  # a sparse 300 MB file: nothing is written, the size is real
        stream.write(jpeg())
        stream.truncate(300 * 2**20)
    env = {**os.environ, "EMBEDLAB_HOME": str(tmp_path / "home")}
    for args in (["ingest-images", str(huge), "--collection", "big"], ["classify", str(huge), "--labels", "a, b"]):
        done = subprocess.run([EMBEDLAB, *args], capture_output=True, text=True, timeout=300, env=env)
        assert done.returncode == 2, done.stderr
        assert "300 MB" in done.stderr and "empty" not in done.stderr, done.stderr


@pytest.mark.parametrize(("rows", "reason"), [
    (["text,label", *[f",label{i % 3}" for i in range(30)]], "no rows with both a text and a label"),
    (["text,label", *[f"text number {i},label{i}" for i in range(500)]], "500 of 500 labels have fewer"),
])
def test_downstream_data_that_cannot_be_classified_says_the_real_cause(rows: list[str], reason: str) -> None:
    from embedlab.analysis.downstream import compare, upload_data
    from embedlab.errors import EmbedlabError

    with pytest.raises(EmbedlabError, match=reason):
        data = upload_data(("\n".join(rows) + "\n").encode(), "labelled.csv", "label", text_column="text")
        compare(data, ["tfidf"], folds=5)
