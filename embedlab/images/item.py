"""One image as EmbedLab keeps it: its checked file bytes, a display name, a label, a caption."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import numpy as np

#: longest side of the image a model sees (bigger images are downscaled first)
EMBED_MAX_SIDE = 1024
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "BMP": "bmp"}


def content_hash(data: bytes) -> str:
    """The id of an image everywhere (file name on disk, Chroma id): sha256 of its bytes, 32 hex."""
    return hashlib.sha256(data).hexdigest()[:32]


@dataclass(frozen=True)
class ImageItem:
    """An image that passed the checks of ``safety`` (or was made from a package's array).

    ``name`` is for display only (a file or gallery name, never used as a path)."""

    name: str
    data: bytes
    format: str
    width: int
    height: int
    label: str = ""
    caption: str = ""

    @property
    def id(self) -> str:
        return content_hash(self.data)

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.format, "img")

    def metadata(self, source: str) -> dict[str, str | int | float | bool]:
        """What Chroma keeps beside the vector (the map colours by ``label``)."""
        return {"name": self.name, "label": self.label, "caption": self.caption, "hash": self.id, "format": self.format,
                "width": self.width, "height": self.height, "source": source}


def item_from_array(name: str, array: np.ndarray, label: str = "", caption: str = "") -> ImageItem:
    """An item from a package's pixel array (uint8 grey or RGB), stored as PNG."""
    from PIL import Image

    array = np.asarray(array)
    if array.dtype != np.uint8:
        low, high = float(array.min()), float(array.max())
        array = ((array - low) / ((high - low) or 1.0) * 255).round().astype(np.uint8)
    image = Image.fromarray(array)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return ImageItem(name, buffer.getvalue(), "PNG", image.width, image.height, label, caption)
