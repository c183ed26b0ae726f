"""Page state that survives: leaving a page and coming back, reload, back/forward and a shared link.

Two stores hold a page's values:

- the **URL** (``st.query_params``): what a link, a reload and the browser's history carry.
  Long values (many sentences) go to the server under their hash (``embedlab.links``) and the
  URL holds ``~<hash>``, so the address stays short enough for browsers and the server;
- the **session** (``st.session_state["_embedlab_kept"]``): Streamlit deletes a widget's key
  when a run does not draw that widget (another page ran, another section was open), and may
  bring back a stale value set before the widget first drew. The values are kept in our own
  keys and given back to every widget when the page runs again after another page ran.

A page calls ``restore(page, defaults, choices)`` before its widgets exist and
``publish(keys)`` after. ``restore`` reads the link once, on the page's first run in a browser
session (a shared link, a reload, a new tab); after that it gives back what the user left,
also on back/forward. The URL is not read again within a session: the browser may send a rerun
with an address older than the one the page just wrote, and reading it would undo the user's
last input.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import streamlit as st

from embedlab import links
from embedlab.ui.address import in_fragment_rerun, write_address
from embedlab.ui.feedback import plain

Scalar = str | int | float | bool
Number = int | float
_KEPT = "_embedlab_kept"  # {page: {key: value}}: the user's values, whatever Streamlit dropped
_PUBLISHED = "_embedlab_published"  # {page: {key: text}}: what the page last wrote to the URL
_KEYS = "_embedlab_keys"  # {page: [keys]}: every key the page restores
_DEFAULTS = "_embedlab_defaults"  # {page: {key: default}}
_CURRENT = "_embedlab_page"


def _parse(raw: str, default: Scalar) -> Scalar | None:
    """A link's text as the type of the value's default; None when it is not one (a word where a
    number goes, NaN or an infinity: no number from a link is taken unless it is finite)."""
    if isinstance(default, bool):
        return raw.lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            return None
    if isinstance(default, float):
        try:
            value = float(raw)
        except ValueError:
            return None
        return value if math.isfinite(value) else None
    return raw


def _store(name: str) -> dict[str, Any]:
    value = st.session_state.get(name)
    if not isinstance(value, dict):
        value = {}
        st.session_state[name] = value
    return value


def link_values(keys: Mapping[str, Any]) -> dict[str, str]:
    """The values the current URL holds for ``keys`` (as written, references not expanded)."""
    return {key: st.query_params[key] for key in keys if key in st.query_params}


def _from_link(defaults: Mapping[str, Scalar], choices: Mapping[str, list[Any]], in_link: Mapping[str, str]) -> None:
    """Each value from the link (the default where it has none), as the default's type and
    within its choices; a warning names every value that was ignored, and why."""
    ignored, missing = [], []
    for key, default in defaults.items():
        value: Any = default
        if key in in_link:
            raw = links.expand(in_link[key])
            parsed = _parse(raw, default) if raw is not None else None
            if raw is None:
                missing.append(key)
            elif parsed is None:
                ignored.append(f"{key}={raw[:40]!r} (not a finite number)")
            else:
                value = parsed
        allowed = choices.get(key)
        if allowed is not None and value not in allowed:
            if key in in_link:
                ignored.append(f"{key}={value!r}")
            value = default if default in allowed else (allowed[0] if allowed else default)
        st.session_state[key] = value
    if ignored:
        st.warning("Ignored from the link (not available here): " + ", ".join(plain(item) for item in ignored))
    if missing:
        st.warning(plain("This link refers to long inputs kept on the server that made it, and this server does not"
                         f" have them: {', '.join(missing)}."))


def restore(page: str, defaults: Mapping[str, Scalar], choices: Mapping[str, list[Any]] | None = None) -> None:
    """Fill ``st.session_state`` for ``page`` before its widgets are drawn (see the module).

    Values outside ``choices`` (an unknown model in a shared link) fall back to the default,
    and a warning names what was ignored.
    """
    previous = st.session_state.get(_CURRENT)
    st.session_state[_CURRENT] = page
    _store(_KEYS)[page] = list(defaults)
    _store(_DEFAULTS)[page] = dict(defaults)
    kept = _store(_KEPT)
    published = _store(_PUBLISHED)
    in_link = link_values(defaults)
    if page not in kept:  # the first run of this page in this session: a link, a reload, a new tab
        _from_link(defaults, choices or {}, in_link)
        kept[page] = {key: st.session_state[key] for key in defaults}
        published[page] = in_link
        return
    if previous != page:
        # back from another page: Streamlit dropped this page's widget values (or worse, kept a
        # stale value set before a widget first drew): give every widget the value the user left
        for key, default in defaults.items():
            st.session_state[key] = kept[page].get(key, default)
        return
    # a rerun of this page: the widgets hold the user's values. Setting each again through the
    # Session State API keeps Streamlit's copy current, so a widget hidden in this run (another
    # section of the page) comes back with the user's value, not the one first set for it.
    for key, default in defaults.items():
        st.session_state[key] = st.session_state[key] if key in st.session_state else kept[page].get(key, default)


def remember(page: str, **values: Scalar) -> None:
    """Set values of ``page`` from code (a guided demo, a collection's last view): into the
    widgets' keys and into the kept copy, so they survive like the user's own."""
    kept = _store(_KEPT).setdefault(page, {})
    for key, value in values.items():
        st.session_state[key] = value
        kept[key] = value


def within(key: str, low: Number, high: Number) -> None:
    """Bring a number from the link into ``[low, high]`` before its widget is drawn.

    Streamlit raises on a widget value outside its bounds, so ``?sim_k=999`` would otherwise
    end the page with an exception. The value is clamped and a warning says so.
    """
    value = st.session_state.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return
    if not math.isfinite(value):
        st.session_state[key] = low
        st.warning(plain(f"{key}={value} is not a finite number; using {low}."))
        return
    if low <= value <= high:
        return
    nearest = min(max(value, low), high)
    clamped: Number = float(nearest) if isinstance(low, float) else int(nearest)
    st.session_state[key] = clamped
    st.warning(plain(f"{key}={value} from the link is outside {low}–{high}; using {clamped}."))


def slider(container: Any, label: str, low: Number, high: Number, *, key: str, **options: Any) -> Any:
    """``container.slider`` whose restored value is first brought into range."""
    within(key, low, high)
    return container.slider(label, low, high, key=key, **options)


def number_input(container: Any, label: str, low: Number, high: Number, *, key: str, **options: Any) -> Any:
    """``container.number_input`` whose restored value is first brought into range."""
    within(key, low, high)
    return container.number_input(label, low, high, key=key, **options)


def multiselect(container: Any, label: str, options: list[Any], *, key: str, state: str, **kw: Any) -> list[Any]:
    """``container.multiselect`` over ``options`` whose choice lives in the page value ``state`` (the
    chosen options joined by commas: what the link holds), and the widget always shows it.

    A value that code set (a guided demo, a link, a collection's last view) is given to the widget
    through the Session State API, which tells the browser; a widget ``default`` is not enough, as
    the browser keeps showing (and sends back on the next run) what it showed before. When the
    user changes the widget, the widget's value becomes the state."""
    wanted = [v for v in str(st.session_state.get(state, "")).split(",") if v in options]
    synced = f"_{key}_synced"
    current = st.session_state.get(key)
    if current is None or st.session_state.get(synced) != st.session_state.get(state) or any(v not in options for v in current):
        st.session_state[key] = wanted
    picked = list(container.multiselect(label, options, key=key, **kw))
    st.session_state[state] = ",".join(str(v) for v in picked)
    st.session_state[synced] = st.session_state[state]
    return picked


def publish_part(keys: list[str], written: list[str] | None = None) -> None:
    """``publish`` for part of a page that reruns alone (a fragment): only ``keys`` change in
    the URL (those in ``written``, default all of them, are written; the others are left out);
    the rest of the page's link stays as the last full run wrote it. In a full run it does
    nothing: the page's own ``publish`` at the end of the run writes the whole address once."""
    if not in_fragment_rerun():
        return
    page = st.session_state.get(_CURRENT)
    others = [key for key in _store(_PUBLISHED).get(page, {}) if key not in keys] if page else []
    publish([*others, *(keys if written is None else written)])


def publish(keys: list[str]) -> None:
    """Keep every value of the current page for the session, and mirror ``keys`` into the URL
    (long values as a server-side reference; a value too long even for that is left out, and
    the page says the view cannot be shared)."""
    page = st.session_state.get(_CURRENT)
    if page is None:
        return
    kept = _store(_KEPT).setdefault(page, {})
    for key in _store(_KEYS).get(page, []):
        if key in st.session_state:
            kept[key] = st.session_state[key]
    wanted: dict[str, str] = {}
    too_big = []
    empty_by_default = {key for key, default in _store(_DEFAULTS).get(page, {}).items() if default == ""}
    for key in keys:
        value = st.session_state.get(key)
        if value is None or (value == "" and key in empty_by_default):
            continue
        text = str(value).lower() if isinstance(value, bool) else str(value)
        linked = links.keep(text)
        if linked is None:
            too_big.append(key)
            continue
        wanted[key] = linked
    if too_big:
        st.caption(plain(f"This view is too big to share as a link ({', '.join(too_big)} left out of the address);"
                         " it is kept while this tab is open."))
    elif any(links.is_reference(value) for value in wanted.values()):
        st.caption("Long inputs are kept on this server and the link refers to them: it opens here, not on another server.")
    write_address(page, wanted)
    _store(_PUBLISHED)[page] = wanted
