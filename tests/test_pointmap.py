"""The point map's transfer protocol: each array goes to the browser once per session and map,
and again only when the browser says it lacks it (``need``), each ask acted on once."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from embedlab.ui import pointmap

SCRIPT = """
import numpy as np
import streamlit as st
from embedlab.ui.pointmap import MapColours, MapMarks, point_map

coords = np.arange(20, dtype=np.float32).reshape(10, 2)
codes = np.arange(10) % int(st.session_state.get("groups", 2))
point_map("m", coords, [f"p{i}" for i in range(10)], MapColours(codes=codes, palette=("#000", "#111", "#222")), MapMarks())
"""


def _sent(at: AppTest) -> dict:
    element = next(e for e in at.get("bidi_component") if e.proto.id.endswith("m"))
    kind = element.proto.WhichOneof("data")
    return json.loads(element.proto.json if kind == "json" else element.proto.mixed.json)


def test_arrays_are_sent_once_and_only_what_changed_is_sent_again() -> None:
    at = AppTest.from_string(SCRIPT).run()
    first = _sent(at)
    assert {"coords", "hover", "codes"} <= set(first)
    at.run()
    assert not {"coords", "hover", "codes"} & set(_sent(at))  # nothing changed: ids only
    at.session_state["groups"] = 3
    at.run()
    again = _sent(at)
    assert "codes" in again and not {"coords", "hover"} & set(again)  # a recolour sends the colours only
    assert again["codes_id"] != first["codes_id"]


def test_a_need_report_resends_those_arrays_once(monkeypatch: pytest.MonkeyPatch) -> None:
    state: dict = {"_pointmap_sent::m": {"c1", "h1", "k1"}}
    monkeypatch.setattr(pointmap, "st", SimpleNamespace(session_state=state))
    assert pointmap._sent_ids("m") == {"c1", "h1", "k1"}
    state["m"] = SimpleNamespace(need={"ids": ["c1", "k1"], "n": "ask-1"})
    assert pointmap._sent_ids("m") == {"h1"}  # the browser lost them: they go again
    state["_pointmap_sent::m"].update({"c1", "k1"})  # ...and are sent in that run
    assert pointmap._sent_ids("m") == {"c1", "h1", "k1"}  # the same ask is not acted on twice
    state["m"] = SimpleNamespace(need={"ids": ["h1"], "n": "ask-2"})
    assert pointmap._sent_ids("m") == {"c1", "k1"}
