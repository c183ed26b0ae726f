"""Image collections: files on disk by content hash (with a thumbnail), vectors in Chroma.

- ``EMBEDLAB_HOME/images/ab/<hash>.<ext>`` holds each checked image once, however many
  collections hold it; ``<hash>.thumb.png`` is its thumbnail (longest side ``THUMB_SIDE``).
- Vectors go into one Chroma collection per (collection, backend), ids = content hashes, so
  re-ingesting encodes nothing; the collection metadata says ``x_kind = "images"`` (Explore
  leaves such collections out) and the manifest (``status``) is written last.
- A collection stored with one backend can be encoded with another from the files on disk.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from embedlab import cache, config
from embedlab.backends.base import BackendKind
from embedlab.cache import atomic_write
from embedlab.errors import BadUploadError, CollectionNotFoundError, InputError
from embedlab.images.item import ImageItem
from embedlab.images.safety import Rejected, model_image, open_image
from embedlab.store import KIND_IMAGES

if TYPE_CHECKING:
    from embedlab.store import CollectionInfo, Store

ProgressCallback = Callable[[int, int], None]
StageCallback = Callable[[str], None]
THUMB_SIDE = 160
ENCODE_BATCH = 32
IMAGE_BACKEND_KINDS = (BackendKind.IMAGE, BackendKind.IMAGE_TEXT)


def images_dir() -> Path:
    """Where image files and thumbnails live."""
    return config.embedlab_home() / "images"


def _folder(image_id: str) -> Path:
    if len(image_id) != 32 or not all(c in "0123456789abcdef" for c in image_id):
        raise InputError(f"{image_id!r} is not an image id.")
    return images_dir() / image_id[:2]


def image_path(image_id: str, extension: str) -> Path:
    return _folder(image_id) / f"{image_id}.{extension}"


def thumbnail_path(image_id: str) -> Path:
    return _folder(image_id) / f"{image_id}.thumb.png"


def save_image(item: ImageItem, decoded: Any | None = None) -> Path:
    """Keep ``item``'s bytes and its thumbnail under its content hash (once; atomic writes).
    ``decoded`` is the item's model image when the caller has it (then nothing is decoded here)."""
    path = image_path(item.id, item.extension)
    if not path.exists():
        atomic_write(path, item.data)
    thumb = thumbnail_path(item.id)
    if not thumb.exists():
        image = (decoded if decoded is not None else model_image(item)).copy()
        image.thumbnail((THUMB_SIDE, THUMB_SIDE))
        if min(image.size) < 48:  # tiny images (8x8 digits, 25x25 faces): enlarged so they can be seen
            factor = max(1, 96 // max(image.size))
            image = image.resize((image.width * factor, image.height * factor), resample=0)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        atomic_write(thumb, buffer.getvalue())
    return path


def stored_files(image_id: str) -> list[Path]:
    """The image file(s) kept for ``image_id`` (not the thumbnail)."""
    folder = _folder(image_id)
    return [p for p in folder.glob(f"{image_id}.*") if not p.name.endswith((".thumb.png", ".partial"))] if folder.exists() else []


def load_item(image_id: str, metadata: dict[str, Any] | None = None) -> ImageItem:
    """A stored image as an item, checked again on the way in (files on disk can change)."""
    meta = metadata or {}
    files = stored_files(image_id)
    if not files:
        raise InputError(f"Image {image_id} is not in the image store ({images_dir()}); ingest it again.")
    data = files[0].read_bytes()
    image = open_image(data, str(meta.get("name", image_id)))
    return ImageItem(str(meta.get("name", image_id)), data, str(image.format), image.width, image.height,
                     str(meta.get("label", "")), str(meta.get("caption", "")))


def thumbnail_bytes(image_id: str) -> bytes | None:
    """PNG bytes of a stored image's thumbnail (None when missing)."""
    path = thumbnail_path(image_id)
    return path.read_bytes() if path.exists() else None


@dataclass(frozen=True)
class ImageIngestReport:
    """What an image ingest did."""

    collection: str
    chroma_name: str
    backend: str
    images: int
    added: int
    skipped: int
    seconds: float
    rejected: list[Rejected] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"collection": self.collection, "chroma_name": self.chroma_name, "backend": self.backend, "images": self.images,
                "added": self.added, "skipped": self.skipped, "seconds": round(self.seconds, 3),
                "rejected": [{"name": r.name, "reason": r.reason} for r in self.rejected]}


