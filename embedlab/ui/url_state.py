"""Page state that lives in the URL, so a view can be shared and reopened.

Widgets are created with ``key=`` and no default. ``restore`` copies URL values into
``st.session_state`` once per session and page (before the widgets exist); ``publish`` writes
the current widget values back to ``st.query_params`` at the end of each run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from embedlab.ui.feedback import plain

Scalar = str | int | float | bool


def _parse(raw: str, default: Scalar) -> Scalar:
    if isinstance(default, bool):
        return raw.lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            return default
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            return default
    return raw


def restore(page: str, defaults: Mapping[str, Scalar], choices: Mapping[str, list[Any]] | None = None) -> None:
    """Fill ``st.session_state`` from the URL (or defaults) the first time ``page`` runs.

    Values outside ``choices`` (an unknown model in a shared link) fall back to the default,
    and a warning names what was ignored.
    """
    flag = f"_url_restored_{page}"
    if st.session_state.get(flag):
        return
    st.session_state[flag] = True
    ignored = []
    for key, default in defaults.items():
        value: Any = default
        if key in st.query_params:
            value = _parse(st.query_params[key], default)
        allowed = (choices or {}).get(key)
        if allowed is not None and value not in allowed:
            if key in st.query_params:
                ignored.append(f"{key}={value!r}")
            value = default if default in allowed else (allowed[0] if allowed else default)
        st.session_state[key] = value
    if ignored:
        st.warning("Ignored from the link (not available here): " + ", ".join(plain(item) for item in ignored))


Number = int | float


def within(key: str, low: Number, high: Number) -> None:
    """Bring a number from the link into ``[low, high]`` before its widget is drawn.

    Streamlit raises on a widget value outside its bounds, so ``?sim_k=999`` would otherwise
    end the page with an exception. The value is clamped and a warning says so.
    """
    value = st.session_state.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return
    if low <= value <= high:
        return
    nearest = min(max(value, low), high)
    clamped: Number = float(nearest) if isinstance(low, float) else int(nearest)
    st.session_state[key] = clamped
    st.warning(plain(f"{key}={value} from the link is outside {low}–{high}; using {clamped}."))


def slider(container: Any, label: str, low: Number, high: Number, *, key: str, **options: Any) -> Any:
    """``container.slider`` whose URL-restored value is first brought into range."""
    within(key, low, high)
    return container.slider(label, low, high, key=key, **options)


def number_input(container: Any, label: str, low: Number, high: Number, *, key: str, **options: Any) -> Any:
    """``container.number_input`` whose URL-restored value is first brought into range."""
    within(key, low, high)
    return container.number_input(label, low, high, key=key, **options)


def publish(keys: list[str]) -> None:
    """Mirror the current values of ``keys`` into the URL."""
    wanted = {}
    for key in keys:
        value = st.session_state.get(key)
        if value is None:
            continue
        wanted[key] = str(value).lower() if isinstance(value, bool) else str(value)
    current = {k: st.query_params[k] for k in st.query_params}
    if current != wanted:
        st.query_params.from_dict(wanted)
