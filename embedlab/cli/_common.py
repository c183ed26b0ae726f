"""Shared pieces of the CLI: output, progress bars, common options."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np


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


def emit(args: argparse.Namespace, document: Any, human: Callable[[], None]) -> None:
    """Print ``document`` as JSON under ``--json``, else call ``human`` to print a table."""
    if getattr(args, "json", False):
        json.dump(finite(document), sys.stdout, ensure_ascii=False, allow_nan=False)
        sys.stdout.write("\n")
    else:
        human()


@contextmanager
def progress_bar(description: str, enabled: bool = True, unit: str = "row") -> Iterator[Callable[[int, int], None]]:
    """A tqdm bar on stderr as a ``progress(done, total)`` callback (quiet when disabled)."""
    from tqdm import tqdm

    bar = tqdm(total=0, desc=description, unit=unit, file=sys.stderr, disable=not enabled, dynamic_ncols=True)

    def update(done: int, total: int) -> None:
        if bar.total != total:
            bar.total = total
            bar.refresh()
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        bar.close()
