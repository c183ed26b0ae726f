"""Image-text search end to end in Debian chromium: the guided demo on the gallery, text ->
image, "more like this", an uploaded ZIP (its hostile members refused one by one, the rest
stored), text and image queries on it, zero-shot labels, the map with the selected point's
thumbnail, and the view kept across leaving the page, reload and a shared link."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from PIL import Image

from embedlab import datasets
from tests.browser import other_browser, settled, sidebar
from tests.conftest import map_shown
from tests.test_explore_browser import click_point, wait_drawn

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def gallery_png(name: str) -> bytes:
    return next(item.data for item in datasets.images("gallery") if item.name == name)


def bomb() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (6000, 6000), 0).save(buffer, format="PNG")
    return buffer.getvalue()


def upload_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("pets/chelsea.png", gallery_png("chelsea"))
        archive.writestr("coffee.png", gallery_png("coffee"))
        archive.writestr("../../rocket.png", gallery_png("rocket"))
        archive.writestr("horse.png", gallery_png("horse"))
        archive.writestr("notes.txt", b"not a picture at all")
        archive.writestr("bomb.png", bomb())
    return buffer.getvalue()


def results(page) -> list[str]:
    """The names of the result grid, in rank order, once the page has stopped changing."""
    import re

    def read(p) -> str:
        texts = p.locator('[data-testid="stMarkdownContainer"] strong').all_inner_texts()
        return "\n".join(m.group(1) for t in texts if (m := re.match(r"^\d+\. (.+)$", t.strip())))

    return settled(page, read).split("\n")


def test_gallery_demo_upload_zip_search_labels_and_map(live_app: str, page) -> None:
    page.goto(f"{live_app}/images")
    page.get_by_text("Find pictures by text or by picture").wait_for()
    page.get_by_text("Active image-text model: conse").wait_for()

    # guided demo: ConSE on the gallery; eight queries right, the moon wrong
    page.get_by_role("button", name="▶ Guided demo").click()
    page.get_by_text("Guided demo: the top picture for each query").wait_for()
    page.get_by_text("The last query fails: ImageNet has no moon class").wait_for()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"stImage\"] img').length >= 5")
    assert results(page)[0] == "chelsea"

    # text -> image
    box = page.get_by_label("Find pictures of…")
    box.fill("a cup of coffee")
    box.press("Enter")
    page.wait_for_function("() => [...document.querySelectorAll('strong')].some(s => s.innerText.trim() === '1. coffee')")
    # more like this, from the first result
    page.get_by_role("button", name="More like this").first.click()
    page.get_by_text("more like coffee").wait_for()
    assert "coffee" not in results(page)

    # upload a ZIP: each bad member gets its own message, the rest goes in
    page.get_by_text("Add images: upload pictures or a ZIP").click()
    page.locator("input[type=file]").first.set_input_files(
        [{"name": "mine.zip", "mimeType": "application/zip", "buffer": upload_zip()}])
    page.get_by_label("Collection name").fill("my-pictures")
    page.get_by_label("Collection name").press("Enter")
    page.get_by_role("button", name="Store images").click()
    page.get_by_text("Stored 4 images in my-pictures").wait_for()
    page.get_by_text("mine.zip/notes.txt: not an image").wait_for()
    page.get_by_text(re.compile(r"mine\.zip/bomb\.png: .*possible (zip|decompression) bomb")).wait_for()

    # text -> image on the uploaded collection (the store made it the current one)
    page.get_by_role("radio", name="Text → image", exact=True).click()
    box = page.get_by_label("Find pictures of…")
    box.fill("a horse")
    box.press("Enter")
    page.wait_for_function("() => [...document.querySelectorAll('strong')].some(s => s.innerText.trim() === '1. horse.png')")
    assert set(results(page)) == {"pets/chelsea.png", "coffee.png", "../../rocket.png", "horse.png"}

    # image -> image with an uploaded query picture
    page.get_by_role("radio", name="Image → image", exact=True).click()
    page.get_by_text("Upload a query image, or press").wait_for()
    page.locator('[data-testid="stFileUploader"]', has_text="Query image").locator("input[type=file]").set_input_files([{"name": "query.png", "mimeType": "image/png", "buffer": gallery_png("chelsea")}])
    page.wait_for_function("() => [...document.querySelectorAll('strong')].some(s => s.innerText.trim() === '1. pets/chelsea.png')")
    assert results(page)[0] == "pets/chelsea.png"

    # zero-shot labels: a bar chart per picked image
    page.get_by_role("radio", name="Zero-shot labels", exact=True).click()
    page.get_by_label("Labels (comma-separated)").fill("cat, cup of coffee, rocket, horse")
    page.get_by_label("Labels (comma-separated)").press("Enter")
    page.locator(".js-plotly-plot").first.wait_for()
    page.get_by_text("zero-shot (conse)").first.wait_for()

    # the map: click a point, its thumbnail appears beside the map
    page.get_by_role("radio", name="Map", exact=True).click()
    canvas = page.locator("canvas.pm-canvas")
    canvas.wait_for()
    wait_drawn(canvas)
    map_shown(page, "4 points")
    click_point(page, canvas, 0)
    page.get_by_text("1 selected").wait_for()
    assert "img_mode=Map" in page.url and "img_collection=my-pictures" in page.url

    # the view survives leaving the page, a reload and a shared link
    sidebar(page, "Home")
    page.get_by_text("Models on this machine").wait_for()
    sidebar(page, "Image-text search")
    map_shown(page, "4 points")
    shared = page.url
    page.reload()
    map_shown(page, "4 points")
    with other_browser(page.context.browser) as fresh:
        fresh.goto(shared.replace("img_mode=Map", "img_mode=Text+%E2%86%92+image") + "&img_query=a+cup+of+coffee")
        fresh.wait_for_function("() => [...document.querySelectorAll('strong')].some(s => s.innerText.trim() === '1. coffee.png')")
    assert not page.locator('[data-testid="stException"]').count()
