"""The clip backend, tested with the code users with real weights run: a tiny model config
registered through open_clip's own ``add_model_config`` and a random-weights checkpoint this
test writes, named by EMBEDLAB_CLIP_MODEL / EMBEDLAB_CLIP_PRETRAINED."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from embedlab.backends import catalogue
from embedlab.backends.catalogue import _LOADED
from embedlab.backends.images import check_clip
from embedlab.errors import BackendUnavailableError
from embedlab.images.models import default_image_text_backend

TINY = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 16, "head_width": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}
NAME = "EmbedlabTiny-ViT"


@pytest.fixture
def tiny_clip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A tiny open_clip config registered with open_clip, a seeded random checkpoint on disk,
    and the environment pointing at both."""
    from embedlab._compat import ensure_torchvision_importable

    ensure_torchvision_importable()
    import open_clip
    import torch

    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / f"{NAME}.json").write_text(json.dumps(TINY))
    open_clip.add_model_config(configs)
    torch.manual_seed(0)
    model = open_clip.create_model(NAME, pretrained=None)
    checkpoint = tmp_path / "tiny-clip.pt"
    torch.save({"state_dict": model.state_dict()}, checkpoint)
    monkeypatch.setenv("EMBEDLAB_CLIP_MODEL", NAME)
    monkeypatch.setenv("EMBEDLAB_CLIP_PRETRAINED", str(checkpoint))
    monkeypatch.setenv("EMBEDLAB_DEVICE", "cpu")
    _LOADED.pop("clip", None)
    yield checkpoint
    _LOADED.pop("clip", None)


def _images() -> list:
    from PIL import Image
    from skimage import data

    return [Image.fromarray(data.chelsea()), Image.fromarray(data.coffee()), Image.fromarray(data.camera())]


def test_clip_is_unavailable_without_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EMBEDLAB_CLIP_PRETRAINED", raising=False)
    assert "EMBEDLAB_CLIP_PRETRAINED" in (check_clip() or "")
    row = next(s for s in catalogue().status() if s.name == "clip")
    assert not row.available and "open-clip-torch" in row.package
    assert default_image_text_backend() == "conse"
    with pytest.raises(BackendUnavailableError, match="To get it"):
        catalogue().get("clip")


def test_a_missing_checkpoint_file_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EMBEDLAB_CLIP_PRETRAINED", str(tmp_path / "nothing.pt"))
    assert "is not a file" in (check_clip() or "")


def test_tiny_clip_loads_from_its_checkpoint_and_matches_bare_open_clip(tiny_clip: Path) -> None:
    import open_clip
    import torch

    assert check_clip() is None
    assert default_image_text_backend() == "clip"
    clip = catalogue().get("clip")
    assert clip.kind == "image-text" and clip.dim == 32 and clip.device == "cpu"
    images = _images()
    vectors = clip.encode(images, batch_size=2)
    texts = clip.encode_text(["a cat", "a cup of coffee"])
    assert vectors.shape == (3, 32) and texts.shape == (2, 32) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    # the bare library, loading the same file by itself
    model, _, preprocess = open_clip.create_model_and_transforms(NAME, pretrained=str(tiny_clip))
    model.eval()
    with torch.no_grad():
        bare = model.encode_image(torch.stack([preprocess(im.convert("RGB")) for im in images])).numpy()
        bare_text = model.encode_text(open_clip.get_tokenizer(NAME)(["a cat", "a cup of coffee"])).numpy()
    bare /= np.linalg.norm(bare, axis=1, keepdims=True)
    bare_text /= np.linalg.norm(bare_text, axis=1, keepdims=True)
    assert np.allclose(vectors, bare, atol=1e-5)
    assert np.allclose(texts, bare_text, atol=1e-5)
    # the weights really come from the file: another seed gives other vectors
    torch.manual_seed(1)
    other = open_clip.create_model(NAME, pretrained=None).eval()
    with torch.no_grad():
        random_vectors = other.encode_image(torch.stack([preprocess(im.convert("RGB")) for im in images])).numpy()
    assert not np.allclose(random_vectors / np.linalg.norm(random_vectors, axis=1, keepdims=True), vectors, atol=1e-3)
    assert clip.logit_scale == pytest.approx(float(model.logit_scale.detach().exp()))


def test_tiny_clip_searches_and_classifies_through_the_engine(tiny_clip: Path, tmp_path: Path) -> None:
    from embedlab.images.search import classify, search_text

    result = search_text("a cat", "gallery", None, k=3)  # the default image-text model is clip now
    assert result.backend == "clip" and len(result.hits) == 3
    scores = [hit.score for hit in result.hits]
    assert scores == sorted(scores, reverse=True)
    labels = classify(_images()[:1], ["cat", "coffee"], backend=None)
    assert labels.backend == "clip" and abs(float(labels.probabilities.sum()) - 1) < 1e-5


def test_a_broken_checkpoint_is_unavailable_with_the_reason(tiny_clip: Path) -> None:
    tiny_clip.write_bytes(b"not a checkpoint")
    with pytest.raises(BackendUnavailableError, match="open_clip could not load"):
        catalogue().get("clip")
    assert default_image_text_backend() == "conse"
