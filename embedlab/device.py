"""The one place that decides where models run."""

from __future__ import annotations

import os
import re

from embedlab.errors import InputError

_VALID_DEVICE = re.compile(r"^(cpu|mps|cuda(:\d+)?)$")


def resolve_device() -> str:
    """``EMBEDLAB_DEVICE`` if set, else ``cuda`` if available, else ``mps``, else ``cpu``."""
    forced = os.environ.get("EMBEDLAB_DEVICE", "").strip().lower()
    if forced:
        if not _VALID_DEVICE.match(forced):
            raise InputError(
                f"EMBEDLAB_DEVICE={forced!r} is not a device; use cpu, cuda, cuda:N or mps."
            )
        return forced
    try:
        import torch
    except ImportError:
        return "cpu"
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"
