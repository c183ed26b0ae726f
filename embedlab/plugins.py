"""Rows of a table whose code lives higher up the house.

The model catalogue (``embedlab.backends``) and the dataset catalogue (``embedlab.datasets``) sit
below the feature packages, yet some rows are loaded by feature code: the recommenders fit with
``embedlab.recommend``, the image gallery is built by ``embedlab.images``. Such a row names its
loader as ``"module:function"`` (``late``): the table is complete without importing the feature
code (Home's model table, ``embedlab models``), imports still point down, and the module is
imported only when the row is loaded.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LateCall:
    """``module:function`` called with ``args``, imported on the first call."""

    target: str
    args: tuple[Any, ...] = ()

    def __call__(self) -> Any:
        module, _, attribute = self.target.partition(":")
        return getattr(importlib.import_module(module), attribute)(*self.args)


def late(target: str, *args: Any) -> LateCall:
    """A loader for a table row: ``late("embedlab.recommend.backend:movielens_model", "als")``."""
    if ":" not in target:
        raise ValueError(f"a late loader is 'module:function', got {target!r}")
    return LateCall(target, args)
