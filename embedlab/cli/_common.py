"""Shared pieces of the CLI: output, progress bars, common options."""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Callable, Iterator
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
    """Long work draws a bar on stderr, unless ``--json`` output goes to a pipe or file and
    stderr is not a terminal (a script reading the JSON wants quiet)."""
    return sys.stderr.isatty() or not getattr(args, "json", False)


class ProgressBar:
    """A tqdm bar on stderr: call it as ``progress(done, total)``; ``stage(text)`` names the
    step under way before there is anything to count (loading a model, reading a file)."""

    def __init__(self, description: str, enabled: bool, unit: str) -> None:
        from tqdm import tqdm

        self.description = description
        self.enabled = enabled
        self.shown = description
        self.bar = tqdm(total=0, desc=description, unit=unit, file=sys.stderr, disable=not enabled, dynamic_ncols=True)

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.shown != self.description:
            self._describe(self.description)
        if self.bar.total != total:
            self.bar.total = total
            self.bar.refresh()
        self.bar.update(done - self.bar.n)

    def stage(self, text: str) -> None:
        if self.enabled:
            self._describe(text)
            self.bar.refresh()

    def _describe(self, text: str) -> None:
        self.shown = text
        self.bar.set_description_str(text)


@contextmanager
def progress_bar(description: str, enabled: bool = True, unit: str = "row") -> Iterator[ProgressBar]:
    """A ``ProgressBar`` on stderr (quiet when disabled), closed at the end."""
    bar = ProgressBar(description, enabled, unit)
    try:
        yield bar
    except BaseException:
        bar.bar.leave = False  # an error message follows: it is the one line left on stderr
        raise
    finally:
        bar.bar.close()
