"""The Fine-tune page in Debian chromium: a fine-tuned model's result (saved on the server) and
the training settings stay the same when leaving the page and coming back, on reload, back and
forward, and from a shared link in another browser; the model can be removed from the page."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import choose, keeps_the_view, settled
from tests.conftest import LiveApp
from tests.test_finetune import TINY, toy_data

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_finetune_keeps_its_settings_and_result(tiny_base: str, live_server: LiveApp, browser, page,
                                                monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from embedlab.backends import catalogue
    from embedlab.training.finetune import finetune

    monkeypatch.setenv("EMBEDLAB_HOME", str(live_server.home))  # saved where the running server finds it
    result = finetune(toy_data(15), TINY, base=tiny_base, out="toy-browser")
    saved = live_server.home / "wordvectors" / "finetuned_toy-browser.st"
    try:
        assert saved.exists()
        page.goto(f"{live_server.url}/finetune?ft_model={result.name}")
        page.get_by_text("Held-out split: 9 texts, 3 labels").wait_for(timeout=180_000)
        choose(page, page.get_by_test_id("stSelectbox").filter(has_text="Loss").first, "batch-hard-triplet")
        seed = page.get_by_role("spinbutton", name="Seed")
        seed.fill("7")
        seed.press("Enter")

        def check(p) -> str:
            p.get_by_text("Held-out split: 9 texts, 3 labels").wait_for()
            p.locator('[data-testid="stPlotlyChart"]').nth(1).wait_for()
            loss = p.get_by_test_id("stSelectbox").filter(has_text="Loss").first.inner_text()
            return f"{loss}|{p.get_by_role('spinbutton', name='Seed').input_value()}|{p.get_by_text('finetuned:toy-browser: ').first.inner_text()}"

        seen = settled(page, check)
        assert "batch-hard-triplet" in seen and "|7|" in seen and "tiny-st fine-tuned on toy" in seen
        keeps_the_view(browser, page, "Fine-tune", check)

        page.get_by_text("Yes, remove finetuned:toy-browser").click()
        page.get_by_role("button", name="Remove model").click()
        page.get_by_text("Removed finetuned:toy-browser.").wait_for()
        assert not saved.exists()
        page.screenshot(path=str(tmp_path / "finetune.png"), full_page=True)
    finally:
        if saved.exists():  # the page did not remove it: leave the shared server as it was
            catalogue().remove(result.name)
