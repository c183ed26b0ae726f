"""Writes the hostile corpus next to this file (run it again after changing a case; the files
are committed so the tests read exactly these bytes). Each case is named in MANIFEST.json with
the command that reads it and the message it must get; see tests/test_hostile.py."""

from __future__ import annotations

import gzip
import pickle
import struct
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent


def png(width: int, height: int, rows: bytes | None = None) -> bytes:
    """A minimal greyscale PNG; ``rows`` defaults to all zero (a bomb compresses to nothing)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = rows if rows is not None else b"".join(b"\x00" + b"\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


CASES: dict[str, bytes] = {
    # text uploads (Explore, `embedlab ingest`)
    "latin1.csv": "text\ncaf\xe9 au lait\nna\xefve\n".encode("latin-1"),
    "ragged.csv": b"text,label\nfine row,a\nbad row,b,extra,fields\nok,c\n",
    "long_first_row.csv": b"text,label\nfirst row,a,EXTRA\nsecond,b\n",
    "empty.csv": b"",
    "header_only.csv": b"text,label\n",
    "no_text.csv": b"id,score\n1,2\n3,4\n",
    "nul_row_4000.csv": ("text,label\n" + "".join(f"row {i} text,a\n" if i != 4000 else "row 4000 \x00 hides,a\n"
                                                 for i in range(1, 5001))).encode(),
    "binary.csv": png(4, 4),
    "invalid_line_3.jsonl": b'{"text": "one"}\n{"text": "two"}\n{"text": nope}\n',
    "deep.jsonl": b'{"text": ' + b"[" * 100_000 + b"\n",
    "giant_line.jsonl": b'{"text": "' + b"x" * 1_050_000 + b'"}\n',
    "huge_cell.csv": b"text,label\n" + b"word " * 50_000 + b",a\nsmall,b\n",
    "surrogate.jsonl": b'{"text": "half \\udc00 a pair"}\n',
    "formula.csv": b"text,label\n=HYPERLINK(\"http://evil\"),a\n  +cmd|' /C calc'!A0,b\n@SUM(1),c\n",
    "html.csv": b'text,label\n"<img src=x onerror=alert(1)>",a\n<script>alert(2)</script>,b\n',
    "ansi.csv": b"text,label\n\x1b[31mred alert\x1b[0m \x1b]0;pwned\x07,a\nplain,b\n",
    # word vectors (Train page upload, `embedlab load-vectors`)
    "pickle.kv": pickle.dumps({"not": "vectors"}, protocol=4),
    "numpy.npy": b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" + b" " * 50 + b"\n" + b"\x00" * 24,
    "ragged_glove.txt": b"the 0.1 0.2 0.3\nof 0.1 0.2 0.3\nand 0.1 0.2\n",
    "not_a_number.txt": b"the 0.1 0.2 0.3\nof 0.1 two 0.3\n",
    "header_lies.txt": b"100000000 300\nthe " + b"0.1 " * 299 + b"0.1\n",
    "huge_dim.txt": b"10 5000\nthe 0.1\n",
    "nan.txt": b"2 3\nthe 0.1 0.2 0.3\nof 0.1 nan 0.3\n",
    "gzip_bomb.txt.gz": gzip.compress(b"the 0.1 0.2 0.3\n" + b"0" * 300_000_000, 9, mtime=0),
    "vectors.bz2": b"BZh91AY&SY" + b"\x00" * 40,
    # word sets (Bias page, `embedlab weat --sets`)
    "words_100k.txt": ("big: " + ",".join(f"w{i:05d}" for i in range(100_000)))[:990_000].encode(),
    "wordsets_deep.json": b'{"a": ' + b"[" * 200_000,
    "wordsets_not_utf8.txt": b"\xff\xfe\x00pets: cat, dog\n",
    # text for training (Train page, `embedlab train --text`) and graphs (`--edges`)
    "train_binary.txt": b"\x00\x01\x02\x03" * 1000,
    "edges_bad.txt": b"1 2\n2 3\nthree four five six\n",
}


def main() -> None:
    for name, data in CASES.items():
        (HERE / name).write_bytes(data)
    print(f"{len(CASES)} files written to {HERE}")


if __name__ == "__main__":
    main()
