"""EmbedLab web app: a router over the pages in ``pages/``.

Run with ``embedlab serve`` (or ``streamlit run app.py``). Each page is a thin script: widgets,
calls into the ``embedlab`` engine, charts, and an explanation.
"""

from __future__ import annotations

import embedlab  # noqa: F401  (applies the torchvision shim before any model library loads)
import streamlit as st

from embedlab.projection import warm_up_umap

st.set_page_config(page_title="EmbedLab", page_icon="🧭", layout="wide")
warm_up_umap()  # UMAP's numba compile runs in the background at start-up, once per process

PAGES = {
    "EmbedLab": [
        st.Page("pages/home.py", title="Home", icon="🏠", url_path="home", default=True),
    ],
    "Explore": [
        st.Page("pages/similarity.py", title="Similarity", icon="🔗", url_path="similarity"),
        st.Page("pages/explore.py", title="Explore maps", icon="🗺️", url_path="explore"),
        # More pages plug in here, one st.Page line each.
    ],
    "Words": [
        st.Page("pages/analogies.py", title="Analogies", icon="🧩", url_path="analogies"),
        st.Page("pages/evaluate.py", title="Evaluate", icon="📏", url_path="evaluate"),
        st.Page("pages/train.py", title="Train", icon="🏋️", url_path="train"),
    ],
    "Probe": [
        st.Page("pages/bias.py", title="Bias probes", icon="⚖️", url_path="bias"),
    ],
}

navigation = st.navigation(PAGES, position="sidebar")
navigation.run()