def image_encoder(backend: str) -> Any:
    """The loaded image or image-text model ``backend`` (an error naming the choices otherwise)."""
    from embedlab.backends import catalogue

    return catalogue().get_of_kind(backend, *IMAGE_BACKEND_KINDS)


#: image models whose weights come from the user's settings (EMBEDLAB_CLIP_MODEL/_PRETRAINED), not
#: from a package: their name does not say which weights, so their vectors are never kept by name
CONFIGURED_WEIGHTS = ("clip",)


def kept_model_key(name: str) -> str | None:
    """The cache key of an image model's vectors (``name@revision``), or ``Unkeyable`` for a model
    whose weights the name does not fix (the call then runs uncached)."""
    from embedlab.backends import model_key
    from embedlab.cache import Unkeyable

    if name in CONFIGURED_WEIGHTS:
        raise Unkeyable(f"{name}'s weights come from the settings, not its name")
    return model_key(name)


class _KeptImageEncoder:
    """Name and dimension of an image model, from the catalogue (the model is not loaded)."""

    def __init__(self, backend: str) -> None:
        from embedlab.backends import catalogue

        self.name = backend
        self.dim = catalogue().dim(backend) or image_encoder(backend).dim


@cache.on_disk("encoded", keys={"backend": kept_model_key}, exclude=("decoded",),
               dump=lambda vectors: ({"vectors": vectors}, {}), load=lambda arrays, meta: arrays["vectors"])
def _kept_image_vectors(backend: str, ids: list[str], *, decoded: list[Any]) -> np.ndarray:
    """``backend``'s vectors of the pictures ``ids`` (``decoded``: the same pictures, decoded),
    kept by the pictures' content."""
    return np.asarray(image_encoder(backend).encode(decoded), dtype=np.float32)




def ingest_images(
    collection: str,
    backend: str,
    items: Sequence[ImageItem],
    *,
    source: str = "upload",
    rejected: Sequence[Rejected] = (),
    progress: ProgressCallback | None = None,
    stage: StageCallback | None = None,
    store: Store | None = None,
    batch_size: int = ENCODE_BATCH,
) -> ImageIngestReport:
    """Keep ``items`` on disk and their ``backend`` vectors in the (collection, backend) Chroma
    collection. Images already there are not encoded again; ``progress(done, total)`` counts
    the images that need encoding."""
    from embedlab import datasets
    from embedlab.ingest import check_dataset_name
    from embedlab.store import STATUS_COMPLETE, STATUS_INGESTING, open_store

    started = time.perf_counter()
    collection = check_dataset_name(collection)
    if collection in datasets.names("images") and source != f"dataset:{collection}":
        raise InputError(f"{collection!r} is the name of a built-in image collection; store your images under another name"
                         " (--collection NAME).")
    if not items:
        reasons = "; ".join(r.message() for r in rejected[:5])
        raise BadUploadError("No image to store" + (f": {reasons}" if reasons else "."))
    tell = stage or (lambda text: None)
    tell("opening the store")
    store = store or open_store()
    # a built-in gallery's vectors are kept by content (and shipped with the guided demos): the
    # model loads only for pictures not kept; anything uploaded is encoded by the model itself
    kept = source.startswith("dataset:") and backend not in CONFIGURED_WEIGHTS
    if not kept:
        tell(f"loading the model {backend}")
    encoder: Any = _KeptImageEncoder(backend) if kept else image_encoder(backend)
    name = store.create(collection, encoder.name, encoder.dim, {"kind": KIND_IMAGES, "source": source[:200]})
    unique: dict[str, ImageItem] = {}
    for item in items:
        unique.setdefault(item.id, item)
    tell("checking what is already stored")
    existing = store.existing_ids(name, list(unique))
    todo = [item for image_id, item in unique.items() if image_id not in existing]
    if progress is not None:
        progress(0, len(todo))
    if todo:
        store.set_status(name, STATUS_INGESTING)
    done = 0
    for start in range(0, len(todo), batch_size):
        batch = todo[start : start + batch_size]
        decoded = [model_image(item) for item in batch]  # each picture decoded once: thumbnail and model input
        for item, image in zip(batch, decoded, strict=True):
            save_image(item, image)
        vectors = encoder.encode(decoded, batch_size=batch_size) if not kept else \
            _kept_image_vectors(backend, [item.id for item in batch], decoded=decoded)
        store.add(name, [item.id for item in batch], vectors, [item.name for item in batch],
                  [item.metadata(source) for item in batch])
        done += len(batch)
        if progress is not None:
            progress(done, len(todo))
    for item in unique.values():  # a row stored before whose files were removed: keep them again
        if item.id in existing and not thumbnail_path(item.id).exists():
            save_image(item)
    store.set_status(name, STATUS_COMPLETE)
    return ImageIngestReport(collection, name, encoder.name, len(items), len(todo), len(items) - len(todo),
                             time.perf_counter() - started, list(rejected))


