"""Home: what embeddings are, a tour of the pages, and which models are ready on which device."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from embedlab.device import resolve_device
from embedlab.ui.feedback import user_errors
from embedlab.ui.router import ensure_router
from embedlab.ui.resources import cached_model_status

ensure_router()

st.title("🧭 EmbedLab")
st.markdown(
    """
**Embeddings turn things into vectors so that nearness means likeness.** A word, a sentence, an
image, a user or a film becomes a list of numbers; two things a model considers alike get
vectors that point the same way, so the angle between them (cosine similarity) measures how
alike they are.

- **Words**: GloVe and word2vec give every word one vector. *king* sits near *queen*, and the
  offset *king − man* is close to *queen − woman*: analogies fall out of the geometry.
- **Sentences**: MiniLM and the multilingual USE read a whole sentence. *"The cat sat on the
  mat"* lands near *"A feline rested on the rug"* though they share no words.
- **Images and text**: a shared space lets a text query find pictures.
- **Users and items**: a recommender places people near the things they like.

EmbedLab lets you look inside these spaces: compare, map, cluster, probe for bias — and see
how far to trust what you see.
"""
)

st.subheader("Tour")
st.markdown(
    """
| page | what it shows |
|---|---|
| 🔗 **Similarity** | heatmaps of cosine similarity between words or sentences, nearest neighbours, and how far two models agree |
| 🗺️ **Explore maps** | bring a dataset or your own file into Chroma, map every point with UMAP/PCA/t-SNE, cluster, search, select, and export |
| ⚖️ **Bias probes** | WEAT tests with permutation p-values over every word model beside the paper's figures, the gender direction and direct bias, SEAT for sentence models, and hard debiasing with before/after figures |
| 🧩 **Analogies** | a : b :: c : ? with 3CosAdd or 3CosMul, the expected answer's rank, a PCA picture of the two offsets, and batch accuracy with the misses |
| 📏 **Evaluate** | Google and MSR analogies (per section, semantic/syntactic, top-N vocabulary) and WS353, SimLex-999, MEN, RW, MTurk-771, RG correlations — equal to gensim's figures |
| 🏋️ **Train** | Word2Vec, FastText and Doc2Vec on built-in or uploaded text, FastText vectors for unseen words, DeepWalk/node2vec maps with link prediction, and safe upload of word2vec/GloVe files |

Every page has a **guided demo** button that loads a worked example and explains what to
notice, and keeps its inputs in the URL so a view can be shared.
"""
)

st.subheader("Models on this machine")
with user_errors():
    device = resolve_device()
    st.caption(f"Device in use for torch models: **{device}** (set `EMBEDLAB_DEVICE` to override).")
    status = pd.DataFrame(cached_model_status())
    st.dataframe(
        status[["name", "kind", "dim", "device", "available", "package", "description", "reason"]],
        hide_index=True,
        width="stretch",
        column_config={
            "available": st.column_config.CheckboxColumn("available"),
            "reason": st.column_config.TextColumn("why not"),
        },
    )
    missing = status[~status["available"]]
    if not missing.empty:
        st.warning("Some models are missing: " + ", ".join(missing["name"]) + ". See the 'why not' column.")
