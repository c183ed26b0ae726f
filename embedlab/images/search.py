"""Search and analysis over image collections: text -> image, image -> image, "more like
this", zero-shot labels (with accuracy and a confusion matrix on a labelled collection), and
nearest-neighbour accuracy for contrast. Searches are exact (numpy) on collections this size;
the result says so."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from embedlab import cache
from embedlab.backends.base import BackendKind, ImageTextEncoder
from embedlab.errors import InputError, WrongBackendKindError
from embedlab.images.safety import prepared
from embedlab.images.store import (
    ProgressCallback,
    StageCallback,
    ensure_collection,
    image_encoder,
    kept_model_key,
    require_collection,
)

if TYPE_CHECKING:
    from embedlab.store import Store

DEFAULT_COLLECTION = "gallery"
DEFAULT_TEMPLATE = "a photo of a {}"
MAX_LABELS = 50
MAX_K = 100


@dataclass(frozen=True)
class ImageHit:
    """One result: the image's id (content hash), name, cosine score, label and caption."""

    id: str
    name: str
    score: float
    label: str
    caption: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "score": round(self.score, 6), "label": self.label}


@dataclass(frozen=True)
class ImageSearch:
    """The hits of one query and how they were found."""

    backend: str
    collection: str
    query: str
    hits: list[ImageHit]
    method: str

    def as_dict(self) -> dict[str, Any]:
        return {"backend": self.backend, "collection": self.collection, "results": [hit.as_dict() for hit in self.hits]}


def resolve_backend(backend: str | None, text: bool) -> str:
    """The backend to use: the default image-text model for text queries and zero-shot labels
    (``clip`` when its weights load, else ``conse``); any image model for images."""
    from embedlab.backends import backend_kind
    from embedlab.images.models import default_image_text_backend

    name = backend or default_image_text_backend()
    if text and backend_kind(name) != BackendKind.IMAGE_TEXT:
        raise WrongBackendKindError(f"{name!r} embeds images only; text queries and labels need an image-text model:"
                                    " conse (offline) or clip.")
    return name


def text_model(backend: str) -> ImageTextEncoder:
    encoder = image_encoder(backend)
    if not isinstance(encoder, ImageTextEncoder):
        raise WrongBackendKindError(f"{backend!r} cannot read text; use an image-text model (conse or clip).")
    return encoder


@cache.on_disk("encoded", keys={"backend": kept_model_key}, dump=lambda vectors: ({"vectors": vectors}, {}),
               load=lambda arrays, meta: arrays["vectors"])
def text_vectors(backend: str, texts: list[str]) -> np.ndarray:
    """An image-text model's vectors of ``texts`` (its text side), kept by content: a query asked
    before (or shipped with a guided demo) is read back without loading the model."""
    return np.asarray(text_model(backend).encode_text(list(texts)), dtype=np.float32)


def _check_k(k: int) -> int:
    if not 1 <= int(k) <= MAX_K:
        raise InputError(f"k must be between 1 and {MAX_K}, got {k}.")
    return int(k)


def _search(collection: str, backend: str, vector: np.ndarray, k: int, query: str, store: Store | None,
            progress: ProgressCallback | None, stage: StageCallback | None, exclude: str | None = None) -> ImageSearch:
    from embedlab.store import open_store

    store = store or open_store()
    info = ensure_collection(collection, backend, store=store, progress=progress, stage=stage)
    result = store.search(info.name, vector, k + (1 if exclude else 0), exact=True)
    hits = [ImageHit(h.id, str(h.metadata.get("name", h.text)), h.score, str(h.metadata.get("label", "")),
                     str(h.metadata.get("caption", ""))) for h in result.hits if h.id != exclude][:k]
    return ImageSearch(backend, collection, query, hits, result.method)


def search_text(query: str, collection: str = DEFAULT_COLLECTION, backend: str | None = None, k: int = 5, *,
                store: Store | None = None, progress: ProgressCallback | None = None,
                stage: StageCallback | None = None) -> ImageSearch:
    """The ``k`` images nearest to a text query (an image-text model)."""
    query = query.strip()
    if not query:
        raise InputError("Type what to look for, e.g. 'a cat'.")
    require_collection(collection, store)  # before any model loads
    name = resolve_backend(backend, text=True)
    vector = text_vectors(name, [query])[0]
    return _search(collection, name, vector, _check_k(k), query, store, progress, stage)


