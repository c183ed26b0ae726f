"""Keep every visit on ``app.py``'s router.

Streamlit sets a process-wide flag at start-up when a ``pages/`` folder sits beside the entry
script, and clears it only when ``st.navigation`` runs. If the first request after start-up
opens a page URL (``/similarity``), Streamlit runs that page file alone in its legacy
multipage mode: no ``app.py``, so no page config, no sections, raw file names in the sidebar.
Each page calls ``ensure_router()`` first; in that case it clears the flag and reruns, and the
rerun goes through ``app.py`` to the same page.
"""

from __future__ import annotations

import streamlit as st


def ensure_router() -> None:
    """Rerun through ``app.py`` when Streamlit ran this page file in legacy ``pages/`` mode."""
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # pragma: no cover - a Streamlit without the legacy mode
        return
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
