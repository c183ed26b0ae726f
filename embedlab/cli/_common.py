"""Shared pieces of the CLI: output, progress bars, common options."""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

SEED_MAX = 2**31 - 1  # the pages' seed inputs go this high


def integer(low: int, high: int) -> Callable[[str], int]:
    """An argparse ``type``: a whole number in [``low``, ``high``] (the page's bounds for the same
    setting), else argparse's error (exit 2) saying which flag and what is allowed."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:,} and {high:,}, got {value:,}")
        return value

    parse.__name__ = "whole number"
    return parse


def number(low: float, high: float) -> Callable[[str], float]:
    """An argparse ``type``: a finite number in [``low``, ``high``] (NaN and infinities refused)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be a number between {low:g} and {high:g}, got {text}")
        return value

    parse.__name__ = "number"
    return parse


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    """``--json``: one JSON document on stdout instead of a human-readable table."""
    parser.add_argument("--json", action="store_true", help="print one JSON document to stdout")


def finite(value: Any) -> Any:
    """``value`` ready for strict JSON: numpy arrays and scalars as Python values, NaN and
    infinities as ``None`` (``jq`` and JavaScript's ``JSON.parse`` refuse the ``NaN`` Python
    would print)."""
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(item) for item in value]
    if isinstance(value, np.ndarray):
        return finite(value.tolist())
    if isinstance(value, (np.floating, np.integer)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """``text`` with control characters written out (``\\x1b``), so a stored text cannot
    recolour, move the cursor in or retitle the user's terminal; new lines and tabs stay."""
    return _CONTROL.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)


class TerminalSafeWriter:
    """A text stream that passes everything through ``terminal_safe`` (human output only:
    JSON already escapes control characters)."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(terminal_safe(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def emit(args: argparse.Namespace, document: Any, human: Callable[[], None]) -> None:
    """Print ``document`` as JSON under ``--json``, else call ``human`` to print a table."""
    if getattr(args, "json", False):
        json.dump(finite(document), sys.stdout, ensure_ascii=False, allow_nan=False)
        sys.stdout.write("\n")
    else:
        human()


def show_progress(args: argparse.Namespace) -> bool:
    """Long work reports its progress on stderr in every mode: ``--json`` output goes to stdout
    alone, so a script reading it is not disturbed, and a log of stderr shows that the work goes on
    (on a terminal as a bar redrawn in place, elsewhere as whole lines at most every
    ``LOG_INTERVAL_S`` seconds)."""
    return True


LOG_INTERVAL_S = 10.0


class _Lines:
    """A stream for tqdm when stderr is not a terminal (a log file, a pipe): each state of the bar
    becomes one whole line (tqdm redraws with carriage returns, which a log shows as one long line
    of repeats), and a line equal to the last one is not written again."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.last = ""

    def write(self, text: str) -> int:
        for part in text.replace("\n", "\r").split("\r"):
            line = part.strip()
            if line and line != self.last:
                self.stream.write(line + "\n")
                self.last = line
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


class ProgressBar:
    """A tqdm bar on stderr: call it as ``progress(done, total)``; ``stage(text)`` names the
    step under way before there is anything to count (loading a model, reading a file). Nothing
    is drawn until there is a stage or a count (no ``0row [00:00, ?row/s]``), a stage shows its
    text alone, and a bar that never counted anything is cleared when it closes."""

    def __init__(self, description: str, enabled: bool, unit: str) -> None:
        self.description = description
        self.enabled = enabled
        self.shown = description
        self.unit = unit
        self.counted = False
        self.bar: Any = None

    def _open(self) -> Any:
        if self.bar is None:
            from tqdm import tqdm

            terminal = sys.stderr.isatty()
            self.bar = tqdm(total=0, desc=self.shown, unit=self.unit, file=sys.stderr if terminal else _Lines(sys.stderr),
                            dynamic_ncols=terminal, mininterval=0.1 if terminal else LOG_INTERVAL_S, bar_format="{desc}…")
        return self.bar

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        bar = self._open()
        if not self.counted:
            self.counted = True
            bar.bar_format = None  # from the stage's text alone to tqdm's counter, its clock started now
            bar.reset(total=total)
        if self.shown != self.description:
            self._describe(self.description)
        if bar.total != total:
            bar.total = total
            bar.refresh()
        bar.update(done - bar.n)

    def stage(self, text: str) -> None:
        if self.enabled:
            self._describe(text)
            self._open().refresh()

    def _describe(self, text: str) -> None:
        self.shown = text
        if self.bar is not None:
            self.bar.set_description_str(text, refresh=False)

    def close(self, failed: bool = False) -> None:
        if self.bar is None:
            return
        if failed or not self.counted:
            self.bar.leave = False  # an error message follows, or a stage's text has nothing more to say
        self.bar.close()


@contextmanager
def progress_bar(description: str, enabled: bool = True, unit: str = "row") -> Iterator[ProgressBar]:
    """A ``ProgressBar`` on stderr (quiet when disabled), closed at the end."""
    bar = ProgressBar(description, enabled, unit)
    failed = False
    try:
        yield bar
    except BaseException:
        failed = True  # an error message follows: it is the one line left on stderr
        raise
    finally:
        bar.close(failed)


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide (CJK) characters two, combining marks none."""
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def shortened(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` columns, ending in ``…`` when it was cut."""
    if display_width(text) <= width:
        return text
    kept = ""
    for ch in text:
        if display_width(kept + ch) > width - 1:
            break
        kept += ch
    return kept + "…"


def aligned(rows: Sequence[Sequence[object]], limits: Mapping[int, int] | None = None, right: set[int] | None = None) -> str:
    """A plain-text table: columns padded by display width (so wide characters keep the columns
    straight), the columns in ``limits`` shortened with ``…`` to that many columns, those in
    ``right`` right-aligned; the others are never cut (a collection's name is what one types)."""
    cells = [[shortened(str(cell), (limits or {}).get(c, 10**6)) for c, cell in enumerate(row)] for row in rows]
    widths = [max(display_width(row[c]) for row in cells) for c in range(len(cells[0]))] if cells else []

    def pad(text: str, c: int) -> str:
        gap = " " * (widths[c] - display_width(text))
        return gap + text if c in (right or set()) else text + gap

    return "\n".join("  ".join(pad(text, c) for c, text in enumerate(row)).rstrip() for row in cells)