def search_image(image: Any, collection: str = DEFAULT_COLLECTION, backend: str | None = None, k: int = 5, *,
                 query: str = "an image", store: Store | None = None, progress: ProgressCallback | None = None,
                 stage: StageCallback | None = None) -> ImageSearch:
    """The ``k`` images nearest to a query image (a PIL image, checked by the caller)."""
    require_collection(collection, store)  # before any model loads
    name = resolve_backend(backend, text=False)
    vector = image_encoder(name).encode([prepared(image)])[0]
    return _search(collection, name, vector, _check_k(k), query, store, progress, stage)


def more_like_this(image_id: str, collection: str = DEFAULT_COLLECTION, backend: str | None = None, k: int = 5, *,
                   store: Store | None = None, progress: ProgressCallback | None = None) -> ImageSearch:
    """The ``k`` images nearest to an image of the collection (itself left out), from its
    stored vector."""
    from embedlab.store import open_store

    store = store or open_store()
    name = resolve_backend(backend, text=False)
    info = ensure_collection(collection, name, store=store, progress=progress)
    got = store._get(info.name).get(ids=[image_id], include=["embeddings", "metadatas"])
    if not got["ids"]:
        raise InputError(f"Image {image_id} is not in collection {collection!r} ({name}).")
    vector = np.asarray(got["embeddings"][0], dtype=np.float32)
    label = str((got["metadatas"][0] or {}).get("name", image_id))
    return _search(collection, name, vector, _check_k(k), f"more like {label}", store, None, None, exclude=image_id)


def search(query: str, collection: str = DEFAULT_COLLECTION, backend: str | None = None, k: int = 5, *,
           store: Store | None = None, progress: ProgressCallback | None = None,
           stage: StageCallback | None = None) -> ImageSearch:
    """The CLI's search: ``query`` is an image when it names an existing file, else text."""
    require_collection(collection, store)  # a mistyped name is answered before any model or image loads
    path = Path(query).expanduser()
    if path.is_file():
        from embedlab.images.safety import open_image

        image = open_image(path.read_bytes(), path.name)
        return search_image(image, collection, backend, k, query=path.name, store=store, progress=progress, stage=stage)
    return search_text(query, collection, backend, k, store=store, progress=progress, stage=stage)


# -- zero-shot labels ----------------------------------------------------------------------------


def parse_labels(labels: Sequence[str] | str) -> list[str]:
    """Labels from a list (the command line's words; a word holding commas is split too) or a
    comma/new-line separated text (a page's box): stripped, unique, 2 to 50."""
    items = [part for chunk in ([labels] if isinstance(labels, str) else labels)
             for part in str(chunk).replace("\n", ",").split(",")]
    cleaned = list(dict.fromkeys(item.strip() for item in items if item.strip()))
    if len(cleaned) < 2:
        example = "cat, dog, car (separated by commas)" if isinstance(labels, str) else "cat dog car"
        raise InputError(f"Give at least two labels, e.g. {example}.")
    if len(cleaned) > MAX_LABELS:
        raise InputError(f"At most {MAX_LABELS} labels, got {len(cleaned)}.")
    return cleaned


def prompts(labels: Sequence[str], template: str) -> list[str]:
    """``template`` filled with each label (``{}`` marks where the label goes)."""
    if template.count("{}") != 1 or "{" in template.replace("{}", "") or "}" in template.replace("{}", ""):
        raise InputError(f"The template needs exactly one {{}} where the label goes, e.g. {DEFAULT_TEMPLATE!r}; got {template!r}.")
    return [template.replace("{}", label) for label in labels]


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class ZeroShot:
    """A probability per label for each image: softmax of the model's logit scale x cosine
    between the image and ``template`` filled with each label."""

    backend: str
    labels: list[str]
    template: str
    probabilities: np.ndarray  # (images, labels)
    logit_scale: float

    def as_dict(self, row: int = 0) -> dict[str, Any]:
        return {"backend": self.backend,
                "probabilities": {label: round(float(p), 6) for label, p in zip(self.labels, self.probabilities[row], strict=True)}}


