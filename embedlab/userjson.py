"""Reading what a user sent: the first checks of every text upload (size, empty, a NUL byte
anywhere), JSON whose every way of failing becomes a BadUploadError that says where, and text
that is not text (lone UTF-16 surrogates) refused at the door."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from embedlab.errors import BadUploadError


def check_text_bytes(data: bytes, what: str, max_bytes: int, *, expected: str) -> None:
    """Refuse an empty upload, one over ``max_bytes``, and one with a NUL byte anywhere (a
    binary file; the whole file is searched, not a prefix), naming the line of the NUL."""
    if not data.strip():
        raise BadUploadError(f"{what} is empty.")
    if len(data) > max_bytes:
        raise BadUploadError(f"{what} is {len(data) / 2**20:.1f} MB; the limit is {max_bytes / 2**20:g} MB.")
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise BadUploadError(f"{what} holds a NUL byte on line {line:,}: it is a binary file, not {expected}.")


def load_json_text(text: str, where: str) -> Any:
    """``json.loads`` of user text with every way it can fail named: bad syntax (with its column),
    nesting too deep for the parser, or a number too long to convert."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        place = f"line {error.lineno}, column {error.colno}" if error.lineno > 1 else f"column {error.colno}"
        raise BadUploadError(f"{where} is not valid JSON: {error.msg} ({place}).") from None
    except RecursionError:
        raise BadUploadError(f"{where} nests JSON arrays or objects too deeply to read.") from None
    except ValueError as error:  # an integer of more than 4,300 digits is the one case known
        what = "a number with more than 4,300 digits" if "digits" in str(error) else f"a value that cannot be read ({str(error)[:80]})"
        raise BadUploadError(f"{where} holds {what}.") from None


def refuse_lone_surrogates(row: Mapping[str, str], where: str, field: str = "column") -> None:
    r"""JSON may spell half of a UTF-16 pair (``"\ud800"``), which is no character at all:
    refuse it here rather than fail later in the encoder or the store."""
    for key, value in row.items():
        for part in (key, value):
            try:
                part.encode("utf-8")
            except UnicodeEncodeError:
                raise BadUploadError(
                    f"{where}: {field} {key.encode('utf-8', 'replace').decode()!r} holds an unpaired UTF-16 surrogate"
                    " (an escape such as \\ud800 with no partner), which is not text."
                ) from None
