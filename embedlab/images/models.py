"""Which image-text model a page or command uses: CLIP when real weights are configured and
load here, else the offline ConSE; and ConSE with another T (its number of top classes) as a
session model that shares the loaded networks."""

from __future__ import annotations

import threading

from embedlab.backends import catalogue
from embedlab.backends.images import CONSE_TOP_T, ConSE, check_clip
from embedlab.errors import BackendUnavailableError, InputError

_CLIP_LOCK = threading.Lock()  # one attempt at loading CLIP at a time


def default_image_text_backend() -> str:
    """``clip`` when its weights are configured and load here, else ``conse`` (offline)."""
    if check_clip() is not None:
        return "conse"
    with _CLIP_LOCK:
        try:
            catalogue().get("clip")
        except BackendUnavailableError:
            return "conse"
    return "clip"


def conse_with(top_t: int = CONSE_TOP_T) -> str:
    """The name of ConSE with ``top_t`` classes: ``conse`` for the default T, else a session
    model ``conse-t{T}`` sharing the loaded classifier and text model (its vectors differ, so
    its collections are its own)."""
    if not 1 <= int(top_t) <= 1000:
        raise InputError(f"ConSE's T (top classes) must be between 1 and 1000, got {top_t}.")
    if int(top_t) == CONSE_TOP_T:
        return "conse"
    name = f"conse-t{int(top_t)}"
    models = catalogue()
    if name not in models.names():
        base = models.get("conse")
        assert isinstance(base, ConSE)
        models.add(ConSE(base.text_model, name, int(top_t), base.template, base.classifier), "session", persist=False)
    return name
