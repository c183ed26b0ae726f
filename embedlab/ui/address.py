"""The browser's address for a page's state, written with ``history.replaceState``.

Streamlit writes ``st.query_params`` changes with ``history.pushState``: every change of a
page's state (a guided demo, a new input) became a history entry of its own, so the browser's
Back went to the same page in its previous state (which the page then restored from the session,
so nothing seemed to happen) instead of to the previous page. Here the page's state goes into the
address *in place*: Streamlit's own copy of the query parameters is updated without a message to
the browser, and this small component replaces the address. One navigation stays one history
entry; reload, a shared link and Back/Forward read the address as before.
"""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

_JS = """
export default function (component) {
  const { data } = component;
  if (!data) return;
  // only the page that wrote it: a late render of the page just left must not stamp the next one
  const here = window.location.pathname.replace(/\\/$/, "");
  if (!data.paths.some((path) => (path ? here.endsWith(path) : here === ""))) return;
  if (window.location.search === data.search) return;
  const url = new URL(window.location.href);
  url.search = data.search;
  window.history.replaceState(window.history.state, "", url.toString());
}
"""
_COMPONENT = st.components.v2.component("embedlab_address", html="<div></div>", js=_JS)
DEFAULT_PAGE = "home"


def in_fragment_rerun() -> bool:
    """True when only a fragment is rerunning (its elements are all this run may write)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def write_address(page_path: str, params: dict[str, str]) -> None:
    """Make ``params`` the query of the address of the page at ``page_path`` (its ``url_path``;
    the default page is also served at the root), without a history entry. Called once per full run (the page frame's
    ``publish``) and once per fragment rerun."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    from streamlit.runtime.state.session_state_proxy import get_session_state

    query = urlencode(params)
    with get_session_state().query_params() as current:  # Streamlit's copy, for reruns and tests
        current.clear_with_no_forward_msg(preserve_embed=True)
        for key, value in params.items():
            current.set_with_no_forward_msg(key, value)
    ctx = get_script_run_ctx()
    if ctx is not None:
        ctx.query_string = query
    paths = [f"/{page_path}"] if page_path != DEFAULT_PAGE else ["", f"/{page_path}"]  # the default page also answers at /
    data = {"search": f"?{query}" if query else "", "paths": paths}
    if in_fragment_rerun():
        _COMPONENT(key="embedlab_address_part", data=data, height="content")
        return
    # Once per full run as a rule; a page that publishes again in the same run (before an early
    # stop, then at its end) replaces the first element with the later address
    run = id(ctx.cursors) if ctx is not None else 0  # a new dict at every run's start
    earlier = getattr(ctx, "_embedlab_address", None)
    if earlier is not None and earlier[0] == run:
        count, place = earlier[1] + 1, earlier[2]
    else:
        count, place = 0, st.sidebar.empty()
    if ctx is not None:
        ctx._embedlab_address = (run, count, place)  # type: ignore[attr-defined]
    with place:
        _COMPONENT(key="embedlab_address" if count == 0 else f"embedlab_address_{count}", data=data, height="content")
