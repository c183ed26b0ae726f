"""EmbedLab: an engine for looking inside embeddings.

``_compat`` runs first so that torchvision (and through it transformers and
sentence-transformers) imports on a CPU-only torch.
"""

from __future__ import annotations

from embedlab import _compat

_compat.quiet_offline_libraries()
try:  # torch is a hard dependency of the text backends, but the engine core must import without it.
    _compat.ensure_torchvision_importable()
except ImportError:  # pragma: no cover - torch missing entirely
    pass

from embedlab.errors import EmbedlabError  # noqa: E402

__version__ = "0.1.0"
__all__ = ["EmbedlabError", "__version__"]
