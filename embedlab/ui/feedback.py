"""Errors and progress as a user sees them."""

from __future__ import annotations

import re
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import streamlit as st

from embedlab.errors import EmbedlabError
from embedlab.store import Store, open_store

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: object) -> str:
    """``text`` escaped so that ``st.markdown``/``st.error`` show it as typed: a file name,
    column or query from a user never becomes a link, an image, a heading or LaTeX."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", " ".join(str(text).split("\n")))


@contextmanager
def user_errors() -> Iterator[None]:
    """Show EmbedLab errors as a clear ``st.error``; anything else as a short message.

    The script run ends quietly after an error, the server and everyone's data stay as they are.
    """
    try:
        yield
    except EmbedlabError as error:
        st.error(plain(error), icon="⚠️")
    except Exception as error:  # a bug, not the user's fault: say so without a wall of text
        st.error(plain(f"Something went wrong ({type(error).__name__}: {error}). The app is still running."), icon="🐞")
        with st.expander("Technical details"):
            st.code("".join(traceback.format_exception(error))[-4000:])


def store_or_stop() -> Store:
    """The vector store; when it cannot be opened (another process holds it, the server is down)
    the page says why and what to do, and stops: never Streamlit's redacted error."""
    try:
        return open_store()
    except EmbedlabError as error:
        st.error(plain(error), icon="⚠️")
        st.stop()
        raise  # st.stop() ends the run; this line is for type checkers


def progress_reporter(label: str) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callback drawing a bar with rate and time left. Nothing is
    drawn until the work reports (work served from a cache leaves no empty bar behind), and the
    bar is removed once the work is done (a finished bar said nothing the results do not)."""
    slot = st.empty()
    started = time.perf_counter()

    def report(done: int, total: int) -> None:
        if total and done >= total:
            slot.empty()
            return
        elapsed = max(time.perf_counter() - started, 1e-9)
        rate = done / elapsed
        left = (total - done) / rate if rate > 0 else float("nan")
        fraction = done / total if total else 1.0
        eta = f"{left:.0f} s left" if left == left and done else "estimating…"
        slot.progress(min(fraction, 1.0), text=f"{label}: {done:,}/{total:,} · {rate:,.0f}/s · {eta}")

    return report


def full_texts(texts: list[str], label: str = "Read the texts in full", *, limit: int = 50) -> None:
    """An expander holding ``texts`` whole, numbered as the table above them: a table cell cuts a
    long text off, and this is where it can be read (escaped, so a text is shown as written)."""
    if not any(len(text) > 60 for text in texts):
        return
    with st.expander(f"{label} ({min(len(texts), limit)})"):
        for number, text in enumerate(texts[:limit], 1):
            st.markdown(f"**{number}.** {plain(text)}")
