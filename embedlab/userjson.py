"""Reading JSON that a user sent: every way ``json.loads`` can fail becomes a BadUploadError
that says where, and text that is not text (lone UTF-16 surrogates) is refused at the door."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from embedlab.errors import BadUploadError


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