def zero_shot_vectors(image_vectors: np.ndarray, labels: Sequence[str], template: str, encoder: ImageTextEncoder) -> np.ndarray:
    """Probabilities (images x labels) from image vectors already computed by ``encoder``."""
    texts = encoder.encode_text(prompts(labels, template))
    return softmax(encoder.logit_scale * (np.asarray(image_vectors, dtype=np.float32) @ texts.T))


def classify(images: Sequence[Any], labels: Sequence[str] | str, template: str = DEFAULT_TEMPLATE,
             backend: str | None = None) -> ZeroShot:
    """Zero-shot labels of ``images`` (PIL images): a probability per label."""
    names = parse_labels(labels)
    name = resolve_backend(backend, text=True)
    encoder = text_model(name)
    vectors = encoder.encode([prepared(image) for image in images])
    return ZeroShot(name, names, template, zero_shot_vectors(vectors, names, template, encoder), float(encoder.logit_scale))


@dataclass(frozen=True)
class Evaluation:
    """Zero-shot labels of a labelled collection against its labels."""

    backend: str
    collection: str
    labels: list[str]
    template: str
    accuracy: float
    confusion: np.ndarray  # rows: true label, columns: predicted label (order of ``labels``)
    n: int
    predicted: list[str] = field(default_factory=list)
    chance: float = 0.0  # the share of the largest label: what always guessing it scores
    neighbour_accuracy: float | None = None  # supervised leave-one-out 1-NN on the same vectors, for contrast

    def as_dict(self) -> dict[str, Any]:
        return {"backend": self.backend, "collection": self.collection, "labels": self.labels, "template": self.template,
                "accuracy": round(self.accuracy, 6), "n": self.n, "confusion": self.confusion.tolist(),
                "chance": round(self.chance, 6), "neighbour_accuracy": self.neighbour_accuracy}


def collection_rows(collection: str, backend: str, *, store: Store | None = None,
                    progress: ProgressCallback | None = None) -> tuple[list[str], list[dict[str, Any]], np.ndarray]:
    """(ids, metadatas, vectors) of a collection with ``backend`` (encoded first when missing)."""
    from embedlab.store import open_store

    store = store or open_store()
    info = ensure_collection(collection, backend, store=store, progress=progress)
    rows = store.get_all(info.name)
    return rows["ids"], rows["metadatas"], rows["embeddings"]


@dataclass(frozen=True)
class StoredZeroShot:
    """Zero-shot labels of one stored image: every image's name (to pick another), the picked
    one, a probability per label, and the labels the collection itself carries."""

    ids: list[str]
    names: list[str]
    index: int
    labels: list[str]
    probabilities: np.ndarray  # (labels,)
    collection_labels: list[str]

    @property
    def picked(self) -> str:
        return self.names[self.index]


def zero_shot_stored(collection: str, backend: str, image_name: str | None, labels: Sequence[str] | str,
                     template: str = DEFAULT_TEMPLATE, *, store: Store | None = None,
                     progress: ProgressCallback | None = None) -> StoredZeroShot:
    """Zero-shot labels of the image named ``image_name`` in a collection (the first image when
    that name is not there), from its stored vector; the collection is encoded first if needed."""
    names_of_labels = parse_labels(labels)
    ids, metas, vectors = collection_rows(collection, backend, store=store, progress=progress)
    if not ids:
        raise InputError(f"Collection {collection!r} ({backend}) holds no image.")
    names = [str(m.get("name", i)) for i, m in zip(ids, metas, strict=True)]
    index = names.index(image_name) if image_name in names else 0
    probabilities = zero_shot_vectors(vectors[index : index + 1], names_of_labels, template, text_model(backend))[0]
    own = sorted({str(m.get("label", "")) for m in metas} - {""})
    return StoredZeroShot(ids, names, index, names_of_labels, probabilities, own)


