"""The point map: every point of a map on a canvas in the browser (``pointmap.js``), answering
hover, zoom, pan, colour, highlights, picks and selections at once.

Heavy arrays are sent once: each has a content id, the server remembers (per browser session
and map) which ids it has sent, and later runs send only ids and a few kilobytes of highlights.
The browser speaks only when it lacks an array it was told it has (a reload of the component):
its ``need`` state names the ids, and the next run sends them again. A browser that reported
after every draw would rerun the map's fragment once per interaction, and the user's next action
would queue behind that rerun. Recolouring 60,000 points sends their colour codes (120 KB); a search or a pick
sends a handful of indices.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

from embedlab.cache import array_digest, content_key

_CSS = """
.pm-wrap { position: relative; font-family: sans-serif; }
.pm-bar { display: flex; gap: 4px; flex-wrap: wrap; margin-bottom: 4px; }
.pm-bar button { border: 1px solid #bbb; background: #fafafa; border-radius: 4px; padding: 2px 8px; font-size: 13px; cursor: pointer; color: #222; }
.pm-bar button.pm-on { background: #1f77b4; color: #fff; border-color: #1f77b4; }
.pm-canvas { display: block; border: 1px solid #ddd; border-radius: 4px; background: #fff; touch-action: none; }
.pm-tip { position: absolute; display: none; max-width: 300px; background: #fff; color: #111; border: 1px solid #888;
          border-radius: 4px; padding: 6px 8px; font-size: 12px; line-height: 1.35; pointer-events: none; white-space: pre-wrap;
          box-shadow: 0 2px 6px rgba(0,0,0,.2); z-index: 5; }
.pm-status { font-size: 12px; color: #333; margin-top: 3px; }
.pm-legend { display: flex; flex-wrap: wrap; gap: 4px 12px; font-size: 12px; color: #222; margin-top: 4px; }
.pm-legend-title { font-weight: 600; width: 100%; }
.pm-legend-item i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
"""

_COMPONENT = st.components.v2.component(
    "embedlab_point_map", html="<div></div>", css=_CSS, js=(Path(__file__).with_name("pointmap.js")).read_text(encoding="utf-8"),
)


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


@dataclass(frozen=True)
class MapColours:
    """How points are coloured: a code per point into ``palette`` (groups), or a number per
    point on a continuous scale; ``legend`` rows are (name, colour, count)."""

    codes: np.ndarray | None = None
    palette: tuple[str, ...] = ("#1f77b4",)
    values: np.ndarray | None = None
    legend: tuple[tuple[str, str, int], ...] = ()
    title: str = ""


@dataclass(frozen=True)
class MapMarks:
    """What is marked on the map: search hits (stars), the picked point and its neighbours
    (rings and lines), the selection (outlined), and a focus (everything else faint)."""

    hits: Sequence[int] = ()
    picked: int | None = None
    neighbours: Sequence[int] = ()
    selected: Sequence[int] = ()
    focus: Sequence[int] | None = None
    labels: Sequence[dict[str, Any]] = field(default_factory=tuple)


@dataclass(frozen=True)
class MapEvents:
    """What the user did on the map in this run: a click on a point (once), the current box or
    lasso selection (kept until cleared)."""

    picked: int | None
    selection: list[int] | None


def _sent_ids(key: str) -> set[str]:
    """The ids of the arrays this session has sent to map ``key``, less those the browser says
    it lacks (its ``need`` state: ``{"ids": [...], "n": ask number}``, each ask acted on once)."""
    sent: set[str] = st.session_state.setdefault(f"_pointmap_sent::{key}", set())
    need = getattr(st.session_state.get(key), "need", None)
    if isinstance(need, dict):
        ask = need.get("n")
        done_key = f"_pointmap_ask::{key}"
        if ask != st.session_state.get(done_key):
            st.session_state[done_key] = ask
            sent.difference_update(str(i) for i in need.get("ids") or [])
    return sent


def point_map(
    key: str,
    coords: np.ndarray,
    hover: Sequence[str],
    colours: MapColours,
    marks: MapMarks,
    *,
    height: int = 640,
    caption: str = "",
    hover_id: str | None = None,
    on_pick: Callable[[], None] | None = None,
    on_select: Callable[[], None] | None = None,
) -> MapEvents:
    """Draw ``coords`` (n x 2 or n x 3) with ``hover`` text per point; returns the events.
    ``hover_id`` names the hover texts by content when the caller knows it (hashing 60,000
    texts on every run costs more than the rest of the run)."""
    coords = np.asarray(coords, dtype=np.float32)
    n, dims = coords.shape
    coords_id = f"c{array_digest(coords)[:24]}"
    hover_id = f"h{(hover_id or content_key(list(hover)))[:24]}"
    codes_id = values_id = None
    if colours.codes is not None:
        codes = np.asarray(colours.codes, dtype=np.uint16)
        codes_id = f"k{array_digest(codes)[:24]}"
    if colours.values is not None:
        values = np.asarray(colours.values, dtype=np.float32)
        values_id = f"v{array_digest(values)[:24]}"
    have = _sent_ids(key)
    data: dict[str, Any] = {
        "n": int(n), "dims": int(dims), "height": height, "coords_id": coords_id, "hover_id": hover_id,
        "codes_id": codes_id, "values_id": values_id, "palette": list(colours.palette),
        "legend": [[name, colour, int(count)] for name, colour, count in colours.legend], "legend_title": colours.title,
        "hits": [int(i) for i in marks.hits], "picked": None if marks.picked is None else int(marks.picked),
        "neighbours": [int(i) for i in marks.neighbours], "selected": [int(i) for i in marks.selected],
        "focus": None if marks.focus is None else [int(i) for i in marks.focus], "labels": list(marks.labels),
        "caption": caption,
    }
    if coords_id not in have:
        data["coords"] = _b64(coords)
    if hover_id not in have:
        data["hover"] = list(hover)
    if codes_id and codes_id not in have:
        data["codes"] = _b64(codes)
    if values_id and values_id not in have:
        data["values"] = _b64(values)
    have.update(i for i in (coords_id, hover_id, codes_id, values_id) if i)
    data["token"] = content_key({k: v for k, v in data.items() if k not in ("coords", "hover", "codes", "values")})[:12]
    result = _COMPONENT(key=key, data=data, height="content", default={"selection": [], "need": None},
                        on_need_change=lambda: None, on_selection_change=on_select or (lambda: None),
                        on_picked_change=on_pick or (lambda: None))
    picked = getattr(result, "picked", None)
    selection = getattr(result, "selection", None)
    return MapEvents(picked=int(picked) if isinstance(picked, (int, float)) else None,
                     selection=[int(i) for i in selection] if isinstance(selection, list) else None)
