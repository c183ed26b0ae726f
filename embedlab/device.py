"""The one place that decides where models run."""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path

from embedlab.errors import InputError

_VALID_DEVICE = re.compile(r"^(cpu|mps|cuda(:\d+)?)$")


def _check_present(device: str) -> None:
    """A forced accelerator must exist, or every model would fail later with torch's own error."""
    if device == "cpu":
        return
    try:
        import torch
    except ImportError:
        raise InputError(f"EMBEDLAB_DEVICE={device!r} needs torch, which is not installed; unset it to use the cpu.") from None
    if device.startswith("cuda"):
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        index = int(device.partition(":")[2] or 0)
        if index >= count:
            found = f"{count} CUDA device(s)" if count else "no CUDA device (or a torch built without CUDA)"
            raise InputError(f"EMBEDLAB_DEVICE={device!r}, but torch sees {found} here; unset it or use cpu.")
    elif device == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise InputError("EMBEDLAB_DEVICE='mps', but torch sees no Apple MPS device here; unset it or use cpu.")


ACCELERATOR_NODES = ("/dev/nvidiactl", "/dev/nvidia0", "/dev/dxg", "/proc/driver/nvidia")


def accelerator_possible() -> bool:
    """False when this machine cannot have a CUDA or MPS device, known without importing torch
    (a 2-10 s import): no NVIDIA device node or driver, no WSL GPU, not macOS. When torch is
    loaded anyway, torch decides."""
    if "torch" in sys.modules or sys.platform == "darwin":
        return True
    return any(Path(node).exists() for node in ACCELERATOR_NODES)


def resolve_device() -> str:
    """``EMBEDLAB_DEVICE`` if set, else ``cuda`` if available, else ``mps``, else ``cpu``."""
    forced = os.environ.get("EMBEDLAB_DEVICE", "").strip().lower()
    if forced:
        if not _VALID_DEVICE.match(forced):
            raise InputError(
                f"EMBEDLAB_DEVICE={forced!r} is not a device; use cpu, cuda, cuda:N or mps."
            )
        _check_present(forced)
        return forced
    if not accelerator_possible():
        return "cpu"
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


def implicit_device() -> str:
    """Where ``implicit`` fits its models: ``cuda`` when its CUDA extension is built and
    ``resolve_device()`` is cuda, else ``cpu`` (also when implicit is not installed)."""
    if importlib.util.find_spec("implicit") is None:
        return "cpu"
    import implicit.gpu

    return "cuda" if bool(implicit.gpu.HAS_CUDA) and resolve_device() == "cuda" else "cpu"
