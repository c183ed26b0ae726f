"""End to end in Debian chromium: a MovieLens user's recommendations with reasons and the joint
map, kept when leaving the page and on reload; the cold-start profile; a bad interactions upload
refused with its line, a good one recommended and evaluated."""

from __future__ import annotations

import pytest

from tests.conftest import map_shown

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOP = "\n".join(["user,item,rating,timestamp"] + [
    f"u{user},p{item},{1 + (user + item) % 5},{1000 + step}"
    for user in range(40) for step, item in enumerate(range((user % 3) * 10, (user % 3) * 10 + 6 + user % 4))
]).encode() + b"\n"
BAD = b"user,item,rating\nu1,p1,5\nu2,p2,lots\n"


def test_user_map_profile_and_upload(live_app: str, page) -> None:
    page.goto(f"{live_app}/recommend?rec_user=97&rec_k=5")
    page.get_by_text("Top 5 for user 97").wait_for(timeout=180_000)
    table = page.locator('[data-testid="stDataFrame"]').filter(has_text="because you liked").first
    table.wait_for()
    canvas = page.locator("canvas.pm-canvas")
    canvas.wait_for(timeout=180_000)
    map_shown(page, "2,625 points")

    # the evaluation table on MovieLens (content encodes 1,682 titles once)
    page.get_by_role("button", name="Run the evaluation (cached)").click()
    page.get_by_text("943 test users, each ranking all 1,682 items").wait_for(timeout=300_000)
    page.locator('[data-testid="stDataFrame"]').filter(has_text="HR@10").first.wait_for()

    # leave the page and come back: the same user; reload: the same
    page.get_by_role("link", name="Home").click()
    page.get_by_text("Top 5 for user 97").wait_for(state="detached")
    page.get_by_role("link", name="Recommendation").click()
    page.get_by_text("Top 5 for user 97").wait_for(timeout=120_000)
    assert "rec_user=97" in page.url
    page.reload()
    page.get_by_text("Top 5 for user 97").wait_for(timeout=120_000)

    # the cold start from a shared link
    page.goto(f"{live_app}/recommend?rec_mode=profile&rec_profile=50,172,181&rec_k=5")
    page.get_by_text("Top 5 for your profile").wait_for(timeout=120_000)
    page.get_by_text("Return of the Jedi").first.wait_for()

    # an upload: a bad file names its line, a good one is recommended and evaluated
    page.goto(f"{live_app}/recommend?rec_source=upload")
    page.get_by_text("Upload an interactions file to start.").wait_for(timeout=60_000)
    page.locator("input[type=file]").first.set_input_files({"name": "bad.csv", "mimeType": "text/csv", "buffer": BAD})
    page.get_by_text("line 3: the rating 'lots' is not a number").wait_for(timeout=60_000)
    page.locator("input[type=file]").first.set_input_files({"name": "shop.csv", "mimeType": "text/csv", "buffer": SHOP})
    page.get_by_text("shop: 300 interactions by 40 users of 27 items").wait_for(timeout=120_000)
    page.get_by_text("Top 10 for user u0").wait_for(timeout=120_000)
    page.get_by_role("button", name="Run the evaluation (cached)").click()
    page.locator('[data-testid="stDataFrame"]').filter(has_text="HR@10").first.wait_for(timeout=180_000)
    page.get_by_text("test users, each ranking all 27 items").wait_for()
    assert not page.locator('[data-testid="stException"]').count()

    # the upload is kept on the server by content: a reload and the link in a new context show the same view
    page.wait_for_function("() => location.search.includes('rec_file=')")
    page.reload()
    page.get_by_text("Top 10 for user u0").wait_for(timeout=120_000)
    other = page.context.browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        fresh = other.new_page()
        fresh.set_default_timeout(120_000)
        fresh.goto(page.url)
        fresh.get_by_text("shop: 300 interactions by 40 users of 27 items").wait_for()
        fresh.get_by_text("Top 10 for user u0").wait_for()
    finally:
        other.close()
