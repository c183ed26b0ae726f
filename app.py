"""EmbedLab web app: a router over the one list of pages (``embedlab.ui.pages.PAGES``).

Run with ``embedlab serve`` (or ``streamlit run app.py``). Each page is a thin script: widgets,
calls into the ``embedlab`` engine, charts, and an explanation.
"""

from __future__ import annotations

import streamlit as st

from embedlab.maps.projection import warm_up_umap
from embedlab.ui.pages import PAGES, sections

st.set_page_config(page_title="EmbedLab", page_icon="🧭", layout="wide")
warm_up_umap()  # UMAP's numba compile runs in the background at start-up, once per process

navigation = st.navigation(
    {section: [st.Page(spec.file, title=spec.title, icon=spec.icon, url_path=spec.url_path, default=spec is PAGES[0])
               for spec in specs]
     for section, specs in sections().items()},
    position="sidebar",
    expanded=True,  # every page listed: no "View more" to find Compression or Recommendation
)
navigation.run()
