"""Small things a new user trips over on the pages (issue 22, defect 8): finished progress bars
left on screen, overlapping chart labels, captions one letter per line, "None" in a table cell,
heatmap rows numbered while their texts are not shown, long texts cut off."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def test_a_progress_bar_appears_when_work_reports_and_goes_when_it_is_done() -> None:
    at = AppTest.from_string('''
import streamlit as st
from embedlab.ui.feedback import progress_reporter

cached = progress_reporter("Encoding (served from the cache)")   # never reports: draws nothing
report = progress_reporter("Encoding 3 texts")
report(1, 3)
if st.session_state.get("finish"):
    report(3, 3)
st.write("results")
''').run()
    shown = [p.proto.text for p in at.get("progress")]
    assert len(shown) == 1 and shown[0].startswith("Encoding 3 texts: 1/3 · "), shown
    at.session_state["finish"] = True
    at.run()
    assert not at.get("progress")
