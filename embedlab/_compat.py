"""Import shims that must run before any model library is imported.

The only torchvision that pairs with torch 2.13.0 CPU is a CUDA build. On a CPU-only torch its
C++ ops do not register and ``import torchvision`` raises
``RuntimeError: operator torchvision::nms does not exist``. transformers imports torchvision
when it is installed, so sentence-transformers would break too. We define the two op schemas
torchvision's Python layer registers fake kernels for, then import again. With a matching
torchvision nothing here changes anything.
"""

from __future__ import annotations

import importlib
import sys

MISSING_OP_MESSAGE = "operator torchvision::nms does not exist"
_OP_SCHEMAS = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
)
_fragment: object | None = None  # keeps the torch.library registration alive
shim_applied = False


def _drop_torchvision_modules() -> None:
    for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        del sys.modules[name]


def _define_missing_ops() -> None:
    global _fragment
    import torch

    fragment = torch.library.Library("torchvision", "FRAGMENT")
    for schema in _OP_SCHEMAS:
        fragment.define(schema)
    _fragment = fragment


def ensure_torchvision_importable() -> bool:
    """Import torchvision, applying the CPU shim on exactly the missing-op error.

    Returns True when the shim was applied, False when torchvision imported as is or is absent.
    Any other error propagates: it is a different problem and must not be hidden.
    """
    global shim_applied
    if shim_applied:
        return True
    try:
        importlib.import_module("torchvision")
        return False
    except ModuleNotFoundError:
        return False
    except RuntimeError as error:
        if MISSING_OP_MESSAGE not in str(error):
            raise
    _drop_torchvision_modules()
    _define_missing_ops()
    importlib.import_module("torchvision")
    shim_applied = True
    return True


def quiet_offline_libraries() -> None:
    """Keep model libraries from phoning home: telemetry off, no hub calls by default."""
    import os

    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