@dataclass(frozen=True)
class FirstHit:
    """A query's top picture against the one expected (the guided demo's table)."""

    query: str
    expected: str
    found: str
    score: float

    def as_row(self) -> dict[str, Any]:
        return {"query": self.query, "expected": self.expected, "top-1": self.found, "cosine": round(self.score, 3),
                "right?": "✅" if self.found == self.expected else "❌"}


def first_hits(queries: Sequence[tuple[str, str]], collection: str, backend: str, *, store: Store | None = None) -> list[FirstHit]:
    """For each ``(query, expected name)``, the name and cosine of the top picture."""
    hits = []
    for query, expected in queries:
        first = search_text(query, collection, backend, k=1, store=store).hits[0]
        hits.append(FirstHit(query, expected, first.name, first.score))
    return hits


def evaluate_zero_shot(collection: str, labels: Sequence[str] | str | None = None, template: str = DEFAULT_TEMPLATE,
                       backend: str | None = None, *, texts: Mapping[str, str] | None = None, store: Store | None = None,
                       progress: ProgressCallback | None = None) -> Evaluation:
    """Accuracy and confusion matrix of zero-shot labels on a labelled collection. ``labels``
    default to the collection's own; images whose label is not among them are left out (``n``
    says how many were scored). ``texts`` may give the words put into the template for a label
    (``{"background": "patch of texture"}``); the label itself is used otherwise."""
    from sklearn.metrics import confusion_matrix

    require_collection(collection, store)  # before any model loads
    name = resolve_backend(backend, text=True)
    _, metas, vectors = collection_rows(collection, name, store=store, progress=progress)
    truth = [str(m.get("label", "")) for m in metas]
    own = sorted({t for t in truth if t})
    if labels is None and len(own) < 2:
        raise InputError(f"{collection!r} has {'no labels' if not own else 'one label, ' + repr(own[0])} of its own: name at least"
                         " two labels to score, or store its images in one folder per label (a folder or a ZIP: each"
                         " image's folder becomes its label).")
    names = parse_labels(labels if labels is not None else own)
    keep = np.asarray([t in names for t in truth], dtype=bool)
    if not keep.any():
        raise InputError(f"No image of {collection!r} has one of the labels {', '.join(names)}.")
    words = [(texts or {}).get(label, label) for label in names]
    probabilities = zero_shot_vectors(vectors[keep], words, template, text_model(name))
    predicted = [names[i] for i in probabilities.argmax(axis=1)]
    kept_truth = [t for t, k in zip(truth, keep, strict=True) if k]
    accuracy = float(np.mean([p == t for p, t in zip(predicted, kept_truth, strict=True)]))
    matrix = confusion_matrix(kept_truth, predicted, labels=names)
    chance = max(kept_truth.count(label) for label in names) / len(kept_truth)
    neighbours = nearest_neighbour_accuracy(vectors[keep], kept_truth) if len(kept_truth) >= 2 else None
    return Evaluation(name, collection, names, template, accuracy, matrix, int(keep.sum()), predicted, chance, neighbours)


def nearest_neighbour_accuracy(vectors: np.ndarray, labels: Sequence[str]) -> float:
    """Leave-one-out 1-nearest-neighbour accuracy (cosine): how well the vectors separate the
    labels with supervision, for contrast with zero-shot."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if len(vectors) < 2:
        raise InputError("Nearest-neighbour accuracy needs at least two images.")
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -np.inf)
    nearest = similarity.argmax(axis=1)
    truth = np.asarray([str(label) for label in labels])
    return float(np.mean(truth[nearest] == truth))


def image_corpus(collection: str, backend: str, *, store: Store | None = None,
                 progress: ProgressCallback | None = None) -> Any:
    """The (collection, backend) rows as an Explore ``Corpus`` (encoded first when missing), so
    the image map reuses the Explore map code: projection, cache, colours and point map."""
    from embedlab.corpus import open_corpus
    from embedlab.store import open_store

    store = store or open_store()
    info = ensure_collection(collection, backend, store=store, progress=progress)
    return open_corpus(info, store)
