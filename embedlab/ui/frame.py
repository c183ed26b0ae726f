"""The one frame every page shares: router check, the page's state from the link or the session,
its title and caption, the guided-demo button, the explanation, and the link it publishes.

A page declares its values once (``defaults``, every key starting with the page's prefix, such as
``sim_``) and what a guided demo sets (``demo``); the frame derives the rest:

- the demo flag ``<prefix>_demo`` is part of the page's state, so whatever a demo shows comes back
  on reload and in a shared link;
- the link holds every value that differs from its default (defaults are left out: a plain visit
  writes a bare address, and one navigation stays one history entry).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from embedlab.ui import url_state
from embedlab.ui.pages import PAGES, PageSpec
from embedlab.ui.router import ensure_router
from embedlab.ui.url_state import Scalar

DEFAULT_EXPLANATION_TITLE = "What this shows and what to notice"


def _prefix(page: str, keys: list[str]) -> str:
    """The prefix all of a page's keys share (``sim`` for ``sim_mode``, ``sim_words``, ...)."""
    prefix = keys[0].split("_", 1)[0]
    strays = [key for key in keys if not key.startswith(prefix + "_")]
    if strays:
        raise ValueError(f"page {page!r}: every key starts with {prefix + '_'!r}; these do not: {strays}")
    return prefix


def _spec(page: str) -> PageSpec:
    for spec in PAGES:
        if spec.url_path == page:
            return spec
    raise ValueError(f"no page {page!r} in embedlab.ui.pages.PAGES")


@dataclass
class PageFrame:
    """A page's frame after ``page_frame``: its name, its state's keys and defaults."""

    page: str
    defaults: dict[str, Scalar]
    demo_key: str
    shared: set[str] = field(default_factory=set)

    @property
    def demo_on(self) -> bool:
        """True once the guided demo was pressed (also after a reload or in its link)."""
        return bool(st.session_state.get(self.demo_key))

    def publish(self) -> None:
        """Mirror the page's state into the link: every key whose value is not its default."""
        url_state.publish([key for key in self.defaults if self._differs(key)])

    def publish_part(self, keys: list[str]) -> None:
        """``publish`` from a fragment (part of the page rerunning alone): only ``keys`` change."""
        url_state.publish_part(keys, [key for key in keys if self._differs(key)])

    def _differs(self, key: str) -> bool:
        return key in st.session_state and st.session_state[key] != self.defaults[key]


def page_frame(
    page: str,
    defaults: Mapping[str, Scalar],
    *,
    caption: str,
    explanation: str,
    demo: Callable[[], Mapping[str, Scalar]] | None = None,
    demo_help: str = "Load a worked example and explain it",
    choices: Mapping[str, list[Any]] | None = None,
    explanation_title: str = DEFAULT_EXPLANATION_TITLE,
    on_demo: Callable[[], None] | None = None,
) -> PageFrame:
    """Draw the frame of ``page`` (its ``url_path`` in ``PAGES``) and return it.

    ``demo`` returns the values the guided demo sets (called when the button is pressed);
    ``on_demo`` runs after them, for a page whose demo also starts work (a one-time trigger kept
    out of the link). The explanation opens by itself once the demo was pressed.
    """
    ensure_router()
    spec = _spec(page)
    keys = list(defaults)
    demo_key = f"{_prefix(page, keys)}_demo"
    state: dict[str, Scalar] = {**defaults, demo_key: False}
    url_state.restore(page, state, choices)
    frame = PageFrame(page, state, demo_key)

    def press_demo() -> None:
        values = dict(demo()) if demo is not None else {}
        url_state.remember(page, **values, **{demo_key: True})
        if on_demo is not None:
            on_demo()

    st.title(f"{spec.icon} {spec.title}")
    st.caption(caption)
    if demo is not None or on_demo is not None:
        st.button("▶ Guided demo", on_click=press_demo, help=demo_help)
    with st.expander(explanation_title, expanded=frame.demo_on):
        st.markdown(explanation)
    return frame
