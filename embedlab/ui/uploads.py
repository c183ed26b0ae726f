"""Uploads a view rests on, kept on the server by content so the view survives a reload and opens
from its link (``embedlab.links.keep_file``): the page's state holds the file's id, never its bytes.

A page calls ``kept_upload(page, uploaded, key)`` right after its ``st.file_uploader``: a new
upload is kept and its id put in the page's value ``key``; with the uploader empty (after a reload,
in a new tab from a link) the file the id names is read back. A link made on another server names a
file this one lacks: the page says so and asks for the upload again.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from embedlab.links import keep_file, kept_file
from embedlab.ui import url_state
from embedlab.ui.feedback import plain

_KEPT_IDS = "_embedlab_upload_ids"  # {uploader's file_id: content id}: each upload hashed once


def kept_upload(page: str, uploaded: Any, key: str, *, what: str = "file") -> tuple[bytes, str] | None:
    """(bytes, name) of the upload the view of ``page`` rests on, or None when there is none.

    ``uploaded`` is what ``st.file_uploader`` returned (None when it is empty); ``key`` is the
    page value (default ``""``) that carries the kept file's id in the state and the link."""
    if uploaded is not None:
        ids = st.session_state.setdefault(_KEPT_IDS, {})
        file_id = ids.get(uploaded.file_id)
        if file_id is None:
            file_id = ids[uploaded.file_id] = keep_file(uploaded.getvalue(), uploaded.name)
        if st.session_state.get(key) != file_id:
            url_state.remember(page, **{key: file_id})
        return uploaded.getvalue(), str(uploaded.name)
    file_id = str(st.session_state.get(key) or "")
    if not file_id:
        return None
    kept = kept_file(file_id)
    if kept is None:
        st.warning(plain(f"The {what} this view rests on is not on this server (a link made on another one?): upload it again."))
        return None
    st.caption(plain(f"Using the {what} uploaded before: {kept[1]} (kept on this server by its content, so the view"
                     " survives a reload and opens from its link here)."))
    return kept


def forget_upload(page: str, key: str) -> None:
    """Drop the page's kept upload from its state (the file stays on the server for other links)."""
    url_state.remember(page, **{key: ""})
