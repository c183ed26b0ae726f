"""End to end in Debian chromium: a bad upload is refused with its message, a small upload
goes through MiniLM into Chroma, the WebGL map appears, and clicking a point shows its
neighbours in both spaces."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

GOOD = "\n".join(
    ["headline,desk"]
    + [f"{text},{desk}" for text, desk in [
        ("Central bank raises interest rates again", "business"),
        ("Stocks slide as bond yields climb", "business"),
        ("Oil prices jump after supply cut", "business"),
        ("Striker scores twice in cup final", "sport"),
        ("Coach praises team after late winner", "sport"),
        ("Tennis champion retires at thirty", "sport"),
        ("Flu cases rise ahead of winter", "health"),
        ("New vaccine shows strong immune response", "health"),
        ("Hospitals warn of long waiting lists", "health"),
        ("Rocket launch delayed by high winds", "science"),
        ("Telescope spots water on distant planet", "science"),
        ("Physicists cool atoms to record low", "science"),
    ]]
).encode()
BAD = b'{"headline": "fine"}\n{"headline": not json}\n'


def open_upload_tab(page) -> None:  # noqa: ANN001
    """Open the "Add data" expander (it starts open only when there are no collections)."""
    details = page.locator("details", has_text="Add data: a built-in dataset or your own file").first
    details.wait_for()
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    page.get_by_role("tab", name="Upload a file").click()


def test_upload_to_map_to_selected_point(live_app: str, page) -> None:  # noqa: ANN001
    page.goto(f"{live_app}/explore")
    page.get_by_text("Bring a corpus, see its map").wait_for()
    open_upload_tab(page)

    page.locator("input[type=file]").set_input_files({"name": "broken.jsonl", "mimeType": "application/json", "buffer": BAD})
    page.get_by_text("line 2 is not valid JSON").wait_for()

    page.locator("input[type=file]").set_input_files({"name": "headlines.csv", "mimeType": "text/csv", "buffer": GOOD})
    page.get_by_text("Preview: first rows of 12 (csv).").wait_for()
    page.locator("button:visible", has_text="Encode and store").click()
    page.get_by_text("Stored 12 rows from 12 documents").wait_for()

    plot = page.locator(".js-plotly-plot").first
    plot.wait_for()
    page.wait_for_function("() => { const g = document.querySelector('.js-plotly-plot'); return g && g._fullData && g._fullData.length > 0 }")
    assert page.evaluate("() => document.querySelector('.js-plotly-plot')._fullData[0].type") == "scattergl"
    points = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullData.reduce((n, t) => n + t.x.length, 0)")
    assert points == 12

    # Click the first point of the first trace at its pixel position on the map (in view).
    plot.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    x, y = page.evaluate(
        """() => {
            const g = document.querySelector('.js-plotly-plot');
            const box = g.getBoundingClientRect(), fl = g._fullLayout, t = g._fullData[0];
            return [box.left + fl.xaxis._offset + fl.xaxis.l2p(t.x[0]), box.top + fl.yaxis._offset + fl.yaxis.l2p(t.y[0])];
        }"""
    )
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    try:
        page.get_by_text("selected on the map").wait_for(timeout=60_000)
    except Exception:
        page.screenshot(path="/tmp/embedlab-explore-browser-failure.png", full_page=True)
        raise
    page.get_by_text("Nearest in the original space (cosine)").wait_for()
    assert page.get_by_text("between the original space and the map").count() == 1
