"""End to end in Debian chromium: a bad upload is refused with its message, a small upload
goes through MiniLM into Chroma, the WebGL map appears, and clicking a point shows its
neighbours in both spaces."""

from __future__ import annotations

import os
import re

import pytest

from tests.conftest import map_shown

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


def open_upload_tab(page) -> None:
    """Open the "Add data" expander (it starts open only when there are no collections)."""
    details = page.locator("details", has_text="Add data: a built-in dataset or your own file").first
    details.wait_for()
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    page.get_by_role("tab", name="Upload a file").click()


def test_upload_to_map_to_selected_point(live_app: str, page) -> None:
    page.goto(f"{live_app}/explore")
    page.get_by_text("Bring a corpus, see its map").wait_for()
    open_upload_tab(page)

    page.locator("input[type=file]").set_input_files({"name": "broken.jsonl", "mimeType": "application/json", "buffer": BAD})
    page.get_by_text("line 2 is not valid JSON").wait_for()

    page.locator("input[type=file]").set_input_files({"name": "headlines.csv", "mimeType": "text/csv", "buffer": GOOD})
    page.get_by_text("Preview: first rows of 12 (csv).").wait_for()
    page.locator("button:visible", has_text="Encode and store").click()
    page.get_by_text("Stored 12 rows from 12 documents").wait_for()

    canvas = page.locator("canvas.pm-canvas")  # inside the map's shadow root: locators pierce it
    canvas.wait_for()
    wait_drawn(canvas)
    map_shown(page, "12 points · headlines ·")

    # Click the first point where it is drawn: its neighbours appear, with cosine and euclidean.
    click_point(page, canvas, 0)
    page.get_by_text("Picked:").wait_for()
    neighbours = page.locator('[data-testid="stDataFrame"]').filter(has_text="euclidean")
    neighbours.wait_for()

    # Box-select every point, then click a point again: the selection lists 12 rows, and the
    # click after a box select still picks.
    page.get_by_role("button", name="Box select").click()
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 2, box["y"] + 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=5)
    page.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] - 2, steps=5)
    page.mouse.up()
    page.get_by_text("12 selected on the map").wait_for()
    with page.expect_download() as download:
        page.get_by_role("button", name="Selection as CSV").click()
    exported = download.value.path().read_text(encoding="utf-8").splitlines()
    assert exported[0].startswith("id,text,") and len(exported) == 13  # header + the 12 selected rows
    click_point(page, canvas, 3)
    page.get_by_text("Picked:").wait_for()

    # Isolate the selection: the map shows those points alone, re-projected; then the whole map again.
    page.get_by_role("button", name="Isolate and re-project the selection").click()
    page.get_by_text("Showing the 12 selected points alone").wait_for()
    page.get_by_role("button", name="Back to the whole map").click()
    page.get_by_text("Showing the 12 selected points alone").wait_for(state="detached")
    assert not page.locator('[data-testid="stException"]').count()


def click_point(page, canvas, index: int) -> None:
    """Click point ``index`` where the map draws it. The page's layout can still shift after
    the map first draws (a status line, a message above it), so scroll and measure right before."""
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y = canvas.evaluate(f"c => c.pointAt({index})")
    page.mouse.click(box["x"] + x, box["y"] + y)


def wait_drawn(canvas, timeout: float = 120.0) -> None:
    """Wait until the point map has drawn at least once (it counts its renders on the canvas)."""
    canvas.page.wait_for_function("c => Number(c.dataset.renders || 0) > 0", arg=canvas.element_handle(),
                                  timeout=timeout * 1000)


def test_the_app_and_the_cli_share_a_chroma_server(browser, shared_chroma_server: str, monkeypatch, capsys) -> None:
    """With EMBEDLAB_CHROMA_URL the app and the CLI use one store at once (the embedded store
    would refuse the second process): the CLI (here, in the test's process) stores a file while
    the app runs, the page maps and searches it, the page stores another, and the CLI lists both."""
    import json
    from pathlib import Path

    from embedlab.cli import main
    from embedlab.store import Store, close_all_stores
    from tests.browser import new_page
    from tests.conftest import start_streamlit, stop_streamlit

    home = Path(os.environ["EMBEDLAB_HOME"])
    monkeypatch.setenv("EMBEDLAB_CHROMA_URL", shared_chroma_server)
    app, app_url = start_streamlit(home.parent / "app-home", chroma_url=shared_chroma_server)
    try:
        (home.parent / "headlines.csv").write_bytes(GOOD)
        assert main(["ingest", str(home.parent / "headlines.csv"), "--collection", "shared-headlines", "--label-column", "desk",
                     "--json"]) == 0
        name = json.loads(capsys.readouterr().out)["collection"]

        page = new_page(browser)
        page.goto(f"{app_url}/explore?explore_collection={name}&explore_method=pca")  # this server never needs UMAP's JIT
        draw = page.get_by_role("button", name="Draw the map")
        draw.wait_for()
        draw.click()
        map_shown(page, "12 points · shared-headlines ·")
        query = page.get_by_role("textbox", name="Semantic search: mark the closest points")
        query.fill("a new vaccine")
        query.press("Enter")
        page.get_by_text("Top 10 for").wait_for()
        # the hits table's first row (its cells are drawn on a canvas; the DOM keeps them, hidden)
        page.locator(".st-key-explore_hits_box #glide-cell-1-0", has_text="New vaccine shows strong immune response").wait_for(state="attached")

        open_upload_tab(page)
        page.locator("input[type=file]").set_input_files({"name": "second.csv", "mimeType": "text/csv", "buffer": GOOD[:400]})
        page.locator("button:visible", has_text="Encode and store").click()
        page.get_by_text(re.compile(r"^Stored \d")).first.wait_for()  # not the estimate before it ("… stored …")
        page.context.close()

        assert main(["collections", "--json"]) == 0
        datasets = {c["dataset"]: c["rows"] for c in json.loads(capsys.readouterr().out)["collections"]}
        assert datasets["shared-headlines"] == 12 and datasets["second"] >= 1
    finally:
        stop_streamlit(app)
        store = Store(url=shared_chroma_server)  # the shared server is left empty for the next test
        for info in store.collections():
            store.delete(info.name)
        close_all_stores()
