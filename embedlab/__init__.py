"""EmbedLab: an engine for looking inside embeddings.

Importing the engine is cheap: torch, torchvision and the model libraries load only when a
model that needs them loads (``embedlab._compat.ensure_torchvision_importable`` runs first
there, so torchvision imports on a CPU-only torch).
"""

from __future__ import annotations

from embedlab import _compat

_compat.quiet_offline_libraries()

from embedlab.errors import EmbedlabError

__version__ = "0.1.0"
__all__ = ["EmbedlabError", "__version__"]