def is_image_collection(info: CollectionInfo) -> bool:
    return info.kind == KIND_IMAGES


def image_collections(store: Store | None = None) -> list[CollectionInfo]:
    """Every image collection in the store, newest first."""
    from embedlab.store import open_store

    return [info for info in (store or open_store()).collections() if is_image_collection(info)]


def collection_names(store: Store | None = None) -> list[str]:
    """The image collections' own names (each may be stored with several backends)."""
    names = [info.dataset for info in image_collections(store)]
    return list(dict.fromkeys(names))


def require_collection(collection: str, store: Store | None = None) -> None:
    """Raise ``CollectionNotFoundError`` unless ``collection`` is a stored image collection or a
    built-in gallery: asked before any model loads, so a mistyped name is answered at once."""
    from embedlab import datasets
    from embedlab.store import open_store

    if collection in datasets.names("images"):
        return
    stored = collection_names(store or open_store())
    if collection not in stored:
        raise CollectionNotFoundError(collection, stored + [n for n in datasets.names("images") if n not in stored])


def images_to_encode(collection: str, store: Store) -> int:
    """How many images making the collection with another model encodes: the gallery's size, or
    the count stored under another model."""
    from embedlab import datasets

    if collection in datasets.names("images"):
        return datasets.dataset(collection).size
    return max((info.count for info in image_collections(store) if info.dataset == collection), default=0)


def find_collection(collection: str, backend: str, store: Store) -> CollectionInfo | None:
    """The (collection, backend) Chroma collection, or None when it was never stored."""
    for info in image_collections(store):
        if info.dataset == collection and info.backend == backend:
            return info
    return None


def is_ready(collection: str, backend: str, store: Store) -> bool:
    """True when the (collection, backend) collection is stored and complete (nothing to encode)."""
    info = find_collection(collection, backend, store)
    return info is not None and info.complete


def ensure_collection(
    collection: str,
    backend: str,
    *,
    store: Store | None = None,
    progress: ProgressCallback | None = None,
    stage: StageCallback | None = None,
) -> CollectionInfo:
    """The (collection, backend) collection, made when missing: a built-in gallery is ingested;
    a collection stored with another backend is encoded again from the files on disk."""
    from embedlab import datasets
    from embedlab.store import open_store

    store = store or open_store()
    info = find_collection(collection, backend, store)
    if info is not None and info.complete:
        return info
    if collection in datasets.names("images"):
        ingest_images(collection, backend, datasets.images(collection), source=f"dataset:{collection}", progress=progress,
                      stage=stage, store=store)
    else:
        others = [i for i in image_collections(store) if i.dataset == collection]
        if not others:
            known = collection_names(store) + [n for n in datasets.names("images") if n not in collection_names(store)]
            raise CollectionNotFoundError(collection, known)
        rows = store.get_all(others[0].name, include_embeddings=False)
        items = [load_item(image_id, meta) for image_id, meta in zip(rows["ids"], rows["metadatas"], strict=True)]
        ingest_images(collection, backend, items, source=str(others[0].extra.get("source", "upload")), progress=progress,
                      stage=stage, store=store)
    found = find_collection(collection, backend, store)
    assert found is not None
    return found
